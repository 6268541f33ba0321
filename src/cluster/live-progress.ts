/**
 * Live progress of running syncs, for the dashboard: the worker turns the engine's progress events (the same
 * `onProgress` the CLI's ProgressDisplay draws) into a snapshot in Redis (one hash per connection, with a
 * TTL) and a pub/sub message on every update, throttled so it never slows a sync. Readers get the snapshot
 * with `readLive` and the updates with `subscribeLive`.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.js';

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
  outcome?: 'succeeded' | 'failed' | 'cancelled';
  streams: StreamProgress[];
}

/** The live snapshot of one connection, or of every connection with a running (or just ended) sync. */
export async function readLive(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
): Promise<LiveRun | undefined>;
export async function readLive(redis: Redis, keys: ClusterKeys): Promise<LiveRun[]>;
export async function readLive(
  _redis: Redis,
  _keys: ClusterKeys,
  _connection?: string,
): Promise<LiveRun | LiveRun[] | undefined> {
  throw new Error('not implemented');
}

/**
 * Call `onUpdate` with every live update of any connection (at most every 250 ms per connection, and once
 * when its run ends). Subscribing needs a connection of its own: `redisFactory` makes one, closed by the
 * returned unsubscribe.
 */
export function subscribeLive(
  _redisFactory: () => Redis,
  _keys: ClusterKeys,
  _onUpdate: (run: LiveRun) => void,
): () => Promise<void> {
  throw new Error('not implemented');
}
