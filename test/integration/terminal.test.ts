/**
 * What a person sees at a terminal: the CLI runs under a real pseudo-terminal (util-linux `script`), its
 * output is replayed through a screen model, and the final screen must show the summary's TOTAL row and the
 * verdict (with the error when the sync failed), with no log line or progress row drawn over them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { assertBuilt, CLI, collectOutput } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { finalScreen } from '../helpers/screen.js';

const COLUMNS = 160;
const ROWS = 40;
const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

function hasScript(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run the CLI with its stdout and stderr on one pseudo-terminal of COLUMNS×ROWS; returns the raw bytes. */
async function runOnTerminal(
  args: string[],
  cwd: string,
  rows = ROWS,
): Promise<{ code: number | null; output: string }> {
  assertBuilt();
  const command = `stty cols ${COLUMNS} rows ${rows}; exec ${quote(process.execPath)} ${[CLI, ...args].map(quote).join(' ')}`;
  const env = { ...process.env };
  // Let the CLI pick its own defaults for a terminal (log level, colours).
  delete env.TRIBUTARY_LOG_LEVEL;
  delete env.FORCE_COLOR;
  delete env.NO_COLOR;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = await collectOutput(child);
  return { code: r.code, output: r.stdout };
}

describe.skipIf(!hasScript())('sync on a terminal', () => {
  let sim: SimulatorHandle;
  let dir: string;
  const KEY = 'terminal-test-key-777';

  beforeAll(async () => {
    // A little latency, so the live display draws several times while the 17 streams sync.
    sim = await startHellobatonSimulator({ seed: 7, records: 600, token: KEY, latencyMs: 15 });
    dir = tempDir('tributary-tty-');
    writeFileSync(join(dir, 'ok.yaml'), `api_key: ${KEY}\ncompany: demo\nbase_url: ${sim.baseUrl}\n`);
    writeFileSync(join(dir, 'bad.yaml'), `api_key: wrong-key\ncompany: demo\nbase_url: ${sim.baseUrl}\n`);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the 17-stream sync ends with the summary, TOTAL and the verdict on screen', async () => {
    const r = await runOnTerminal(
      ['sync', 'hellobaton', '--config', 'ok.yaml', '--destination', 'duckdb:./ok.duckdb'],
      dir,
    );
    expect(r.code, r.output).toBe(0);
    // The live display really drew (cursor-up redraws), so the test exercises it.
    expect(r.output).toMatch(/\x1b\[\d+A/);
    const screen = finalScreen(r.output, COLUMNS, ROWS);
    const text = screen.join('\n');
    expect(text, text).toMatch(/^TOTAL\s+600\s/m);
    const verdict = screen.findIndex((l) => l.startsWith('Sync SUCCEEDED: hellobaton → duckdb:./ok.duckdb'));
    expect(verdict, text).toBeGreaterThan(0);
    // The verdict is the last thing written; every stream's summary row is above it, intact.
    expect(
      screen.slice(verdict + 1).every((l) => l === ''),
      text,
    ).toBe(true);
    for (const s of sim.streams())
      expect(text, s).toMatch(new RegExp(`^${s}\\s+full_refresh\\s+succeeded\\s`, 'm'));
  });

  it('log lines are printed for a person above the live display, never through it', async () => {
    // A terminal tall enough that nothing scrolls away: the final screen is the whole session.
    const tall = 400;
    const r = await runOnTerminal(
      [
        'sync',
        'hellobaton',
        '--config',
        'bad.yaml',
        '--destination',
        'duckdb:./logs.duckdb',
        '--log-level',
        'info',
      ],
      dir,
      tall,
    );
    expect(r.code, r.output).toBe(2);
    const screen = finalScreen(r.output, COLUMNS, tall);
    const text = screen.join('\n');
    const logLine = /^\d\d:\d\d:\d\d (INFO|WARN|ERROR) /;
    const displayRow = /^[✔✖…·] \w+\s+\d+ rec\s+\d+ pages\s+\d+ rec\/s/;
    const first = screen.findIndex((l) => displayRow.test(l));
    expect(first, text).toBeGreaterThan(0);
    // The display's final block: one intact row per stream, together, drawn once.
    const block = screen.slice(first, first + sim.streams().length);
    for (const row of block) expect(row, text).toMatch(displayRow);
    expect(screen.filter((l) => displayRow.test(l))).toHaveLength(sim.streams().length);
    // The logs are above it, in the human format, and none after it.
    const above = screen.slice(0, first);
    expect(
      above.some((l) => /^\d\d:\d\d:\d\d INFO {2}sync started/.test(l)),
      text,
    ).toBe(true);
    expect(
      above.some((l) => /^\d\d:\d\d:\d\d ERROR \w+: stream failed \(code=TRB_AUTH/.test(l)),
      text,
    ).toBe(true);
    expect(
      screen.slice(first).some((l) => logLine.test(l)),
      text,
    ).toBe(false);
    expect(text).not.toMatch(/^\s*\{"level"/m);
    const verdict = screen.findIndex((l) => l.startsWith('Sync FAILED: hellobaton'));
    expect(verdict, text).toBeGreaterThan(first);
    expect(screen[verdict + 1]).toMatch(/^Error \[TRB_AUTH\]: /);
  });

  it('a failed sync (wrong key) ends with the verdict and the error on screen, no JSON, no secret', async () => {
    const r = await runOnTerminal(
      ['sync', 'hellobaton', '--config', 'bad.yaml', '--destination', 'duckdb:./bad.duckdb'],
      dir,
    );
    expect(r.code, r.output).toBe(2);
    const screen = finalScreen(r.output, COLUMNS, ROWS);
    const text = screen.join('\n');
    expect(text, text).toMatch(/^TOTAL\s/m);
    const verdict = screen.findIndex((l) => l.startsWith('Sync FAILED: hellobaton → duckdb:./bad.duckdb'));
    expect(verdict, text).toBeGreaterThan(0);
    expect(screen[verdict + 1], text).toMatch(/^Error \[TRB_AUTH\]: /);
    // No raw JSON log line anywhere on screen, and no secret.
    expect(text).not.toMatch(/^\s*\{"level"/m);
    expect(r.output).not.toContain(KEY);
    expect(r.output).not.toContain('wrong-key');
  });
});
