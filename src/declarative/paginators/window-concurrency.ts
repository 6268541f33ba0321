/**
 * How many keyset windows of one stream may have a request out at once (K), adapted like TCP's AIMD:
 * start small, double K (at first; add one once there was trouble) after every K answers that came back fast
 * without a 429, halve on a 429, and take
 * one away when answers come back slow (over 4× the fastest seen) without the rate budget being the reason.
 * Bounded by `max`. It only shapes how many requests a stream asks for at a time: every request still
 * acquires its slot from the credential's one rate budget (src/http/rate-budget.ts), which no number of
 * windows can exceed. Hand-written: a counting gate whose limit moves is a few lines, and no semaphore
 * library we have allows changing the limit while acquirers wait.
 */

/** What a window saw about one answer. */
export interface AnswerSignal {
  /** From sending the request to its parsed answer, retries and budget waits included. */
  latencyMs: number;
  /** A 429 answered some request of the stream while this one was out. */
  throttled: boolean;
  /** The rate budget made some request of the stream wait while this one was out. */
  budgetWaited: boolean;
}

export class WindowConcurrency {
  private k: number;
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private fastest = Number.POSITIVE_INFINITY;
  private goodRun = 0;
  private slowRun = 0;
  /** Until the first sign of trouble K doubles instead of adding one (TCP's slow start). */
  private slowStart = true;

  constructor(
    readonly max: number,
    /** Told every change of K, with why (logged at debug by the caller). */
    private readonly onChange: (k: number, reason: string) => void = () => undefined,
    start = 2,
  ) {
    this.k = Math.max(1, Math.min(max, start));
  }

  /** The current K. */
  get limit(): number {
    return this.k;
  }

  /** Wait for one of the K request slots. Rejects when `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.k) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.inFlight++;
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
    });
  }

  release(): void {
    this.inFlight--;
    this.wake();
  }

  /** One answer came back: adapt K. */
  observe(s: AnswerSignal): void {
    if (s.throttled) {
      this.goodRun = 0;
      this.slowRun = 0;
      this.slowStart = false;
      if (this.k > 1) this.set(Math.max(1, Math.floor(this.k / 2)), 'a 429 answered: halving');
      return;
    }
    // A wait for the rate budget says nothing about the server: neither faster nor slower.
    if (s.budgetWaited) return;
    if (s.latencyMs < this.fastest) this.fastest = s.latencyMs;
    if (s.latencyMs > 4 * this.fastest) {
      this.goodRun = 0;
      if (++this.slowRun >= this.k && this.k > 1) {
        this.slowRun = 0;
        this.slowStart = false;
        this.set(
          this.k - 1,
          `answers slowed to ${Math.round(s.latencyMs)} ms (fastest ${Math.round(this.fastest)} ms): narrowing`,
        );
      }
      return;
    }
    this.slowRun = 0;
    if (s.latencyMs <= 2 * this.fastest && ++this.goodRun >= this.k && this.k < this.max) {
      this.goodRun = 0;
      const k = this.slowStart ? Math.min(this.max, 2 * this.k) : this.k + 1;
      this.set(k, `${this.k} answers in a row came back fast without a 429: widening`);
    }
  }

  private set(k: number, reason: string): void {
    this.k = k;
    this.onChange(k, reason);
    this.wake();
  }

  private wake(): void {
    while (this.inFlight < this.k && this.waiters.length > 0) this.waiters.shift()!();
  }
}
