/**
 * One keyset range of an incremental read, and how its pages advance: the per-page logic shared by the
 * sequential keyset (KeysetPager: one range `[start, ∞)`) and parallel windows (WindowedKeyset: several
 * half-open ranges `[lo, hi)` of the cursor, paged at once).
 *
 * Each request filters `lo' <= cursor < hi` (lo' = the bound reached so far) sorted by the cursor (then by
 * the id, when a tie-breaker is configured), re-reading the few records at exactly the bound (upserts make
 * that harmless) and skipping by count only within a run of one timestamp that fills a whole page.
 * Half-open ranges make window boundaries exact whatever the ties: every record at `hi` belongs to the next
 * window, and within a window the tie-breaker orders ties.
 *
 * The server's word is checked, not trusted: every record must sit at or above the requested bound and
 * below `hi` (a server that ignores a filter), in non-decreasing cursor order within a page (one that
 * ignores the sort), and a run of one timestamp continued by count must not bring back a record already
 * read (ties ordered differently per request). A page shorter than asked while the filtered `total` says
 * more means the server caps `$limit` (PassEnd); the window ends only where its own filtered total agrees.
 * The bound never moves backwards, and the requests of a window are capped from its first `total`, so no
 * server can make a window loop.
 */
import { type OffsetOptions, offsetUrl } from './offset-paginator.js';
import { countValue, pageCount } from './pass-audit.js';
import { PassEnd } from './pass-end.js';
import type { FetchedPage, IncrementalWindow } from './paginator.js';
import { contractError } from './paginator.js';

/** Ids at the bound kept in state; a larger group (one timestamp on many records) resumes with repeats. */
export const MAX_SEEN_IN_STATE = 500;

