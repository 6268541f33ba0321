/**
 * Keyset paging: how an offset/limit API (`$skip`/`$limit`) is paged under an incremental window, one page
 * after another over one range `[start, ∞)` of the cursor (KeysetWindow holds the per-page logic and the
 * checks of the server's word; WindowedKeyset pages several ranges at once).
 * Plain offsets shift when a record is updated mid-sync (it moves to the end and the next page skips one
 * record); the keyset does not, and it makes a crash resumable at the exact page. Because it proves the
 * cursor's order as it pages, its checkpoints carry the bound reached so far (see DatetimeCursor).
 */
import { KeysetWindow } from './keyset-window.js';
import { compareCursors, MAX_SEEN_IN_STATE } from './keyset-window.js';
import { type OffsetOptions, offsetStop } from './offset-paginator.js';
import { countValue } from './pass-audit.js';
import type { PaginationContext, RawPage } from './paginator.js';
import { ReadAhead } from './paginator.js';

/** Pages an incremental window (`ctx.incremental`) of an offset/limit API by keyset. */
export class KeysetPager {
  constructor(private readonly o: OffsetOptions) {}

  /** The pages of the window in `ctx.incremental`. */
  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const inc = ctx.incremental!;
    const resumed = ctx.state?.in_progress === true && typeof ctx.state.cursor === 'string';
    const w = new KeysetWindow(this.o, inc, undefined, {
      bound: resumed ? (ctx.state!.cursor as string) : inc.startBound,
      skip: resumed ? Number(ctx.state!.skip ?? 0) : 0,
      // Ids already yielded at exactly the bound: carried in the checkpoint (when small) so a resumed pass
      // does not emit them again.
      seen: resumed && Array.isArray(ctx.state?.seen) ? (ctx.state!.seen as unknown[]).map(String) : [],
    });
    // The highest cursor committed so far; carried through empty passes so state never moves backwards.
    let maxCursor: string | undefined =
      typeof ctx.state?.cursor === 'string' ? (ctx.state.cursor as string) : undefined;
    // A pass over all history (no lower bound) is a full list: the first `total` is how many records the
    // API says it holds, carried to the last page for the engine's proof (and through a resume).
    let passCount: number | undefined = resumed ? countValue(ctx.state!.count) : undefined;
    const fullList = !resumed && w.bound === undefined;
    let index = 0;
    const ahead = new ReadAhead(ctx);
    try {
      ahead.start(w.url(ctx.baseUrl));
      w.sent();
      for (;;) {
        const res = await ahead.take();
        const atBound = w.bound;
        const { fresh, step, total } = w.take(res);
        if (fullList) passCount = w.firstTotal;
        if (
          w.maxCursor !== undefined &&
          (maxCursor === undefined || compareCursors(w.maxCursor, maxCursor) > 0)
        )
          maxCursor = w.maxCursor;
        const last = step === 'last';
        // The next keyset request needs only this page's last cursor and the ids at it, known right after
        // parsing: send it now, so the server answers while this page is transformed and written.
        const nextUrl = last ? undefined : w.url(ctx.baseUrl);
        if (nextUrl) ahead.start(nextUrl);
        // An empty page where `total` says more yields nothing: the same request was just sent again.
        if (step === 'again') continue;
        const count = passCount;
        const seen = w.seen;
        const checkpoint: Record<string, unknown> = last
          ? { cursor: maxCursor ?? null, in_progress: false }
          : {
              cursor: w.bound,
              skip: w.skip,
              in_progress: true,
              ...(count === undefined ? {} : { count }),
              ...(seen.size > 0 && seen.size <= MAX_SEEN_IN_STATE ? { seen: [...seen] } : {}),
            };
        yield {
          records: fresh,
          bytes: res.bytes,
          checkpoint,
          position: { page: w.page - 1, firstIndex: index },
          ...(last && count !== undefined ? { expectedCount: count } : {}),
          ...(fresh.length === res.records.length ? {} : { received: res.records.length }),
          url: res.url,
          decision: nextUrl
            ? {
                next: nextUrl,
                reason: `keyset on ${inc.cursorField} from ${w.bound ?? 'the start'}, skipping ${w.skip}`,
              }
            : {
                stop: offsetStop(
                  res.endOfStream,
                  res.records.length,
                  total,
                  this.o.pageSize,
                  atBound === undefined
                    ? "the API's total"
                    : `the API's total from ${inc.cursorField} ${atBound}`,
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
}
