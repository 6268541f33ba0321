/**
 * Live progress of running syncs, for the dashboard: the worker turns the engine's progress events (the same
 * `onProgress` the CLI's ProgressDisplay draws) into a snapshot in Redis (one hash per connection, with a
 * TTL) and a pub/sub message on every update, throttled so it never slows a sync. Readers get the snapshot
 * with `readLive` and the updates with `subscribeLive`.
 */
import type { Redis } from 'ioredis';
import { durationOf, type StreamSummary } from '../engine/summary.js';
import type { ClusterKeys } from './keys.js';

/** At most one live write per connection this often (ms): a sync's pages are never held up by Redis. */
export const LIVE_THROTTLE_MS = 250;
/** A running sync's snapshot outlives its last update by this much (a dead worker's snapshot goes away). */
const RUNNING_TTL_MS = 10 * 60_000;
/** An ended run's snapshot stays this long, so an open page sees how it ended. */
const ENDED_TTL_MS = 5 * 60_000;

/** One stream of a running sync. */
export interface StreamProgress {
  stream: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  records: number;
  pages: number;
  /** Records per second since the stream started (0 before it did). */
  recordsPerSec: number;
  /** Time spent waiting for the credential's rate budget, ms. */
  budgetWaitMs: number;
}

/** A sync running now (or just ended: `endedAt` set, kept a short while so a page sees how it ended). */
export interface LiveRun {
  connection: string;
  jobId: string;
  runId?: string;
  worker: string;
  /** ISO times. */
  startedAt: string;
  updatedAt: string;
  /** Set once the run ended; the snapshot expires soon after. */
  endedAt?: string;
  /** `delayed`: the job waits (a locked DuckDB file, a busy rate budget) and comes back as a new run. */
  outcome?: 'succeeded' | 'failed' | 'cancelled' | 'delayed';
  streams: StreamProgress[];
}

/** A running sync's stream rows from the engine's progress summaries (the CLI's progress line's numbers). */
export function toStreamProgress(s: StreamSummary): StreamProgress {
  const secs = durationOf(s) / 1000;
  return {
    stream: s.stream,
    status:
      s.status === 'succeeded' || s.status === 'skipped'
        ? 'done'
        : s.status === 'failed'
          ? 'failed'
          : s.status === 'running'
            ? 'running'
            : 'pending',
    records: s.records,
    pages: s.pages,
    recordsPerSec: secs > 0 ? Math.round(s.records / secs) : 0,
    budgetWaitMs: s.metrics.budgetWaitMs,
  };
}

/**
 * The worker's side: `update` takes every progress event of the engine and writes at most one snapshot per
 * LIVE_THROTTLE_MS (the latest one; a trailing write follows the last event), `end` writes the final one.
 * Writes are never awaited by the sync and their failures are dropped: live progress is a view, not a
 * record.
 */
export class LivePublisher {
  private latest: StreamSummary[] = [];
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  private ended = false;
  runId: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ClusterKeys,
    private readonly run: Pick<LiveRun, 'connection' | 'jobId' | 'worker' | 'startedAt' | 'runId'>,
  ) {
    this.runId = run.runId;
  }

  /** Publish the start (no streams yet) at once. */
  start(): Promise<void> {
    return this.write();
  }

  update(streams: StreamSummary[]): void {
    if (this.ended) return;
    this.latest = streams;
    const due = this.lastWrite + LIVE_THROTTLE_MS - Date.now();
    if (due <= 0) {
      void this.write();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.write();
      }, due);
      this.timer.unref();
    }
  }

  /** The run ended: write its final snapshot (kept ENDED_TTL_MS) and stop. */
  async end(outcome: NonNullable<LiveRun['outcome']>, streams?: StreamSummary[]): Promise<void> {
    if (this.ended) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (streams) this.latest = streams;
    this.ended = true;
    await this.writing.catch(() => undefined);
    await this.write(outcome);
  }

  private snapshot(outcome?: LiveRun['outcome']): LiveRun {
    const now = new Date();
    return {
      connection: this.run.connection,
      jobId: this.run.jobId,
      ...(this.runId !== undefined ? { runId: this.runId } : {}),
      worker: this.run.worker,
      startedAt: this.run.startedAt,
      updatedAt: now.toISOString(),
      ...(outcome ? { endedAt: now.toISOString(), outcome } : {}),
      streams: this.latest.map((s) => toStreamProgress(s)),
    };
  }

  private write(outcome?: LiveRun['outcome']): Promise<void> {
    this.lastWrite = Date.now();
    const live = this.snapshot(outcome);
    const json = JSON.stringify(live);
    const ttl = outcome ? ENDED_TTL_MS : RUNNING_TTL_MS;
    const p = this.redis
      .multi()
      .set(this.keys.live(live.connection), json, 'PX', ttl)
      .zadd(this.keys.liveIndex, this.lastWrite, live.connection)
      .publish(this.keys.liveChannel, json)
      .exec();
    this.writing = p;
    return p.then(
      () => undefined,
      () => undefined,
    );
  }
}

/** The live snapshot of one connection, or of every connection with a running (or just ended) sync. */
export async function readLive(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
): Promise<LiveRun | undefined>;
export async function readLive(redis: Redis, keys: ClusterKeys): Promise<LiveRun[]>;
export async function readLive(
  redis: Redis,
  keys: ClusterKeys,
  connection?: string,
): Promise<LiveRun | LiveRun[] | undefined> {
  if (connection !== undefined) {
    const raw = await redis.get(keys.live(connection));
    return raw === null ? undefined : (JSON.parse(raw) as LiveRun);
  }
  // Index entries older than the longest TTL point at expired snapshots: dropped as they are read.
  await redis.zremrangebyscore(keys.liveIndex, '-inf', String(Date.now() - RUNNING_TTL_MS));
  const names = await redis.zrange(keys.liveIndex, '0', '-1');
  if (names.length === 0) return [];
  const raws = await redis.mget(names.map((n) => keys.live(n)));
  return raws
    .filter((r): r is string => r !== null)
    .map((r) => JSON.parse(r) as LiveRun)
    .sort((a, b) => a.connection.localeCompare(b.connection));
}

/**
 * Call `onUpdate` with every live update of any connection (at most every 250 ms per connection, and once
 * when its run ends). Subscribing needs a connection of its own: `redisFactory` makes one, closed by the
 * returned unsubscribe.
 */
export function subscribeLive(
  redisFactory: () => Redis,
  keys: ClusterKeys,
  onUpdate: (run: LiveRun) => void,
): () => Promise<void> {
  const sub = redisFactory();
  sub.on('message', (channel: string, message: string) => {
    if (channel !== keys.liveChannel) return;
    let run: LiveRun;
    try {
      run = JSON.parse(message) as LiveRun;
    } catch {
      return;
    }
    onUpdate(run);
  });
  const subscribed = sub.subscribe(keys.liveChannel).catch(() => undefined);
  return async () => {
    await subscribed;
    await sub.unsubscribe(keys.liveChannel).catch(() => undefined);
    sub.disconnect();
  };
}
