/**
 * The connections file from the command line: `sync --connection` against a bundled simulator into DuckDB
 * writes exactly what the equivalent plain `sync` writes, secrets never show, and `connections` lists and
 * validates the file. Runs the built CLI in child processes.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';

describe('tributary sync --connection and tributary connections', () => {
  let baton: SimulatorHandle;
  let humaans: SimulatorHandle;
  let dir: string;
  let file: string;
  const KEY = 'baton-secret-key-919191';
  const TOKEN = 'humaans-secret-token-727272';
  const env = { BATON_KEY_ACME: KEY, HUMAANS_TOKEN: TOKEN };

  beforeAll(async () => {
    baton = await startHellobatonSimulator({ seed: 7, records: 300, token: KEY });
    humaans = await startHumaansSimulator({ seed: 7, records: 200, token: TOKEN });
    dir = tempDir('tributary-connections-cli-');
    file = join(dir, 'tributary.yaml');
    writeFileSync(
      file,
      `connections:
  - name: baton-acme
    connector: hellobaton
    config:
      api_key: \${BATON_KEY_ACME}
      company: acme
      base_url: ${baton.baseUrl}
    destination: duckdb:${join(dir, 'connection.duckdb')}
    namespace: baton_acme
    streams: [projects, tasks, users]
    schedule: { every: 15m }
  - name: humaans
    connector: humaans
    config: { api_token: "\${HUMAANS_TOKEN}", base_url: "${humaans.baseUrl}", initial_sync_days: 0 }
    destination: duckdb:${join(dir, 'connection.duckdb')}
    schedule: { cron: "0 7 * * 1-5", tz: Europe/Paris }
`,
    );
  });
  afterAll(async () => {
    await baton.close();
    await humaans.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs one connection exactly as the equivalent plain sync, and never prints the key', async () => {
    // Only the synced connection's secrets are needed: humaans's token is not set here.
    const r = await runCli(['sync', '--connection', 'baton-acme', '--file', file], { BATON_KEY_ACME: KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sync SUCCEEDED: hellobaton → duckdb:/);
    expect(r.stdout + r.stderr).not.toContain(KEY);

    const config = join(dir, 'baton.yaml');
    writeFileSync(config, `api_key: \${BATON_KEY_ACME}\ncompany: acme\nbase_url: ${baton.baseUrl}\n`);
    const plainDb = join(dir, 'plain.duckdb');
    const plain = await runCli(
      [
        'sync',
        'hellobaton',
        '--config',
        config,
        '--destination',
        `duckdb:${plainDb}`,
        '--namespace',
        'baton_acme',
        '--streams',
        'projects,tasks,users',
      ],
      env,
    );
    expect(plain.code, plain.stderr).toBe(0);
    const viaConnection = await dumpDuckDb(join(dir, 'connection.duckdb'), 'baton_acme');
    expect(Object.keys(viaConnection).sort()).toEqual(['projects', 'tasks', 'users']);
    expect(viaConnection.tasks!.length).toBeGreaterThan(10);
    expect(viaConnection).toEqual(await dumpDuckDb(plainDb, 'baton_acme'));
    // The namespace records the connection as its owner.
    const owner = await queryDuckDb(
      join(dir, 'connection.duckdb'),
      'select * from baton_acme._tributary_owner',
    );
    expect(owner[0]).toMatchObject({ connector: 'hellobaton', connection: 'baton-acme' });

    // state show --connection needs no API key: it looks where the connection writes.
    const state = await runCli(['state', 'show', '--connection', 'baton-acme', '--file', file, '--json'], {});
    expect(state.code, state.stderr).toBe(0);
    expect(Object.keys(JSON.parse(state.stdout)).sort()).toEqual(['projects', 'tasks', 'users']);
  });

  it('a connection with a cron schedule and a flow-style config syncs too', async () => {
    const r = await runCli(['sync', '--connection', 'humaans', '--file', file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/people\s+incremental\s+succeeded\s+\d+/);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const reset = await runCli(['state', 'reset', '--connection', 'humaans', '--file', file, '--yes'], {});
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/state reset for .* of humaans in duckdb:.*\(schema humaans\)/);
  });

  it('refuses --connection with a connector, --config or --destination, and an unknown connection (exit 2)', async () => {
    const both = await runCli(['sync', 'hellobaton', '--connection', 'baton-acme', '--file', file], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/TRB_USAGE.*drop a connector \("hellobaton"\)/);
    const dest = await runCli(
      ['sync', '--connection', 'baton-acme', '--file', file, '--destination', 'duckdb:x.duckdb'],
      env,
    );
    expect(dest.code).toBe(2);
    expect(dest.stderr).toMatch(/drop --destination/);
    const fileAlone = await runCli(['sync', 'hellobaton', '--file', file], env);
    expect(fileAlone.code).toBe(2);
    expect(fileAlone.stderr).toMatch(/TRB_USAGE.*--file only applies with --connection NAME/);
    const neither = await runCli(['state', 'show'], env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/TRB_USAGE.*state show needs a connector, or --connection NAME/);
    const stateDest = await runCli(
      ['state', 'show', '--connection', 'baton-acme', '--file', file, '--namespace', 'x'],
      env,
    );
    expect(stateDest.code).toBe(2);
    expect(stateDest.stderr).toMatch(/TRB_USAGE.*drop --namespace/);
    const unknown = await runCli(['sync', '--connection', 'baton-beta', '--file', file], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /TRB_CONNECTIONS_INVALID.*no connection named "baton-beta" \(connections: baton-acme, humaans\)/,
    );
    const noKey = await runCli(['sync', '--connection', 'baton-acme', '--file', file], {
      HUMAANS_TOKEN: TOKEN,
    });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(
      /connection "baton-acme": config\.api_key: environment variable \$\{BATON_KEY_ACME\} is not set/,
    );
    const missingFile = await runCli([
      'sync',
      '--connection',
      'baton-acme',
      '--file',
      join(dir, 'nope.yaml'),
    ]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toMatch(/nope\.yaml cannot be read \(no such file\)/);
  });

  it('lists connections without secrets, and validate reports every problem (exit 2)', async () => {
    const list = await runCli(['connections', '--file', file], {});
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(
      /baton-acme\s+hellobaton\s+duckdb:.*\s+baton_acme\s+every 15 minutes\s+\d{4}-/,
    );
    expect(list.stdout).toMatch(/humaans\s+humaans\s+duckdb:.*cron 0 7 \* \* 1-5 \(Europe\/Paris\)/);
    const ok = await runCli(['connections', 'validate', '--file', file], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/2 connections in .*: valid/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `connections:
  - { name: a, connector: hellobaton, config: { company: acme }, schedule: { cron: "0 7 * *" } }
  - { name: b, connector: hellobaton, config: { api_key: k, company: acme }, streams: [taks] }
  - { name: c, connector: humaans, config: { api_token: "\${NOT_SET_ANYWHERE}" }, schedule: { cron: "0 7 * * *", tz: Europe/Pariss } }
  - { name: c, connector: humaans }
`,
    );
    const r = await runCli(['connections', 'validate', '--file', bad], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TRB_CONNECTIONS_INVALID.*3 problems/);
    expect(r.stderr).toMatch(/connection "a": schedule\.cron: "0 7 \* \*" has 4 fields/);
    expect(r.stderr).toMatch(/connection "c": schedule\.tz: unknown time zone "Europe\/Pariss"/);
    expect(r.stderr).toMatch(/connection "c": name: "c" is already the name of connection #3/);
    // Streams and configs are checked against their connectors once the file's own shape is valid.
    expect(r.stderr).not.toMatch(/connection "b"/);
    // Fixing the file's shape reveals the configs' own problems, each naming its connection and field.
    writeFileSync(
      bad,
      `connections:
  - { name: a, connector: hellobaton, config: { company: acme } }
  - { name: b, connector: hellobaton, config: { api_key: k, company: acme }, streams: [taks] }
  - { name: c, connector: humaans, config: { api_token: "\${NOT_SET_ANYWHERE}" } }
`,
    );
    const again = await runCli(['connections', 'validate', '--file', bad], {});
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/3 problems/);
    expect(again.stderr).toMatch(/connection "a": config: .*api_key/);
    expect(again.stderr).toMatch(/connection "b": streams: unknown stream "taks"/);
    expect(again.stderr).toMatch(
      /connection "c": config\.api_token: environment variable \$\{NOT_SET_ANYWHERE\} is not set/,
    );
    const noSecrets = await runCli(['connections', 'validate', '--no-secrets', '--file', bad], {});
    expect(noSecrets.code, noSecrets.stderr).toBe(0);
  });

  it('tributary.example.yaml validates and syncs against the bundled simulators', async () => {
    const example = readFileSync(join(ROOT, 'tributary.example.yaml'), 'utf8')
      .replaceAll('http://127.0.0.1:8101/api/', baton.baseUrl)
      .replaceAll('http://127.0.0.1:8102/api', humaans.baseUrl);
    const exampleDir = tempDir('tributary-example-');
    try {
      writeFileSync(join(exampleDir, 'tributary.yaml'), example);
      const validate = await runCli(['connections', 'validate'], env, exampleDir);
      expect(validate.code, validate.stderr).toBe(0);
      for (const name of ['baton-acme', 'humaans', 'baton-acme-projects']) {
        const r = await runCli(['sync', '--connection', name], env, exampleDir);
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(KEY);
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
      }
    } finally {
      rmSync(exampleDir, { recursive: true, force: true });
    }
  });
});
