/** Where an offset pass ends (shared by plain offset paging and the keyset). */
import { contractError } from './paginator.js';

/**
 * Where a pass ends, decided page by page without trusting `total` alone. A page shorter than the server's
 * page size is the end only when `total` agrees; a full page is never the end, even when `total` says so (a
 * total that is too low would otherwise end the pass early: one more request, made only when the last page
 * happens to be exactly full, shows whether more follows). An empty page while `total` says more is asked
 * for again, a bounded number of times in a row. The page size is learned from a short page that is not the
 * end (a server that caps `$limit`).
 */
export class PassEnd {
  private cap: number;
  private emptyRun = 0;

  constructor(
    asked: number,
    private readonly maxEmpty: number,
  ) {
    this.cap = asked;
  }

  /**
   * `offset` is where the page started, `n` its records, `total` the API's count of the list it pages:
   * 'last', 'next', or 'again' (an empty page that should not be: ask for the same page once more).
   */
  after(url: URL, offset: number, n: number, total: number | undefined): 'last' | 'next' | 'again' {
    const more = total !== undefined && offset + n < total;
    if (n === 0) {
      if (!more) return 'last';
      if (++this.emptyRun >= this.maxEmpty) {
        throw contractError(
          url,
          `${this.emptyRun} empty pages in a row while the API's total (${total}) says more records follow from offset ${offset}; stopping instead of asking forever, and the pass cannot be proven complete`,
          { emptyPages: this.emptyRun, offset, total },
        );
      }
      return 'again';
    }
    this.emptyRun = 0;
    if (n < this.cap && more) this.cap = n;
    if (total === undefined) return n < this.cap ? 'last' : 'next';
    return !more && n < this.cap ? 'last' : 'next';
  }
}
