// Scenario 9: one rate budget shared by several processes. N plain `tributary sync --redis` processes (the
// "workers") drain six Hellobaton connections that all use ONE API key, against a simulator that enforces
// 1,000 requests/min per key (sliding window, 429 + Retry-After) and answers after 200 ms. Each process
// alone would spend the whole limit; sharing the budget through Redis, together they must stay under it.
// Measured server side: requests per sliding minute (a series), the busiest minute, the share used, 429s.
import { rmSync } from 'node:fs';
import { cell, fmt, log, runMeasured, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';

const RPM = 1000;
const WORKERS = 4;
const CONNECTIONS = 6;
const REDIS_URL = process.env.TRIBUTARY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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
  const files = [];
  const queue = Array.from({ length: CONNECTIONS }, (_, i) => i);
  const results = [];
  const t0 = Date.now();
  const worker = async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      const config = tempFile(
        `hb-${i}.json`,
        JSON.stringify({ api_key: key, company: `c${i}`, base_url: sim.baseUrl, requests_per_minute: RPM }),
      );
      const db = tempFile(`hb-${i}.duckdb`);
      files.push(db);
      const r = await runMeasured(
        ['sync', 'hellobaton', '--config', config, '--destination', `duckdb:${db}`, '--json'],
        {
          env: { TRIBUTARY_REDIS_URL: REDIS_URL },
        },
      );
      if (r.code !== 0) throw new Error(`connection ${i} failed: ${r.stderr.slice(-2000)}`);
      results.push(JSON.parse(r.stdout));
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  const wallMs = Date.now() - t0;
  for (const f of files) rmSync(f, { force: true });
  for (const run of results) {
    const rows = run.streams.reduce((a, s) => a + s.records, 0);
    if (rows < records) throw new Error(`a connection read ${rows} of ${records} records`);
  }
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
  };
  const series = slidingSeries(times, 10_000);
  log(
    `  run ${runIndex + 1}: ${times.length} requests in ${fmt(spanMin * 60, 1)} s, busiest sliding minute ${busiest}, ` +
      `${fmt(perMin)}/min (${fmt(x.share, 1)}% of ${RPM}), 429s ${http429}`,
  );
  return { x, series };
}

export async function run({ quick, runs }) {
  // Per connection: `records` rows over 17 streams, 100 a page. Full: ~2,100 requests in all, over two minutes.
  const records = quick ? 5_000 : 33_000;
  const n = quick ? 1 : Math.min(runs, 2);
  log(
    `== 9 Shared budget (${WORKERS} processes × ${CONNECTIONS} Hellobaton connections, one key, ${RPM}/min enforced, 200 ms latency, ${n} run(s))`,
  );
  const xs = [];
  let series = [];
  for (let i = 0; i < n; i++) {
    const r = await once(i, records);
    xs.push(r.x);
    series = r.series;
  }
  const s = summarize(xs);
  const section = `## 9. Shared budget: ${WORKERS} processes, ${CONNECTIONS} connections, one key

${WORKERS} \`tributary sync --redis\` processes drain ${CONNECTIONS} Hellobaton connections (${fmt(records)} records over
17 streams each) that all use one API key, so one budget in Redis (\`trb:budget:<hash of the key>\`). The simulator
enforces ${fmt(RPM)} requests/min per key (sliding window, 429 + Retry-After) and answers after 200 ms. Counted server
side. Median of ${n} run(s), (min–max).

| requests | busiest sliding minute | requests/min over the run | share of the limit | 429s | wall (s) |
|---|---|---|---|---|---|
| ${cell(s.requests)} | ${cell(s.busiest)} | ${cell(s.perMin)} | ${cell(s.share, 1)}% | ${fmt(s.http429.max)} | ${cell(s.wall, 1)} |

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
