// What the cluster scenarios share: the Redis they use, `tributary worker` processes, the built cluster modules
// they drive the queue with, waiting on the queue's state, and clearing a run's keys afterwards.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, ROOT } from './lib.js';

export const REDIS_URL = process.env.TRIBUTARY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The built cluster modules, in one object (they run from dist: build first). */
export async function clusterModules() {
  const dist = (p) => join(ROOT, 'dist', p);
  return {
    ...(await import(dist('cluster/keys.js'))),
    ...(await import(dist('cluster/redis-connection.js'))),
    ...(await import(dist('cluster/sync-queue.js'))),
    ...(await import(dist('cluster/enqueue.js'))),
    ...(await import(dist('connections/connections-file.js'))),
  };
}

/**
 * `until(what, fn, timeoutMs)` for one scenario: polls `fn` every `pollMs` until it returns something other
 * than undefined, which it resolves to; past the timeout it throws "<bench> bench: timed out waiting for <what>".
 */
export function waiter(bench, pollMs) {
  return async function until(what, fn, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`${bench} bench: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}

/** Start `tributary worker` on a connections file and key prefix, its output discarded. */
export function spawnWorker(file, prefix, name, { args = [], nodeArgs = [], env = {} } = {}) {
  return spawn(
    process.execPath,
    [
      ...nodeArgs,
      CLI,
      'worker',
      '--file',
      file,
      '--redis',
      REDIS_URL,
      '--prefix',
      prefix,
      '--name',
      name,
      ...args,
    ],
    { stdio: 'ignore', env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', ...env } },
  );
}

/** Delete every key under the prefix (the run's queue, leases, budgets and run records). */
export async function clearKeys(redis, prefix) {
  const left = await redis.keys(`${prefix}:*`);
  if (left.length) await redis.del(...left);
}

/** A Redis connection and a queue of their own under `prefix`; `clear()` removes all of it and closes both. */
export function openBenchQueue(m, prefix) {
  const keys = new m.ClusterKeys(prefix);
  const redis = m.openRedis({ url: REDIS_URL, prefix });
  const queue = m.openQueue(redis, keys);
  return {
    keys,
    redis,
    queue,
    clear: async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await clearKeys(redis, prefix);
      await queue.close();
      redis.disconnect();
    },
  };
}

/** Until the queue counts at least `n` workers. */
export function workersReady(until, queue, n, what, timeoutMs) {
  return until(what, async () => ((await queue.getWorkersCount()) >= n ? true : undefined), timeoutMs);
}

/**
 * Enqueue every connection of the file, as `tributary run` would. Returns when the first enqueue began (ms),
 * the file already loaded, for a scenario that times from it.
 */
export async function enqueueAll(m, { redis, queue, keys }, file) {
  const loaded = m.loadConnectionsFile(file, process.env, { resolveSecrets: false });
  const t0 = Date.now();
  for (const c of loaded.connections) await m.enqueueRun(redis, queue, keys, c);
  return t0;
}

/** Until `n` connections have a last run, which it resolves to; throws at the first that did not succeed. */
export function allSucceeded(until, { redis, keys }, n, timeoutMs) {
  return until(
    'every sync',
    async () => {
      const last = Object.values(await redis.hgetall(keys.lastRun)).map((v) => JSON.parse(v));
      const failed = last.find((l) => l.status !== 'succeeded');
      if (failed) throw new Error(`a sync failed: ${JSON.stringify(failed)}`);
      return last.length === n ? last : undefined;
    },
    timeoutMs,
  );
}
