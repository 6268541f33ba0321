/**
 * The incremental cursor component (a date-time cursor, like Airbyte's DatetimeBasedCursor): it decides
 * where a read starts (the committed cursor minus the lookback, or the initial window), adds its filter and
 * sort parameters to the stream's requests, checks that every record has a usable cursor value, and decides
 * what cursor each checkpoint carries. It composes with any paginator:
 *
 * - A paginator that pages by the cursor itself (`Paginator.pagesByCursor`: offset paging, which becomes a
 *   keyset) gets the window and proves the order page by page (filter bound, sort, ties), so its
 *   checkpoints may carry the cursor reached so far.
 * - Any other paginator (page number, next link, none) cannot prove that no unread record sorts below a
 *   value already seen, so the cursor never advances mid-pass: a checkpoint keeps the committed cursor and
 *   carries the pass's filter bound (`since`, so a resume asks for the same list) and the newest value seen
 *   (`max_seen`). Only the last page's checkpoint, yielded after the paginator proved the pass complete
 *   (PassAudit), moves the cursor to the newest value actually read (docs/architecture.md law 7).
 *
 * Either way the server's word is checked, not trusted: a record below the requested bound means the server
 * ignores the filter, and with a `sort_param` a record older than the one before it (in this pass) means it
 * ignores the sort; both fail the pass with TRB_SOURCE_CONTRACT.
 */
import type { SyncMode } from '../engine/source.js';
import type { PaginationContext, Paginator, RawPage, IncrementalWindow } from './paginators/paginator.js';
import { contractError } from './paginators/paginator.js';
import type { RecordCheck } from './record-selector.js';

/** The window's fields as the manifest sets them; the start bound is what the cursor works out. */
export interface DatetimeCursorOptions extends Omit<IncrementalWindow, 'startBound'> {
  /** Re-read this much before the committed cursor on each sync (writes that commit out of order). */
  lookbackMs: number;
  /** Days of history on a first incremental sync (0 = all history). */
  initialDays: number;
  /** The sync's start time (ISO-8601), which the initial window counts back from. */
  now: string;
}

/** Checkpoint keys of a pass read through a paginator that cannot prove the cursor's order. */
const SINCE = 'since';
const MAX_SEEN = 'max_seen';

export class DatetimeCursor {
  constructor(private readonly o: DatetimeCursorOptions) {}

  get cursorField(): string {
    return this.o.cursorField;
  }

  /**
   * A record without a date-time cursor would become the resume bound (`''`, `"yesterday"`), stored as state
   * and sent as the next filter: it fails its page instead.
   */
  readonly check: RecordCheck = (rec) => {
    const cf = this.o.cursorField;
    const c = rec[cf];
    if (typeof c === 'string' && !Number.isNaN(Date.parse(c))) return undefined;
    return `has no usable cursor "${cf}" (value ${String(JSON.stringify(c ?? null)).slice(0, 60)}): an incremental stream needs a date-time there to know where to resume`;
  };

  /**
   * The lower bound of a new read: the committed cursor minus the lookback, else the initial window; none
   * (all history) on a first sync without one and on every full refresh.
   */
  startBound(state: Record<string, unknown> | undefined, syncMode: SyncMode): string | undefined {
    if (syncMode !== 'incremental') return undefined;
    const cursor = typeof state?.cursor === 'string' ? state.cursor : undefined;
    if (cursor) return new Date(Date.parse(cursor) - this.o.lookbackMs).toISOString();
    if (this.o.initialDays > 0)
      return new Date(Date.parse(this.o.now) - this.o.initialDays * 86_400_000).toISOString();
    return undefined;
  }

  /**
   * The stream's pages through `paginator`, filtered from `startBound` (see `startBound`; `ctx.state` is the
   * state a resume continues from, undefined for a fresh pass), with the cursor in every checkpoint.
   */
  pages(
    paginator: Paginator,
    ctx: PaginationContext,
    startBound: string | undefined,
  ): AsyncGenerator<RawPage> {
    if (paginator.pagesByCursor) return paginator.pages({ ...ctx, incremental: this.window(startBound) });
    return this.pass(paginator, ctx, startBound);
  }

