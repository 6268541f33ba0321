// `npm run bench [-- --quick] [-- --runs N] [-- --only cpu,incremental,postgres,peer,ratebudget,verify,parallel,destinations,sharedbudget,recovery,queue,scaling]
//   [-- --out FILE]
//   [-- --save FILE.json] [-- --include FILE.json,…] [-- --before DIR]`
// Runs the benchmark scenarios side by side in one run (paired scenarios interleaved, A B A B) and writes
// docs/benchmarks.md: a headline table against the targets, one section per scenario, and the hand-kept notes
// in bench/notes.md (optimizations before/after, what limits each figure). Syncs and simulators run in
// separate processes, as in production. `--quick` (small datasets, 1 run) is CI's check that the suite runs;
// it prints the report instead of writing the docs. `--save` keeps a run's results as JSON and `--include` adds
// saved results (e.g. the latency-bound rate-budget scenario, run while the machine did something else); the
// document says which sections came from which run.
import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fmt, log, ROOT } from './lib.js';

const SCENARIOS = [
  'cpu',
  'incremental',
  'postgres',
  'peer',
  'ratebudget',
  'verify',
  'parallel',
  'destinations',
  'sharedbudget',
  'recovery',
  'queue',
  'scaling',
];
const MODULES = {
  cpu: './scenarios/cpu-memory.js',
  incremental: './scenarios/incremental.js',
  postgres: './scenarios/postgres.js',
  peer: './scenarios/peer.js',
  ratebudget: './scenarios/rate-budget.js',
  verify: './scenarios/verify.js',
  parallel: './scenarios/parallel.js',
  destinations: './scenarios/destinations.js',
  sharedbudget: './scenarios/shared-budget.js',
  recovery: './scenarios/recovery.js',
  queue: './scenarios/queue-overhead.js',
  scaling: './scenarios/scaling.js',
};

const argv = process.argv.slice(2);
const arg = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const runs = Number(arg('--runs') ?? (quick ? 1 : 3));
// Scenario 13 compares with another build of the CLI (a checkout of the previous commit, built).
const before = arg('--before');
const only = arg('--only')?.split(',') ?? SCENARIOS;
for (const o of only)
  if (!SCENARIOS.includes(o)) throw new Error(`unknown scenario '${o}' (known: ${SCENARIOS.join(', ')})`);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive integer, got ${arg('--runs')}`);

const included = (arg('--include')?.split(',') ?? []).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const started = new Date();
const t0 = performance.now();
const load0 = loadavg()[0];
const sections = [];
const headline = [];
for (const name of SCENARIOS.filter((s) => only.includes(s))) {
  const t = performance.now();
  const mod = await import(MODULES[name]);
  const r = await mod.run({ quick, runs, before });
  sections.push(r.section);
  headline.push(...r.headline);
  log(`   (${name}: ${fmt((performance.now() - t) / 1000, 1)} s)`);
}
const seconds = (performance.now() - t0) / 1000;
const notes = [];
for (const inc of included) {
  sections.push(...inc.sections);
  headline.push(...inc.headline);
  notes.push(
    `Sections ${inc.only.join(', ')} come from \`${inc.cmd}\`, run separately on ${inc.started} at commit ${inc.commit} (${inc.runs} run(s); load average ${fmt(inc.load[0], 2)} → ${fmt(inc.load[1], 2)}).`,
  );
}

// Scenario order, whichever run measured them: headline rows start with the number, sections with `## N`.
headline.sort((a, b) => Number.parseInt(a.scenario, 10) - Number.parseInt(b.scenario, 10));
sections.sort((a, b) => Number.parseInt(a.slice(3), 10) - Number.parseInt(b.slice(3), 10));

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  if (execSync('git status --porcelain -- src bench', { cwd: ROOT }).toString().trim())
    commit += ' (with uncommitted changes)';
} catch {}
const cmd = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const doc = `# Benchmarks

Written by \`${cmd}\` on ${started.toISOString()} at commit ${commit}, in ${fmt(seconds / 60, 1)} min.
Machine: ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${fmt(load0, 2)} at the start, ${fmt(loadavg()[0], 2)} at the end.
These machines are noisy: compare the ratios measured within one run. Every figure is the median of ${runs} run(s) with (min–max).
${notes.join('\n')}

## Against the targets

| scenario | figure | measured | target | met |
|---|---|---|---|---|
${headline.map((h) => `| ${h.scenario} | ${h.metric} | ${h.measured} | ${h.target} | ${h.met === undefined ? '—' : h.met ? 'yes' : '**no**'} |`).join('\n')}

${sections.join('\n')}
${readFileSync(join(import.meta.dirname, 'notes.md'), 'utf8')}`;

if (arg('--save'))
  writeFileSync(
    arg('--save'),
    JSON.stringify({
      cmd,
      started: started.toISOString(),
      commit,
      runs,
      only,
      load: [load0, loadavg()[0]],
      sections,
      headline,
    }),
  );
const out =
  arg('--out') ??
  (quick || only.length + included.flatMap((i) => i.only).length < SCENARIOS.length
    ? undefined
    : join(ROOT, 'docs', 'benchmarks.md'));
if (out) {
  writeFileSync(out, doc);
  log(`wrote ${out} (${fmt(seconds, 0)} s)`);
} else {
  process.stdout.write(doc);
  log(`done in ${fmt(seconds, 0)} s`);
}
