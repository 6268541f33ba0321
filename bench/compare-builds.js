// Before/after of an optimization, measured in one run: two builds of the CLI alternate (before, after, before,
// after …) on the same simulator process, for a Humaans sync into DuckDB and for `airbyte humaans read` to
// /dev/null.
//   node bench/compare-builds.js --before <repo dir with dist/> [--after <dir>] [--records 100000] [--runs 3]
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cell, fmt, interleave, log, ROOT, runNode, summarize, tempFile } from './lib.js';
import { inputs, TOKEN } from './scenarios/peer.js';
import { startSim } from './sim.js';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: ROOT },
    records: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
  },
});
if (!values.before) throw new Error('--before <repo dir> is required');
const records = Number(values.records);
const runs = Number(values.runs);
const cli = (dir) => join(resolve(dir), 'dist', 'cli', 'main.js');
const NODE_ARGS = ['--max-old-space-size=256'];

const sim = await startSim('humaans', { records, seed: 42, token: TOKEN });
// The peer scenario's inputs: full refresh of `documents`, no incoming state.
const { config, catalog } = inputs(sim.baseUrl);

async function once(label, build, kind) {
  let r;
  if (kind === 'sync') {
    const file = tempFile('cmp.duckdb');
    r = await runNode(
      cli(build),
      [
        'sync',
        'humaans',
        '--config',
        config,
        '--destination',
        `duckdb:${file}`,
        '--streams',
        'documents',
        '--json',
      ],
      { nodeArgs: NODE_ARGS },
    );
    rmSync(file, { force: true });
  } else {
    r = await runNode(cli(build), ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog], {
      nodeArgs: NODE_ARGS,
      stdoutTo: '/dev/null',
    });
  }
  if (r.code !== 0) throw new Error(`${label} ${kind} failed: ${r.stderr.slice(-1500)}`);
  const x = { rps: records / (r.wallMs / 1000), cpu1k: (1000 * r.cpuSec) / records, rss: r.peakRssMb };
  log(`  ${kind} ${label}: ${fmt(x.rps)} rec/s, ${fmt(x.cpu1k, 3)} CPU s/1k, ${fmt(x.rss)} MB`);
  return x;
}

const rows = [];
try {
  for (const kind of ['sync', 'read']) {
    const res = await interleave(runs, {
      before: () => once('before', values.before, kind),
      after: () => once('after', values.after, kind),
    });
    const b = summarize(res.before);
    const a = summarize(res.after);
    const what = kind === 'sync' ? 'sync → DuckDB' : 'airbyte read → /dev/null';
    rows.push(`| ${what} | before | ${cell(b.rps)} | ${cell(b.cpu1k, 3)} | ${cell(b.rss)} |`);
    rows.push(
      `| ${what} | after | ${cell(a.rps)} (${fmt(a.rps.median / b.rps.median, 2)}×) | ${cell(a.cpu1k, 3)} (${fmt(a.cpu1k.median / b.cpu1k.median, 2)}×) | ${cell(a.rss)} |`,
    );
  }
} finally {
  await sim.stop();
}
process.stdout.write(`${fmt(records)} Humaans documents, ${runs} alternating run(s) per build, median (min–max).

| path | build | records/s | CPU s per 1k records | peak RSS (MB) |
|---|---|---|---|---|
${rows.join('\n')}
`);
