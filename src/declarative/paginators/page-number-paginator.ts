/**
 * Page-number paging (Django REST style). Page 1 is read alone; when its body gives the total count, the
 * remaining pages are fetched `concurrency` at a time and yielded strictly in order, so a checkpoint always
 * means "every page before this one is committed" and a resume is exactly-once. Memory stays bounded: at
 * most `concurrency` pages are in flight or waiting to be yielded.
 *
 * With concurrency 1 and a `next_path`, it follows the body's `next` links one after another, as Airbyte's
 * connector does (the HttpClient refuses links to another origin).
 */
import type { PaginationContext, Paginator, RawPage, FetchedPage } from './paginator.js';
import { getPath, LinkLoopGuard, resolveNextLink } from './paginator.js';

export interface PageNumberOptions {
  pageParam: string;
  pageSizeParam?: string;
  pageSize: number;
  startPage: number;
  countPath?: string[];
  nextPath?: string[];
  concurrency: number;
}

export class PageNumberPaginator implements Paginator {
  constructor(private readonly o: PageNumberOptions) {}

  private urlFor(ctx: PaginationContext, page: number): URL {
    const url = new URL(ctx.baseUrl);
    if (this.o.pageSizeParam) url.searchParams.set(this.o.pageSizeParam, String(this.o.pageSize));
    url.searchParams.set(this.o.pageParam, String(page));
    return url;
  }

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const resumed = ctx.state?.in_progress === true;
    let page = resumed ? Number(ctx.state?.page ?? this.o.startPage) : this.o.startPage;
    const first = await ctx.fetch(this.urlFor(ctx, page));
    const count = this.o.countPath ? Number(getPath(first.body, this.o.countPath)) : Number.NaN;
    const lastPage = Number.isFinite(count)
      ? Math.max(this.o.startPage, Math.ceil(count / this.o.pageSize) - 1 + this.o.startPage)
      : undefined;

    const noNext = (res: FetchedPage) => {
      const next = this.o.nextPath ? getPath(res.body, this.o.nextPath) : undefined;
      return next === null || next === '';
    };
    const done = (res: FetchedPage, p: number) =>
      res.endOfStream ||
      res.records.length === 0 ||
      (lastPage !== undefined && p >= lastPage) ||
      (lastPage === undefined && res.records.length < this.o.pageSize) ||
      noNext(res);

    const emit = (res: FetchedPage, p: number): RawPage => {
      const last = done(res, p);
      return {
        records: res.records,
        bytes: res.bytes,
        checkpoint: last ? { in_progress: false } : { page: p + 1, in_progress: true },
        position: { page: p - this.o.startPage, firstIndex: (p - this.o.startPage) * this.o.pageSize },
      };
    };

    yield emit(first, page);
    if (done(first, page)) return;

    if (this.o.concurrency <= 1 || lastPage === undefined) {
      let prev = first;
      // A server whose links lead back to a page already read would otherwise be read forever.
      const loops = new LinkLoopGuard();
      loops.visit(this.urlFor(ctx, page));
      for (;;) {
        page++;
        const next = this.o.nextPath ? getPath(prev.body, this.o.nextPath) : undefined;
        if (this.o.nextPath && (next === null || next === '')) return;
        // Follow the server's own link when it gives one (auth is re-applied by the HttpClient).
        const url =
          typeof next === 'string' && next !== '' ? resolveNextLink(next, prev.url) : this.urlFor(ctx, page);
        loops.visit(url);
        prev = await ctx.fetch(url);
        yield emit(prev, page);
        if (done(prev, page)) return;
      }
    }

    // Parallel: a sliding window of in-flight pages, yielded in order.
    const inflight = new Map<number, Promise<FetchedPage>>();
    let nextToStart = page + 1;
    const fill = () => {
      while (inflight.size < this.o.concurrency && nextToStart <= lastPage) {
        const p = nextToStart++;
        const promise = ctx.fetch(this.urlFor(ctx, p));
        // Avoid unhandled rejections for pages we may never await (we stop at the first failure).
        promise.catch(() => undefined);
        inflight.set(p, promise);
      }
    };
    try {
      for (let p = page + 1; p <= lastPage; p++) {
        fill();
        const res = await inflight.get(p)!;
        inflight.delete(p);
        yield emit(res, p);
        if (done(res, p)) return;
      }
    } finally {
      inflight.clear();
    }
  }
}
