#!/usr/bin/env node
/**
 * `npm run test:reliability [-- --trials N] [--seed S] [--update-docs]`: the full reliability suite
 * (test/reliability): crash-and-resume trials, the whole fault matrix, every bad-input case, the secret
 * scanner, the contract matrix and the contract property test. Maps the flags to the suite's environment, runs vitest, and prints the figures the test files
 * recorded. With --update-docs the figures table in docs/reliability.md is rewritten.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const env = { ...process.env, TRIBUTARY_RELIABILITY: 'full' };
let updateDocs = false;
const passThrough = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    const v = a.includes('=') ? a.split('=')[1] : args[++i];
    if (v === undefined) fail(`${a} needs a value`);
    return v;
  };
  if (a.startsWith('--trials')) {
    const n = value();
    if (!/^[1-9]\d*$/.test(n)) fail(`--trials must be a positive integer, got ${n}`);
    env.TRIBUTARY_TRIALS = n;
  } else if (a.startsWith('--seed')) env.TRIBUTARY_RELIABILITY_SEED = value();
  else if (a === '--update-docs') updateDocs = true;
  else if (a === '--quick') env.TRIBUTARY_RELIABILITY = 'quick';
  else passThrough.push(a);
}

function fail(message) {
  process.stderr.write(`reliability: ${message}\n`);
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'tributary-reliability-'));
env.TRIBUTARY_RELIABILITY_OUT = out;
const started = Date.now();
const vitest = join(root, 'node_modules', '.bin', 'vitest');
const r = spawnSync(vitest, ['run', 'test/reliability', ...passThrough], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const seconds = Math.round((Date.now() - started) / 1000);

const figures = {};
for (const f of readdirSync(out).filter((n) => n.endsWith('.json'))) {
  const data = JSON.parse(readFileSync(join(out, f), 'utf8'));
  for (const [k, v] of Object.entries(data)) if (typeof v === 'number') figures[k] = (figures[k] ?? 0) + v;
}
rmSync(out, { recursive: true, force: true });

const rows = [
  ['Crash-and-resume trials run / passed', `${figures.trialsRun ?? 0} / ${figures.trialsPassed ?? 0}`],
  [
    '… of which a SIGKILL hit a running sync',
    `${figures.trialsKilledMidway ?? 0} (${figures.kills ?? 0} kills landed, ${figures.lateKills ?? 0} came after the end)`,
  ],
  ['… that ran into a pinned known defect', `${figures.knownDefectHits ?? 0}`],
  [
    'Fault-matrix cells run / passed',
    `${figures.faultCells ?? 0} / ${figures.faultCellsPassed ?? 0} (${figures.exhaustionCells ?? 0} of them retries-exhausted)`,
  ],
  ['Faults injected', `${figures.faultsInjected ?? 0}`],
  ['Bad-input cases run / passed', `${figures.badInputCases ?? 0} / ${figures.badInputPassed ?? 0}`],
  [
    'Contract-matrix cells run / passed',
    `${figures.contractCells ?? 0} / ${figures.contractCellsPassed ?? 0} (syncs judged: ${figures.contractExact ?? 0} exact copies, ${figures.contractFailedCleanly ?? 0} clean failures)`,
  ],
  [
    'Contract property runs / passed',
    `${figures.propertyRuns ?? 0} / ${figures.propertyRunsPassed ?? 0} (${figures.propertySyncsChecked ?? 0} syncs checked)`,
  ],
  [
    'Secrets scanned for (patterns)',
    `${figures.secrets ?? 0} (${figures.secretPatterns ?? 0} patterns: every encoded form and its 6-character prefix)`,
  ],
  [
    'Commands and bytes scanned',
    `${figures.commandsScanned ?? 0} commands, ${((figures.bytesScanned ?? 0) / 1e6).toFixed(1)} MB`,
  ],
  ['Secret occurrences found', `${figures.occurrences ?? 0}`],
  ['Wall time', `${Math.floor(seconds / 60)} min ${seconds % 60} s`],
];
const table = ['| Figure | Value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
process.stdout.write(
  `\nReliability figures (${env.TRIBUTARY_RELIABILITY}, seed ${env.TRIBUTARY_RELIABILITY_SEED ?? 'random'}):\n${table}\n`,
);

if (updateDocs && r.status === 0) {
  const docs = join(root, 'docs', 'reliability.md');
  const text = readFileSync(docs, 'utf8');
  const stamp = `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run test:reliability${env.TRIBUTARY_TRIALS ? ` -- --trials ${env.TRIBUTARY_TRIALS}` : ''}\`, ${process.platform}/${process.arch}, Node ${process.version}.`;
  const block = `<!-- figures:start -->\n${stamp}\n\n${table}\n<!-- figures:end -->`;
  writeFileSync(docs, text.replace(/<!-- figures:start -->[\s\S]*<!-- figures:end -->/, block));
  process.stdout.write(`updated ${docs}\n`);
}
process.exit(r.status ?? 1);
