/**
 * What the workers record for the dashboard (src/cluster/dashboard-data.ts), against the real Redis, real
 * in-process workers, the Humaans simulator over HTTP and DuckDB files: a sync's run record carries the same
 * per-stream numbers as the run's summary in `_tributary_runs`, its log lines, live progress, stream rows
 * and budget minutes appear; no key holds the secret; a reset-state job waits for the running sync and
 * resets only its stream; a full-refresh job re-reads; a paused connection's scheduled runs are skipped.
 * Skipped without Redis (fails instead when CI=true).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enqueueRun,
  type LiveRun,
  nextRuns,
  pauseConnection,
  readBudgets,
  readLive,
  readRun,
  readRunLog,
  readRuns,
  readStreamStatus,
  resumeConnection,
  type RunRecord,
  subscribeLive,
} from '../../src/cluster/dashboard-data.js';
import { openRedis } from '../../src/cluster/redis-connection.js';
import { syncSchedulers } from '../../src/cluster/scheduler.js';
import { findConnection, loadConnectionsFile } from '../../src/connections/connections-file.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { clusterPerTest, type TestCluster, writeConnections } from '../helpers/cluster.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { keysUnder, redisReachable, testPrefix, waitFor } from '../helpers/redis.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn(
    'dashboard data tests skipped: no Redis at TRIBUTARY_TEST_REDIS_URL (default redis://127.0.0.1:6379)',
  );
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

/** The credential the simulator accepts; it must appear in no key the cluster writes. */
const SECRET = 'dash-secret-7f3a9c41e2';

