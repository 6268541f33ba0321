// Before/after of a change, measured in one run: two builds of the CLI alternate (before, after, before,
// after …) on the same simulator processes. Paths: a Humaans `documents` sync into DuckDB, `airbyte humaans
// read` to /dev/null, and a Hellobaton full-refresh `tasks` sync into DuckDB (page-number paging, sweep). The
// syncs report every request they made (the airbyte read is counted by the simulator), so a change that adds
// requests on a clean pass shows.
//   node bench/compare-builds.js --before <repo dir with dist/> [--after <dir>] [--records 100000] [--runs 3]
//                                [--paths humaans-sync,airbyte-read,hellobaton-sync]
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cell, fmt, interleave, log, ROOT, runNode, summarize, tempFile } from './lib.js';
import { inputs, TOKEN } from './scenarios/peer.js';
import { startSim } from './sim.js';

const PATHS = ['humaans-sync', 'airbyte-read', 'hellobaton-sync'];
const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: ROOT },
    records: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    paths: { type: 'string', default: PATHS.join(',') },
  },
});
if (!values.before) throw new Error('--before <repo dir> is required');
const records = Number(values.records);
const runs = Number(values.runs);
const paths = values.paths.split(',');
for (const p of paths)
  if (!PATHS.includes(p)) throw new Error(`--paths: unknown path ${p} (${PATHS.join(', ')})`);
const cli = (dir) => join(resolve(dir), 'dist', 'cli', 'main.js');
const NODE_ARGS = ['--max-old-space-size=256'];
const HB_KEY = 'bench-key';

const humaans = await startSim('humaans', { records, seed: 42, token: TOKEN });
// Hellobaton's `records` sizes its main stream, tasks; the default rate limit is off for a CPU measurement.
const hellobaton = await startSim('hellobaton', { records, seed: 42, token: HB_KEY, rateLimitPerMinute: 0 });
// The peer scenario's inputs: full refresh of `documents`, no incoming state.
const { config, catalog } = inputs(humaans.baseUrl);
const hbConfig = tempFile(
  'hellobaton.json',
  JSON.stringify({
    api_key: HB_KEY,
    company: 'bench',
    base_url: hellobaton.baseUrl,
    page_size: 100,
    // A CPU measurement, not a rate-budget one: the simulator enforces no limit either.
    requests_per_minute: 100000,
  }),
);

function syncArgs(connector, configFile, stream, file) {
  return [
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
}

async function once(label, build, path) {
  const sim = path === 'hellobaton-sync' ? hellobaton : humaans;
  await sim.resetStats();
  let r;
  let n = records;
  let clientRequests;
  if (path === 'airbyte-read') {
    r = await runNode(cli(build), ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog], {
      nodeArgs: NODE_ARGS,
      stdoutTo: '/dev/null',
    });
  } else {
    const file = tempFile('cmp.duckdb');
    const args =
      path === 'humaans-sync'
        ? syncArgs('humaans', config, 'documents', file)
        : syncArgs('hellobaton', hbConfig, 'tasks', file);
    r = await runNode(cli(build), args, { nodeArgs: NODE_ARGS });
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
try {
  for (const path of paths) {
    const res = await interleave(runs, {
      before: () => once('before', values.before, path),
      after: () => once('after', values.after, path),
    });
    const b = summarize(res.before);
    const a = summarize(res.after);
    const reqs = (xs) => [...new Set(xs.map((x) => x.requests))].join('/');
    const n = res.after[0].n;
    rows.push(
      `| ${path} | ${fmt(n)} | before | ${cell(b.rps)} | ${cell(b.cpu1k, 3)} | ${cell(b.rss)} | ${reqs(res.before)} |`,
    );
    rows.push(
      `| ${path} | ${fmt(n)} | after | ${cell(a.rps)} (${fmt(a.rps.median / b.rps.median, 2)}×) | ${cell(a.cpu1k, 3)} (${fmt(a.cpu1k.median / b.cpu1k.median, 2)}×) | ${cell(a.rss)} | ${reqs(res.after)} |`,
    );
  }
} finally {
  await humaans.stop();
  await hellobaton.stop();
}
process.stdout.write(`${runs} alternating run(s) per build, median (min–max); requests as the sync counted them (airbyte read: as the simulator counted them).

| path | records | build | records/s | CPU s per 1k records | peak RSS (MB) | requests |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