  private window(startBound: string | undefined): IncrementalWindow {
    const { cursorField, filterParam, sortParam, sortValue, tieBreakerParam, idField, upperFilterParam } =
      this.o;
    return {
      cursorField,
      filterParam,
      sortParam,
      sortValue,
      tieBreakerParam,
      idField,
      ...(upperFilterParam === undefined ? {} : { upperFilterParam }),
      startBound,
    };
  }

  /** The stream URL with the cursor's filter (from `since`) and sort (then the tie-breaker) parameters. */
  private requestUrl(base: URL, since: string | undefined): URL {
    const { filterParam, sortParam, sortValue, tieBreakerParam } = this.o;
    const url = new URL(base);
    if (since !== undefined) url.searchParams.set(filterParam, since);
    if (sortParam) url.searchParams.set(sortParam, sortValue);
    if (sortParam && tieBreakerParam) url.searchParams.set(tieBreakerParam, sortValue);
    return url;
  }

  /** A pass through a paginator that pages on its own: the cursor advances once, at the proven end. */
  private async *pass(
    paginator: Paginator,
    ctx: PaginationContext,
    startBound: string | undefined,
  ): AsyncGenerator<RawPage> {
    const state = ctx.state;
    // A checkpoint of this kind of pass: resume it with the same filter, so its pages mean what they meant.
    const resumed = state?.in_progress === true && SINCE in state;
    const committed = typeof state?.cursor === 'string' ? state.cursor : undefined;
    const since = resumed ? (typeof state[SINCE] === 'string' ? state[SINCE] : undefined) : startBound;
    let maxSeen = resumed && typeof state[MAX_SEEN] === 'string' ? state[MAX_SEEN] : undefined;
    let maxMs = maxSeen === undefined ? Number.NaN : Date.parse(maxSeen);
    const url = this.requestUrl(ctx.baseUrl, since);
    const sinceMs = since === undefined ? Number.NaN : Date.parse(since);
    const cf = this.o.cursorField;
    const sorted = this.o.sortParam !== undefined;
    let prev: string | undefined;
    let prevMs = Number.NaN;
    for await (const page of paginator.pages({
      ...ctx,
      baseUrl: url,
      state: resumed ? state : undefined,
      incremental: undefined,
    })) {
      const recs = page.records;
      for (let i = 0; i < recs.length; i++) {
        const c = recs[i]?.[cf];
        // Records without a date-time cursor are left to the record check, which names them precisely.
        const ms = typeof c === 'string' ? Date.parse(c) : Number.NaN;
        if (Number.isNaN(ms)) continue;
        const value = c as string;
        if (ms < sinceMs) {
          throw contractError(
            url,
            `record ${i} of page ${page.position.page + 1} has ${cf} ${value}, below the bound ${since} the request asked for: the server ignores the filter; the pass cannot be proven complete`,
            { expected: `${cf} >= ${since}`, seen: value, page: page.position.page + 1, item: i },
          );
        }
        if (sorted) {
          if (ms < prevMs) {
            throw contractError(
              url,
              `record ${i} of page ${page.position.page + 1} has ${cf} ${value} after ${prev}: the server does not sort by ${cf} as asked; the pass cannot be proven complete`,
              { expected: `${cf} >= ${prev}`, seen: value, page: page.position.page + 1, item: i },
            );
          }
          prev = value;
          prevMs = ms;
        }
        if (!(ms <= maxMs)) {
          maxSeen = value;
          maxMs = ms;
        }
      }
      const last = page.checkpoint.in_progress === false;
      let cursor = committed;
      if (last && maxSeen !== undefined && (cursor === undefined || maxMs > Date.parse(cursor)))
        cursor = maxSeen;
      const checkpoint: Record<string, unknown> = last
        ? { ...page.checkpoint, cursor: cursor ?? null, in_progress: false }
        : {
            ...page.checkpoint,
            ...(cursor === undefined ? {} : { cursor }),
            [SINCE]: since ?? null,
            ...(maxSeen === undefined ? {} : { [MAX_SEEN]: maxSeen }),
            in_progress: true,
          };
      yield { ...page, checkpoint };
    }
  }
}
