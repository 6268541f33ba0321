/**
 * Keyset paging: how an offset/limit API (`$skip`/`$limit`) is paged under an incremental window. Each
 * request filters `cursor >= bound` sorted by the cursor (then by the id, when a tie-breaker is configured),
 * re-reading the few records at exactly `bound` (upserts make that harmless) and skipping by count only
 * within a run of one timestamp that fills a whole page.
 * Plain offsets shift when a record is updated mid-sync (it moves to the end and the next page skips one
 * record); the keyset does not, and it makes a crash resumable at the exact page. Because it proves the
 * cursor's order as it pages, its checkpoints carry the bound reached so far (see DatetimeCursor).
 *
 * The server's word is checked, not trusted: every record must sit at or above the requested bound (a
 * server that ignores the filter), in non-decreasing cursor order within a page (one that ignores the sort),
 * and a run of one timestamp continued by count must not bring back a record already read (ties ordered
 * differently per request). A page shorter than asked while `total` says more means the server caps
 * `$limit` (PassEnd). The bound never moves backwards, and the requests of a pass are capped from the first
 * `total`, so no server can make a pass loop.
 */
import { type OffsetOptions, offsetStop, offsetUrl } from './offset-paginator.js';
import { countValue, pageCount } from './pass-audit.js';
import { PassEnd } from './pass-end.js';
import type { FetchedPage, PaginationContext, RawPage } from './paginator.js';
import { contractError, ReadAhead } from './paginator.js';

/** Ids at the bound kept in state; a larger group (one timestamp on many records) resumes with repeats. */
const MAX_SEEN_IN_STATE = 500;

