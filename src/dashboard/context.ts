/** What every dashboard route reads from: Redis and the queue (via src/cluster/), the connections file, the clock. */
import type { Redis } from 'ioredis';
import type { ClusterKeys, SyncQueue } from '../cluster/dashboard-data.js';
import { type Connection, type ConnectionsFile, findConnection } from '../connections/connections-file.js';
import { globalRedactor } from '../util/redact.js';

export interface DashboardContext {
  redis: Redis;
  /** A new Redis connection of the same target (pub/sub needs its own), closed by its user. */
  redisFactory: () => Redis;
  queue: SyncQueue;
  keys: ClusterKeys;
  /** The connections file as loaded now (secrets unresolved: the dashboard never needs them). */
  file: () => ConnectionsFile;
  now: () => Date;
}

/** The connection of that name, or undefined (a 404 page, not an error). */
export function connectionNamed(ctx: DashboardContext, name: string): Connection | undefined {
  try {
    return findConnection(ctx.file(), name);
  } catch {
    return undefined;
  }
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Run one read, turning a failure into a message for the page's error state (redacted; the page escapes
 * it): one section that cannot load does not take the whole page down.
 */
export async function load<T>(read: () => Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return { ok: false, error: globalRedactor.redact(err instanceof Error ? err.message : String(err)) };
  }
}
