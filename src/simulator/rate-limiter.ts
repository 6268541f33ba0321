/**
 * A sliding-window request limit per credential, like DRF's SimpleRateThrottle: the last `limit` accepted
 * request times are kept; a request is refused while `limit` of them fall inside the window, and refused
 * requests are not recorded (so a client that backs off as told gets through).
 */

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the oldest request in the window leaves it (at least 1) when refused. */
  retryAfterSeconds: number;
}

export class SlidingWindowLimiter {
  /** Per credential: a ring of the last `limit` accepted request times. */
  private readonly windows = new Map<string, { times: number[]; next: number; filled: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  take(credential: string): RateDecision {
    if (this.limit <= 0) return { allowed: true, retryAfterSeconds: 0 };
    const now = this.now();
    let w = this.windows.get(credential);
    if (!w) {
      w = { times: new Array<number>(this.limit).fill(0), next: 0, filled: 0 };
      this.windows.set(credential, w);
    }
    // The slot we would overwrite holds the oldest of the last `limit` accepted requests.
    const oldest = w.times[w.next];
    if (w.filled === this.limit && now - oldest < this.windowMs) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)),
      };
    }
    w.times[w.next] = now;
    w.next = (w.next + 1) % this.limit;
    if (w.filled < this.limit) w.filled++;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  reset(): void {
    this.windows.clear();
  }
}
