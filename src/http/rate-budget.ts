/**
 * The proactive rate budget (docs/architecture.md law 3). Every request of a credential acquires a slot first, so a
 * sync stays under the vendor's limit instead of discovering it through 429s. A 429 that arrives anyway
 * pauses the whole budget (every stream sharing the credential), not just the one request.
 *
 * The interface is the seam for the Redis-backed budget shared by distributed workers (redis-rate-budget.ts):
 * which implementation a source gets is decided by the `BudgetRegistry` passed to it.
 */
import { BudgetParkError } from '../errors.js';

export interface AcquireOptions {
  /**
   * The longest wait this caller accepts. A slot further away is NOT reserved: `acquire` rejects with a
   * `BudgetParkError` saying when to come back, so a queued job can be parked instead of holding a worker.
   */
  maxWaitMs?: number;
}

export interface RateBudget {
  /**
   * Wait for a slot. Resolves with the milliseconds spent waiting. Rejects if `signal` aborts, and with a
   * `BudgetParkError` when the wait would exceed `maxWaitMs` (the call's, else the budget's own).
   */
  acquire(signal?: AbortSignal, opts?: AcquireOptions): Promise<number>;
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
  /** Optional: count a 429 the server answered despite the budget (the Redis budget keeps per-minute metrics). */
  count429?(): void;
}

export type WaitListener = (resumeAt: number) => void;

function subscribe(listeners: Set<WaitListener>, listener: WaitListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The park error for a wait of `waitMs` that is longer than `maxWaitMs` (shared by every implementation). */
export function parkError(waitMs: number, maxWaitMs: number, limitPerMinute: number): BudgetParkError {
  const resumeAt = Date.now() + waitMs;
  return new BudgetParkError(
    `the rate budget (${limitPerMinute === Number.POSITIVE_INFINITY ? 'paused' : `${limitPerMinute}/min`}) ` +
      `has no slot for ${Math.ceil(waitMs)} ms, longer than the ${maxWaitMs} ms this run may wait; ` +
      `park it until ${new Date(resumeAt).toISOString()}`,
    { resumeAt, waitMs },
  );
}

export interface BudgetStats {
  acquired: number;
  waitMs: number;
  pauses: number;
}

export interface GcraOptions {
  /** Fraction of the published limit actually used (default 0.98). */
  safety?: number;
  /** Burst as a fraction of the limit per minute (default 0.01, at least one request). */
  burstFraction?: number;
}

/**
 * The GCRA constants for a limit per minute: the emission interval at `safety` × limit, and the tolerance
 * that lets a burst of 1% of the limit run ahead. Any 60 s window then holds at most burst + 0.98 × limit
 * requests, under the limit with room for jitter. Shared by the in-process and the Redis budget.
 */
export function gcraParameters(
  limitPerMinute: number,
  opts: GcraOptions = {},
): { interval: number; tolerance: number } {
  const safety = opts.safety ?? 0.98;
  const burst = Math.max(1, Math.floor(limitPerMinute * (opts.burstFraction ?? 0.01)));
  const interval = 60_000 / (limitPerMinute * safety);
  return { interval, tolerance: (burst - 1) * interval };
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
  private readonly maxWaitMs: number | undefined;

  constructor(limitPerMinute: number, opts: GcraOptions & { maxWaitMs?: number } = {}) {
    if (!(limitPerMinute > 0)) throw new RangeError(`rate limit must be > 0, got ${limitPerMinute}`);
    this.limitPerMinute = limitPerMinute;
    ({ interval: this.interval, tolerance: this.tolerance } = gcraParameters(limitPerMinute, opts));
    this.maxWaitMs = opts.maxWaitMs;
  }

  async acquire(signal?: AbortSignal, opts: AcquireOptions = {}): Promise<number> {
    const start = Date.now();
    const maxWaitMs = opts.maxWaitMs ?? this.maxWaitMs;
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const tat = Math.max(this.tat, now, this.pausedUntil);
      const allowAt = tat - this.tolerance;
      // Checked before the slot is taken: a parked caller leaves it to the next one.
      if (maxWaitMs !== undefined && allowAt - now > maxWaitMs)
        throw parkError(allowAt - now, maxWaitMs, this.limitPerMinute);
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

  constructor(private readonly opts: { maxWaitMs?: number } = {}) {}

  async acquire(signal?: AbortSignal, opts: AcquireOptions = {}): Promise<number> {
    const start = Date.now();
    const maxWaitMs = opts.maxWaitMs ?? this.opts.maxWaitMs;
    if (maxWaitMs !== undefined && this.pausedUntil - start > maxWaitMs)
      throw parkError(this.pausedUntil - start, maxWaitMs, this.limitPerMinute);
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

/**
 * One budget per credential: streams that share a key share its budget. Keys are hashed, never stored.
 * Where the budgets live is the registry's business: this process (`InProcessBudgets`, the default) or Redis,
 * shared by every process using the credential (`RedisBudgets` in redis-rate-budget.ts).
 */
export interface BudgetRegistry {
  /** The budget of a credential, given as a hash of it (never the credential itself). */
  forCredential(credentialHash: string, limitPerMinute: number | undefined): RateBudget;
}

/** Budgets held in this process: shared by every stream and source of the process, by no other process. */
export class InProcessBudgets implements BudgetRegistry {
  private readonly budgets = new Map<string, RateBudget>();

  constructor(private readonly opts: { maxWaitMs?: number } = {}) {}

  forCredential(credentialHash: string, limitPerMinute: number | undefined): RateBudget {
    const key = `${credentialHash}:${limitPerMinute ?? 'unlimited'}`;
    let b = this.budgets.get(key);
    if (!b) {
      b =
        limitPerMinute && limitPerMinute > 0
          ? new TokenBucketBudget(limitPerMinute, this.opts)
          : new UnlimitedBudget(this.opts);
      this.budgets.set(key, b);
    }
    return b;
  }
}

export const globalBudgets: BudgetRegistry = new InProcessBudgets();

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
