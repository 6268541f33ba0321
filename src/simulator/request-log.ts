/**
 * What a simulator saw: a bounded log of recent requests (a ring, so a million-request benchmark does not
 * grow memory) and list-request counters that are never trimmed.
 */
import type { RequestLogEntry } from './types.js';

export const REQUEST_LOG_CAPACITY = 100_000;

export class RequestLog {
  private ring: RequestLogEntry[] = [];
  private start = 0;
  private listTotal = 0;
  private readonly perStream = new Map<string, number>();

  constructor(private readonly capacity = REQUEST_LOG_CAPACITY) {}

  add(entry: RequestLogEntry): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(entry);
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Count a request that reached a list endpoint, whatever its outcome. */
  countList(stream: string): void {
    this.listTotal++;
    this.perStream.set(stream, (this.perStream.get(stream) ?? 0) + 1);
  }

  entries(): RequestLogEntry[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }

  listCount(stream?: string): number {
    return stream === undefined ? this.listTotal : (this.perStream.get(stream) ?? 0);
  }

  reset(): void {
    this.ring = [];
    this.start = 0;
    this.listTotal = 0;
    this.perStream.clear();
  }
}
