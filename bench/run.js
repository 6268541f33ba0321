// `npm run bench [-- --quick] [-- --runs N] [-- --only duckdb,postgres,ratebudget]`: the benchmark scenarios, measured side by side in one run,
// written to docs/benchmarks.md. Syncs and simulators run in separate processes, as in production.
import { execSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { median, ROOT, runMeasured, startSimulator, tempFile } from './lib.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : undefined;
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : quick ? 1 : 3;
const PG = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sections = [];
const want = (name) => !only || only.includes(name);
const fmt = (n, d = 0) =>
  Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const log = (s) => process.stderr.write(`${s}\n`);

async function humaansSync(records, destination, label) {
  const sim = await startSimulator('humaans', [
    '--records',
    String(records),
    '--seed',
    '42',
    '--token',
    'bench-token',
  ]);
  try {
    const config = tempFile(
      'humaans.json',
      JSON.stringify({
        api_token: 'bench-token',
        base_url: sim.baseUrl,
        initial_sync_days: 0,
        max_records_per_page: 250,
      }),
    );
    const results = [];
    for (let i = 0; i < runs; i++) {
      const dest = destination === 'duckdb' ? `duckdb:${tempFile('bench.duckdb')}` : PG;
      const ns = `bench_${process.pid}_${i}`;
      const r = await runMeasured([
        'sync',
        'humaans',
        '--config',
        config,
        '--destination',
        dest,
        '--namespace',
        ns,
        '--streams',
        'documents',
        '--json',
        '--batch-rows',
        '20000',
      ]);
      if (r.code !== 0) throw new Error(`${label} failed: ${r.stderr.slice(-2000)}`);
      const run = JSON.parse(r.stdout);
      // Keyset paging re-reads the records at each page's last timestamp (about one per page), so the
      // records read can exceed the dataset; throughput is counted on the dataset.
      const n = records;
      if (run.streams[0].records < records) throw new Error(`${label}: expected ${records} records, got ${run.streams[0].records}`);
      results.push({ rps: n / (r.wallMs / 1000), rss: r.peakRssMb, cpu: r.cpuSec, wall: r.wallMs / 1000 });
      log(
        `  ${label} run ${i + 1}: ${fmt(n / (r.wallMs / 1000))} rec/s, peak RSS ${fmt(r.peakRssMb)} MB, CPU ${fmt(r.cpuSec, 1)} s`,
      );
      if (destination === 'duckdb') rmSync(dest.slice(7), { force: true });
      else
        execSync(
          `node -e "const pg=require('pg');const c=new pg.Client('${PG}');c.connect().then(()=>c.query('drop schema if exists \\"${ns}\\" cascade')).then(()=>c.end())"`,
          { cwd: ROOT },
        );
    }
    return summarize(results);
  } finally {
    await sim.stop();
  }
}

function summarize(results) {
  const pick = (k) => ({
    median: median(results.map((r) => r[k])),
    min: Math.min(...results.map((r) => r[k])),
    max: Math.max(...results.map((r) => r[k])),
  });
  return { rps: pick('rps'), rss: pick('rss'), cpu: pick('cpu'), wall: pick('wall'), n: results.length };
}

const cell = (m, d = 0) => `${fmt(m.median, d)} (${fmt(m.min, d)}–${fmt(m.max, d)})`;

async function scenarioDuckDb() {
  const small = quick ? 20_000 : 100_000;
  const big = quick ? 100_000 : 1_000_000;
  log(`== Humaans documents → DuckDB (${small} and ${big} records)`);
  const a = await humaansSync(small, 'duckdb', `duckdb ${small}`);
  const b = await humaansSync(big, 'duckdb', `duckdb ${big}`);
  sections.push(`## Humaans documents → DuckDB

Loopback simulator in its own process, no latency, \`$limit=250\`, batches of 20,000 rows. Median of ${runs} run(s), (min–max).

| records | records/s | CPU seconds | peak RSS (MB) |
|---|---|---|---|
| ${fmt(small)} | ${cell(a.rps)} | ${cell(a.cpu, 1)} | ${cell(a.rss)} |
| ${fmt(big)} | ${cell(b.rps)} | ${cell(b.cpu, 1)} | ${cell(b.rss)} |

RSS ratio ${fmt(big)} / ${fmt(small)}: **${fmt(b.rss.median / a.rss.median, 2)}** (target ≤ 1.2). Targets: ≥ 50,000 records/s, peak RSS ≤ 250 MB at 1M.
`);
  return { a, b };
}

async function scenarioPostgres() {
  const big = quick ? 100_000 : 1_000_000;
  log(`== Humaans documents → PostgreSQL and DuckDB (${big} records, same run)`);
  const pg = await humaansSync(big, 'postgres', `postgres ${big}`);
  const duck = await humaansSync(big, 'duckdb', `duckdb ${big}`);
  sections.push(`## Humaans documents → PostgreSQL vs DuckDB

${fmt(big)} records each, same simulator settings, measured in the same run. Median of ${runs} run(s), (min–max).

| destination | rows/s | CPU seconds | peak RSS (MB) |
|---|---|---|---|
| PostgreSQL 15 (COPY → staging → upsert) | ${cell(pg.rps)} | ${cell(pg.cpu, 1)} | ${cell(pg.rss)} |
| DuckDB | ${cell(duck.rps)} | ${cell(duck.cpu, 1)} | ${cell(duck.rss)} |

Target: ≥ 50,000 rows/s into PostgreSQL.
`);
}

async function scenarioRateBudget() {
  const rpm = 3000;
  const records = quick ? 4_000 : 160_000;
  log(`== Hellobaton rate budget (${rpm}/min enforced, 200 ms latency, ${records} records)`);
  const sim = await startSimulator('hellobaton', [
    '--records',
    String(records),
    '--seed',
    '42',
    '--token',
    'bench-key',
    '--latency',
    '200',
    '--rate-limit',
    String(rpm),
  ]);
  try {
    const mk = (conc) =>
      tempFile(
        'hb.json',
        JSON.stringify({
          api_key: 'bench-key',
          company: 'bench',
          base_url: sim.baseUrl,
          requests_per_minute: rpm,
          page_concurrency: conc,
        }),
      );
    const res = {};
    for (const [label, conc] of [
      ['tributary', 8],
      ['sequential', 1],
    ]) {
      if (quick && label === 'sequential') continue;
      const r = await runMeasured([
        'sync',
        'hellobaton',
        '--config',
        mk(conc),
        '--destination',
        `duckdb:${tempFile('hb.duckdb')}`,
        '--json',
        '--concurrency',
        conc === 1 ? '1' : '8',
      ]);
      if (r.code !== 0) throw new Error(`hellobaton ${label} failed: ${r.stderr.slice(-2000)}`);
      const run = JSON.parse(r.stdout);
      const requests = run.streams.reduce((a, s) => a + s.metrics.requests, 0);
      const http429 = run.streams.reduce((a, s) => a + s.metrics.http429, 0);
      // The share of the budget is measured over the sync itself (run.durationMs), without process start-up.
      const sync = run.durationMs / 1000;
      res[label] = { wall: r.wallMs / 1000, sync, requests, http429, perMin: requests / (sync / 60) };
      log(`  ${label}: ${requests} requests in ${fmt(sync, 1)} s of sync (${fmt(r.wallMs / 1000, 1)} s wall) = ${fmt(requests / (sync / 60))}/min, 429s ${http429}`);
    }
    const t = res.tributary;
    const s = res.sequential;
    sections.push(`## Hellobaton: the rate budget against the sequential baseline

Simulator enforces ${rpm} requests/min per key (sliding window, 429 + Retry-After), answers every request after 200 ms.
${fmt(records)} records over 17 streams.

| run | requests | sync (s) | wall incl. start-up (s) | requests/min | share of budget | 429s |
|---|---|---|---|---|---|---|
| tributary (8 streams × 8 pages at once, shared budget) | ${t.requests} | ${fmt(t.sync, 1)} | ${fmt(t.wall, 1)} | ${fmt(t.perMin)} | ${fmt((100 * t.perMin) / rpm)}% | ${t.http429} |
${s ? `| sequential (1 stream, 1 page at a time, following next links: Airbyte's behaviour) | ${s.requests} | ${fmt(s.sync, 1)} | ${fmt(s.wall, 1)} | ${fmt(s.perMin)} | ${fmt((100 * s.perMin) / rpm)}% | ${s.http429} |\n\nSpeed-up (wall): **${fmt(s.wall / t.wall, 1)}×** (target ≥ 3×).` : '(sequential baseline skipped in --quick)'}

A run shorter than a minute can show more than 100% of a per-minute budget: the budget allows a burst of 1% of the limit and then refills at 98% of the limit. Targets: ≥ 95% of the budget, 0 429s.
`);
  } finally {
    await sim.stop();
  }
}

const started = new Date();
if (want('duckdb')) await scenarioDuckDb();
if (want('postgres')) await scenarioPostgres();
if (want('ratebudget')) await scenarioRateBudget();

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
} catch {}
const doc = `# Benchmarks

Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${started.toISOString()} at commit ${commit}.
Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}. These machines are noisy: compare ratios within one run.

${sections.join('\n')}`;
if (quick) {
  process.stdout.write(doc);
} else {
  writeFileSync(join(ROOT, 'docs', 'benchmarks.md'), doc);
  log('wrote docs/benchmarks.md');
}
