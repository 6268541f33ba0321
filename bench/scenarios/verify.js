// Scenario 13 (was 7): what a change costs on the happy path, as a ratio to another build measured in the same run.
// Two builds of the CLI alternate (before, after, before, after …) on the same simulator processes. Paths: a
// Humaans `documents` sync into DuckDB, `airbyte humaans read` to /dev/null, and a Hellobaton full-refresh
// `tasks` sync into DuckDB (page-number paging, proof, sweep). Syncs report every request they made (the
// airbyte read is counted by the simulator), so a change that adds requests on a clean pass shows.
// Needs the other build: `npm run bench -- --only verify --before DIR` (a checkout of the previous commit with
// `npm ci && npm run build` done in it), or `node bench/compare-builds.js --before DIR`.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cell, cliNodeFlags, fmt, interleave, log, ROOT, runNode, summarize, tempFile } from '../lib.js';
import { startSim } from '../sim.js';
import { inputs, TOKEN } from './peer.js';

export const PATHS = ['humaans-sync', 'airbyte-read', 'hellobaton-sync'];
const HB_KEY = 'bench-key';
const cli = (dir) => join(resolve(dir), 'dist', 'cli', 'main.js');

/** Before/after of each path; returns the markdown rows and, per path, the after/before medians. */
export async function compareBuilds({ before, after = ROOT, records, runs, paths = PATHS }) {
  for (const p of paths) if (!PATHS.includes(p)) throw new Error(`unknown path ${p} (${PATHS.join(', ')})`);
  const humaans = await startSim('humaans', { records, seed: 42, token: TOKEN });
  // Hellobaton's `records` sizes its main stream, tasks. A CPU measurement, not a rate-budget one: neither
  // the simulator nor the connector limits the rate.
  const hellobaton = await startSim('hellobaton', {
    records,
    seed: 42,
    token: HB_KEY,
    rateLimitPerMinute: 0,
  });
  // The peer scenario's inputs: `documents` from all history, no incoming state.
  const { config, catalog } = inputs(humaans.baseUrl);
  const hbConfig = tempFile(
    'hellobaton.json',
    JSON.stringify({
      api_key: HB_KEY,
      company: 'bench',
      base_url: hellobaton.baseUrl,
      page_size: 100,
      requests_per_minute: 100000,
    }),
  );
  const sync = (connector, configFile, stream, file) => [
    'sync',
    connector,
    '--config',
    configFile,
    '--destination',
    `duckdb:${file}`,
    '--streams',
    stream,
    '--json',
  ];

  async function once(label, build, path) {
    const sim = path === 'hellobaton-sync' ? hellobaton : humaans;
    await sim.resetStats();
    let r;
    let n = records;
    let clientRequests;
    if (path === 'airbyte-read') {
      r = await runNode(
        cli(build),
        ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog],
        {
          nodeArgs: cliNodeFlags(cli(build)),
          stdoutTo: '/dev/null',
        },
      );
    } else {
      const file = tempFile('cmp.duckdb');
      const args =
        path === 'humaans-sync'
          ? sync('humaans', config, 'documents', file)
          : sync('hellobaton', hbConfig, 'tasks', file);
      r = await runNode(cli(build), args, { nodeArgs: cliNodeFlags(cli(build)) });
      rmSync(file, { force: true });
      if (r.code === 0) {
        const run = JSON.parse(r.stdout);
        n = run.streams.reduce((a, s) => a + s.records, 0);
        // The client's own count: list pages and any detail requests (a deletion check) alike.
        clientRequests = run.streams.reduce((a, s) => a + s.metrics.requests, 0);
      }
    }
    if (r.code !== 0) throw new Error(`${label} ${path} failed: ${r.stderr.slice(-1500)}`);
    const requests = clientRequests ?? (await sim.requestCount());
    const x = { rps: n / (r.wallMs / 1000), cpu1k: (1000 * r.cpuSec) / n, rss: r.peakRssMb, requests, n };
    log(
      `  ${path} ${label}: ${fmt(n)} records, ${fmt(x.rps)} rec/s, ${fmt(x.cpu1k, 3)} CPU s/1k, ${fmt(x.rss)} MB, ${fmt(requests)} requests`,
    );
    return x;
  }

  const rows = [];
  const ratios = {};
  try {
    for (const path of paths) {
      const res = await interleave(runs, {
        before: () => once('before', before, path),
        after: () => once('after', after, path),
      });
      const b = summarize(res.before);
      const a = summarize(res.after);
      const reqs = (xs) => [...new Set(xs.map((x) => x.requests))].join('/');
      const n = res.after[0].n;
      ratios[path] = {
        cpu: a.cpu1k.median / b.cpu1k.median,
        rps: a.rps.median / b.rps.median,
        requestsBefore: reqs(res.before),
        requestsAfter: reqs(res.after),
      };
      rows.push(
        `| ${path} | ${fmt(n)} | before | ${cell(b.rps)} | ${cell(b.cpu1k, 3)} | ${cell(b.rss)} | ${reqs(res.before)} |`,
      );
      rows.push(
        `| ${path} | ${fmt(n)} | after | ${cell(a.rps)} (${fmt(ratios[path].rps, 2)}×) | ${cell(a.cpu1k, 3)} (${fmt(ratios[path].cpu, 2)}×) | ${cell(a.rss)} | ${reqs(res.after)} |`,
      );
    }
  } finally {
    await humaans.stop();
    await hellobaton.stop();
  }
  const table = `| path | records | build | records/s | CPU s per 1k records | peak RSS (MB) | requests |
|---|---|---|---|---|---|---|
${rows.join('\n')}`;
  return { table, ratios };
}

export async function run({ quick, runs, before }) {
  if (!before) {
    log('== 13 verification cost: skipped (needs --before DIR, a build of the previous commit)');
    return {
      section:
        '## 13. Verification cost against the previous build\n\nNot measured in this run: it needs `--before DIR`.\n',
      headline: [],
    };
  }
  const records = quick ? 20_000 : 100_000;
  log(`== 13 verification cost: this build against ${before} (${fmt(records)} records, ${runs} run(s))`);
  const { table, ratios } = await compareBuilds({ before, records, runs });
  const headline = Object.entries(ratios).flatMap(([path, r]) => [
    {
      scenario: '13 Verification',
      metric: `CPU per record, ${path}, after / before`,
      measured: `${fmt(r.cpu, 2)}×`,
      target: '≤ 1.05×',
      met: r.cpu <= 1.05,
    },
    {
      scenario: '13 Verification',
      metric: `requests on a clean pass, ${path}, before → after`,
      measured: `${r.requestsBefore} → ${r.requestsAfter}`,
      target: 'no more',
      met: Number(r.requestsAfter) <= Number(r.requestsBefore),
    },
  ]);
  const section = `## 13. Verification cost against the previous build

Issue 11's checks (page-size learning, count and duplicate audits, keyset order and bound checks, the
proof before a sweep, the exact-number scan of every body) on the happy path: this build against
\`${before}\`, alternating on the same simulators (${runs} run(s) each, median (min–max)).

${table}
`;
  return { section, headline };
}
