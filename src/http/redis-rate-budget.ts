/**
 * The rate budget shared by every process that uses a credential: the same GCRA as `TokenBucketBudget`
 * (same interval, burst and safety, so no sliding minute sees more than the limit), with its state in Redis
 * under `<prefix>:budget:<credential hash>`.
 *
 * Why a Lua script and not a library: the maintained Redis limiters on npm answer "allowed now or not"
 * (rate-limiter-flexible: fixed windows; @upstash/ratelimit: windows over the Upstash REST client, with a
 * polling `blockUntilReady`; redis-gcra: GCRA but check-and-set only, and not tested with ioredis 6) or are
 * unmaintained (bottleneck, last release 2019, whose clustered queue waits per process). None reserves the
 * next free slot atomically and tells the caller how long to sleep, none has a pause (Retry-After) shared by
 * all, and polling for "allowed now" lets callers overtake each other and wastes round trips. So two short
 * scripts do it, each one atomic in Redis, and both read Redis's clock (`TIME`), never the workers', so
 * workers with skewed clocks still space their requests correctly.
 */
import { Redis, ReplyError } from 'ioredis';
import { ClusterKeys } from '../cluster/keys.js';
import { type BudgetParkError, ConfigError, RedisUnreachableError } from '../errors.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor } from '../util/redact.js';
import {
  type AcquireOptions,
  type BudgetRegistry,
  type BudgetStats,
  type GcraOptions,
  gcraParameters,
  parkError,
  type RateBudget,
  sleep,
  type WaitListener,
} from './rate-budget.js';

/**
 * Reserve the next slot. KEYS[1]: the budget hash {tat, paused}. ARGV: interval ms, tolerance ms, the longest
 * wait the caller accepts (-1: any). Returns {1, wait ms} with the slot reserved, or {0, wait ms} with nothing
 * changed when the wait is longer than accepted. Times are ms on Redis's clock, kept with sub-ms precision.
 */
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local maxWait = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local paused = tonumber(state[2]) or 0
local tat = math.max(tonumber(state[1]) or 0, now, paused)
local wait = math.max(0, tat - tolerance - now)
if maxWait >= 0 and wait > maxWait then
  return {0, math.ceil(wait)}
end
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat + interval))
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tat + interval, paused) - now) + 60000)
return {1, math.ceil(wait)}
`;

/**
 * Pause the budget for ARGV[1] ms from now (a Retry-After); ARGV[2] is the tolerance, so that after the pause
 * requests resume at the sustained rate, not with a burst. Returns 1 when this pushed the pause further.
 */
const PAUSE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local untilMs = now + tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused')
if untilMs <= (tonumber(state[2]) or 0) then
  return 0
end
redis.call('HSET', KEYS[1], 'paused', string.format('%.3f', untilMs))
if untilMs + tolerance > (tonumber(state[1]) or 0) then
  redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', untilMs + tolerance))
end
redis.call('PEXPIRE', KEYS[1], math.ceil(untilMs + tolerance - now) + 60000)
return 1
`;

