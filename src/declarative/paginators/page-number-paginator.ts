/**
 * Page-number paging (Django REST style). Page 1 is read alone; when its body gives the total count, the
 * remaining pages are fetched `concurrency` at a time and yielded strictly in order, so a checkpoint always
 * means "every page before this one is committed" and a resume is exactly-once. Memory stays bounded: at
 * most `concurrency` pages are in flight or waiting to be yielded.
 *
 * With concurrency 1 (or no count) it reads one page after another, following the body's `next` links when
 * there is a `next_path`, as Airbyte's connector does (the HttpClient refuses links to another origin).
 *
 * The server's word is checked, not trusted:
 * - The page size is learned from page 1: fewer records than asked while `next` (or the count) says more
 *   means the server caps it, and pages are planned from the size it really serves (page N holds records
 *   (N-1)·size…, whatever page_size the URL asks for).
 * - The plan never ends a pass: while `next` says more, it is followed. A page that does not fit the plan
 *   (a different size, a `next` to another page) switches to following `next` one page at a time.
 * - An empty page whose `next` says more is not the end; a long run of them is (TRB_SOURCE_CONTRACT).
 * - The count must be the same on every page, no record may come twice, and the records read must match the
 *   count at the end (PassAudit); a failure throws before the last page is yielded.
 */
import type { FetchedPage, PageDecision, PaginationContext, Paginator, RawPage } from './paginator.js';
import { emptyPagesError, getPath, LinkLoopGuard, POLICY_STOP, resolveNextLink } from './paginator.js';
import { PassAudit, pageCount } from './pass-audit.js';

export interface PageNumberOptions {
  pageParam: string;
  pageSizeParam?: string;
  pageSize: number;
  startPage: number;
  countPath?: string[];
  nextPath?: string[];
  concurrency: number;
  /** Empty pages in a row whose `next` still says more before the pass fails (default 20). */
  maxEmptyPages?: number;
}

/** Where an interrupted pass stands; every field is needed to resume it exactly. */
interface Resume {
  page: number;
  read: number;
  count?: number;
  size: number;
}

export class PageNumberPaginator implements Paginator {
  constructor(private readonly o: PageNumberOptions) {}

  private urlFor(ctx: PaginationContext, page: number): URL {
    const url = new URL(ctx.baseUrl);
    if (this.o.pageSizeParam) url.searchParams.set(this.o.pageSizeParam, String(this.o.pageSize));
    url.searchParams.set(this.o.pageParam, String(page));
    return url;
  }

  /**
   * A checkpoint this configuration can resume exactly, or undefined: one written under another page size,
   * or before checkpoints carried the read count, would page or prove differently, so the pass starts over.
   */
  private resumeFrom(state: Record<string, unknown> | undefined): Resume | undefined {
    if (state?.in_progress !== true) return undefined;
    const { page, read, count, size, page_size } = state;
    const int = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
    if (!int(page, this.o.startPage) || !int(read, 0) || !int(size, 1) || page_size !== this.o.pageSize)
      return undefined;
    return { page, read, size, count: int(count, 0) ? count : undefined };
  }

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const start = this.o.startPage;
    const asked = this.o.pageSize;
    const maxEmpty = this.o.maxEmptyPages ?? 20;
    let resume = this.resumeFrom(ctx.state);
    let page = resume?.page ?? start;
    let res = await ctx.fetch(this.urlFor(ctx, page));
    if (resume?.count !== undefined) {
      const now = pageCount(res, this.o.countPath);
      if (now !== undefined && now !== resume.count) {
        // The list changed while the sync was down: the pages already read no longer line up with the
        // ones still to read. Start the pass over; every record is read (and stamped) again.
        resume = undefined;
        page = start;
        res = await ctx.fetch(this.urlFor(ctx, page));
      }
    }
    const audit = new PassAudit(ctx.baseUrl, ctx.idField, resume);
    // The page size the server really serves: learned below from page 1, or carried by the checkpoint.
    let size = resume?.size ?? asked;
    let learnedSize = resume !== undefined;
    let emptyRun = 0;
    // Whether the page in hand is the second answer to the same request (see the empty-page rule below).
    let askedAgain = false;
    let firstOfRun = true;

