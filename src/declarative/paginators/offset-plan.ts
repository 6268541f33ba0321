/**
 * Parallel offset pages for a full refresh whose offsets can be computed up front: once the first page gave
 * the API's `total` and the page size it really serves, the offsets that follow are known, so up to K of them
 * are requested at once. Pages are still taken strictly in offset order, and the paginator checks each as it
 * does one at a time (PassEnd, PassAudit): the plan only makes requests early. When a page does not end where
 * the plan assumed (a short page that is not the end: the server caps the page; an empty page asked again),
 * every planned request is dropped and the plan restarts from where the pages really are. Requests never go
 * past the `total` (one at exactly `total` confirms a last page that happened to be full, as a sequential
 * read does).
 */
import type { FetchedPage, PaginationContext } from './paginator.js';

export class OffsetPlan {
  private readonly planned = new Map<number, { promise: Promise<FetchedPage>; stop: AbortController }>();

  constructor(
    private readonly ctx: PaginationContext,
    private readonly urlAt: (offset: number) => URL,
    /** How many requests at most are out at once. */
    private readonly width: number,
  ) {}

  /**
   * The page at `offset`, with the requests for the pages after it (`step` apart, up to `total`) started
   * so that `width` are out.
   */
  take(offset: number, step: number, total: number | undefined): Promise<FetchedPage> {
    // Pages before `offset` were taken already; the one at `offset` stays planned until the next take, so
    // that reset() (a consumer that stops) aborts it too.
    for (const o of [...this.planned.keys()]) if (o < offset) this.drop(o);
    const mine = this.planned.get(offset) ?? this.start(offset);
    if (total !== undefined && step > 0) {
      for (let o = offset + step; this.planned.size < this.width && o <= total; o += step)
        if (!this.planned.has(o)) this.start(o);
    }
    return mine.promise;
  }

  /** Drop every planned request (the pages did not end where the plan assumed). */
  reset(): void {
    for (const o of [...this.planned.keys()]) this.drop(o);
  }

  private start(offset: number): { promise: Promise<FetchedPage>; stop: AbortController } {
    const stop = new AbortController();
    const signal = this.ctx.signal ? AbortSignal.any([this.ctx.signal, stop.signal]) : stop.signal;
    const promise = this.ctx.fetch(this.urlAt(offset), signal);
    // A planned page that is dropped must not become an unhandled rejection.
    promise.catch(() => undefined);
    const entry = { promise, stop };
    this.planned.set(offset, entry);
    return entry;
  }

  private drop(offset: number): void {
    const e = this.planned.get(offset);
    this.planned.delete(offset);
    e?.stop.abort(new Error('page no longer needed'));
  }
}