/** Milliseconds left of the budget's pause, on Redis's clock (0 when not paused). */
const PAUSE_LEFT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused')) or 0
return math.max(0, math.ceil(paused - now))
`;

interface BudgetCommands {
  trbBudgetAcquire(
    key: string,
    interval: number,
    tolerance: number,
    maxWait: number,
  ): Promise<[number, number]>;
  trbBudgetPause(key: string, ms: number, tolerance: number): Promise<number>;
  trbBudgetPauseLeft(key: string): Promise<number>;
}

export interface RedisBudgetsOptions {
  /** redis://[user:password@]host:port[/db]. Only its password-free form ever appears in messages. */
  url: string;
  /** First segment of every key (default `trb`). */
  prefix?: string;
  /** Default longest wait for a slot; a longer one rejects with `BudgetParkError` (default: wait as long as it takes). */
  maxWaitMs?: number;
  /**
   * How long a command keeps being retried while Redis is unreachable (a restart, a failover) before the
   * acquire fails with `RedisUnreachableError` (default 10 s). Never a fallback to an unshared budget: that
   * would let every process spend the whole limit.
   */
  graceMs?: number;
  gcra?: GcraOptions;
  /**
   * The connection this registry's budgets serve (a worker makes one registry per job). Recorded beside the
   * budget's per-minute metrics, so the dashboard names a credential by the connections that use it.
   */
  connection?: string;
}

/** How long a budget's per-minute metrics are kept: the dashboard shows the last hour. */
const METRICS_TTL_S = 2 * 3600;
/** How often counted metrics go to Redis. */
const METRICS_FLUSH_MS = 1_000;

interface PendingMetrics {
  credentialHash: string;
  /** Ms epoch of the minute's start. */
  minute: number;
  limitPerMinute: number;
  requests: number;
  waitMs: number;
  http429: number;
}

/** A credential hash as `src/declarative/requester.ts` makes it: hex, so a key can never carry the credential. */
const HASH = /^[0-9a-f]{16,128}$/;

/**
 * Budgets kept in Redis, one per credential hash, shared by every process pointed at the same Redis and
 * prefix. Owns one Redis connection; `close()` it when done.
 */
export class RedisBudgets implements BudgetRegistry {
  readonly prefix: string;
  /** The URL without userinfo, for messages. */
  readonly displayUrl: string;
  private readonly redis: Redis & BudgetCommands;
  private readonly keys: ClusterKeys;
  private readonly pendingMetrics = new Map<string, PendingMetrics>();
  private metricsTimer: NodeJS.Timeout | undefined;
  private readonly budgets = new Map<string, RedisRateBudget>();
  private readonly graceMs: number;
  private everReady = false;
  private firstConnect: Promise<void> | undefined;
  private lastError: Error | undefined;
  /**
   * The latest park any of these budgets raised. The engine's run summary keeps only an error's code and
   * message, so a worker that gets TRB_BUDGET_PARKED reads `resumeAt` here (one registry per job).
   */
  lastPark: BudgetParkError | undefined;

  constructor(private readonly opts: RedisBudgetsOptions) {
    this.prefix = opts.prefix ?? 'trb';
    this.keys = new ClusterKeys(this.prefix);
    this.graceMs = opts.graceMs ?? 10_000;
    this.displayUrl = displayUrl(opts.url, globalRedactor);
    let url: URL | undefined;
    try {
      url = new URL(opts.url);
    } catch {}
    if (url?.protocol !== 'redis:' && url?.protocol !== 'rediss:') {
      // A wrong value, not an outage: exit 2, and the value itself is not echoed (it may hold a password).
      throw new ConfigError('the Redis URL is not a redis:// or rediss:// URL (expected redis://host:port)');
    }
    if (url.password) globalRedactor.add(decodeURIComponent(url.password));
    const redis = new Redis(opts.url, {
      lazyConnect: true,
      // Fail fast while disconnected instead of queueing: `call` below retries for `graceMs`, then reports.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 3_000,
      // Reconnect after a lost connection (a restart), but not when the first connect fails: that is reported
      // at once, and no reconnect timer keeps the process alive after it.
      retryStrategy: (times) => (this.everReady ? Math.min(times * 100, 1_000) : null),
    });
    redis.defineCommand('trbBudgetAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
    redis.defineCommand('trbBudgetPause', { numberOfKeys: 1, lua: PAUSE_LUA });
    redis.defineCommand('trbBudgetPauseLeft', { numberOfKeys: 1, lua: PAUSE_LEFT_LUA });
    // Connection errors surface through the commands that fail; without a listener ioredis prints them.
    redis.on('error', (err: Error) => {
      this.lastError = err;
    });
    redis.on('ready', () => {
      this.everReady = true;
      this.lastError = undefined;
    });
    this.redis = redis as Redis & BudgetCommands;
  }

  forCredential(credentialHash: string, limitPerMinute: number | undefined): RateBudget {
    if (!HASH.test(credentialHash)) {
      // A guard, not input validation: a raw credential must never become a Redis key.
      throw new TypeError('RedisBudgets.forCredential takes a hex hash of the credential');
    }
    const key = `${credentialHash}:${limitPerMinute ?? 'unlimited'}`;
    let b = this.budgets.get(key);
    if (!b) {
      b = new RedisRateBudget(this, credentialHash, limitPerMinute, {
        ...this.opts.gcra,
        maxWaitMs: this.opts.maxWaitMs,
      });
      this.budgets.set(key, b);
    }
    return b;
  }

  /**
   * Count into the credential's metrics of the current minute. Counts add up in memory and go to Redis in
   * one pipelined round trip per second (and at `close`), so a request never waits on them: measured, a
   * round trip per request made a back-to-back acquire ~0.1 ms slower. A failed write is dropped: metrics
   * are a view, never a reason to slow or fail a sync.
   */
  recordMetrics(
    credentialHash: string,
    limitPerMinute: number,
    counts: { requests?: number; waitMs?: number; http429?: number },
  ): void {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const id = `${credentialHash}:${minute}`;
    let m = this.pendingMetrics.get(id);
    if (!m) {
      m = { credentialHash, minute, limitPerMinute, requests: 0, waitMs: 0, http429: 0 };
      this.pendingMetrics.set(id, m);
    }
    m.requests += counts.requests ?? 0;
    m.waitMs += counts.waitMs ?? 0;
    m.http429 += counts.http429 ?? 0;
    if (this.metricsTimer === undefined) {
      this.metricsTimer = setTimeout(() => void this.flushMetrics(), METRICS_FLUSH_MS);
      this.metricsTimer.unref();
    }
  }

  /** Write the counted metrics now (`close` does). */
  async flushMetrics(): Promise<void> {
    clearTimeout(this.metricsTimer);
    this.metricsTimer = undefined;
    const all = [...this.pendingMetrics.values()];
    this.pendingMetrics.clear();
    if (all.length === 0 || this.redis.status !== 'ready') return;
    const now = Date.now();
    const p = this.redis.pipeline();
    for (const m of all) {
      const key = this.keys.budgetMinute(m.credentialHash, m.minute);
      if (m.requests) p.hincrby(key, 'requests', m.requests);
      if (m.waitMs) p.hincrby(key, 'waitMs', Math.round(m.waitMs));
      if (m.http429) p.hincrby(key, 'http429', m.http429);
      if (Number.isFinite(m.limitPerMinute)) p.hset(key, 'limit', m.limitPerMinute);
      p.expire(key, METRICS_TTL_S);
      p.zadd(this.keys.budgetIndex, now, m.credentialHash);
      if (this.opts.connection !== undefined) {
        const conns = this.keys.budgetConnections(m.credentialHash);
        p.zadd(conns, now, this.opts.connection);
        p.expire(conns, METRICS_TTL_S);
      }
    }
    await p.exec().catch(() => undefined);
  }

  /** Connect now; rejects with `RedisUnreachableError` naming the URL (without password) if Redis does not answer. */
  async connect(): Promise<void> {
    this.firstConnect ??= this.redis.connect().then(
      () => undefined,
      (err: unknown) => {
        // A later call tries again (the client is back in its `end` state).
        this.firstConnect = undefined;
        throw this.unreachable(err);
      },
    );
    return this.firstConnect;
  }

  async close(): Promise<void> {
    if (this.redis.status === 'wait' || this.redis.status === 'end') return;
    await this.flushMetrics();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Run a command, retrying through a lost connection for `graceMs` (ioredis reconnects meanwhile). Script
   * errors are bugs and thrown at once; anything else means Redis did not answer.
   */
  async call<T>(fn: (redis: BudgetCommands) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!this.everReady) await this.connect();
    const deadline = Date.now() + this.graceMs;
    for (;;) {
      try {
        return await fn(this.redis);
      } catch (err) {
        if (err instanceof ReplyError) throw err;
        if (Date.now() >= deadline) throw this.unreachable(err);
        await sleep(Math.min(250, Math.max(1, deadline - Date.now())), signal);
      }
    }
  }

  private unreachable(err: unknown): RedisUnreachableError {
    // The socket's own error (connect ECONNREFUSED 127.0.0.1:6390) says more than the command's ("Connection
    // is closed."). Both come from the socket layer and never hold the password; the redactor masks it anyway.
    const reason = this.lastError?.message ?? (err instanceof Error ? err.message : String(err));
    return new RedisUnreachableError(
      globalRedactor.redact(`Redis at ${this.displayUrl} is unreachable: ${reason}`),
      { details: { redis: this.displayUrl }, cause: err },
    );
  }
}

/** One credential's budget in Redis. Built by `RedisBudgets.forCredential`. */
export class RedisRateBudget implements RateBudget {
  readonly limitPerMinute: number;
  private readonly interval: number;
  private readonly tolerance: number;
  private readonly maxWaitMs: number | undefined;
  private readonly counters: BudgetStats = { acquired: 0, waitMs: 0, pauses: 0 };
  private readonly waitListeners = new Set<WaitListener>();
  /** This process's pauses still on their way to Redis: its next acquire must see them. */
  private pending: Promise<unknown> = Promise.resolve();
  private pauseError: unknown;

  /** `<prefix>:budget:<credential hash>`. */
  readonly key: string;

  constructor(
    private readonly owner: RedisBudgets,
    private readonly credentialHash: string,
    limitPerMinute: number | undefined,
    opts: GcraOptions & { maxWaitMs?: number } = {},
  ) {
    this.key = `${owner.prefix}:budget:${credentialHash}`;
    if (limitPerMinute !== undefined && limitPerMinute > 0) {
      this.limitPerMinute = limitPerMinute;
      ({ interval: this.interval, tolerance: this.tolerance } = gcraParameters(limitPerMinute, opts));
    } else {
      // No published limit: slots are free, but a 429's pause is still shared.
      this.limitPerMinute = Number.POSITIVE_INFINITY;
      this.interval = 0;
      this.tolerance = 0;
    }
    this.maxWaitMs = opts.maxWaitMs;
  }

  async acquire(signal?: AbortSignal, opts: AcquireOptions = {}): Promise<number> {
    const start = Date.now();
    const maxWaitMs = opts.maxWaitMs ?? this.maxWaitMs;
    await this.pending;
    if (this.pauseError !== undefined) {
      const err = this.pauseError;
      this.pauseError = undefined;
      throw err;
    }
    for (;;) {
      signal?.throwIfAborted();
      const [reserved, wait] = await this.owner.call(
        (r) => r.trbBudgetAcquire(this.key, this.interval, this.tolerance, maxWaitMs ?? -1),
        signal,
      );
      if (!reserved) {
        const park = parkError(wait, maxWaitMs ?? 0, this.limitPerMinute);
        this.owner.lastPark = park;
        throw park;
      }
      if (wait > 0) {
        for (const l of this.waitListeners) l(Date.now() + wait);
        await sleep(wait, signal);
        // A 429 elsewhere may have paused the budget while we slept: then take a new slot after the pause.
        const left = await this.owner.call((r) => r.trbBudgetPauseLeft(this.key), signal);
        if (left > 1) continue;
      }
      this.counters.acquired++;
      const waited = Date.now() - start;
      this.counters.waitMs += waited;
      this.owner.recordMetrics(this.credentialHash, this.limitPerMinute, { requests: 1, waitMs: waited });
      return waited;
    }
  }

  pause(ms: number): void {
    // The interface is synchronous (the HTTP client calls it from its 429 branch); the write is chained so
    // this process's next acquire waits for it, and a failure is reported by that acquire.
    this.pending = this.pending.then(() =>
      this.owner
        .call((r) => r.trbBudgetPause(this.key, Math.max(0, Math.ceil(ms)), this.tolerance))
        .then(
          (pushed) => {
            if (pushed) this.counters.pauses++;
          },
          (err: unknown) => {
            this.pauseError = err;
          },
        ),
    );
  }

  count429(): void {
    this.owner.recordMetrics(this.credentialHash, this.limitPerMinute, { http429: 1 });
  }

  stats(): BudgetStats {
    return { ...this.counters };
  }

  observeWaits(listener: WaitListener): () => void {
    this.waitListeners.add(listener);
    return () => this.waitListeners.delete(listener);
  }
}
