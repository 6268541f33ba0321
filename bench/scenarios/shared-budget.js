// Scenario 9: one rate budget shared by several processes. N `tributary worker` processes (concurrency 1 each),
// fed by `tributary run` from one connections file, drain six Hellobaton connections that all use ONE API key, against a simulator that enforces
// 1,000 requests/min per key (sliding window, 429 + Retry-After) and answers after 200 ms. Each process
// alone would spend the whole limit; sharing the budget through Redis, together they must stay under it.
// Measured server side: requests per sliding minute (a series), the busiest minute, the share used, 429s.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allSucceeded, clearKeys, clusterModules, REDIS_URL, spawnWorker, waiter } from '../cluster.js';
import { cell, fmt, log, runMeasured, summarize } from '../lib.js';
import { startSim } from '../sim.js';

const RPM = 1000;
const WORKERS = 4;
const CONNECTIONS = 6;
const until = waiter('shared-budget', 50);

/** Largest number of sorted times inside any window [t, t + ms). */
function maxInWindow(sorted, ms) {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Requests in the minute ending at each `stepMs` from the first full minute on. */
function slidingSeries(sorted, stepMs) {
  const out = [];
  if (!sorted.length) return out;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  for (let end = first + 60_000; end <= last + stepMs; end += stepMs)
    out.push({ s: (end - first) / 1000, n: sorted.filter((t) => t >= end - 60_000 && t < end).length });
  return out;
}

async function once(runIndex, records) {
  // A key and a simulator of their own per run, so no budget state or sliding window of an earlier run counts.
  const key = `bench-shared-${process.pid}-${runIndex}`;
  const sim = await startSim('hellobaton', {
    records,
    seed: 9,
    token: key,
    latencyMs: 200,
    rateLimitPerMinute: RPM,
  });
  try {
    return await measure(sim, key, runIndex, records);
  } finally {
    await sim.stop();
  }
}

async function measure(sim, key, runIndex, records) {
  const m = await clusterModules();
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-shared-'));
  const file = join(dir, 'tributary.yaml');
  // Six accounts, one key: the key comes from the workers' environment, as a secret would.
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => ({
    name: `hb${i}`,
    connector: 'hellobaton',
    config: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a connections-file ${ENV} reference
      api_key: '${BENCH_BATON_KEY}',
      company: `c${i}`,
      base_url: sim.baseUrl,
      requests_per_minute: RPM,
    },
    destination: `duckdb:${join(dir, `hb${i}.duckdb`)}`,
    retry: { attempts: 1, backoff: '1s', pauseAfter: 100 },
  }));
  writeFileSync(file, JSON.stringify({ connections }));
  const prefix = `trbbench-shared-${process.pid}-${runIndex}`;
  const keys = new m.ClusterKeys(prefix);
  const redis = m.openRedis({ url: REDIS_URL, prefix });
  const cluster = ['--file', file, '--redis', REDIS_URL, '--prefix', prefix];
  const children = Array.from({ length: WORKERS }, (_, i) =>
    spawnWorker(file, prefix, `w${i}`, { env: { BENCH_BATON_KEY: key } }),
  );
  try {
    const t0 = Date.now();
    // `tributary run` for each connection, as an operator (or `serve`'s schedules) would trigger them.
    for (const c of connections) {
      const r = await runMeasured(['run', c.name, ...cluster]);
      if (r.code !== 0) throw new Error(`run ${c.name} failed: ${r.stderr.slice(-2000)}`);
    }
    const done = await allSucceeded(until, { redis, keys }, CONNECTIONS, 600_000);
    const wallMs = Date.now() - t0;
    for (const l of done)
      if ((l.records ?? 0) < records) throw new Error(`a connection read ${l.records} of ${records} records`);
    const workersUsed = new Set(done.map((l) => l.worker)).size;
    const { served, http429 } = await sim.requestTimes();
    const times = [...served].sort((a, b) => a - b);
    const spanMin = (times[times.length - 1] - times[0]) / 60_000;
    const busiest = maxInWindow(times, 60_000);
    // The share used: requests over the span they took, against the limit (a run under a minute: its rate).
    const perMin = times.length / spanMin;
    const x = {
      requests: times.length,
      busiest,
      perMin,
      share: (100 * perMin) / RPM,
      http429,
      wall: wallMs / 1000,
      workersUsed,
    };
    const series = slidingSeries(times, 10_000);
    log(
      `  run ${runIndex + 1}: ${times.length} requests in ${fmt(spanMin * 60, 1)} s on ${workersUsed} workers, busiest sliding minute ${busiest}, ` +
        `${fmt(perMin)}/min (${fmt(x.share, 1)}% of ${RPM}), 429s ${http429}`,
    );
    return { x, series };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await clearKeys(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run({ quick, runs }) {
  // Per connection: `records` rows over 17 streams, 100 a page. Full: ~2,100 requests in all, over two minutes.
  const records = quick ? 5_000 : 33_000;
  const n = quick ? 1 : Math.min(runs, 2);
  log(
    `== 9 Shared budget (${WORKERS} worker processes × ${CONNECTIONS} Hellobaton connections, one key, ${RPM}/min enforced, 200 ms latency, ${n} run(s))`,
  );
  const xs = [];
  let series = [];
  for (let i = 0; i < n; i++) {
    const r = await once(i, records);
    xs.push(r.x);
    series = r.series;
  }
  const s = summarize(xs);
  const section = `## 9. Shared budget: ${WORKERS} worker processes, ${CONNECTIONS} connections, one key

${WORKERS} \`tributary worker\` processes (concurrency 1 each), fed by \`tributary run\` from one connections file, drain ${CONNECTIONS} Hellobaton connections (${fmt(records)} records over
17 streams each) that all use one API key, so one budget in Redis (\`trb:budget:<hash of the key>\`). The simulator
enforces ${fmt(RPM)} requests/min per key (sliding window, 429 + Retry-After) and answers after 200 ms. Counted server
side. Median of ${n} run(s), (min–max).

| workers that ran a sync | requests | busiest sliding minute | requests/min over the run | share of the limit | 429s | wall (s) |
|---|---|---|---|---|---|---|
| ${cell(s.workersUsed)} | ${cell(s.requests)} | ${cell(s.busiest)} | ${cell(s.perMin)} | ${cell(s.share, 1)}% | ${fmt(s.http429.max)} | ${cell(s.wall, 1)} |

Requests per sliding minute (last run; the minute ending at each time since the first request):
${series.length ? series.map((p) => `${fmt(p.s)} s: ${p.n}`).join(' · ') : 'the run was shorter than a minute'}
`;
  const headline = [
    {
      scenario: '9 Shared budget',
      metric: 'busiest sliding minute (worst run)',
      measured: fmt(s.busiest.max),
      target: `≤ ${fmt(RPM)}`,
      met: s.busiest.max <= RPM,
    },
    {
      scenario: '9 Shared budget',
      metric: 'share of the limit used',
      measured: `${fmt(s.share.median, 1)}%`,
      target: '≥ 90%',
      met: s.share.median >= 90,
    },
    {
      scenario: '9 Shared budget',
      metric: '429 responses (worst run)',
      measured: fmt(s.http429.max),
      target: '0',
      met: s.http429.max === 0,
    },
  ];
  return { section, headline };
}
