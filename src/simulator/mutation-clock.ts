/**
 * Timestamps for mutations: near "now", strictly increasing, and always later than every generated
 * timestamp. An incremental sync relies on exactly that: a changed record sorts after everything it has
 * already seen.
 */
export class MutationClock {
  private last = 0;

  /** `floorMs`: one past the latest timestamp the generated data contains. */
  constructor(private readonly floorMs: number) {}

  next(): number {
    this.last = Math.max(Date.now(), this.last + 1, this.floorMs);
    return this.last;
  }
}