/** Order of two cursor values: as instants when both are dates, else as text. */
function compareCursors(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pages an incremental window (`ctx.incremental`) of an offset/limit API by keyset. */
export class KeysetPager {
  constructor(private readonly o: OffsetOptions) {}

  private keysetUrl(ctx: PaginationContext, bound: string | undefined, skip: number): URL {
    const inc = ctx.incremental!;
    const url = offsetUrl(ctx.baseUrl, this.o, skip);
    if (bound !== undefined) url.searchParams.set(inc.filterParam, bound);
    if (inc.sortParam) url.searchParams.set(inc.sortParam, inc.sortValue);
    // After the cursor sort, so the server orders ties by it (Feathers sorts in the order keys are given).
    if (inc.sortParam && inc.tieBreakerParam) url.searchParams.set(inc.tieBreakerParam, inc.sortValue);
    return url;
  }

  /** The pages of the window in `ctx.incremental`. */
  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const inc = ctx.incremental!;
    const resumed = ctx.state?.in_progress === true && typeof ctx.state.cursor === 'string';
    let bound: string | undefined = resumed ? (ctx.state!.cursor as string) : inc.startBound;
    let skip = resumed ? Number(ctx.state!.skip ?? 0) : 0;
    // The highest cursor committed so far; carried through empty passes so state never moves backwards.
    let maxCursor: string | undefined =
      typeof ctx.state?.cursor === 'string' ? (ctx.state.cursor as string) : undefined;
    // A pass over all history (no lower bound) is a full list: the first `total` is how many records the
    // API says it holds, carried to the last page for the engine's proof (and through a resume).
    let passCount: number | undefined = resumed ? countValue(ctx.state!.count) : undefined;
    const fullList = !resumed && bound === undefined;
    let page = 0;
    let index = 0;
    let requests = 0;
    let maxRequests = Number.POSITIVE_INFINITY;
    // Ids already yielded at exactly `bound`: re-reading them (see below) must not emit them twice.
    // Carried in the checkpoint (when small) so a resumed pass does not emit them again either.
    let seenAtBound = new Set<string>(
      resumed && Array.isArray(ctx.state?.seen) ? (ctx.state!.seen as unknown[]).map(String) : [],
    );
    const idOf = (r: Record<string, unknown>): string | undefined => {
      const v = inc.idField === undefined ? undefined : r[inc.idField];
      return v === undefined || v === null ? undefined : String(v);
    };
    const cf = inc.cursorField;
    const cursorOf = (r: Record<string, unknown>): string => String(r?.[cf] ?? '');
    const end = new PassEnd(this.o.pageSize, this.o.maxEmptyPages ?? 3);
    const ahead = new ReadAhead(ctx);
    try {
      ahead.start(this.keysetUrl(ctx, bound, skip));
      requests++;
      for (;;) {
        const res = await ahead.take();
        const requestedSkip = skip;
        const recs = res.records;
        const n = recs.length;
        const atBound = bound;
        const total = pageCount(res, this.o.totalPath);
        if (requests === 1 && total !== undefined) {
          if (fullList) passCount = total;
          // Every request yields at least one record not yielded before (the checks below make sure), so
          // a list of `total` records needs at most `total` requests in the worst layout of ties;
          // pages and 10 more are slack for records that move to the end while the pass reads.
          maxRequests = total + 2 * Math.ceil(total / this.o.pageSize) + 10;
        }
        this.checkKeysetPage(res, atBound, cf, cursorOf);
        // One pass over the page: drop the records already yielded at the old bound, and collect the ids at
        // the page's last cursor (the new bound) for the next page to drop.
        let fresh = recs;
        if (n > 0) {
          const newMax = cursorOf(recs[n - 1]!);
          const seenBefore = seenAtBound;
          if (newMax !== bound) seenAtBound = new Set();
          for (let i = 0; i < n; i++) {
            const r = recs[i]!;
            const c = cursorOf(r);
            if (c !== atBound && c !== newMax) {
              if (fresh !== recs) fresh.push(r);
              continue;
            }
            const id = idOf(r);
            if (c === atBound && id !== undefined && seenBefore.has(id)) {
              if (requestedSkip > 0) {
                // Continuing a run of one timestamp by count is only exact if the run keeps its order:
                // a record already read coming back means the server orders ties differently per request.
                throw contractError(
                  res.url,
                  `records sharing ${cf} ${atBound} came back in a different order on the next request (${inc.idField} ${JSON.stringify(id)} was read already at offset < ${requestedSkip}); the server's order of ties is not stable, so records could be skipped`,
                  { cursor: atBound, id, skip: requestedSkip, page: page + 1 },
                );
              }
              // Already yielded: from here on the page is copied without it.
              if (fresh === recs) fresh = recs.slice(0, i);
              continue;
            }
            if (c === newMax && id !== undefined) seenAtBound.add(id);
            if (fresh !== recs) fresh.push(r);
          }
          if (newMax === bound) {
            skip += n;
          } else {
            let same = 0;
            for (let i = n - 1; i >= 0 && cursorOf(recs[i]!) === newMax; i--) same++;
            bound = newMax;
            // Re-read the records at the new bound instead of skipping them: one of them may be updated (and
            // leave the group) before the next request, which would shift the group and skip an unread
            // record. Only a page made entirely of one timestamp still has to skip by count.
            skip = same < n ? 0 : same;
          }
          if (maxCursor === undefined || compareCursors(newMax, maxCursor) > 0) maxCursor = newMax;
        }
        const step = res.endOfStream ? 'last' : end.after(res.url, requestedSkip, n, total);
        const last = step === 'last';
        if (!last && ++requests > maxRequests) {
          throw contractError(
            res.url,
            `the pass needed more than ${maxRequests} requests for a list whose first total was ${passCount ?? 'not given'}; stopping instead of paging forever (the server's filter, sort or total is not behaving), and the pass cannot be proven complete`,
            { maxRequests, page: page + 1 },
          );
        }
        // The next keyset request needs only this page's last cursor and the ids at it, known right after
        // parsing: send it now, so the server answers while this page is transformed and written.
        const nextUrl = last ? undefined : this.keysetUrl(ctx, bound, skip);
        if (nextUrl) ahead.start(nextUrl);
        // An empty page where `total` says more yields nothing: the same request was just sent again.
        if (step === 'again') continue;
        const count = passCount;
        const checkpoint: Record<string, unknown> = last
          ? { cursor: maxCursor ?? null, in_progress: false }
          : {
              cursor: bound,
              skip,
              in_progress: true,
              ...(count === undefined ? {} : { count }),
              ...(seenAtBound.size > 0 && seenAtBound.size <= MAX_SEEN_IN_STATE
                ? { seen: [...seenAtBound] }
                : {}),
            };
        yield {
          records: fresh,
          bytes: res.bytes,
          checkpoint,
          position: { page: page++, firstIndex: index },
          ...(last && count !== undefined ? { expectedCount: count } : {}),
          ...(fresh.length === n ? {} : { received: n }),
          url: res.url,
          decision: nextUrl
            ? { next: nextUrl, reason: `keyset on ${cf} from ${bound ?? 'the start'}, skipping ${skip}` }
            : {
                stop: offsetStop(
                  res.endOfStream,
                  n,
                  total,
                  this.o.pageSize,
                  atBound === undefined ? "the API's total" : `the API's total from ${cf} ${atBound}`,
                ),
              },
        };
        index += fresh.length;
        if (last) return;
      }
    } finally {
      ahead.close();
    }
  }

  /**
   * A keyset page must honour the filter (every cursor at or above the bound asked for) and the sort
   * (cursors never decrease). Records without a date-time cursor are left to the source's record check,
   * which names them precisely.
   */
  private checkKeysetPage(
    res: FetchedPage,
    bound: string | undefined,
    cf: string,
    cursorOf: (r: Record<string, unknown>) => string,
  ): void {
    // compareCursors' order, with each cursor parsed once: this runs on every record of the page.
    const boundMs = bound === undefined ? Number.NaN : Date.parse(bound);
    let prev: string | undefined;
    let prevMs = Number.NaN;
    for (let i = 0; i < res.records.length; i++) {
      const c = cursorOf(res.records[i]!);
      const ms = Date.parse(c);
      if (Number.isNaN(ms)) continue;
      if (bound !== undefined && (Number.isNaN(boundMs) ? c < bound : ms < boundMs)) {
        throw contractError(
          res.url,
          `record ${i} of the page has ${cf} ${c}, below the bound ${bound} the request asked for: the server ignores the filter, so the keyset cannot advance; the pass cannot be proven complete`,
          { expected: `${cf} >= ${bound}`, seen: c, item: i },
        );
      }
      // `prev` is a date-time (others were skipped), so instants compare.
      if (prev !== undefined && ms < prevMs) {
        throw contractError(
          res.url,
          `record ${i} of the page has ${cf} ${c} after ${prev}: the server does not sort by ${cf} as asked, so the keyset would skip records; the pass cannot be proven complete`,
          { expected: `${cf} >= ${prev}`, seen: c, item: i },
        );
      }
      prev = c;
      prevMs = ms;
    }
  }
}
