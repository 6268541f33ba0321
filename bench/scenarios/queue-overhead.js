// Scenario 11: queue overhead. Near-empty sync jobs (one Humaans stream of a few records, each connection into
// its own new DuckDB file) through the Redis queue, with 1 and then 2 `tributary worker` processes: jobs per
// second from the first enqueue to the last job's end. What a job costs beyond its sync's own work: the
// queue round trips, the fence, the lease, loading the connection and opening its destination.
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
import { cell, fmt, log, summarize } from '../lib.js';
import { startSim } from '../sim.js';

const until = waiter('queue', 20);

async function once(m, sim, jobs, workers, round) {
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-queue-'));
  const file = join(dir, 'tributary.yaml');
  const connections = Array.from({ length: jobs }, (_, i) => ({
    name: `e${i}`,
    connector: 'humaans',
    config: { api_token: 'sim-token', base_url: sim.baseUrl, initial_sync_days: 0 },
    destination: `duckdb:${join(dir, `e${i}.duckdb`)}`,
    streams: ['locations'],
  }));
  writeFileSync(file, JSON.stringify({ connections }));
  const prefix = `trbbench-queue-${process.pid}-${workers}-${round}`;
  const bq = openBenchQueue(m, prefix);
  const children = Array.from({ length: workers }, (_, i) => spawnWorker(file, prefix, `q${i}`));
  try {
    await workersReady(until, bq.queue, workers, 'the workers', 30_000);
    const t0 = await enqueueAll(m, bq, file);
    await allSucceeded(until, bq, jobs, 300_000);
    const seconds = (Date.now() - t0) / 1000;
    log(
      `  ${workers} worker(s), round ${round + 1}: ${jobs} jobs in ${fmt(seconds, 1)} s = ${fmt(jobs / seconds, 1)} jobs/s`,
    );
    return { jobsPerSec: jobs / seconds };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await bq.clear();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run({ quick, runs }) {
  const jobs = quick ? 10 : 40;
  const n = quick ? 1 : Math.min(runs, 2);
  log(`== 11 Queue overhead (${jobs} near-empty sync jobs, 1 and 2 worker processes, ${n} run(s))`);
  const m = await clusterModules();
  const sim = await startSim('humaans', { records: 10, seed: 41 });
  const by = {};
  try {
    for (const workers of [1, 2]) {
      const xs = [];
      for (let i = 0; i < n; i++) xs.push(await once(m, sim, jobs, workers, i));
      by[workers] = summarize(xs);
    }
  } finally {
    await sim.stop();
  }
  const section = `## 11. Queue overhead: near-empty sync jobs

${jobs} connections, each one Humaans stream of a few records into its own new DuckDB file, enqueued at once
(\`run\`) and run by 1, then 2, \`tributary worker\` processes (concurrency 1 each). Jobs per second from the first
enqueue to the last job's end: the queue, the fence and lease, loading the connection and connector, opening and
creating the destination, one request. Median of ${n} run(s), (min–max).

| workers | jobs/s |
|---|---|
| 1 | ${cell(by[1].jobsPerSec, 1)} |
| 2 | ${cell(by[2].jobsPerSec, 1)} |
`;
  const headline = [
    {
      scenario: '11 Queue overhead',
      metric: 'near-empty sync jobs/s, 1 worker',
      measured: fmt(by[1].jobsPerSec.median, 1),
      target: '—',
    },
    {
      scenario: '11 Queue overhead',
      metric: 'near-empty sync jobs/s, 2 workers',
      measured: fmt(by[2].jobsPerSec.median, 1),
      target: '—',
    },
  ];
  return { section, headline };
}
