/**
 * The proactive rate budget (docs/architecture.md law 3). Every request of a credential acquires a slot first, so a
 * sync stays under the vendor's limit instead of discovering it through 429s. A 429 that arrives anyway
 * pauses the whole budget (every stream sharing the credential), not just the one request.
 *
 * The interface is the seam for a later Redis-backed store shared by distributed workers.
 */

export interface RateBudget {
  /** Wait for a slot. Resolves with the milliseconds spent waiting. Rejects if `signal` aborts. */
  acquire(signal?: AbortSignal): Promise<number>;
  /** Pause every acquirer until `Date.now() + ms` (a Retry-After from the server). */
  pause(ms: number): void;
  /** Requests per minute this budget allows (Infinity when unlimited). */
  readonly limitPerMinute: number;
  stats(): BudgetStats;
  /**
   * Optional observer of waits: `listener` is called when an acquire is about to wait, with the epoch ms it
   * expects to resume. Returns the unsubscribe function. (The Airbyte runner reports RATE_LIMITED with it.)
   */
  observeWaits?(listener: WaitListener): () => void;
}

export type WaitListener = (resumeAt: number) => void;

function subscribe(listeners: Set<WaitListener>, listener: WaitListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface BudgetStats {
  acquired: number;
  waitMs: number;
  pauses: number;
}

/**
 * A token bucket in its GCRA form (generic cell rate algorithm): each acquire reserves the next free slot,
 * so waiters are served in order without a queue. The rate is `safety` × limit and the burst 1% of the
 * limit, so no 60-second window ever sees more than the limit, even measured by a server that counts with
 * a sliding window and sees our requests with some jitter.
 */
export class TokenBucketBudget implements RateBudget {
  readonly limitPerMinute: number;
  /** Milliseconds between two requests at the sustained rate. */
  private readonly interval: number;
  /** How far ahead of the sustained schedule a burst may run. */
  private readonly tolerance: number;
  /** Theoretical arrival time of the next request. */
  private tat = 0;
  private pausedUntil = 0;
  private readonly counters: BudgetStats = { acquired: 0, waitMs: 0, pauses: 0 };
  private readonly waitListeners = new Set<WaitListener>();

  constructor(limitPerMinute: number, opts: { safety?: number; burstFraction?: number } = {}) {
    if (!(limitPerMinute > 0)) throw new RangeError(`rate limit must be > 0, got ${limitPerMinute}`);
    this.limitPerMinute = limitPerMinute;
    const safety = opts.safety ?? 0.98;
    const burst = Math.max(1, Math.floor(limitPerMinute * (opts.burstFraction ?? 0.01)));
    this.interval = 60_000 / (limitPerMinute * safety);
    this.tolerance = (burst - 1) * this.interval;
  }

  async acquire(signal?: AbortSignal): Promise<number> {
    const start = Date.now();
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const tat = Math.max(this.tat, now, this.pausedUntil);
      const allowAt = tat - this.tolerance;
      this.tat = tat + this.interval;
      if (allowAt > now) {
        for (const l of this.waitListeners) l(allowAt);
        await sleep(allowAt - now, signal);
      }
      // A 429 may have paused the budget while we slept: take a new slot after the pause.
      if (Date.now() + 1 < this.pausedUntil) continue;
      this.counters.acquired++;
      const waited = Date.now() - start;
      this.counters.waitMs += waited;
      return waited;
    }
  }

  pause(ms: number): void {
    const until = Date.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.counters.pauses++;
      // Restart after the pause at the sustained rate, not with a burst.
      this.tat = Math.max(this.tat, until + this.tolerance);
    }
  }

  stats(): BudgetStats {
    return { ...this.counters };
  }

  observeWaits(listener: WaitListener): () => void {
    return subscribe(this.waitListeners, listener);
  }
}

/** No proactive limit (the vendor publishes none), but a 429's Retry-After still pauses every request. */
export class UnlimitedBudget implements RateBudget {
  readonly limitPerMinute = Number.POSITIVE_INFINITY;
  private pausedUntil = 0;
  private readonly counters: BudgetStats = { acquired: 0, waitMs: 0, pauses: 0 };
  private readonly waitListeners = new Set<WaitListener>();

  async acquire(signal?: AbortSignal): Promise<number> {
    const start = Date.now();
    if (Date.now() < this.pausedUntil) for (const l of this.waitListeners) l(this.pausedUntil);
    while (Date.now() < this.pausedUntil) {
      signal?.throwIfAborted();
      await sleep(Math.min(this.pausedUntil - Date.now(), 1000), signal);
    }
    this.counters.acquired++;
    const waited = Date.now() - start;
    this.counters.waitMs += waited;
    return waited;
  }

  pause(ms: number): void {
    const until = Date.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.counters.pauses++;
    }
  }

  stats(): BudgetStats {
    return { ...this.counters };
  }

  observeWaits(listener: WaitListener): () => void {
    return subscribe(this.waitListeners, listener);
  }
}

/** One budget per credential: streams that share a key share its budget. Keys are hashed, never stored. */
export class BudgetRegistry {
  private readonly budgets = new Map<string, RateBudget>();

  forCredential(credentialHash: string, limitPerMinute: number | undefined): RateBudget {
    const key = `${credentialHash}:${limitPerMinute ?? 'unlimited'}`;
    let b = this.budgets.get(key);
    if (!b) {
      b =
        limitPerMinute && limitPerMinute > 0 ? new TokenBucketBudget(limitPerMinute) : new UnlimitedBudget();
      this.budgets.set(key, b);
    }
    return b;
  }
}

export const globalBudgets = new BudgetRegistry();

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
