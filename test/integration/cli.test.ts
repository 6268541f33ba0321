/**
 * The CLI as users meet it: exit codes (0 ok, 1 sync failed, 2 bad config or usage, 3 destination locked),
 * messages that name what is wrong and where, and secrets that never show. Runs the built CLI in child processes.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';

describe('tributary CLI', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  const TOKEN = 'cli-secret-token-424242';

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 5, records: 300, token: TOKEN });
    dir = tempDir('tributary-cli-');
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: \${HUMAANS_TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: "0"\nmax_records_per_page: "50"\n`,
    );
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = { HUMAANS_TOKEN: TOKEN };

  it('syncs with a YAML config, ${ENV} interpolation and string values, and prints a summary', async () => {
    const db = join(dir, 'ok.duckdb');
    const r = await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${db}`], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sync SUCCEEDED: humaans → duckdb:/);
    expect(r.stdout).toMatch(/documents\s+incremental\s+succeeded\s+300\s/);
    // Not a TTY: JSON log lines on stderr.
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const state = await runCli(['state', 'show', 'humaans', '--destination', `duckdb:${db}`, '--json']);
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout).documents.state).toMatchObject({ mode: 'incremental', complete: true });
    expect(state.stdout).not.toContain(TOKEN);
  });

  it('a missing ${ENV} variable is a config error naming it (exit 2)', async () => {
    const r = await runCli(
      ['sync', 'humaans', '--config', config, '--destination', `duckdb:${join(dir, 'x.duckdb')}`],
      {},
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TRB_CONFIG_ENV.*api_token.*\$\{HUMAANS_TOKEN\}/);
  });

  it('a missing config file is exit 2 and says so', async () => {
    const r = await runCli(['sync', 'humaans', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml cannot be read \(no such file\)/);
  });

  it('an unknown connector or stream is exit 2', async () => {
    expect((await runCli(['spec', 'salesforce'])).stderr).toMatch(
      /unknown connector "salesforce" \(available: hellobaton, humaans\)/,
    );
    const r = await runCli(
      [
        'sync',
        'humaans',
        '--config',
        config,
        '--streams',
        'payroll',
        '--destination',
        `duckdb:${join(dir, 'y.duckdb')}`,
      ],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown stream "payroll"/);
  });

  it('an unreachable API fails the sync (exit 1) with an error naming the URL, not the token', async () => {
    const bad = join(dir, 'unreachable.json');
    writeFileSync(
      bad,
      JSON.stringify({
        api_token: TOKEN,
        base_url: 'http://127.0.0.1:9/api',
        retry_attempts: 1,
        initial_sync_days: 0,
      }),
    );
    const r = await runCli([
      'sync',
      'humaans',
      '--config',
      bad,
      '--streams',
      'companies',
      '--destination',
      `duckdb:${join(dir, 'u.duckdb')}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Sync FAILED/);
    expect(r.stdout).toMatch(/TRB_SOURCE_NETWORK.*127\.0\.0\.1:9\/api\/companies.*ECONNREFUSED/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('a DuckDB path that cannot be written is exit 2 naming the path', async () => {
    const asDir = join(dir, 'a-directory.duckdb');
    mkdirSync(asDir);
    const r1 = await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${asDir}`], env);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(asDir);
    const r2 = await runCli(
      [
        'sync',
        'humaans',
        '--config',
        config,
        '--destination',
        `duckdb:${join(dir, 'missing', 'sub', 'x.duckdb')}`,
      ],
      env,
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/TRB_DEST_OPEN/);
    if (process.getuid?.() !== 0) {
      const ro = join(dir, 'readonly.duckdb');
      writeFileSync(ro, '');
      chmodSync(ro, 0o444);
      const r3 = await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${ro}`], env);
      expect(r3.code).toBe(2);
    }
  });

  it('a DuckDB file locked by another sync is exit 3 (try later) with a clear message', async () => {
    const db = join(dir, 'locked.duckdb');
    const slow = await startHumaansSimulator({ seed: 6, records: 2000, token: TOKEN, latencyMs: 300 });
    try {
      const slowCfg = join(dir, 'slow.json');
      writeFileSync(
        slowCfg,
        JSON.stringify({
          api_token: TOKEN,
          base_url: slow.baseUrl,
          initial_sync_days: 0,
          max_records_per_page: 10,
        }),
      );
      const first = startCli(['sync', 'humaans', '--config', slowCfg, '--destination', `duckdb:${db}`]);
      // Wait until the first sync holds the file (it logs "sync started" after opening the destination).
      for (let i = 0; i < 100 && !/sync started/.test(await peekStderr(first.child)); i++)
        await new Promise((r) => setTimeout(r, 50));
      const second = await runCli(
        ['sync', 'humaans', '--config', config, '--destination', `duckdb:${db}`],
        env,
      );
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/TRB_DEST_LOCKED.*locked by another process/);
      first.child.kill('SIGKILL');
      await first.done;
    } finally {
      await slow.close();
    }
  });

  it('every command has --help; bad usage is exit 2', async () => {
    // Every command the CLI registers, read from its own help, so a new command cannot be left out.
    const top = await runCli(['--help']);
    const listed = top.stdout.slice(top.stdout.indexOf('Commands:'));
    const commands = [...listed.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['sync', 'state', 'demo', 'worker', 'serve', 'run']));
    for (const cmd of commands) {
      const r = await runCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/Usage: tributary/);
    }
    expect((await runCli(['sync'])).code).toBe(2);
    expect((await runCli(['sync', 'humaans', '--concurrency', 'lots'])).code).toBe(2);
  });

  it('spec marks secrets; check succeeds with a good token and fails with a bad one', async () => {
    const spec = JSON.parse((await runCli(['spec', 'humaans'])).stdout);
    expect(spec.properties.api_token).toMatchObject({ airbyte_secret: true });
    expect(spec.properties.max_records_per_page).toMatchObject({ minimum: 1, maximum: 250, default: 100 });
    const ok = await runCli(['check', 'humaans', '--config', config], env);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(['check', 'humaans', '--config', config], { HUMAANS_TOKEN: 'wrong-token-0000' });
    // A rejected token is fixed in the config: exit 2, like any other bad config.
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/TRB_AUTH.*401/);
    expect(bad.stderr).not.toContain('wrong-token-0000');
  });
});

const stderrSeen = new WeakMap<object, string>();
async function peekStderr(child: import('node:child_process').ChildProcess): Promise<string> {
  if (!stderrSeen.has(child)) {
    stderrSeen.set(child, '');
    child.stderr!.on('data', (d) => stderrSeen.set(child, stderrSeen.get(child) + String(d)));
  }
  return stderrSeen.get(child)!;
}
