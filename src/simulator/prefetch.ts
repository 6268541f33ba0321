/**
 * Speculative page building for sequential readers. A connector asks for page k, parses it, then asks
 * for page k+1: while it parses, the simulator would sit idle. Once a reader has shown it pages in order,
 * the dialect names the page most likely to come next; it is built once the event loop is idle and served
 * from here if it is asked for. Keys include the dataset version, so a mutation never lets a stale page out.
 */
export class Prefetcher<T> {
  private readonly ready = new Map<string, T>();
  private readonly pending = new Set<string>();
  /** The last offset read per query shape, to tell an offset pager (worth helping) from a cursor pager. */
  private readonly lastOffset = new Map<string, number>();

  /** `capacity`: pages kept at most, for readers paging several streams at once. */
  constructor(private readonly capacity = 8) {}

  /** The prepared value for `key`, removed from the cache (each page is normally read once). */
  take(key: string): T | undefined {
    const v = this.ready.get(key);
    if (v !== undefined) this.ready.delete(key);
    return v;
  }

  /**
   * Whether a read at `offset` continues the previous read of the same query `shape` (same filters, sort
   * and page size) by exactly one page. A reader that moves its filter instead never does, so nothing is
   * built for it in vain.
   */
  inSequence(shape: string, offset: number, pageSize: number): boolean {
    const last = this.lastOffset.get(shape);
    this.lastOffset.delete(shape);
    this.lastOffset.set(shape, offset);
    if (this.lastOffset.size > 4 * this.capacity) {
      this.lastOffset.delete(this.lastOffset.keys().next().value as string);
    }
    return last !== undefined && offset === last + pageSize;
  }

  /** Build `key` when the event loop is next idle, unless it is already built or being built. */
  prepare(key: string, build: () => T): void {
    if (this.ready.has(key) || this.pending.has(key)) return;
    this.pending.add(key);
    setImmediate(() => {
      this.pending.delete(key);
      this.ready.set(key, build());
      if (this.ready.size > this.capacity) {
        const oldest = this.ready.keys().next().value as string;
        this.ready.delete(oldest);
      }
    }).unref();
  }
}
