/**
 * Timestamps for mutations: near "now", strictly increasing, and always later than every generated
 * timestamp. An incremental sync relies on exactly that: a changed record sorts after everything it has
 * already seen.
 */
export class MutationClock {
  private last = 0;
  private calls = 0;

  /**
   * `floorMs`: one past the latest timestamp the generated data contains. `tieGroup` > 1 (the
   * 'tied-timestamps' contract mode) hands out each stamp that many times, so changed records tie too;
   * stamps then never decrease instead of always increasing.
   */
  constructor(
    private readonly floorMs: number,
    private readonly tieGroup = 1,
  ) {}

  next(): number {
    if (this.tieGroup > 1 && this.calls++ % this.tieGroup !== 0) return this.last;
    this.last = Math.max(Date.now(), this.last + 1, this.floorMs);
    return this.last;
  }
}
