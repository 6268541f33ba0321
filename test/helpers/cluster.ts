/** Shared by the cluster tests: a connections file on disk, a session on the test Redis, and polling helpers. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { ClusterKeys } from '../../src/cluster/keys.js';
import { openRedis } from '../../src/cluster/redis-connection.js';
import type { LastRun } from '../../src/cluster/sync-job.js';
import { openQueue, type SyncQueue } from '../../src/cluster/sync-queue.js';
import { type RunningWorker, startWorker, type WorkerOptions } from '../../src/cluster/worker.js';
import { silentLogger } from '../../src/util/log.js';
import { dropPrefix, REDIS_TEST_URL, waitFor } from './redis.js';

/** Write a connections file (JSON is YAML) and return its path. */
export function writeConnections(
  dir: string,
  connections: Record<string, unknown>[],
  name = 'tributary.yaml',
): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ connections }, null, 2));
  return path;
}

export interface TestCluster {
  prefix: string;
  url: string;
  keys: ClusterKeys;
  redis: Redis;
  queue: SyncQueue;
  lastRun(connection: string): Promise<LastRun | undefined>;
  /** Wait until the connection's last run is one that ended after `since` (ms epoch). */
  nextLastRun(connection: string, since: number, timeoutMs?: number): Promise<LastRun>;
  close(): Promise<void>;
}

/**
 * A worker on the test cluster with the timings the cluster tests share: short locks and stall checks (a
 * crashed worker's job comes back within seconds), a short delay for a locked file, silent logs.
 */
export function startTestWorker(
  cluster: Pick<TestCluster, 'url' | 'prefix'>,
  file: string,
  opts: Partial<Omit<WorkerOptions, 'target' | 'file'>> = {},
): Promise<RunningWorker> {
  return startWorker({
    target: { url: cluster.url, prefix: cluster.prefix },
    file,
    concurrency: 2,
    lockDurationMs: 5_000,
    stalledIntervalMs: 2_000,
    maxStalledCount: 3,
    lockedDelayMs: 500,
    budgetMaxWaitMs: 60_000,
    logger: silentLogger,
    ...opts,
  });
}

/** Opens a test cluster and its workers for one test; clusterPerTest closes them after it. */
export interface ClusterPerTest {
  /** testCluster(prefix), closed after the test. */
  open(prefix: string): TestCluster;
  /** startTestWorker, closed after the test (before the cluster). */
  worker(...args: Parameters<typeof startTestWorker>): Promise<RunningWorker>;
}

/**
 * Registers (in the calling describe) an afterEach that closes the workers, then the cluster, the test opened:
 * the teardown the in-process cluster tests share.
 */
export function clusterPerTest(): ClusterPerTest {
  let cluster: TestCluster | undefined;
  let workers: RunningWorker[] = [];
  afterEach(async () => {
    for (const w of workers) await w.close();
    workers = [];
    await cluster?.close();
    cluster = undefined;
  });
  return {
    open: (prefix) => {
      cluster = testCluster(prefix);
      return cluster;
    },
    worker: async (...args) => {
      const w = await startTestWorker(...args);
      workers.push(w);
      return w;
    },
  };
}

export function testCluster(prefix: string, url = REDIS_TEST_URL): TestCluster {
  const keys = new ClusterKeys(prefix);
  const redis = openRedis({ url, prefix });
  const queue = openQueue(redis, keys);
  // A restarted Redis makes the queue report connection errors; the tests look at outcomes instead.
  queue.on('error', () => undefined);
  const lastRun = async (connection: string) => {
    const raw = await redis.hget(keys.lastRun, connection);
    return raw === null ? undefined : (JSON.parse(raw) as LastRun);
  };
  return {
    prefix,
    url,
    keys,
    redis,
    queue,
    lastRun,
    nextLastRun: (connection, since, timeoutMs = 30_000) =>
      waitFor(
        `a run of ${connection} ending after ${new Date(since).toISOString()}`,
        async () => {
          const l = await lastRun(connection);
          return l && Date.parse(l.endedAt) >= since ? l : undefined;
        },
        timeoutMs,
      ),
    close: async () => {
      await queue.close();
      redis.disconnect();
      await dropPrefix(prefix, url);
    },
  };
}
