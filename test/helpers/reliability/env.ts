/**
 * Settings of the reliability suite. The quick subset runs inside `npm test`; `npm run test:reliability`
 * (scripts/reliability.mjs) sets TRIBUTARY_RELIABILITY=full, the trial count and a results directory.
 *
 * - TRIBUTARY_RELIABILITY=full   the full matrix and trial counts (default: quick)
 * - TRIBUTARY_TRIALS=N           crash-and-resume trials in total, spread over the scenarios
 * - TRIBUTARY_RELIABILITY_OUT=D  each file writes its figures (trials, faults, cases, secrets) to D/<name>.json
 * - TRIBUTARY_RELIABILITY_SEED=S seed of the random kill points (printed on failure, so a run can be replayed)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI's shebang gives node flags (`#!/usr/bin/env -S node --max-old-space-size=256`) that an installed
 * `tributary` runs with, but the test helpers start `node dist/cli/main.js` and would skip them. Pass them
 * on through NODE_OPTIONS, so every CLI this suite starts runs under the same heap cap users get.
 */
function shebangNodeFlags(): string[] {
  const first = readFileSync(
    join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts'),
    'utf8',
  ).split('\n')[0]!;
  const m = /^#!.*\bnode\s+(.*)$/.exec(first);
  return m ? m[1]!.split(/\s+/).filter((f) => f.startsWith('--')) : [];
}
const inherited = process.env.NODE_OPTIONS ?? '';
const missing = shebangNodeFlags().filter((f) => !inherited.includes(f.split('=')[0]!));
if (missing.length > 0) process.env.NODE_OPTIONS = [inherited, ...missing].filter(Boolean).join(' ');

export const FULL = process.env.TRIBUTARY_RELIABILITY === 'full';

/** Total crash-and-resume trials: the env var wins, then the mode's default. */
export function totalTrials(quickDefault: number, fullDefault: number): number {
  const raw = process.env.TRIBUTARY_TRIALS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`TRIBUTARY_TRIALS must be a positive integer, got ${raw}`);
    return n;
  }
  return FULL ? fullDefault : quickDefault;
}

/** Split `total` trials over `n` scenarios round-robin; every scenario gets at least one. */
export function spread(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.max(1, Math.floor(total / n) + (i < total % n ? 1 : 0)));
}

export const SUITE_SEED = Number(process.env.TRIBUTARY_RELIABILITY_SEED ?? Date.now() % 1_000_000_007);

/** A small deterministic PRNG (mulberry32), so a failing trial names the seed that replays it. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Figures {
  /** Crash-and-resume trials run and passed, and how many really killed a running sync. */
  trialsRun?: number;
  trialsPassed?: number;
  trialsKilledMidway?: number;
  /** Faults the simulators (or fake APIs) injected, and fault-matrix cells run. */
  faultsInjected?: number;
  faultCells?: number;
  /** Bad-input catalog cases. */
  badInputCases?: number;
  /** Secret scanner: secrets, patterns (secret + prefixes) and bytes scanned, CLI commands run. */
  secrets?: number;
  secretPatterns?: number;
  bytesScanned?: number;
  commandsScanned?: number;
  occurrences?: number;
  [k: string]: number | string | undefined;
}

/** Write this file's figures where the runner collects them (no-op without TRIBUTARY_RELIABILITY_OUT). */
export function recordFigures(name: string, figures: Figures): void {
  const dir = process.env.TRIBUTARY_RELIABILITY_OUT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, full: FULL, ...figures }, null, 2));
}