describeRedis('cluster: what the workers record for the dashboard', () => {
  let sim: SimulatorHandle;
  let slow: SimulatorHandle;
  let dir: string;
  const opened = clusterPerTest();

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 11, records: 120, token: SECRET });
    slow = await startHumaansSimulator({ seed: 12, records: 300, latencyMs: 60, token: SECRET });
    dir = tempDir('tributary-dash-');
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
      // From the worker's environment, as in production: the file holds no secret.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference, on purpose
      api_token: '${DASH_TEST_TOKEN}',
      base_url: s.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
      retry_attempts: 3,
      requests_per_minute: 6000,
    },
    destination: `duckdb:${join(dir, `${name}-db.duckdb`)}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
    ...extra,
  });

  async function setup(name: string, connections: Record<string, unknown>[]) {
    const prefix = testPrefix(name);
    const cluster = opened.open(prefix);
    const file = writeConnections(tempDir(`tributary-${name}-`), connections);
    const worker = await opened.worker(cluster, file, {
      lockedDelayMs: 300,
      env: { ...process.env, DASH_TEST_TOKEN: SECRET },
    });
    return { file: loadConnectionsFile(file, process.env, { resolveSecrets: false }), cluster, worker };
  }

  /** The connection's newest run record once there are `n` of them. */
  const nthRun = (c: TestCluster, name: string, n: number, timeoutMs = 60_000) =>
    waitFor(
      `run ${n} of ${name} in the history`,
      async () => {
        const runs = await readRuns(c.redis, c.keys, name, 100);
        return runs.length >= n ? runs[0] : undefined;
      },
      timeoutMs,
    );

  it('a sync lands in the history with the summary numbers, its log, live progress, stream rows and budget minutes; no key holds the secret', async () => {
    const { file, cluster } = await setup('hist', [connection('dash', sim)]);
    const live: LiveRun[] = [];
    const unsubscribe = subscribeLive(
      () => openRedis({ url: cluster.url, prefix: cluster.prefix }),
      cluster.keys,
      (r) => live.push(r),
    );
    sim.resetStats();
    // Two 429s (Retry-After 1 s): retried, counted per stream and in the budget's minutes.
    sim.failNext(2, '429');
    try {
      await new Promise((r) => setTimeout(r, 100)); // let the subscription reach Redis (no message is lost after)
      await enqueueRun(cluster.redis, cluster.queue, cluster.keys, findConnection(file, 'dash'));
      const run = await nthRun(cluster, 'dash', 1);
      expect(run).toMatchObject({ connection: 'dash', kind: 'sync', status: 'succeeded', trigger: 'manual' });
      expect(run.attempt).toBe(1);

      // The same numbers as the run's summary the engine recorded in the destination.
      const db = join(dir, 'dash-db.duckdb');
      const [row] = await queryDuckDb(
        db,
        `select run_id, records_written::int as n, summary from dash._tributary_runs where status = 'succeeded'`,
      );
      expect(row!.run_id).toBe(run.runId);
      expect(run.records).toBe(row!.n);
      const summary = JSON.parse(String(row!.summary)) as {
        stream: string;
        upserts: number;
        pages: number;
        requests: number;
        soft_deletes: number;
      }[];
      expect(
        run.streams.map((s) => ({
          stream: s.stream,
          upserts: s.upserts,
          pages: s.pages,
          requests: s.requests,
          soft_deletes: s.softDeletes,
        })),
      ).toEqual(
        summary.map((s) => ({
          stream: s.stream,
          upserts: s.upserts,
          pages: s.pages,
          requests: s.requests,
          soft_deletes: s.soft_deletes,
        })),
      );
      expect(run.streams.reduce((a, s) => a + s.http429, 0)).toBe(2);
      expect(run.records).toBe(sim.streams().reduce((a, s) => a + sim.records(s).length, 0));
      expect(await readRun(cluster.redis, cluster.keys, run.runId)).toEqual(run);

      // The run's log lines, redacted JSON, filed under its id.
      const log = await readRunLog(cluster.redis, cluster.keys, run.runId);
      expect(log.find((l) => l.msg === 'sync started')).toMatchObject({ runId: run.runId, job: run.jobId });
      expect(log.some((l) => l.msg === 'sync job succeeded')).toBe(true);
      expect(log.filter((l) => String(l.msg).startsWith('HTTP 429 despite the rate budget')).length).toBe(2);

      // Live: updates arrived while it ran, and the final snapshot has the run's numbers.
      const final = await waitFor('the final live update', async () =>
        live.find((l) => l.outcome === 'succeeded'),
      );
      expect(live.some((l) => !l.outcome && l.streams.some((s) => s.records > 0))).toBe(true);
      expect(final.runId).toBe(run.runId);
      expect(Object.fromEntries(final.streams.map((s) => [s.stream, s.records]))).toEqual(
        Object.fromEntries(run.streams.map((s) => [s.stream, s.records])),
      );
      expect(await readLive(cluster.redis, cluster.keys, 'dash')).toMatchObject({ outcome: 'succeeded' });
      expect((await readLive(cluster.redis, cluster.keys)).map((l) => l.connection)).toEqual(['dash']);

      // Stream rows: row counts and positions read from the destination at the run's end.
      const streams = await readStreamStatus(cluster.redis, cluster.keys, 'dash');
      expect(streams.map((s) => s.stream)).toEqual(sim.streams().slice().sort());
      for (const s of streams) {
        const [count] = await queryDuckDb(db, `select count(*)::int as n from dash.${s.stream}`);
        expect(s.rows, s.stream).toBe(count!.n);
        expect(s.rows, s.stream).toBe(sim.records(s.stream).length);
        expect(s.complete, s.stream).toBe(true);
        expect(s.lastRunId).toBe(run.runId);
        expect(s.lastError).toBeUndefined();
      }

      // Budget minutes: every request the summary counts, the 429s, the limit; named by its connection.
      const budgets = await readBudgets(cluster.redis, cluster.keys);
      expect(budgets).toHaveLength(1);
      expect(budgets[0]!.connections).toEqual(['dash']);
      expect(budgets[0]!.label).toBe('credential of dash');
      expect(budgets[0]!.limit).toBe(6000);
      expect(budgets[0]!.minutes).toHaveLength(60);
      expect(budgets[0]!.totals.requests).toBe(run.streams.reduce((a, s) => a + s.requests, 0));
      expect(budgets[0]!.totals.requests).toBe(sim.requestCount());
      expect(budgets[0]!.totals.http429).toBe(2);
      expect(budgets[0]!.totals.waitMs).toBeGreaterThan(0); // the 429's 1 s pause

      // No key under the prefix holds the secret (every kind of value, BullMQ's own keys included).
      expect(await secretIn(cluster.redis, cluster.prefix)).toEqual([]);
      // The scan does find a secret where there is one.
      await cluster.redis.set(`${cluster.prefix}:probe`, `token=${SECRET}`);
      expect(await secretIn(cluster.redis, cluster.prefix)).toEqual([`${cluster.prefix}:probe`]);
    } finally {
      await unsubscribe();
    }
  });

  it('a reset-state job waits for the running sync, then resets only its stream; a full-refresh job re-reads', async () => {
    const { file, cluster } = await setup('reset', [connection('rs', slow)]);
    const c = findConnection(file, 'rs');
    const db = join(dir, 'rs-db.duckdb');
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    await nthRun(cluster, 'rs', 1);
    const statesBefore = await queryDuckDb(db, 'select stream from rs._tributary_state order by stream');
    expect(statesBefore.length).toBe(slow.streams().length);

    // A second sync runs (and holds the DuckDB file) when the reset is asked for: the reset waits its turn.
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c);
    await waitFor('the second sync to run', async () =>
      (await readLive(cluster.redis, cluster.keys, 'rs'))?.outcome === undefined &&
      (await cluster.redis.hget(cluster.keys.running, 'rs'))
        ? true
        : undefined,
    );
    const reset = await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c, {
      resetState: true,
      streams: ['people'],
    });
    expect(reset.added).toBe(true);
    const resetRun = await waitFor(
      'the reset in the history',
      async () => (await readRuns(cluster.redis, cluster.keys, 'rs')).find((r) => r.kind === 'reset-state'),
      60_000,
    );
    const runs = await readRuns(cluster.redis, cluster.keys, 'rs');
    const second = runs.find((r) => r.kind === 'sync' && r.runId !== runs.at(-1)!.runId) as RunRecord;
    expect(resetRun).toMatchObject({ status: 'succeeded', requestedStreams: ['people'], records: 0 });
    expect(Date.parse(resetRun.startedAt)).toBeGreaterThanOrEqual(Date.parse(second.endedAt));
    const statesAfter = await queryDuckDb(db, 'select stream from rs._tributary_state order by stream');
    expect(statesAfter.map((r) => r.stream)).toEqual(
      statesBefore.map((r) => r.stream).filter((s) => s !== 'people'),
    );
    const people = (await readStreamStatus(cluster.redis, cluster.keys, 'rs')).find(
      (s) => s.stream === 'people',
    );
    expect(people?.position).toMatch(/^no state/);

    // Full refresh of one stream: only it is read, from the start, every record again.
    slow.resetStats();
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, c, {
      fullRefresh: true,
      streams: ['locations'],
    });
    const refresh = await nthRun(cluster, 'rs', 4);
    expect(refresh).toMatchObject({ kind: 'sync', status: 'succeeded', fullRefresh: true });
    expect(refresh.streams.map((s) => [s.stream, s.mode])).toEqual([['locations', 'full_refresh']]);
    expect(refresh.streams[0]!.records).toBe(slow.records('locations').length);
    expect(slow.requestCount('people')).toBe(0);
  });

  it('a paused connection skips its scheduled runs until resumed; one that cannot start is in the history', async () => {
    const broken = connection('broken', sim);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference, on purpose
    (broken.config as Record<string, unknown>).api_token = '${DASH_TEST_UNSET_VARIABLE}';
    const { file, cluster } = await setup('paused', [
      connection('sched', sim, { schedule: { every: '1s' } }),
      broken,
    ]);
    await enqueueRun(cluster.redis, cluster.queue, cluster.keys, findConnection(file, 'broken'));
    const failed = await nthRun(cluster, 'broken', 1);
    expect(failed).toMatchObject({ status: 'failed', kind: 'sync', records: 0, streams: [] });
    expect(failed.error).toMatchObject({ code: 'TRB_CONNECTIONS_INVALID', exitCode: 2 });
    expect(failed.error?.message).toContain('DASH_TEST_UNSET_VARIABLE');
    expect(failed.error?.hint).toBeTruthy();
    expect((await readRunLog(cluster.redis, cluster.keys, failed.runId)).map((l) => l.msg)).toEqual([
      'cannot run the connection',
    ]);
    expect(await pauseConnection(cluster.redis, cluster.keys, 'sched', 'maintenance')).toBe(true);
    expect(await pauseConnection(cluster.redis, cluster.keys, 'sched', 'again')).toBe(false);
    const [next] = nextRuns(file.connections, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 500)));
    expect(next).toMatchObject({ connection: 'sched', schedule: 'every second' });
    expect(next!.at?.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    await syncSchedulers(cluster.queue, file.connections);
    const skipped = await waitFor('two skipped scheduled jobs', async () => {
      const done = await cluster.queue.getCompleted();
      const s = done.filter((j) => j.returnvalue?.outcome === 'skipped');
      return s.length >= 2 ? s : undefined;
    });
    expect(skipped[0]!.returnvalue).toEqual({ outcome: 'skipped', reason: 'paused: maintenance' });
    expect(await readRuns(cluster.redis, cluster.keys, 'sched')).toEqual([]);
    expect(await cluster.lastRun('sched')).toBeUndefined();
    // A skipped job is not a run: no log of it is kept (only the broken connection's run has one).
    const logs = (await keysUnder(cluster.redis, cluster.prefix)).filter((k) => k.includes(':run-log:'));
    expect(logs).toEqual([cluster.keys.runLog(failed.runId)]);
    expect(await resumeConnection(cluster.redis, cluster.keys, 'sched')).toBe(true);
    const run = await nthRun(cluster, 'sched', 1);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'schedule' });
    await syncSchedulers(cluster.queue, []);
  });
});

/** Keys under `prefix` whose value (of any type) contains SECRET. */
async function secretIn(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const keys = await keysUnder(redis, prefix);
  expect(keys.length).toBeGreaterThan(10);
  for (const key of keys) {
    const type = await redis.type(key);
    let text = '';
    if (type === 'string') text = (await redis.get(key)) ?? '';
    else if (type === 'list') text = (await redis.lrange(key, 0, -1)).join('\n');
    else if (type === 'hash') text = JSON.stringify(await redis.hgetall(key));
    else if (type === 'set') text = (await redis.smembers(key)).join('\n');
    else if (type === 'zset') text = (await redis.zrange(key, '0', '-1')).join('\n');
    else if (type === 'stream') text = JSON.stringify(await redis.xrange(key, '-', '+'));
    if (`${key}\n${text}`.includes(SECRET)) found.push(key);
  }
  return found;
}