    // Parallel plan: pages after `page`, `concurrency` at a time, up to `lastPlanned`.
    const controller = new AbortController();
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, controller.signal]) : controller.signal;
    const inflight = new Map<number, Promise<FetchedPage>>();
    let lastPlanned: number | undefined;
    let nextToStart = 0;
    const fill = () => {
      while (lastPlanned !== undefined && inflight.size < this.o.concurrency && nextToStart <= lastPlanned) {
        const p = nextToStart++;
        const promise = ctx.fetch(this.urlFor(ctx, p), signal);
        // Avoid unhandled rejections for pages we may never await (we stop at the first failure).
        promise.catch(() => undefined);
        inflight.set(p, promise);
      }
    };
    const dropPlan = () => {
      lastPlanned = undefined;
      if (inflight.size > 0) {
        inflight.clear();
        controller.abort(new Error('page no longer needed'));
      }
    };
    // A server whose links lead back to a page already read would otherwise be read forever.
    const loops = new LinkLoopGuard();
    loops.visit(this.urlFor(ctx, page));

    try {
      for (;;) {
        const n = res.records.length;
        const firstIndex = audit.read;
        audit.observeCount(pageCount(res, this.o.countPath), page - start + 1);
        audit.add(res.records);
        const count = audit.count;
        const next = this.nextOf(res);
        const more =
          next !== undefined
            ? next !== null
            : count !== undefined
              ? audit.read < count && n > 0
              : n > 0 && n >= size;
        const last = res.endOfStream || !more;

        if (!last && page === start && !learnedSize && n > 0) {
          // Fewer than asked with more to come: the server caps the page size.
          size = Math.min(n, asked);
          learnedSize = true;
        }
        if (!last && n === 0) {
          if (!askedAgain) {
            // An empty page while the server says more is a glitch or a lie: ask for the same page once
            // more before moving on, so a glitch costs one request instead of the page's records (which
            // would then be missing from the pass, and fail its proof).
            askedAgain = true;
            res = await ctx.fetch(res.url, lastPlanned === undefined ? undefined : signal);
            continue;
          }
          if (++emptyRun >= maxEmpty) {
            throw emptyPagesError(res.url, emptyRun, page - start + 1);
          }
        } else emptyRun = 0;
        askedAgain = false;

        let expectedCount: number | undefined;
        if (last) expectedCount = audit.prove(page - start + 1);
        else if (lastPlanned !== undefined) {
          // The plan holds while each page is full and any `next` points to the following page.
          const fits =
            n === size &&
            page < lastPlanned &&
            (next === undefined || this.pageOf(next, res.url) === page + 1);
          if (!fits) {
            if (n > 0 && n !== size && page !== lastPlanned) size = n;
            dropPlan();
          }
        } else if (
          firstOfRun &&
          this.o.concurrency > 1 &&
          count !== undefined &&
          learnedSize &&
          n === size &&
          (next === undefined || this.pageOf(next, res.url) === page + 1)
        ) {
          // Plan the rest from the count and the size the server really serves.
          const planned = start + Math.ceil(count / size) - 1;
          if (planned > page) {
            lastPlanned = planned;
            nextToStart = page + 1;
          }
        }
        firstOfRun = false;

        const checkpoint: Record<string, unknown> = last
          ? { in_progress: false }
          : { page: page + 1, in_progress: true, ...audit.state(), size, page_size: asked };
        yield {
          records: res.records,
          bytes: res.bytes,
          checkpoint,
          position: { page: page - start, firstIndex },
          ...(expectedCount === undefined ? {} : { expectedCount }),
          url: res.url,
          decision: last
            ? { stop: this.stopReason(res, next, count, audit.read, size) }
            : this.nextDecision(ctx, res.url, page, next, lastPlanned, count, audit.read),
        };
        if (last) return;

        if (lastPlanned !== undefined) {
          fill();
          const p = page + 1;
          const promise = inflight.get(p)!;
          inflight.delete(p);
          page = p;
          res = await promise;
          continue;
        }
        // One page after another: the server's own link when it gives one (auth is re-applied by the
        // HttpClient), else the next page number.
        page++;
        const url = typeof next === 'string' ? resolveNextLink(next, res.url) : this.urlFor(ctx, page);
        loops.visit(url);
        res = await ctx.fetch(url);
      }
    } finally {
      dropPlan();
    }
  }

  /** Why the pass ends after this page (for `tributary read`). */
  private stopReason(
    res: FetchedPage,
    next: string | null | undefined,
    count: number | undefined,
    read: number,
    size: number,
  ): string {
    if (res.endOfStream) return POLICY_STOP;
    if (next === null) return `the body's "next" (${this.o.nextPath!.join('.')}) is empty`;
    if (count !== undefined) return `${read} of the API's count ${count} read`;
    if (res.records.length === 0) return 'the page is empty';
    return `the page held ${res.records.length} records, fewer than the page size ${size}`;
  }

  /** The request that follows this page and why (for `tributary read`); the same URL the loop below asks. */
  private nextDecision(
    ctx: PaginationContext,
    current: URL,
    page: number,
    next: string | null | undefined,
    lastPlanned: number | undefined,
    count: number | undefined,
    read: number,
  ): PageDecision {
    if (lastPlanned !== undefined)
      return {
        next: this.urlFor(ctx, page + 1),
        reason: `page ${page + 1} of ${lastPlanned}, planned from the count`,
      };
    if (typeof next === 'string') {
      try {
        return { next: resolveNextLink(next, current), reason: `the body's "next" link` };
      } catch {
        return { stop: 'the body\'s "next" link is not a URL (the pass fails on it)' };
      }
    }
    const why = count === undefined ? 'the page was full' : `${read} of the API's count ${count} read`;
    return { next: this.urlFor(ctx, page + 1), reason: `page ${page + 1}: ${why}` };
  }

  /** The body's `next`: a link, null when it says there is no more, undefined when it says nothing. */
  private nextOf(res: FetchedPage): string | null | undefined {
    if (!this.o.nextPath || res.endOfStream) return undefined;
    const v = getPath(res.body, this.o.nextPath);
    if (v === null || v === '') return null;
    return typeof v === 'string' ? v : undefined;
  }

  /** The page number a `next` link asks for, or undefined when it names none. */
  private pageOf(next: string | null, current: URL): number | undefined {
    if (next === null) return undefined;
    const v = resolveNextLink(next, current).searchParams.get(this.o.pageParam);
    return v === null || !/^\d+$/.test(v) ? undefined : Number(v);
  }
}
