/** Helpers for the Airbyte tests: run the built CLI with stdin, pipe two CLIs together, parse protocol output. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { assertBuilt, CLI, type CliResult, collectOutput, ROOT } from './cli.js';

const ENV = () => ({
  ...process.env,
  TRIBUTARY_LOG_LEVEL: process.env.TRIBUTARY_LOG_LEVEL ?? 'info',
  FORCE_COLOR: '0',
});

/** Run the CLI with `input` on stdin (closed afterwards). */
export function runCliInput(args: string[], input: string | Buffer): Promise<CliResult> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: ENV(), stdio: 'pipe' });
  const done = collectOutput(child);
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return done;
}

/** `tributary <sourceArgs> | tributary <loadArgs>` through a real OS pipe. */
export async function runPipeline(
  sourceArgs: string[],
  loadArgs: string[],
): Promise<{ source: CliResult; load: CliResult }> {
  assertBuilt();
  const src = spawn(process.execPath, [CLI, ...sourceArgs], {
    cwd: ROOT,
    env: ENV(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dst = spawn(process.execPath, [CLI, ...loadArgs], {
    cwd: ROOT,
    env: ENV(),
    stdio: [src.stdout, 'pipe', 'pipe'],
  });
  const collect = (child: typeof src, withStdout: boolean) => {
    let stdout = '';
    let stderr = '';
    if (withStdout)
      child.stdout!.on('data', (d) => {
        stdout += d;
      });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const stderrEnded = new Promise<void>((r) => child.stderr!.on('close', () => r()));
    // 'exit', not 'close': the source's stdout belongs to the loader now, so it never closes here.
    return new Promise<CliResult>((resolve) =>
      child.on('exit', (code, signal) => {
        void stderrEnded.then(() => resolve({ code, signal, stdout, stderr }));
      }),
    );
  };
  const [source, load] = await Promise.all([collect(src, false), collect(dst, true)]);
  src.stdout!.destroy();
  return { source, load };
}

// biome-ignore lint/suspicious/noExplicitAny: parsed protocol JSON, asserted field by field in the tests
export type Msg = Record<string, any>;

/** Every stdout line must be one JSON object with a `type`: the protocol's only rule about stdout. */
export function protocolLines(stdout: string): Msg[] {
  const lines = stdout.split('\n');
  expect(lines.pop(), 'stdout ends with a newline').toBe('');
  return lines.map((l, i) => {
    let m: Msg;
    try {
      m = JSON.parse(l);
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
    }
    expect(typeof m.type, `line ${i + 1} has a type`).toBe('string');
    return m;
  });
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** A configured catalog from a CATALOG message: selected streams, each mode chosen by `pick`. */
export function configure(
  catalogMsg: Msg,
  pick: (stream: Msg) => { sync_mode?: string; destination_sync_mode?: string } | undefined = () => ({}),
): Msg {
  const streams = [];
  for (const s of catalogMsg.catalog.streams as Msg[]) {
    const choice = pick(s);
    if (!choice) continue;
    const incremental = (s.supported_sync_modes as string[]).includes('incremental');
    streams.push({
      stream: s,
      sync_mode: choice.sync_mode ?? (incremental ? 'incremental' : 'full_refresh'),
      destination_sync_mode: choice.destination_sync_mode ?? 'append_dedup',
      ...(s.default_cursor_field ? { cursor_field: s.default_cursor_field } : {}),
      primary_key: s.source_defined_primary_key,
    });
  }
  return { streams };
}
