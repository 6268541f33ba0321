/**
 * Offset/limit paging (`$skip`/`$limit`). Under an incremental window it pages by keyset instead (KeysetPager:
 * plain offsets under a moving filter lose records), so it tells the incremental cursor that it pages by the
 * cursor itself (`pagesByCursor`).
 *
 * The server's word is checked, not trusted:
 * - A page shorter than asked while `total` says more means the server caps `$limit`: paging continues from
 *   what it served (the pass never ends on `n < asked` alone when there is a total; PassEnd).
 * - The total must be the same on every page and the records read must match it at the end (PassAudit),
 *   checked before the last page is yielded.
 */
import { KeysetPager } from './keyset-pager.js';
import { isWindowedState, WindowedKeyset } from './windowed-keyset.js';
import { countValue, PassAudit, pageCount } from './pass-audit.js';
import { PassEnd } from './pass-end.js';
import { OffsetPlan } from './offset-plan.js';
import type { FetchedPage, PaginationContext, Paginator, RawPage } from './paginator.js';
import { POLICY_STOP, ReadAhead } from './paginator.js';

export interface OffsetOptions {
  limitParam: string;
  offsetParam: string;
  pageSize: number;
  totalPath?: string[];
  /**
   * Empty pages in a row, each with `total` saying more, before the pass fails (default 3). An offset does
   * not move on an empty page, so asking again only helps against a glitch; a total that is simply too high
   * stays so, and fails after a few requests rather than many.
   */
  maxEmptyPages?: number;
  /**
   * At most this many keyset windows paged at once under an incremental window (WindowedKeyset; needs the
   * cursor's upper filter, `upper_filter_param`), or pages requested at once by offset in a plain pass with a
   * total (OffsetPlan); 1 (the default) pages one request after another.
   */
  maxWindows?: number;
}

export class OffsetPaginator implements Paginator {
  readonly pagesByCursor = true;

  constructor(private readonly o: OffsetOptions) {}

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    if (ctx.incremental) {
      // A windowed checkpoint resumes windowed whatever the limit now (with 1, one window at a time).
      const windows = ctx.incremental.upperFilterParam ? (this.o.maxWindows ?? 1) : 1;
      if (windows > 1 || isWindowedState(ctx.state)) yield* new WindowedKeyset(this.o, windows).pages(ctx);
      else yield* new KeysetPager(this.o).pages(ctx);
      return;
    }
    const saved = ctx.state?.in_progress === true ? ctx.state : undefined;
    // With a total, a checkpoint must carry the one the pass started with (to prove the pass); one that
    // does not (written before checkpoints did) starts the pass over.
    const resumable =
      saved !== undefined &&
      Number.isSafeInteger(saved.skip) &&
      (saved.skip as number) >= 0 &&
      (this.o.totalPath === undefined || countValue(saved.total) !== undefined);
    let skip = resumable ? (saved!.skip as number) : 0;
    let audit = new PassAudit(
      ctx.baseUrl,
      ctx.idField,
      resumable ? { read: skip, count: countValue(saved!.total) } : undefined,
    );
    let page = 0;
    const end = new PassEnd(this.o.pageSize, this.o.maxEmptyPages ?? 3);
    const ahead = new ReadAhead(ctx);
    // With a total, the offsets that follow are known up front: up to `maxWindows` pages are requested at
    // once (OffsetPlan), still taken and checked in order. Without one, one page after another.
    const width = this.o.totalPath ? (this.o.maxWindows ?? 1) : 1;
    const plan = width > 1 ? new OffsetPlan(ctx, (o) => this.plainUrl(ctx, o), width) : undefined;
    // The page size the server really serves (a short page that is not the end shows a cap).
    let stepSize = this.o.pageSize;
    // Sends the request for `offset` now; the returned function takes its answer (so a consumer that stops
    // early leaves it with ReadAhead or the plan, which abort it).
    const fetchAt = (offset: number): (() => Promise<FetchedPage>) => {
      if (plan) {
        const p = plan.take(offset, stepSize, audit.count);
        return () => p;
      }
      ahead.start(this.plainUrl(ctx, offset));
      return () => ahead.take();
    };
    try {
      let res = await fetchAt(skip)();
      if (resumable && audit.count !== undefined) {
        const now = pageCount(res, this.o.totalPath);
        if (now !== undefined && now !== audit.count) {
          // The list changed while the sync was down: the offsets already read no longer line up. Start
          // the pass over; every record is read (and stamped) again.
          skip = 0;
          audit = new PassAudit(ctx.baseUrl, ctx.idField);
          plan?.reset();
          res = await fetchAt(skip)();
        }
      }
      for (;;) {
        const n = res.records.length;
        const firstIndex = skip;
        audit.observeCount(pageCount(res, this.o.totalPath), page + 1);
        audit.add(res.records);
        const total = audit.count;
        const step = res.endOfStream ? 'last' : end.after(res.url, skip, n, total);
        if (step === 'again') {
          plan?.reset();
          res = await fetchAt(skip)();
          continue;
        }
        if (step === 'next' && n < stepSize) {
          // Planned offsets assumed full pages: plan again from where the pages really are.
          stepSize = n;
          plan?.reset();
        }
        skip += n;
        const last = step === 'last';
        const expectedCount = last ? audit.prove(page + 1) : undefined;
        // The next offset is known now: request it before handing this page over.
        const pending = last ? undefined : fetchAt(skip);
        yield {
          records: res.records,
          bytes: res.bytes,
          checkpoint: {
            skip,
            in_progress: !last,
            ...(!last && total !== undefined ? { total } : {}),
          },
          position: { page: page++, firstIndex },
          ...(expectedCount === undefined ? {} : { expectedCount }),
          url: res.url,
          decision: last
            ? { stop: offsetStop(res.endOfStream, n, total, this.o.pageSize) }
            : { next: this.plainUrl(ctx, skip), reason: `offset ${skip}: ${offsetMore(n, total, skip)}` },
        };
        if (last) return;
        res = await pending!();
      }
    } finally {
      ahead.close();
      plan?.reset();
    }
  }

  private plainUrl(ctx: PaginationContext, skip: number): URL {
    return offsetUrl(ctx.baseUrl, this.o, skip);
  }
}

/** Why an offset pass goes on after a page of `n` records (for `tributary read`). */
export function offsetMore(n: number, total: number | undefined, skip: number): string {
  return total === undefined
    ? `the page was full (${n} records)`
    : `${skip} of the API's total ${total} read`;
}

/** Why an offset pass ends after a page of `n` records (for `tributary read`). */
export function offsetStop(
  endOfStream: boolean,
  n: number,
  total: number | undefined,
  pageSize: number,
  /** What `total` counts, as the reason names it. */
  totalOf = "the API's total",
): string {
  if (endOfStream) return POLICY_STOP;
  if (n === 0) return 'the page is empty';
  if (total !== undefined) return `every record of ${totalOf} (${total}) was read`;
  return `the page held ${n} records, fewer than the page size ${pageSize}`;
}

/** The stream URL asking for `pageSize` records from offset `skip`. */
export function offsetUrl(base: URL, o: OffsetOptions, skip: number): URL {
  const url = new URL(base);
  url.searchParams.set(o.limitParam, String(o.pageSize));
  url.searchParams.set(o.offsetParam, String(skip));
  return url;
}
