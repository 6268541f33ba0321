// Shared benchmark plumbing: run processes, read their resource usage, and summarise repeated runs.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const RUSAGE_HOOK = join(import.meta.dirname, 'rusage.cjs');

/**
 * Run `node [nodeArgs] script [args]` with the rusage hook preloaded. Returns wall ms, exit code, stdout
 * (unless `stdoutTo: '/dev/null'`), stderr, and the child's own peak RSS (MB) and CPU seconds.
 */
export function runNode(script, args, { env = {}, nodeArgs = [], stdoutTo = 'pipe' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-'));
  const rusage = join(dir, 'rusage.json');
  const outFd = stdoutTo === 'pipe' ? 'pipe' : openSync(stdoutTo, 'w');
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, '--require', RUSAGE_HOOK, script, ...args], {
      stdio: ['ignore', outFd, 'pipe'],
      env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', ...env, BENCH_RUSAGE_OUT: rusage },
    });
    if (typeof outFd === 'number') closeSync(outFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      let r = { maxRssKb: 0, userCpuUs: 0, systemCpuUs: 0 };
      try {
        r = JSON.parse(readFileSync(rusage, 'utf8'));
      } catch {}
      rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        wallMs,
        stdout,
        stderr,
        peakRssMb: r.maxRssKb / 1024,
        cpuSec: (r.userCpuUs + r.systemCpuUs) / 1e6,
        ...(r.split ? { memSplit: memSplitMb(r.split) } : {}),
      });
    });
  });
}

/**
 * The node flags a build's `tributary` bin runs with: those on its shebang line
 * (`#!/usr/bin/env -S node --max-old-space-size=256 …`), read from that build's file so a `--before` build runs
 * with its own flags.
 */
export function cliNodeFlags(cli = CLI) {
  const first = readFileSync(cli, 'utf8').split('\n', 1)[0];
  const m = /^#!.*\bnode\s+(.*)$/.exec(first);
  return m ? m[1].split(/\s+/).filter((f) => f.startsWith('--')) : [];
}

/** The sampled split of the highest RSS (bench/rusage.cjs, with BENCH_MEM_SPLIT), in MB. */
function memSplitMb(s) {
  const mb = (b) => b / 2 ** 20;
  const anon = s.anonKb / 1024;
  return {
    rss: mb(s.rss),
    file: s.fileKb / 1024,
    heap: mb(s.heapTotal),
    external: mb(s.external),
    // Anonymous memory neither V8's heap nor external buffers: native allocations (DuckDB, V8, Node).
    nativeAnon: Math.max(0, anon - mb(s.heapTotal) - mb(s.external)),
  };
}

/** Run the built CLI (this checkout's, or `opts.cli`) with args, with the node flags of its bin's shebang. */
export function runMeasured(args, opts = {}) {
  const cli = opts.cli ?? CLI;
  return runNode(cli, args, { ...opts, nodeArgs: [...cliNodeFlags(cli), ...(opts.nodeArgs ?? [])] });
}

export function tempFile(name, content) {
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-'));
  const p = join(dir, name);
  if (content !== undefined) writeFileSync(p, content);
  return p;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median, min and max of each numeric key over repeated runs. */
export function summarize(results) {
  const out = { n: results.length };
  for (const k of Object.keys(results[0] ?? {})) {
    const xs = results.map((r) => r[k]).filter((x) => typeof x === 'number');
    if (xs.length) out[k] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  return out;
}

export const fmt = (n, d = 0) =>
  Number(n).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** "median (min–max)" for a summarised figure. */
export const cell = (m, d = 0) => `${fmt(m.median, d)} (${fmt(m.min, d)}–${fmt(m.max, d)})`;

export const log = (s) => process.stderr.write(`${s}\n`);

/** Runs `pairs` interleaved (A B A B …) `runs` times; returns each label's results in order. */
export async function interleave(runs, pairs) {
  const out = Object.fromEntries(Object.keys(pairs).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, fn] of Object.entries(pairs)) out[k].push(await fn(i));
  return out;
}
