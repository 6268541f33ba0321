/**
 * The cluster against the real Redis, with in-process workers (the same code `tributary worker` runs), the
 * Humaans simulator over HTTP and DuckDB files: a schedule fires, a second trigger is deduplicated, failures
 * retry or not and pause the connection, cancel stops a sync without a partial commit, and a locked DuckDB
 * file delays a job instead of failing it. Skipped without Redis (fails instead when CI=true).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelConnection } from '../../src/cluster/cancel.js';
import { enqueueRun } from '../../src/cluster/enqueue.js';
import { pauseInfo, resumeConnection } from '../../src/cluster/pause.js';
import { syncSchedulers } from '../../src/cluster/scheduler.js';
import { findConnection, loadConnectionsFile } from '../../src/connections/connections-file.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { silentLogger } from '../../src/util/log.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { redisReachable, testPrefix, waitFor } from '../helpers/redis.js';
import { clusterPerTest, writeConnections } from '../helpers/cluster.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn(
    'cluster tests skipped: no Redis at TRIBUTARY_TEST_REDIS_URL (default redis://127.0.0.1:6379)',
  );
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('cluster: scheduler, workers, run, cancel, pause', () => {
  let sim: SimulatorHandle;
  let slow: SimulatorHandle;
  let dir: string;
  const opened = clusterPerTest();

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 5, records: 120 });
    slow = await startHumaansSimulator({ seed: 6, records: 300, latencyMs: 100 });
    dir = tempDir('tributary-cluster-');
  });
  afterAll(async () => {
    await sim.close();
    await slow.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connection = (name: string, s: SimulatorHandle, extra: Record<string, unknown> = {}) => ({
    name,
    connector: 'humaans',
    config: {
      api_token: 'sim-token',
      base_url: s.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
      retry_attempts: 0,
    },
    destination: `duckdb:${join(dir, `${name}-db.duckdb`)}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
    ...extra,
  });

  async function setup(
    name: string,
    connections: Record<string, unknown>[],
    workerOpts: { batchRows?: number } = {},
  ) {
    const prefix = testPrefix(name);
    const cluster = opened.open(prefix);
    const file = writeConnections(tempDir(`tributary-${name}-`), connections);
    const worker = await opened.worker(cluster, file, workerOpts);
    return { file: loadConnectionsFile(file, process.env, { resolveSecrets: false }), cluster, worker };
  }

  it('an `every` schedule fires, runs the sync and records it; a connection gone from the file loses its scheduler', async () => {
    const { file, cluster } = await setup('schedule', [
      connection('sched', sim, { schedule: { every: '1s' } }),
    ]);
    const since = Date.now();
    const changes = await syncSchedulers(cluster.queue, file.connections);
    expect(changes).toEqual({ upserted: ['sched'], removed: [] });
    const first = await cluster.nextLastRun('sched', since);
    expect(first).toMatchObject({ status: 'succeeded', trigger: 'schedule', attempt: 1 });
    const second = await cluster.nextLastRun('sched', Date.parse(first.endedAt) + 1);
    expect(second.status).toBe('succeeded');
    expect(second.runId).not.toBe(first.runId);
    const rows = await queryDuckDb(
      join(dir, 'sched-db.duckdb'),
      'select count(*)::int as n from sched.people',
    );
    expect(rows[0]!.n).toBe(sim.records('people').length);
    const scheduler = await cluster.queue.getJobScheduler('sched');
    expect(scheduler?.every).toBe(1000);
    // On the multiples of the interval (every 1s: whole seconds).
    expect((scheduler?.next ?? 1) % 1000).toBe(0);

    expect(await syncSchedulers(cluster.queue, [])).toEqual({ upserted: [], removed: ['sched'] });
    expect(await cluster.queue.getJobScheduler('sched')).toBeUndefined();
  });

  it('a second `run` while one is pending or running adds nothing', async () => {
    const { file, cluster } = await setup('dedup', [connection('dup', slow)], { batchRows: 20 });
    const c = findConnection(file, 'dup');
    const first = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    expect(first.added).toBe(true);
    const again = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    expect(again).toMatchObject({ added: false, jobId: first.jobId });
    await waitFor('the sync to run', async () =>
      (await cluster.redis.hget(cluster.keys.running, 'dup')) ? true : undefined,
    );
    const whileRunning = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    expect(whileRunning).toMatchObject({ added: false, jobId: first.jobId, why: 'running' });
    const last = await cluster.nextLastRun('dup', 0, 60_000);
    expect(last.status).toBe('succeeded');
    // Exactly one run: one job ever, and one run row in the destination.
    const runs = await queryDuckDb(
      join(dir, 'dup-db.duckdb'),
      'select count(*)::int as n from dup._tributary_runs',
    );
    expect(runs[0]!.n).toBe(1);
    // Once it is done, a new run is accepted again.
    expect((await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c)).added).toBe(true);
    await cluster.nextLastRun('dup', Date.parse(last.endedAt) + 1, 60_000);
  });

  it('a rejected token is not retried; failed runs in a row pause the connection until resumed', async () => {
    const bad = connection('badtoken', sim, { retry: { attempts: 3, backoff: '1s', pauseAfter: 2 } });
    (bad.config as Record<string, unknown>).api_token = 'wrong-token';
    const { file, cluster } = await setup('pause', [bad]);
    const c = findConnection(file, 'badtoken');
    const first = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    const l1 = await cluster.nextLastRun('badtoken', 0);
    expect(l1).toMatchObject({ status: 'failed', attempt: 1, trigger: 'manual' });
    expect(l1.error).toMatch(/^\[TRB_AUTH\]/);
    expect(l1.error).not.toContain('wrong-token');
    const job = await waitFor('the job to fail', async () => {
      const j = await cluster.queue.getJob(first.jobId);
      return j && (await j.isFailed()) ? j : undefined;
    });
    // attempts: 3, but an auth error is UnrecoverableError: one attempt only.
    expect(job.attemptsMade).toBe(1);
    expect(await pauseInfo(cluster.redis, cluster.keys, 'badtoken')).toBeUndefined();

    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    await cluster.nextLastRun('badtoken', Date.parse(l1.endedAt) + 1);
    const paused = await waitFor('the pause', () => pauseInfo(cluster.redis, cluster.keys, 'badtoken'));
    expect(paused.reason).toMatch(/2 failed runs in a row; last: \[TRB_AUTH\]/);
    await expect(enqueueRun(cluster.redis, cluster.queue, cluster.keys, c)).rejects.toMatchObject({
      code: 'TRB_CONNECTION_PAUSED',
    });
    expect(await resumeConnection(cluster.redis, cluster.keys, 'badtoken')).toBe(true);
    expect((await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c)).added).toBe(true);
  });

  it('a transient failure is retried with backoff, as a `retry` run', async () => {
    const { file, cluster } = await setup('retry', [
      connection('flaky', sim, { retry: { attempts: 2, backoff: '1s', pauseAfter: 100 } }),
    ]);
    sim.setFaults({ rate: 1, kinds: ['500'] });
    try {
      const c = findConnection(file, 'flaky');
      const run = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
      const l1 = await cluster.nextLastRun('flaky', 0);
      expect(l1).toMatchObject({ status: 'failed', attempt: 1 });
      sim.setFaults(undefined);
      const l2 = await cluster.nextLastRun('flaky', Date.parse(l1.endedAt) + 1);
      expect(l2).toMatchObject({ status: 'succeeded', attempt: 2, trigger: 'retry' });
      expect(Date.parse(l2.startedAt) - Date.parse(l1.endedAt)).toBeGreaterThanOrEqual(900);
      const job = await cluster.queue.getJob(run.jobId);
      expect(await job?.isCompleted()).toBe(true);
      const rows = await queryDuckDb(
        join(dir, 'flaky-db.duckdb'),
        'select status, trigger, attempt::int as attempt from flaky._tributary_runs order by started_at',
      );
      expect(rows).toEqual([
        { status: 'failed', trigger: 'manual', attempt: 1 },
        { status: 'succeeded', trigger: 'retry', attempt: 2 },
      ]);
    } finally {
      sim.setFaults(undefined);
    }
  });

  it('cancel stops the running sync at its next page; committed batches stay, nothing partial, and the next run completes it exactly', async () => {
    const { file, cluster } = await setup('cancel', [connection('cxl', slow)], { batchRows: 20 });
    const c = findConnection(file, 'cxl');
    const db = join(dir, 'cxl-db.duckdb');
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    await waitFor('the sync to run', async () =>
      (await cluster.redis.hget(cluster.keys.running, 'cxl')) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 800));
    const sent = Date.now();
    expect((await cancelConnection(cluster.redis, cluster.queue, cluster.keys, 'cxl')).cancelled).toBe(
      'running',
    );
    const l = await cluster.nextLastRun('cxl', 0);
    expect(l.status).toBe('cancelled');
    expect(l.error).toMatch(/^\[TRB_CANCELLED\]/);
    // "At its next page": well before the ~3 s the slow simulator needs for the whole sync.
    expect(Date.parse(l.endedAt) - sent).toBeLessThan(1500);
    const runs = await queryDuckDb(db, 'select status, error from cxl._tributary_runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('failed');
    expect(String(runs[0]!.error)).toContain('TRB_CANCELLED');
    const partial = await queryDuckDb(db, 'select count(*)::int as n from cxl.documents');
    expect(partial[0]!.n).toBeLessThan(slow.records('documents').length);
    // Every committed row is a whole batch with its state: the next run resumes and lands an exact copy.
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    expect((await cluster.nextLastRun('cxl', Date.parse(l.endedAt) + 1, 60_000)).status).toBe('succeeded');
    const clean = join(dir, 'cxl-clean.duckdb');
    const cleanFile = writeConnections(tempDir('tributary-cxl-clean-'), [
      { ...connection('cxl', slow), destination: `duckdb:${clean}` },
    ]);
    const cleanConn = findConnection(
      loadConnectionsFile(cleanFile, process.env, { resolveSecrets: false }),
      'cxl',
    );
    // The clean copy goes through a second worker prefix-free path: the same runConnection, directly.
    const { runConnection } = await import('../../src/cluster/run-connection.js');
    const { resolveConnection } = await import('../../src/connections/connections-file.js');
    expect((await runConnection(resolveConnection(cleanConn), { logger: silentLogger })).status).toBe(
      'succeeded',
    );
    expect(await dumpDuckDb(db, 'cxl')).toEqual(await dumpDuckDb(clean, 'cxl'));
  });

  it('a job whose DuckDB file another process holds is delayed, not failed, and runs once the file is free', async () => {
    const { file, cluster } = await setup('locked', [connection('lck', sim)]);
    const db = join(dir, 'lck-db.duckdb');
    const holder = await holdDuckDbFile(db);
    let released = false;
    try {
      const run = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, findConnection(file, 'lck'));
      await waitFor('the job to be delayed', async () =>
        (await cluster.queue.getJob(run.jobId))?.isDelayed() ? true : undefined,
      );
      const job = await cluster.queue.getJob(run.jobId);
      expect(await job?.isFailed()).toBe(false);
      holder.kill('SIGKILL');
      released = true;
      const l = await cluster.nextLastRun('lck', 0);
      expect(l.status).toBe('succeeded');
      expect(await (await cluster.queue.getJob(run.jobId))?.isCompleted()).toBe(true);
    } finally {
      if (!released) holder.kill('SIGKILL');
    }
  });
});

/** A child process that holds the DuckDB file at `path` open (DuckDB's per-process file lock). */
async function holdDuckDbFile(path: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.argv[1]).then(async (db) => {
      await db.connect();
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    }, (err) => { console.error(err.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}
