// Scenario 10: recovery from a killed worker. Two `tributary worker` processes share a queue in Redis; a
// Humaans connection is synced (simulator in its own process, 60 ms latency, a commit every 50 rows) and the
// worker running it is SIGKILLed mid-sync, at a different point each time. Measured: the time from the kill to
// the job running again on the other worker (the bound is lockDuration + stalledInterval, here 2 s + 1 s, plus
// the pick-up), and whether the destination is then an exact copy of a clean sync (same rows, none twice).
import { rmSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { clusterModules, openBenchQueue, spawnWorker, waiter, workersReady } from '../cluster.js';
import { cell, fmt, log, runMeasured, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';

const LOCK_MS = 2000;
const STALLED_MS = 1000;
const until = waiter('recovery', 20);

/** Every stream table as sorted JSON rows, without the per-run columns. */
async function dump(path, schema) {
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  try {
    const tables = (
      await conn.runAndReadAll(
        `select table_name from information_schema.tables where table_schema = '${schema}' and table_name not like '\\_tributary%' escape '\\' order by 1`,
      )
    ).getRowObjects();
    const out = {};
    for (const { table_name: t } of tables) {
      const cols = (
        await conn.runAndReadAll(
          `select column_name from information_schema.columns where table_schema = '${schema}' and table_name = '${t}' and column_name not in ('_tributary_synced_at', '_tributary_pass', 'timestamp') order by 1`,
        )
      )
        .getRowObjects()
        .map((r) => `"${r.column_name}"`);
      const rows = (
        await conn.runAndReadAll(`select ${cols.join(', ')} from "${schema}"."${t}"`)
      ).getRowObjectsJson();
      out[t] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return JSON.stringify(out);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function startWorker(file, prefix, name) {
  return spawnWorker(file, prefix, name, {
    args: [
      '--lock-duration',
      String(LOCK_MS),
      '--stalled-interval',
      String(STALLED_MS),
      '--batch-rows',
      '50',
    ],
  });
}

export async function run({ quick }) {
  const kills = quick ? 3 : 10;
  const records = quick ? 1000 : 2000;
  log(
    `== 10 Recovery (${kills} SIGKILLs of the worker running a sync, 2 workers, lock ${LOCK_MS} ms + stalled check ${STALLED_MS} ms)`,
  );
  const m = await clusterModules();
  const { enqueueRun, loadConnectionsFile, findConnection } = m;
  const sim = await startSim('humaans', { records, seed: 31, latencyMs: 60 });
  const prefix = `trbbench-recovery-${process.pid}`;
  const bq = openBenchQueue(m, prefix);
  const { keys, redis, queue } = bq;
  const file = tempFile('tributary.yaml');
  const connection = (dest) => ({
    name: 'rec',
    connector: 'humaans',
    config: { api_token: 'sim-token', base_url: sim.baseUrl, initial_sync_days: 0, max_records_per_page: 25 },
    destination: `duckdb:${dest}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
  });
  const workers = new Map();
  const files = [];
  const results = [];
  try {
    const ref = tempFile('ref.duckdb');
    files.push(ref);
    writeFileSync(file, JSON.stringify({ connections: [connection(ref)] }));
    const clean = await runMeasured(['sync', '--connection', 'rec', '--file', file, '--json']);
    if (clean.code !== 0) throw new Error(`clean sync failed: ${clean.stderr.slice(-2000)}`);
    const expected = await dump(ref, 'rec');
    for (const name of ['w1', 'w2']) workers.set(name, startWorker(file, prefix, name));
    await workersReady(until, queue, 2, 'two workers');
    for (let i = 0; i < kills; i++) {
      const dest = tempFile(`kill-${i}.duckdb`);
      files.push(dest);
      writeFileSync(file, JSON.stringify({ connections: [connection(dest)] }));
      const since = Date.now();
      await enqueueRun(
        redis,
        queue,
        keys,
        findConnection(loadConnectionsFile(file, process.env, { resolveSecrets: false }), 'rec'),
      );
      const running = await until('the sync to start', async () => {
        const raw = await redis.hget(keys.running, 'rec');
        return raw ? JSON.parse(raw) : undefined;
      });
      // A different point of the sync each time: 0.2 s to 1 s in.
      await new Promise((r) => setTimeout(r, 200 + ((i * 97) % 800)));
      if ((await redis.hget(keys.running, 'rec')) === null) throw new Error('the sync ended before the kill');
      const victim = running.worker;
      const survivor = victim === 'w1' ? 'w2' : 'w1';
      const killedAt = Date.now();
      workers.get(victim).kill('SIGKILL');
      const resumed = await until('the job to resume', async () => {
        const raw = await redis.hget(keys.running, 'rec');
        const r = raw ? JSON.parse(raw) : undefined;
        return r?.worker === survivor ? r : undefined;
      });
      const resumedMs = Date.parse(resumed.since) - killedAt;
      workers.set(victim, startWorker(file, prefix, victim));
      const last = await until(
        'the sync to finish',
        async () => {
          const raw = await redis.hget(keys.lastRun, 'rec');
          const l = raw ? JSON.parse(raw) : undefined;
          return l && Date.parse(l.endedAt) >= since ? l : undefined;
        },
        120_000,
      );
      const exact = last.status === 'succeeded' && (await dump(dest, 'rec')) === expected;
      log(
        `  kill ${i + 1}: resumed on ${survivor} after ${fmt(resumedMs)} ms; ${exact ? 'exact copy' : 'NOT EXACT'}`,
      );
      results.push({ resumedMs, exact: exact ? 1 : 0 });
      await workersReady(until, queue, 2, 'both workers');
    }
  } finally {
    for (const w of workers.values()) w.kill('SIGKILL');
    await bq.clear();
    await sim.stop();
    for (const f of files) rmSync(f, { force: true });
    rmSync(file, { force: true });
  }
  const s = summarize(results.map((r) => ({ resumedMs: r.resumedMs })));
  const exact = results.filter((r) => r.exact).length;
  const bound = LOCK_MS + STALLED_MS;
  const section = `## 10. Recovery: a worker SIGKILLed mid-sync

Two \`tributary worker\` processes (\`--lock-duration ${LOCK_MS} --stalled-interval ${STALLED_MS}\`); a Humaans connection
(${fmt(records)} records, 25 a page, 60 ms latency, a commit every 50 rows) into DuckDB. The worker running the sync is
SIGKILLed 0.2–1 s in, ${kills} times; the other worker resumes the job from the last committed checkpoint. Time
from the kill to the job running again, and an exact copy each time (every table equal to a clean sync's,
row for row, without the per-run columns and the simulator's clock field \`timestamp\`).

| kills | kill → resumed (ms) | bound (lock + stalled check) | exact copies |
|---|---|---|---|
| ${kills} | ${cell(s.resumedMs)} | ${fmt(bound)} ms | ${exact}/${kills} |
`;
  const headline = [
    {
      scenario: '10 Recovery',
      metric: 'kill → resumed elsewhere (worst)',
      measured: `${fmt(s.resumedMs.max)} ms`,
      target: `≤ ${fmt(bound)} ms + pick-up`,
      met: s.resumedMs.max <= bound + 1000,
    },
    {
      scenario: '10 Recovery',
      metric: 'exact copies',
      measured: `${exact}/${kills}`,
      target: 'all',
      met: exact === kills,
    },
  ];
  return { section, headline };
}
