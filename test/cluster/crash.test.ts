/**
 * Worker processes (the built CLI, `tributary worker`) that die or lose Redis mid-sync:
 * - the worker running a job is SIGKILLed: another worker picks the job up within lockDuration +
 *   stalledInterval, resumes from the last committed checkpoint, and the destination ends as an exact copy
 *   of a clean sync (same rows, nothing duplicated);
 * - Redis (a private redis-server, no persistence) is killed and restarted mid-sync: the worker reconnects,
 *   the running sync's commits are kept, the next run lands an exact copy.
 * Skipped without Redis (fails instead when CI=true).
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRun } from '../../src/cluster/enqueue.js';
import { runConnection } from '../../src/cluster/run-connection.js';
import {
  findConnection,
  loadConnectionsFile,
  resolveConnection,
} from '../../src/connections/connections-file.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { silentLogger } from '../../src/util/log.js';
import { type CliResult, startCli } from '../helpers/cli.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { PrivateRedis, REDIS_TEST_URL, redisReachable, testPrefix, waitFor } from '../helpers/redis.js';
import { type TestCluster, testCluster, writeConnections } from '../helpers/cluster.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn(
    'cluster crash tests skipped: no Redis at TRIBUTARY_TEST_REDIS_URL (default redis://127.0.0.1:6379)',
  );
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

const LOCK_MS = 2000;
const STALLED_MS = 1000;

describeRedis('cluster: worker processes killed, Redis restarted', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let cluster: TestCluster | undefined;
  let children: { child: ChildProcess; done: Promise<CliResult> }[] = [];
  let redis: PrivateRedis | undefined;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 9, records: 400, latencyMs: 40 });
    dir = tempDir('tributary-cluster-crash-');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of children)
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.done));
    children = [];
    await cluster?.close();
    cluster = undefined;
    await redis?.stop();
    redis = undefined;
  });

  const connection = (name: string) => ({
    name,
    connector: 'humaans',
    config: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference, on purpose
      api_token: '${HUMAANS_TOKEN}',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
      retry_attempts: 1,
    },
    destination: `duckdb:${join(dir, `${name}-db.duckdb`)}`,
    retry: { attempts: 2, backoff: '1s', pauseAfter: 5 },
  });

  function worker(name: string, file: string, url: string, prefix: string) {
    const w = startCli(
      [
        'worker',
        '--file',
        file,
        '--redis',
        url,
        '--prefix',
        prefix,
        '--name',
        name,
        '--lock-duration',
        String(LOCK_MS),
        '--stalled-interval',
        String(STALLED_MS),
        '--batch-rows',
        '20',
      ],
      // The secret comes from the worker's own environment; the job names only the connection.
      { HUMAANS_TOKEN: 'sim-token' },
    );
    children.push(w);
    return w;
  }

  /** A clean, uninterrupted sync of the same data into its own file, for comparison. */
  async function cleanCopy(name: string): Promise<Record<string, string[]>> {
    const path = join(dir, `${name}-clean.duckdb`);
    const file = writeConnections(tempDir(`tributary-${name}-clean-`), [
      { ...connection(name), destination: `duckdb:${path}` },
    ]);
    const c = resolveConnection(
      findConnection(loadConnectionsFile(file, { HUMAANS_TOKEN: 'sim-token' }), name),
      {
        HUMAANS_TOKEN: 'sim-token',
      },
    );
    expect((await runConnection(c, { logger: silentLogger })).status).toBe('succeeded');
    return dumpDuckDb(path, name);
  }

  it('a SIGKILLed worker: another worker resumes its job from the last checkpoint within lockDuration + stalledInterval, and the copy is exact', async () => {
    const prefix = testPrefix('sigkill');
    cluster = testCluster(prefix);
    const file = writeConnections(tempDir('tributary-sigkill-'), [connection('killed')]);
    const a = worker('worker-a', file, REDIS_TEST_URL, prefix);
    const b = worker('worker-b', file, REDIS_TEST_URL, prefix);
    const c = findConnection(loadConnectionsFile(file, process.env, { resolveSecrets: false }), 'killed');
    // Both workers must be listening before the job exists, so either may take it.
    await waitFor(
      'two workers',
      async () => ((await cluster!.queue.getWorkersCount()) >= 2 ? true : undefined),
      20_000,
    );
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    const running = await waitFor('the sync to start', async () => {
      const raw = await cluster!.redis.hget(cluster!.keys.running, 'killed');
      return raw ? (JSON.parse(raw) as { worker: string }) : undefined;
    });
    // Let it commit a few batches (20 rows each, 40 ms a page).
    await new Promise((r) => setTimeout(r, 1200));
    const victim = running.worker === 'worker-a' ? a : b;
    const survivor = running.worker === 'worker-a' ? 'worker-b' : 'worker-a';
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    const resumed = await waitFor(
      'the job to resume on the other worker',
      async () => {
        const raw = await cluster!.redis.hget(cluster!.keys.running, 'killed');
        const r = raw ? (JSON.parse(raw) as { worker: string; since: string }) : undefined;
        return r && r.worker === survivor ? r : undefined;
      },
      30_000,
      50,
    );
    const recoveryMs = Date.parse(resumed.since) - killedAt;
    // The bound: the lock lapses within lockDuration, the next stalled check within stalledInterval; plus
    // the time to pick the job up (a second at most here).
    expect(recoveryMs).toBeLessThan(LOCK_MS + STALLED_MS + 1000);
    const last = await cluster.nextLastRun('killed', killedAt, 60_000);
    expect(last).toMatchObject({ status: 'succeeded', worker: survivor });
    const db = join(dir, 'killed-db.duckdb');
    const runs = await queryDuckDb(
      db,
      'select status, trigger, attempt::int as attempt, worker, duration_ms::int as ms from killed._tributary_runs order by started_at',
    );
    // The killed run never finished (its row says running); the resumed one succeeded. A stall is not a
    // failed attempt: both are attempt 1 of the manual trigger, each on its own worker.
    expect(runs.map(({ ms: _ms, ...r }) => r)).toEqual([
      { status: 'running', trigger: 'manual', attempt: 1, worker: running.worker },
      { status: 'succeeded', trigger: 'manual', attempt: 1, worker: survivor },
    ]);
    expect(runs[0]!.ms).toBeNull();
    expect(runs[1]!.ms).toBeGreaterThan(0);
    const states = await queryDuckDb(db, 'select count(*)::int as n from killed._tributary_state');
    expect(states[0]!.n).toBeGreaterThan(0);
    expect(await dumpDuckDb(db, 'killed')).toEqual(await cleanCopy('killed'));
  });

  it('Redis killed and restarted mid-sync: the worker reconnects, serve restores the schedulers, nothing committed is lost, and the next run lands an exact copy', async () => {
    redis = await PrivateRedis.start();
    const prefix = testPrefix('restart');
    cluster = testCluster(prefix, redis.url);
    // A yearly schedule: `serve` keeps its scheduler, and must bring it back after the restart.
    const file = writeConnections(tempDir('tributary-restart-'), [
      { ...connection('restarted'), schedule: { cron: '0 3 1 1 *', tz: 'UTC' } },
    ]);
    const serve = startCli(['serve', '--file', file, '--redis', redis.url, '--prefix', prefix]);
    children.push(serve);
    await waitFor(
      'the scheduler',
      async () => ((await cluster!.queue.getJobScheduler('restarted')) ? true : undefined),
      20_000,
    );
    const w = worker('worker-r', file, redis.url, prefix);
    const c = findConnection(loadConnectionsFile(file, process.env, { resolveSecrets: false }), 'restarted');
    await waitFor(
      'the worker',
      async () => ((await cluster!.queue.getWorkersCount()) >= 1 ? true : undefined),
      20_000,
    );
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    await waitFor('the sync to start', async () =>
      (await cluster!.redis.hget(cluster!.keys.running, 'restarted')) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 800));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start();
    // Redis forgot the scheduler with everything else; serve re-upserts it when it reconnects.
    await waitFor(
      'serve to restore the scheduler',
      async () => ((await cluster!.queue.getJobScheduler('restarted')) ? true : undefined),
      30_000,
      200,
    );
    // Without persistence the restarted Redis knows no job; the worker is still there and reconnects.
    await waitFor(
      'the worker to reconnect',
      async () => ((await cluster!.queue.getWorkersCount()) >= 1 ? true : undefined),
      30_000,
      200,
    );
    const since = Date.now();
    // The interrupted sync may still be finishing (its Redis writes were queued through the outage): a
    // run while it holds the lease adds nothing, so ask until one is queued.
    const queued = await waitFor(
      'a new run to be queued',
      async () => {
        const r = await enqueueRun(cluster!.redis, cluster!.queue, cluster!.keys, c);
        return r.added ? r : undefined;
      },
      60_000,
      500,
    );
    const last = await waitFor(
      'the new run to finish',
      async () => {
        const l = await cluster!.lastRun('restarted');
        return l && l.jobId === queued.jobId && Date.parse(l.endedAt) >= since ? l : undefined;
      },
      60_000,
    );
    expect(last.status).toBe('succeeded');
    // The worker has let go of the DuckDB file once its job is done.
    await waitFor('the job to complete', async () =>
      (await (await cluster!.queue.getJob(queued.jobId))?.isCompleted()) ? true : undefined,
    );
    expect(w.child.exitCode).toBeNull();
    const db = join(dir, 'restarted-db.duckdb');
    expect(await dumpDuckDb(db, 'restarted')).toEqual(await cleanCopy('restarted'));
  });
});
