// Scenario 3: the Hellobaton rate budget. The simulator enforces 3000 requests/min per key and answers every
// request after 200 ms; tributary (shared proactive budget, streams and pages in parallel) alternates with the
// sequential baseline (one stream, one page at a time, following `next` links, as Airbyte's connector does).
import { cell, fmt, interleave, log, runMeasured, summarize, tempFile } from '../lib.js';
import { rmSync } from 'node:fs';
import { startSim } from '../sim.js';

const RPM = 3000;
const KEY = 'bench-key';

async function syncOnce(sim, label, concurrency, records) {
  const config = tempFile(
    'hb.json',
    JSON.stringify({
      api_key: KEY,
      company: 'bench',
      base_url: sim.baseUrl,
      requests_per_minute: RPM,
      page_concurrency: concurrency,
    }),
  );
  const file = tempFile('hb.duckdb');
  await sim.resetStats();
  const r = await runMeasured([
    'sync',
    'hellobaton',
    '--config',
    config,
    '--destination',
    `duckdb:${file}`,
    '--json',
    '--concurrency',
    String(concurrency),
  ]);
  rmSync(file, { force: true });
  if (r.code !== 0) throw new Error(`hellobaton ${label} failed: ${r.stderr.slice(-2000)}`);
  const run = JSON.parse(r.stdout);
  const requests = run.streams.reduce((a, s) => a + s.metrics.requests, 0);
  const http429 = run.streams.reduce((a, s) => a + s.metrics.http429, 0);
  const rows = run.streams.reduce((a, s) => a + s.records, 0);
  if (rows < records) throw new Error(`hellobaton ${label}: read ${rows} of ${records} records`);
  const served = await sim.requestCount();
  // The share of the budget is measured over the sync itself (run.durationMs), without process start-up.
  const sync = run.durationMs / 1000;
  const x = { wall: r.wallMs / 1000, sync, requests, served, http429, perMin: requests / (sync / 60) };
  log(
    `  ${label}: ${requests} requests (${served} served) in ${fmt(sync, 1)} s of sync (${fmt(x.wall, 1)} s wall) = ${fmt(x.perMin)}/min, 429s ${http429}`,
  );
  return x;
}

export async function run({ quick, runs }) {
  const records = quick ? 4_000 : 160_000;
  log(
    `== 3 Hellobaton rate budget (${RPM}/min enforced, 200 ms latency, ${fmt(records)} records, ${runs} run(s)${quick ? ', no sequential baseline in --quick' : ', interleaved'})`,
  );
  const sim = await startSim('hellobaton', {
    records,
    seed: 42,
    token: KEY,
    latencyMs: 200,
    rateLimitPerMinute: RPM,
  });
  let t;
  let s;
  try {
    const pairs = { tributary: (i) => syncOnce(sim, `tributary run ${i + 1}`, 8, records) };
    if (!quick) pairs.sequential = (i) => syncOnce(sim, `sequential run ${i + 1}`, 1, records);
    const res = await interleave(runs, pairs);
    t = summarize(res.tributary);
    s = res.sequential && summarize(res.sequential);
  } finally {
    await sim.stop();
  }
  const share = (x) => ({
    median: (100 * x.median) / RPM,
    min: (100 * x.min) / RPM,
    max: (100 * x.max) / RPM,
  });
  const speedup = s ? s.wall.median / t.wall.median : undefined;
  const row = (name, x) =>
    `| ${name} | ${fmt(x.requests.median)} | ${cell(x.sync, 1)} | ${cell(x.wall, 1)} | ${cell(x.perMin)} | ${cell(share(x.perMin))}% | ${fmt(x.http429.max)} |`;
  const section = `## 3. Rate budget: Hellobaton against the sequential baseline

The simulator enforces ${fmt(RPM)} requests/min per key (sliding window, 429 + Retry-After) and answers every request
after 200 ms; ${fmt(records)} records over 17 streams. **tributary** runs 8 streams × 8 pages at once under one
proactive budget per key (GCRA at 98% of the limit, burst 1%). **sequential** is one stream and one page at a time,
following \`next\` links: what Airbyte's Hellobaton connector does. Runs alternate against the same simulator process.
Median of ${runs} run(s), (min–max); 429s are the worst run's.

| run | requests | sync (s) | wall incl. start-up (s) | requests/min | share of budget | 429s |
|---|---|---|---|---|---|---|
${row('tributary', t)}
${s ? row('sequential', s) : '| sequential | skipped in --quick | | | | | |'}

${s ? `Speed-up (wall, medians): **${fmt(speedup, 1)}×**.` : ''} The share of the budget is requests over the sync's own duration; a run shorter than a minute can exceed 100% by the burst.
`;
  const headline = [
    {
      scenario: '3 Rate budget',
      metric: 'share of the budget used',
      measured: `${fmt(share(t.perMin).median)}%`,
      target: '≥ 95%',
      met: share(t.perMin).median >= 95,
    },
    {
      scenario: '3 Rate budget',
      metric: '429 responses (worst run)',
      measured: fmt(t.http429.max),
      target: '0',
      met: t.http429.max === 0,
    },
  ];
  if (s)
    headline.push({
      scenario: '3 Rate budget',
      metric: 'speed-up over sequential',
      measured: `${fmt(speedup, 1)}×`,
      target: '≥ 3×',
      met: speedup >= 3,
    });
  return { section, headline };
}
