/**
 * The rate budget a credential's connections share across worker processes (Redis-backed, under the
 * cluster's prefix): two `tributary worker` processes syncing two connections with one API key stay under
 * the key's limit together (no 429 from a simulator that enforces it), and a sync that would wait too long
 * for its budget parks its job (delayed) instead of holding a worker slot, then completes exactly.
 * Skipped without Redis (fails instead when CI=true).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun } from '../../src/cluster/enqueue.js';
import { QUEUE } from '../../src/cluster/keys.js';
import { openRedis } from '../../src/cluster/redis-connection.js';
import { RedisBudgets } from '../../src/http/redis-rate-budget.js';
import { findConnection, loadConnectionsFile } from '../../src/connections/connections-file.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { type CliResult, startCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { REDIS_TEST_URL, redisReachable, testPrefix, waitFor } from '../helpers/redis.js';
import { startTestWorker, testCluster, writeConnections } from '../helpers/cluster.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true') console.warn('cluster budget tests skipped: no Redis');
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('cluster: one rate budget per credential, shared by the workers', () => {
  let dir: string;
  const children: { child: ChildProcess; done: Promise<CliResult> }[] = [];
  beforeAll(() => {
    dir = tempDir('tributary-cluster-budget-');
  });
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.done));
    rmSync(dir, { recursive: true, force: true });
  });

  const connection = (name: string, sim: SimulatorHandle, rpm: number) => ({
    name,
    connector: 'humaans',
    config: {
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
      requests_per_minute: rpm,
    },
    destination: `duckdb:${join(dir, `${name}-db.duckdb`)}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 5 },
  });

  it('two worker processes, two connections on one key: together under the limit, no 429', async () => {
    // 600/min is 10 requests a second for the key: one budget for both syncs, or each would run at 10/s.
    const sim = await startHumaansSimulator({ seed: 21, records: 150, rateLimitPerMinute: 600 });
    const prefix = testPrefix('budget');
    const cluster = testCluster(prefix);
    try {
      const file = writeConnections(tempDir('tributary-budget-'), [
        connection('key-a', sim, 600),
        connection('key-b', sim, 600),
      ]);
      for (const name of ['budget-w1', 'budget-w2']) {
        children.push(
          startCli(['worker', '--file', file, '--redis', REDIS_TEST_URL, '--prefix', prefix, '--name', name]),
        );
      }
      await waitFor(
        'two workers',
        async () => ((await cluster.queue.getWorkersCount()) >= 2 ? true : undefined),
        20_000,
      );
      const loaded = loadConnectionsFile(file, process.env, { resolveSecrets: false });
      sim.resetStats();
      const since = Date.now();
      await enqueueRun(cluster.redis, cluster.queue, cluster.keys, findConnection(loaded, 'key-a'));
      await enqueueRun(cluster.redis, cluster.queue, cluster.keys, findConnection(loaded, 'key-b'));
      const a = await cluster.nextLastRun('key-a', since, 90_000);
      const b = await cluster.nextLastRun('key-b', since, 90_000);
      expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
      // Both workers took one job each, at the same time.
      expect(new Set([a.worker, b.worker])).toEqual(new Set(['budget-w1', 'budget-w2']));
      const requests = sim.requests().filter((r) => r.at >= since);
      expect(requests.filter((r) => r.status === 429)).toEqual([]);
      // Paced together: the requests of both syncs over their span come to at most 10 a second (plus the
      // budget's burst of 1% of the limit), where two unshared budgets would have allowed 20.
      const span = (requests.at(-1)!.at - requests[0]!.at) / 1000;
      expect(requests.length).toBeGreaterThan(30);
      expect(requests.length).toBeLessThanOrEqual(10 * span + 8);
      for (const name of ['key-a', 'key-b']) {
        const rows = await queryDuckDb(
          join(dir, `${name}-db.duckdb`),
          `select count(*)::int as n from "${name}".documents`,
        );
        expect(rows[0]!.n).toBe(sim.records('documents').length);
      }
    } finally {
      await cluster.close();
      await sim.close();
    }
  });

  it('a sync that would wait longer than --park-after for its budget is parked (delayed), then completes exactly', async () => {
    const sim = await startHumaansSimulator({ seed: 22, records: 20 });
    const prefix = testPrefix('park');
    const cluster = testCluster(prefix);
    const events = new QueueEvents(QUEUE, {
      connection: openRedis({ url: REDIS_TEST_URL, prefix }),
      prefix: cluster.keys.bullPrefix,
    });
    const file = writeConnections(tempDir('tributary-park-'), [connection('parked', sim, 6000)]);
    const worker = await startTestWorker(cluster, file, { concurrency: 1, budgetMaxWaitMs: 1000 });
    const budgets = new RedisBudgets({ url: REDIS_TEST_URL, prefix });
    try {
      await events.waitUntilReady();
      let delayed = 0;
      events.on('delayed', () => {
        delayed++;
      });
      // Another worker of the key got a 429 with Retry-After: 3 s: the shared budget is paused for all.
      const hash = createHash('sha256')
        .update(`${new URL(sim.baseUrl).origin}\u0000sim-token`)
        .digest('hex')
        .slice(0, 16);
      budgets.forCredential(hash, 6000).pause(3000);
      await waitFor('the pause in Redis', async () =>
        (await cluster.redis.hget(`${prefix}:budget:${hash}`, 'paused')) ? true : undefined,
      );
      const since = Date.now();
      const c = findConnection(loadConnectionsFile(file, process.env, { resolveSecrets: false }), 'parked');
      const run = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
      const last = await cluster.nextLastRun('parked', since, 30_000);
      expect(last.status).toBe('succeeded');
      // Parked, not failed: the job waited delayed (no worker slot held) until the budget's pause ended.
      expect(delayed).toBeGreaterThan(0);
      expect(Date.parse(last.startedAt) - since).toBeGreaterThan(2000);
      expect(await (await cluster.queue.getJob(run.jobId))?.isCompleted()).toBe(true);
      const rows = await queryDuckDb(
        join(dir, 'parked-db.duckdb'),
        'select count(*)::int as n, count(distinct id)::int as d from parked.documents',
      );
      expect(rows[0]).toEqual({ n: sim.records('documents').length, d: sim.records('documents').length });
    } finally {
      await budgets.close();
      await worker.close();
      await events.close();
      await cluster.close();
      await sim.close();
    }
  });
});