/** Order of two cursor values: as instants when both are dates, else as text. */
export function compareCursors(a: string, b: string): number {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where a window stands, as its checkpoint carries it. */
export interface KeysetWindowState {
  /** Exclusive upper bound of the window (ISO-8601); absent for the last, open-ended window. */
  hi?: string;
  /** The bound reached so far (every record of the window below it has been yielded); absent: from the start. */
  cursor?: string;
  /** Records at `cursor` already yielded by count (a run of one timestamp longer than a page). */
  skip: number;
  /** Ids at `cursor` already yielded (small groups only). */
  seen?: string[];
}

export interface KeysetStep {
  /** The page's records not yielded before. */
  fresh: Record<string, unknown>[];
  /** 'last': the window is done; 'next': ask for the next page; 'again': the same page once more. */
  step: 'last' | 'next' | 'again';
  /** The filtered total this response gave (records from the bound to `hi`), when it gave one. */
  total: number | undefined;
}

export class KeysetWindow {
  bound: string | undefined;
  skip: number;
  hi: string | undefined;
  /** The highest cursor this window yielded. */
  maxCursor: string | undefined;
  /** The first total this window's requests gave (records from its start to `hi`). */
  firstTotal: number | undefined;
  /** Records left in the window after the last page, by the last response's filtered total. */
  remaining: number | undefined;
  /** Pages this window took (for messages). */
  page = 0;
  private seenAtBound: Set<string>;
  private requests = 0;
  private maxRequests = Number.POSITIVE_INFINITY;
  private readonly end: PassEnd;
  private readonly cf: string;
  private readonly cursorOf: (r: Record<string, unknown>) => string;

  constructor(
    private readonly o: OffsetOptions,
    private readonly inc: IncrementalWindow,
    /** Query parameter for the exclusive upper bound (`updatedAt[$lt]`); needed only when `hi` is set. */
    private readonly upperParam: string | undefined,
    init: { bound: string | undefined; hi?: string; skip?: number; seen?: Iterable<string> },
  ) {
    this.bound = init.bound;
    this.hi = init.hi;
    this.skip = init.skip ?? 0;
    this.seenAtBound = new Set(init.seen ?? []);
    this.end = new PassEnd(o.pageSize, o.maxEmptyPages ?? 3);
    const cf = inc.cursorField;
    this.cf = cf;
    this.cursorOf = (r) => String(r?.[cf] ?? '');
  }

  /** The window rebuilt from its checkpoint. */
  static resume(
    o: OffsetOptions,
    inc: IncrementalWindow,
    upperParam: string | undefined,
    s: KeysetWindowState,
  ): KeysetWindow {
    return new KeysetWindow(o, inc, upperParam, {
      bound: s.cursor,
      ...(s.hi === undefined ? {} : { hi: s.hi }),
      skip: Number.isSafeInteger(s.skip) && s.skip >= 0 ? s.skip : 0,
      seen: Array.isArray(s.seen) ? s.seen.map(String) : [],
    });
  }

  /** The request for the window's next page. */
  url(base: URL): URL {
    const inc = this.inc;
    const url = offsetUrl(base, this.o, this.skip);
    if (this.bound !== undefined) url.searchParams.set(inc.filterParam, this.bound);
    if (this.hi !== undefined && this.upperParam) url.searchParams.set(this.upperParam, this.hi);
    if (inc.sortParam) url.searchParams.set(inc.sortParam, inc.sortValue);
    // After the cursor sort, so the server orders ties by it (Feathers sorts in the order keys are given).
    if (inc.sortParam && inc.tieBreakerParam) url.searchParams.set(inc.tieBreakerParam, inc.sortValue);
    return url;
  }

  /** Count the request just sent (the first one of a window counts at its start). */
  sent(): void {
    this.requests++;
  }

  /** Where the window stands now, for a checkpoint. */
  state(): KeysetWindowState {
    const seen = this.seenAtBound;
    return {
      ...(this.hi === undefined ? {} : { hi: this.hi }),
      ...(this.bound === undefined ? {} : { cursor: this.bound }),
      skip: this.skip,
      ...(seen.size > 0 && seen.size <= MAX_SEEN_IN_STATE ? { seen: [...seen] } : {}),
    };
  }

  /** Ids at the bound, for the sequential keyset's checkpoint. */
  get seen(): ReadonlySet<string> {
    return this.seenAtBound;
  }

  /**
   * One response of this window: checks it, drops records already yielded, moves the bound. Throws
   * TRB_SOURCE_CONTRACT where the server breaks its contract.
   */
  take(res: FetchedPage): KeysetStep {
    const inc = this.inc;
    const cf = this.cf;
    const cursorOf = this.cursorOf;
    const requestedSkip = this.skip;
    const recs = res.records;
    const n = recs.length;
    const atBound = this.bound;
    const total = pageCount(res, this.o.totalPath);
    if (this.requests === 1 && total !== undefined) {
      this.firstTotal = total;
      // Every request yields at least one record not yielded before (the checks below make sure), so
      // a list of `total` records needs at most `total` requests in the worst layout of ties;
      // pages and 10 more are slack for records that move to the end while the pass reads.
      this.maxRequests = total + 2 * Math.ceil(total / this.o.pageSize) + 10;
    }
    this.check(res);
    // One pass over the page: drop the records already yielded at the old bound, and collect the ids at
    // the page's last cursor (the new bound) for the next page to drop.
    let fresh = recs;
    if (n > 0) {
      const newMax = cursorOf(recs[n - 1]!);
      const seenBefore = this.seenAtBound;
      if (newMax !== atBound) this.seenAtBound = new Set();
      for (let i = 0; i < n; i++) {
        const r = recs[i]!;
        const c = cursorOf(r);
        if (c !== atBound && c !== newMax) {
          if (fresh !== recs) fresh.push(r);
          continue;
        }
        const id = this.idOf(r);
        if (c === atBound && id !== undefined && seenBefore.has(id)) {
          if (requestedSkip > 0) {
            // Continuing a run of one timestamp by count is only exact if the run keeps its order:
            // a record already read coming back means the server orders ties differently per request.
            throw contractError(
              res.url,
              `records sharing ${cf} ${atBound} came back in a different order on the next request (${inc.idField} ${JSON.stringify(id)} was read already at offset < ${requestedSkip}); the server's order of ties is not stable, so records could be skipped`,
              { cursor: atBound, id, skip: requestedSkip, page: this.page + 1 },
            );
          }
          // Already yielded: from here on the page is copied without it.
          if (fresh === recs) fresh = recs.slice(0, i);
          continue;
        }
        if (c === newMax && id !== undefined) this.seenAtBound.add(id);
        if (fresh !== recs) fresh.push(r);
      }
      if (newMax === atBound) {
        this.skip += n;
      } else {
        let same = 0;
        for (let i = n - 1; i >= 0 && cursorOf(recs[i]!) === newMax; i--) same++;
        this.bound = newMax;
        // Re-read the records at the new bound instead of skipping them: one of them may be updated (and
        // leave the group) before the next request, which would shift the group and skip an unread
        // record. Only a page made entirely of one timestamp still has to skip by count.
        this.skip = same < n ? 0 : same;
      }
      if (this.maxCursor === undefined || compareCursors(newMax, this.maxCursor) > 0) this.maxCursor = newMax;
    }
    const step = res.endOfStream ? 'last' : this.end.after(res.url, requestedSkip, n, total);
    if (total !== undefined) this.remaining = Math.max(0, total - requestedSkip - n);
    if (step === 'last') this.remaining = 0;
    if (step !== 'last' && ++this.requests > this.maxRequests) {
      throw contractError(
        res.url,
        `the pass needed more than ${this.maxRequests} requests for a list whose first total was ${countValue(this.firstTotal) ?? 'not given'}; stopping instead of paging forever (the server's filter, sort or total is not behaving), and the pass cannot be proven complete`,
        { maxRequests: this.maxRequests, page: this.page + 1 },
      );
    }
    if (step !== 'again') this.page++;
    return { fresh, step, total };
  }

  private idOf(r: Record<string, unknown>): string | undefined {
    const f = this.inc.idField;
    const v = f === undefined ? undefined : r[f];
    return v === undefined || v === null ? undefined : String(v);
  }

  /**
   * A keyset page must honour the filters (every cursor at or above the bound asked for, and below `hi`)
   * and the sort (cursors never decrease). Records without a date-time cursor are left to the source's
   * record check, which names them precisely.
   */
  private check(res: FetchedPage): void {
    const { cf, cursorOf, bound, hi } = this;
    // compareCursors' order, with each cursor parsed once: this runs on every record of the page.
    const boundMs = bound === undefined ? Number.NaN : Date.parse(bound);
    const hiMs = hi === undefined ? Number.NaN : Date.parse(hi);
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
      if (hi !== undefined && !(ms < hiMs)) {
        throw contractError(
          res.url,
          `record ${i} of the page has ${cf} ${c}, not below the window's upper bound ${hi} the request asked for: the server ignores the filter, so windows would overlap; the pass cannot be proven complete`,
          { expected: `${cf} < ${hi}`, seen: c, item: i },
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
