/**
 * Offset/limit paging (`$skip`/`$limit`). With an incremental window it pages by keyset instead: each request
 * filters `cursor >= bound` sorted by the cursor, re-reading the few records at exactly `bound` (upserts make
 * that harmless) and skipping by count only within a run of one timestamp that fills a whole page.
 * Plain offsets shift when a record is updated mid-sync (it moves to the end and the next page skips one
 * record); the keyset does not, and it makes a crash resumable at the exact page.
 */
import type { PaginationContext, Paginator, RawPage } from './paginator.js';
import { getPath, ReadAhead } from './paginator.js';

export interface OffsetOptions {
  limitParam: string;
  offsetParam: string;
  pageSize: number;
  totalPath?: string[];
}

/** Ids at the bound kept in state; a larger group (one timestamp on many records) resumes with repeats. */
const MAX_SEEN_IN_STATE = 500;

export class OffsetPaginator implements Paginator {
  constructor(private readonly o: OffsetOptions) {}

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    if (ctx.incremental) {
      yield* this.keyset(ctx);
      return;
    }
    const resumed = ctx.state?.in_progress === true;
    let skip = resumed ? Number(ctx.state?.skip ?? 0) : 0;
    let page = 0;
    const ahead = new ReadAhead(ctx);
    try {
      ahead.start(this.plainUrl(ctx, skip));
      for (;;) {
        const res = await ahead.take();
        const n = res.records.length;
        const total = this.o.totalPath ? Number(getPath(res.body, this.o.totalPath)) : Number.NaN;
        const last =
          res.endOfStream || n === 0 || n < this.o.pageSize || (Number.isFinite(total) && skip + n >= total);
        const firstIndex = skip;
        skip += n;
        // The next offset is known now: request it before handing this page over.
        if (!last) ahead.start(this.plainUrl(ctx, skip));
        yield {
          records: res.records,
          bytes: res.bytes,
          checkpoint: { skip, in_progress: !last },
          position: { page: page++, firstIndex },
        };
        if (last) return;
      }
    } finally {
      ahead.close();
    }
  }

  private plainUrl(ctx: PaginationContext, skip: number): URL {
    const url = new URL(ctx.baseUrl);
    url.searchParams.set(this.o.limitParam, String(this.o.pageSize));
    url.searchParams.set(this.o.offsetParam, String(skip));
    return url;
  }

  private keysetUrl(ctx: PaginationContext, bound: string | undefined, skip: number): URL {
    const inc = ctx.incremental!;
    const url = this.plainUrl(ctx, skip);
    if (bound !== undefined) url.searchParams.set(inc.filterParam, bound);
    if (inc.sortParam) url.searchParams.set(inc.sortParam, inc.sortValue);
    return url;
  }

  private async *keyset(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const inc = ctx.incremental!;
    const resumed = ctx.state?.in_progress === true && typeof ctx.state.cursor === 'string';
    let bound: string | undefined = resumed ? (ctx.state!.cursor as string) : inc.startBound;
    let skip = resumed ? Number(ctx.state!.skip ?? 0) : 0;
    // The highest cursor committed so far; carried through empty passes so state never moves backwards.
    let maxCursor: string | undefined =
      typeof ctx.state?.cursor === 'string' ? (ctx.state.cursor as string) : undefined;
    let page = 0;
    let index = 0;
    // Ids already yielded at exactly `bound`: re-reading them (see below) must not emit them twice.
    // Carried in the checkpoint (when small) so a resumed pass does not emit them again either.
    let seenAtBound = new Set<string>(
      resumed && Array.isArray(ctx.state?.seen) ? (ctx.state!.seen as unknown[]).map(String) : [],
    );
    const idOf = (r: Record<string, unknown>): string | undefined => {
      const v = inc.idField === undefined ? undefined : r[inc.idField];
      return v === undefined || v === null ? undefined : String(v);
    };
    const ahead = new ReadAhead(ctx);
    try {
      ahead.start(this.keysetUrl(ctx, bound, skip));
      for (;;) {
        const res = await ahead.take();
        const requestedSkip = skip;
        const recs = res.records;
        const n = recs.length;
        const atBound = bound;
        const cf = inc.cursorField;
        // One pass over the page: drop the records already yielded at the old bound, and collect the ids at
        // the page's last cursor (the new bound) for the next page to drop.
        let fresh = recs;
        if (n > 0) {
          const newMax = String(recs[n - 1]![cf] ?? '');
          const seenBefore = seenAtBound;
          if (newMax !== bound) seenAtBound = new Set();
          for (let i = 0; i < n; i++) {
            const r = recs[i]!;
            const c = String(r[cf] ?? '');
            if (c !== atBound && c !== newMax) {
              if (fresh !== recs) fresh.push(r);
              continue;
            }
            const id = idOf(r);
            if (c === atBound && id !== undefined && seenBefore.has(id)) {
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
            for (let i = n - 1; i >= 0 && String(recs[i]![inc.cursorField] ?? '') === newMax; i--) same++;
            bound = newMax;
            // Re-read the records at the new bound instead of skipping them: one of them may be updated (and
            // leave the group) before the next request, which would shift the group and skip an unread
            // record. Only a page made entirely of one timestamp still has to skip by count.
            skip = same < n ? 0 : same;
          }
          if (maxCursor === undefined || newMax > maxCursor) maxCursor = newMax;
        }
        const total = this.o.totalPath ? Number(getPath(res.body, this.o.totalPath)) : Number.NaN;
        const last =
          res.endOfStream ||
          n === 0 ||
          n < this.o.pageSize ||
          (Number.isFinite(total) && requestedSkip + n >= total);
        // The next keyset request needs only this page's last cursor and the ids at it, known right after
        // parsing: send it now, so the server answers while this page is transformed and written.
        if (!last) ahead.start(this.keysetUrl(ctx, bound, skip));
        const checkpoint: Record<string, unknown> = last
          ? { cursor: maxCursor ?? null, in_progress: false }
          : {
              cursor: bound,
              skip,
              in_progress: true,
              ...(seenAtBound.size > 0 && seenAtBound.size <= MAX_SEEN_IN_STATE
                ? { seen: [...seenAtBound] }
                : {}),
            };
        yield { records: fresh, bytes: res.bytes, checkpoint, position: { page: page++, firstIndex: index } };
        index += fresh.length;
        if (last) return;
      }
    } finally {
      ahead.close();
    }
  }
}
