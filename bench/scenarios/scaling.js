// Scenario 12: CPU-bound scaling across worker processes. Four Humaans connections of N records each into
// PostgreSQL (a schema each), no latency and no rate limit, run by 1 and then 2 `tributary worker` processes
// (concurrency 1 each), alternating 1 2 1 2. Records per second from the first `run` to the last job's end. On
// this 2-core machine the simulator (its own process) and PostgreSQL share the cores with the workers, so the
// ratio says how much a second worker process buys when the work is parsing and writing, not waiting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allSucceeded,
  clusterModules,
  enqueueAll,
  openBenchQueue,
  spawnWorker,
  waiter,
  workersReady,
} from '../cluster.js';
import { cell, cliNodeFlags, fmt, interleave, log, summarize } from '../lib.js';
import { startSim } from '../sim.js';
import { dropSchema, PG_URL } from './postgres.js';

const CONNECTIONS = 4;
const until = waiter('scaling', 25);

async function once(m, sim, workers, round) {
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-scaling-'));
  const file = join(dir, 'tributary.yaml');
  const tag = `${process.pid}_${workers}_${round}`;
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => ({
    name: `s${i}`,
    connector: 'humaans',
    config: {
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 250,
    },
    destination: PG_URL,
    namespace: `trbbench_scaling_${tag}_${i}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
  }));
  writeFileSync(file, JSON.stringify({ connections }));
  const prefix = `trbbench-scaling-${tag}`;
  const bq = openBenchQueue(m, prefix);
  const children = Array.from({ length: workers }, (_, i) =>
    spawnWorker(file, prefix, `c${i}`, { nodeArgs: cliNodeFlags() }),
  );
  try {
    await workersReady(until, bq.queue, workers, 'the workers', 30_000);
    const t0 = await enqueueAll(m, bq, file);
    const done = await allSucceeded(until, bq, CONNECTIONS, 600_000);
    const seconds = (Date.now() - t0) / 1000;
    const rows = done.reduce((a, l) => a + (l.records ?? 0), 0);
    log(
      `  ${workers} worker(s), round ${round + 1}: ${fmt(rows)} records in ${fmt(seconds, 1)} s = ${fmt(rows / seconds)} records/s`,
    );
    return { recordsPerSec: rows / seconds, seconds };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await bq.clear();
    for (const c of connections) await dropSchema(c.namespace);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run({ quick, runs }) {
  const records = quick ? 3_000 : 40_000;
  const n = quick ? 1 : runs;
  log(
    `== 12 Scaling (${CONNECTIONS} Humaans connections × ${fmt(records)} records into PostgreSQL, 1 vs 2 worker processes, ${n} run(s) each)`,
  );
  const m = await clusterModules();
  const sim = await startSim('humaans', { records, seed: 12 });
  let by;
  try {
    by = await interleave(n, { 1: (i) => once(m, sim, 1, i), 2: (i) => once(m, sim, 2, i) });
  } finally {
    await sim.stop();
  }
  const s1 = summarize(by[1]);
  const s2 = summarize(by[2]);
  const ratio = s2.recordsPerSec.median / s1.recordsPerSec.median;
  const section = `## 12. Scaling: 1 and 2 worker processes, CPU-bound

${CONNECTIONS} Humaans connections (${fmt(records)} documents each, plus the smaller streams; 250 a page) into PostgreSQL, a schema
each, enqueued at once (\`run\`); the simulator answers at once in its own process and enforces no rate limit, so
the work is parsing pages and writing rows. Run by 1, then 2, \`tributary worker\` processes (concurrency 1 each),
alternating. Records per second from the first enqueue to the last sync's end. The machine's 2 cores also run the
simulator and PostgreSQL. Median of ${n} run(s) each, (min–max).

| workers | records/s | wall (s) |
|---|---|---|
| 1 | ${cell(s1.recordsPerSec)} | ${cell(s1.seconds, 1)} |
| 2 | ${cell(s2.recordsPerSec)} (${fmt(ratio, 2)}×) | ${cell(s2.seconds, 1)} |
`;
  const headline = [
    {
      scenario: '12 Scaling',
      metric: 'records/s, 2 workers vs 1 (CPU-bound, 2 cores)',
      measured: `${fmt(ratio, 2)}×`,
      target: '—',
    },
  ];
  return { section, headline };
}
