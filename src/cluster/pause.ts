/**
 * Pausing a connection after N failed runs in a row. The count and the pause live in Redis hashes keyed by
 * connection name; a successful run resets the count; `tributary resume NAME` (or `run NAME --force`)
 * lifts the pause. A paused connection's jobs are skipped by the workers, scheduled or manual.
 */
import type { Redis } from 'ioredis';
import type { ClusterKeys } from './keys.js';

export interface PauseInfo {
  reason: string;
  /** ISO time the connection was paused. */
  at: string;
  /** Failed runs in a row when it was paused. */
  failures: number;
}

export async function pauseInfo(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
): Promise<PauseInfo | undefined> {
  const raw = await redis.hget(keys.paused, connection);
  return raw === null ? undefined : (JSON.parse(raw) as PauseInfo);
}

/** Every paused connection. */
export async function allPaused(redis: Redis, keys: ClusterKeys): Promise<Map<string, PauseInfo>> {
  const all = await redis.hgetall(keys.paused);
  return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as PauseInfo]));
}

/**
 * Count one failed run; pause the connection once `pauseAfter` runs in a row have failed. Returns the
 * pause when this failure caused it.
 */
export async function recordFailure(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
  reason: string,
  pauseAfter: number,
): Promise<PauseInfo | undefined> {
  const failures = await redis.hincrby(keys.failures, connection, 1);
  if (pauseAfter <= 0 || failures < pauseAfter) return undefined;
  const info: PauseInfo = {
    reason: `${failures} failed runs in a row; last: ${reason}`,
    at: new Date().toISOString(),
    failures,
  };
  await redis.hset(keys.paused, connection, JSON.stringify(info));
  return info;
}

export async function recordSuccess(redis: Redis, keys: ClusterKeys, connection: string): Promise<void> {
  await redis.hdel(keys.failures, connection);
}

/**
 * `tributary pause NAME [--reason]` (and the dashboard's pause button): pause a connection by hand. Its
 * scheduled and manual jobs are skipped until `resume` (or `run --force`); a running sync is not stopped
 * (`cancel` does that). Returns false when it was already paused (the first pause's reason is kept).
 */
export async function pauseConnection(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
  reason = 'paused by hand',
): Promise<boolean> {
  const info: PauseInfo = { reason, at: new Date().toISOString(), failures: 0 };
  return (await redis.hsetnx(keys.paused, connection, JSON.stringify(info))) === 1;
}

/** Lift a pause and forget the failures. Returns whether the connection was paused. */
export async function resumeConnection(
  redis: Redis,
  keys: ClusterKeys,
  connection: string,
): Promise<boolean> {
  const [removed] = (await redis
    .multi()
    .hdel(keys.paused, connection)
    .hdel(keys.failures, connection)
    .exec()) as [[Error | null, number], unknown];
  return removed[1] === 1;
}
