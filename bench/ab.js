// A/B of sync variants in one run, alternating against one simulator process (for bench/notes.md tries):
//   node bench/ab.js --records 200000 --runs 3 --dest duckdb|postgres --variant 'name=cliPath|nodeArgs|extraArgs|env' ...
// nodeArgs / extraArgs are space-separated; env is K=V,K=V. Prints records/s, CPU s, peak RSS per variant.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cell, fmt, log, runNode, summarize, tempFile } from './lib.js';
import { documentsSyncArgs, humaansConfig } from './scenarios/cpu-memory.js';
import { startSim } from './sim.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    dest: { type: 'string', default: 'duckdb' },
    variant: { type: 'string', multiple: true },
  },
});
const records = Number(values.records);
const PG = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const variants = values.variant.map((v) => {
  const [name, rest] = v.split(/=(.*)/s);
  const [cli, nodeArgs = '', extra = '', env = ''] = rest.split('|');
  return {
    name,
    cli,
    nodeArgs: ['--max-old-space-size=256', ...nodeArgs.split(' ').filter(Boolean)],
    extra: extra.split(' ').filter(Boolean),
    env: Object.fromEntries(
      env
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split(/=(.*)/s)),
    ),
  };
});
const sim = await startSim('humaans', { records, seed: 42, token: 'bench-token' });
const config = humaansConfig(sim.baseUrl);
const out = Object.fromEntries(variants.map((v) => [v.name, []]));
try {
  for (let i = 0; i < Number(values.runs); i++)
    for (const v of variants) {
      let destination;
      let file;
      const ns = `perfcpu_ab_${process.pid}_${i}_${v.name.replace(/\W/g, '')}`;
      if (values.dest === 'duckdb') {
        file = tempFile('ab.duckdb');
        destination = `duckdb:${file}`;
      } else destination = PG;
      const args = [
        ...documentsSyncArgs(config, destination, values.dest === 'duckdb' ? undefined : ns),
        ...v.extra,
      ];
      const r = await runNode(v.cli, args, { nodeArgs: v.nodeArgs, env: v.env });
      if (file) {
        rmSync(file, { force: true });
        rmSync(`${file}.wal`, { force: true });
      } else {
        const c = new pg.Client(PG);
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${ns}" CASCADE`);
        await c.end();
      }
      if (r.code !== 0) throw new Error(`${v.name} failed: ${r.stderr.slice(-2000)}`);
      const x = { rps: records / (r.wallMs / 1000), cpu: r.cpuSec, rss: r.peakRssMb };
      for (const l of r.stderr.split('\n')) if (l.startsWith('MEM')) log(l);
      if (process.env.AB_GC)
        log(
          `MEM mark-compacts ${(r.stdout.match(/Mark-Compact/g) ?? []).length}, scavenges ${(r.stdout.match(/Scavenge/g) ?? []).length}`,
        );
      log(`${v.name} run ${i + 1}: ${fmt(x.rps)} rec/s, CPU ${fmt(x.cpu, 2)} s, RSS ${fmt(x.rss)} MB`);
      out[v.name].push(x);
    }
} finally {
  await sim.stop();
}
for (const v of variants) {
  const s = summarize(out[v.name]);
  console.log(`| ${v.name} | ${cell(s.rps)} | ${cell(s.cpu, 2)} | ${cell(s.rss)} |`);
}
