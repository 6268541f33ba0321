// Shared benchmark plumbing: run the built CLI in child processes and read their resource usage.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Start a simulator in its own process; resolves with its base URL and a stop function. */
export function startSimulator(connector, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'simulate', connector, '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /listening on (\S+)/.exec(buf);
      if (m)
        resolve({
          baseUrl: m[1],
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${buf}`)));
  });
}

/** Run the CLI with args; returns wall ms, exit code, stdout, and the child's peak RSS and CPU. */
export function runMeasured(args, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'trb-bench-'));
  const rusage = join(dir, 'rusage.json');
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    // The same heap cap as the `tributary` bin's shebang: V8 collects before the heap balloons.
    const child = spawn(process.execPath, ['--max-old-space-size=256', CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn', ...env, TRIBUTARY_RUSAGE_OUT: rusage },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
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
      });
    });
  });
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
