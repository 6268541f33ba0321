/**
 * The commands for the day after a sync, driven through the built CLI against a Humaans simulator and a
 * DuckDB file (and PostgreSQL and MySQL where they answer): `runs`, `status`, `state show|reset`, and flags that would
 * be silently ignored.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { assertBuilt, CLI, collectOutput, runCli, startCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlTestsRun } from '../helpers/mysql.js';
import { PG_TEST_URL, pgReachable } from '../helpers/postgres.js';

const TOKEN = 'day-two-token-31337';
const STREAMS = ['companies', 'documents', 'job_roles', 'people', 'locations', 'time_away'];

interface RunJson {
  runId: string;
  namespace: string;
  connector: string;
  status: string;
  trigger: string;
  startedAt: string;
  durationMs: number | null;
  rows: number | null;
  deletes: number | null;
  error: string | null;
}

interface StatusJson {
  namespace: string;
  stream: string;
  rows: number | null;
  softDeleted: number | null;
  mode: string | null;
  position: string;
  complete: boolean | null;
  lastSuccessAt: string | null;
  lastError: { message: string } | null;
}

describe('day-two commands on DuckDB', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let db: string;
  let config: string;
  let badConfig: string;
  let expected: Record<string, number>;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 12, records: 200, token: TOKEN });
    dir = tempDir('tributary-day-two-');
    db = join(dir, 'day2.duckdb');
    // The destination comes from the config, so `--config` alone must find it.
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination: duckdb:${db}\n`,
    );
    badConfig = join(dir, 'bad.yaml');
    writeFileSync(
      badConfig,
      `api_token: wrong-token-1\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination: duckdb:${db}\n`,
    );
    expected = Object.fromEntries(
      sim.streams().map((s) => [s.replace(/-/g, '_'), sim.records(s).length] as const),
    );
    const ok = await runCli(['sync', 'humaans', '--config', config]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(['sync', 'humaans', '--config', badConfig]);
    expect(bad.code, bad.stderr).toBe(2);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs lists the history newest first, as a table and as JSON', async () => {
    const json = await runCli(['runs', 'humaans', '--config', config, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const runs = JSON.parse(json.stdout) as RunJson[];
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    const [failed, ok] = runs as [RunJson, RunJson];
    expect(ok).toMatchObject({
      namespace: 'humaans',
      connector: 'humaans',
      trigger: 'manual',
      deletes: 0,
      error: null,
    });
    expect(ok.rows).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    expect(failed.error).toMatch(/^\[TRB_AUTH\] .*401/);
    expect(failed.rows).toBe(0);
    expect(json.stdout).not.toContain('wrong-token-1');

    const limited = JSON.parse(
      (await runCli(['runs', '--destination', `duckdb:${db}`, '--limit', '1', '--json'])).stdout,
    );
    expect(limited).toHaveLength(1);
    expect(limited[0].runId).toBe(failed.runId);

    const table = await runCli(['runs', 'humaans', '--config', config]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    const header = lines.findIndex((l) =>
      /^run\s+schema\s+status\s+trigger\s+started\s+duration\s+rows\s+deletes\s+error/.test(l),
    );
    expect(header, table.stdout).toBeGreaterThan(-1);
    expect(lines[header + 2]).toMatch(
      new RegExp(
        `^${failed.runId.slice(0, 8)}\\s+humaans\\s+failed\\s+manual\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+[\\d.]+s\\s+0\\s+0\\s+\\[TRB_AUTH\\]`,
      ),
    );
    expect(lines[header + 3]).toMatch(
      new RegExp(`^${ok.runId.slice(0, 8)}\\s+humaans\\s+succeeded\\s+manual\\s.*\\s${ok.rows}\\s+0$`),
    );
  });

  it('status shows per stream rows, mode, cursor, completeness, last success and the later error', async () => {
    const r = await runCli(['status', 'humaans', '--config', config, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const streams = JSON.parse(r.stdout) as StatusJson[];
    expect(streams.map((s) => s.stream)).toEqual(STREAMS);
    const [failedRun] = JSON.parse(
      (await runCli(['runs', 'humaans', '--config', config, '--json'])).stdout,
    ) as Array<RunJson & { streams: Array<{ stream: string; status: string }> }>;
    const failedStreams = failedRun!.streams.filter((s) => s.status === 'failed').map((s) => s.stream);
    expect(failedStreams.length).toBeGreaterThan(0);
    for (const s of streams) {
      expect(s, s.stream).toMatchObject({
        namespace: 'humaans',
        rows: expected[s.stream],
        softDeleted: 0,
        mode: 'incremental',
        complete: true,
      });
      expect(s.position).toMatch(/^cursor \d{4}-\d\d-\d\dT/);
      expect(s.lastSuccessAt).not.toBeNull();
      // The wrong-token run came after the success: the streams it failed carry its error, the streams it
      // skipped (after the first failures) carry none.
      if (failedStreams.includes(s.stream))
        expect(s.lastError?.message, s.stream).toMatch(/^\[TRB_AUTH\] .*401/);
      else expect(s.lastError, s.stream).toBeNull();
    }
    const table = await runCli(['status', '--destination', `duckdb:${db}`]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(
        `^humaans\\s+documents\\s+${expected.documents}\\s+0\\s+incremental\\s+yes\\s+\\d{4}-.*cursor `,
        'm',
      ),
    );
  });

  it('state show: a table with the last save time, JSON on request, stream names checked', async () => {
    const table = await runCli(['state', 'show', 'humaans', '--config', config]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^stream\s+mode\s+complete\s+last saved\s+next sync starts at/m);
    expect(table.stdout).toMatch(
      /^documents\s+incremental\s+yes\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+cursor \d{4}-/m,
    );
    const json = JSON.parse(
      (await runCli(['state', 'show', 'humaans', '--config', config, '--json', '--streams', 'documents']))
        .stdout,
    );
    expect(Object.keys(json)).toEqual(['documents']);
    expect(json.documents.state).toMatchObject({ mode: 'incremental', complete: true });
    expect(Date.parse(json.documents.updatedAt)).not.toBeNaN();

    const unknown = await runCli(['state', 'show', 'humaans', '--config', config, '--streams', 'docs']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`unknown stream "docs" for humaans (streams: ${STREAMS.join(', ')})`);
    expect(unknown.stdout).toBe('');
    const nosuch = await runCli(['state', 'show', 'nosuch', '--destination', `duckdb:${db}`]);
    expect(nosuch.code).toBe(2);
    expect(nosuch.stdout).toBe('');
    expect(nosuch.stderr).toMatch(/unknown connector "nosuch"/);
  });

  it('a connection of another writer (load --from-airbyte names it "airbyte") is read with its stored streams', async () => {
    // No bundled connector "airbyte": the streams are the ones stored in the schema given.
    const args = ['state', 'show', 'airbyte', '--destination', `duckdb:${db}`, '--namespace', 'humaans'];
    const json = await runCli([...args, '--json', '--streams', 'people']);
    expect(json.code, json.stderr).toBe(0);
    expect(Object.keys(JSON.parse(json.stdout))).toEqual(['people']);
    const typo = await runCli([...args, '--streams', 'peple']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain(
      `unknown stream "peple" for airbyte (streams: ${[...STREAMS].sort().join(', ')})`,
    );
    const missing = await runCli(['state', 'show', 'airbyte', '--destination', `duckdb:${db}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /unknown connector "airbyte" .*, and duckdb:.* has no tributary schema "airbyte"/,
    );
  });

  it('reading never creates a database or a schema', async () => {
    const typo = join(dir, 'typo.duckdb');
    for (const args of [
      ['state', 'show', 'humaans'],
      ['state', 'reset', 'humaans', '--yes'],
      ['runs'],
      ['status', 'humaans'],
    ]) {
      const r = await runCli([...args, '--destination', `duckdb:${typo}`]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/TRB_DEST_OPEN.*no DuckDB file at .*typo\.duckdb/);
      expect(existsSync(typo)).toBe(false);
    }
    const schema = await runCli([
      'state',
      'show',
      'humaans',
      '--destination',
      `duckdb:${db}`,
      '--namespace',
      'nope',
    ]);
    expect(schema.code).toBe(2);
    expect(schema.stderr).toMatch(
      /has no tributary schema "nope" \(schemas with tributary data: humaans; choose one with --namespace\)/,
    );
    const schemas = await queryDuckDb(
      db,
      `select schema_name from information_schema.schemata where schema_name = 'nope'`,
    );
    expect(schemas).toEqual([]);
  });

  it('reading a DuckDB file a sync is writing is refused like a second sync is', async () => {
    const busy = join(dir, 'busy.duckdb');
    const slow = await startHumaansSimulator({ seed: 6, records: 2000, token: TOKEN, latencyMs: 300 });
    try {
      const slowCfg = join(dir, 'slow.yaml');
      writeFileSync(
        slowCfg,
        `api_token: ${TOKEN}\nbase_url: ${slow.baseUrl}\ninitial_sync_days: 0\nmax_records_per_page: 10\n`,
      );
      const first = startCli(['sync', 'humaans', '--config', slowCfg, '--destination', `duckdb:${busy}`]);
      let stderr = '';
      first.child.stderr!.on('data', (d) => {
        stderr += String(d);
      });
      // The sync holds the file once it logs "sync started" (after opening the destination).
      for (let i = 0; i < 200 && !/sync started/.test(stderr); i++)
        await new Promise((r) => setTimeout(r, 50));
      const status = await runCli(['status', 'humaans', '--destination', `duckdb:${busy}`]);
      const sync = await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${busy}`]);
      first.child.kill('SIGKILL');
      await first.done;
      expect(status.stderr).toMatch(/TRB_DEST_LOCKED.*busy\.duckdb is open for writing by another process/);
      expect(sync.stderr).toMatch(/TRB_DEST_LOCKED/);
      // One error code, one exit code, whichever command meets it.
      expect(status.code).toBe(sync.code);
    } finally {
      await slow.close();
    }
  });

  it('state reset: stream names checked, --yes required without a terminal, then only those streams reset', async () => {
    const copy = join(dir, 'reset.duckdb');
    const cfg = join(dir, 'reset.yaml');
    writeFileSync(
      cfg,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination: duckdb:${copy}\n`,
    );
    expect((await runCli(['sync', 'humaans', '--config', cfg])).code).toBe(0);
    const stored = async () =>
      (await queryDuckDb(copy, 'select stream from humaans._tributary_state order by stream')).map(
        (r) => r.stream,
      );
    const before = await stored();
    expect(before).toHaveLength(6);

    const typo = await runCli(['state', 'reset', 'humaans', '--config', cfg, '--streams', 'docs', '--yes']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown stream "docs" for humaans');
    const unconfirmed = await runCli([
      'state',
      'reset',
      'humaans',
      '--config',
      cfg,
      '--streams',
      'documents',
    ]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/TRB_USAGE.*pass --yes to confirm/);
    expect(await stored()).toEqual(before);

    const done = await runCli([
      'state',
      'reset',
      'humaans',
      '--config',
      cfg,
      '--streams',
      'documents',
      '--yes',
    ]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(
      /state reset for documents of humaans in duckdb:.*reset\.duckdb \(schema humaans\)/,
    );
    expect(await stored()).toEqual(before.filter((s) => s !== 'documents'));
  });

  it('state reset on a terminal asks, and only "y" resets', async () => {
    const copy = join(dir, 'tty.duckdb');
    const cfg = join(dir, 'tty.yaml');
    writeFileSync(
      cfg,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination: duckdb:${copy}\n`,
    );
    expect((await runCli(['sync', 'humaans', '--config', cfg])).code).toBe(0);
    const count = async () =>
      Number((await queryDuckDb(copy, 'select count(*) as n from humaans._tributary_state'))[0]!.n);
    const onTerminal = async (answer: string) => {
      assertBuilt();
      const cmd = [process.execPath, CLI, 'state', 'reset', 'humaans', '--config', cfg, '--streams', 'people']
        .map((a) => `'${a}'`)
        .join(' ');
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const done = collectOutput(child);
      // Answer once the question is on screen.
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stdout!.on('data', (d) => {
          seen += String(d);
          if (seen.includes('[y/N]')) resolve();
        });
      });
      child.stdin!.end(`${answer}\n`);
      return done;
    };
    const no = await onTerminal('n');
    expect(no.code, no.stdout).toBe(0);
    expect(no.stdout).toMatch(
      /Reset the state of people of humaans in duckdb:.*\? The next sync re-reads them\. \[y\/N\]/,
    );
    expect(no.stdout).toContain('cancelled; nothing changed');
    expect(await count()).toBe(6);
    const yes = await onTerminal('y');
    expect(yes.code, yes.stdout).toBe(0);
    expect(yes.stdout).toContain('state reset for people');
    expect(await count()).toBe(5);
  });

  it('a flag with no effect in the mode given is a usage error, and nothing is written', async () => {
    const fresh = join(dir, 'replace.duckdb');
    const r = await runCli([
      'sync',
      'humaans',
      '--config',
      config,
      '--replace',
      '--destination',
      `duckdb:${fresh}`,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TRB_USAGE.*--replace only applies to a full refresh: add --full-refresh/);
    expect(existsSync(fresh)).toBe(false);
    // Humaans pages by offset, one page after another: there is nothing to fetch in parallel.
    const pages = await runCli([
      'sync',
      'humaans',
      '--config',
      config,
      '--page-concurrency',
      '4',
      '--destination',
      `duckdb:${fresh}`,
    ]);
    expect(pages.code).toBe(2);
    expect(pages.stderr).toMatch(/TRB_USAGE.*--page-concurrency has no effect on humaans: .* by offset/);
    expect(existsSync(fresh)).toBe(false);
    // Hellobaton pages by page number, with no cursor to split into windows.
    const baton = join(dir, 'baton-windows.json');
    writeFileSync(baton, JSON.stringify({ api_key: 'k', company: 'acme', base_url: 'http://127.0.0.1:9' }));
    const windows = await runCli([
      'sync',
      'hellobaton',
      '--config',
      baton,
      '--windows',
      '4',
      '--destination',
      `duckdb:${fresh}`,
    ]);
    expect(windows.code).toBe(2);
    expect(windows.stderr).toMatch(/TRB_USAGE.*--windows has no effect on hellobaton/);
    expect(existsSync(fresh)).toBe(false);
    const load = await runCli([
      'load',
      '--from-airbyte',
      '--committed-state',
      '--batch-rows',
      '5',
      '--commit-at-eof',
      '--destination',
      `duckdb:${fresh}`,
    ]);
    expect(load.code).toBe(2);
    expect(load.stderr).toMatch(
      /TRB_USAGE.*load --committed-state reads no input, so --batch-rows, --commit-at-eof would have no effect/,
    );
    expect(existsSync(fresh)).toBe(false);
  });

  it('every command and subcommand has a description, and options show their defaults', async () => {
    const top = await runCli(['--help']);
    const commands = [
      ...top.stdout.matchAll(/^ {2}([a-z-]+)(?: \[options\])?(?: [<[].*?)?\s{2,}(\S.*)$/gm),
    ].map((m) => m[1]!);
    for (const c of ['sync', 'state', 'runs', 'status', 'demo']) expect(commands, top.stdout).toContain(c);
    const paths = [
      ...commands.filter((c) => c !== 'help').map((c) => [c]),
      ['state', 'show'],
      ['state', 'reset'],
    ];
    const helps = await Promise.all(paths.map((path) => runCli([...path, '--help'])));
    for (const [i, r] of helps.entries()) {
      const where = paths[i]!.join(' ');
      expect(r.code, where).toBe(0);
      // The description is the paragraph after the usage line.
      expect(r.stdout.split('\n')[2]?.trim().length ?? 0, where).toBeGreaterThan(10);
      // Every argument, option and subcommand entry has a description beside it.
      for (const entry of r.stdout.split('\n').filter((l) => /^ {2}\S/.test(l))) {
        expect(entry, `${where}: ${entry}`).toMatch(/^ {2}\S.*?\s{2,}\S/);
      }
    }
    const state = await runCli(['state', '--help']);
    expect(state.stdout).toMatch(/^ {2}show \[options\] \[connector\]\s+show where the next sync/m);
    expect(state.stdout).toMatch(/^ {2}reset \[options\] \[connector\]\s+forget the stored state/m);
    const sync = (await runCli(['sync', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(sync).toContain('streams synced at once (default: 4)');
    expect(sync).toContain('rows per destination transaction (default: 10000)');
    expect(sync).toMatch(/default: the config's destination, else duckdb:\.\/tributary\.duckdb/);
    const runs = (await runCli(['runs', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(runs).toContain('(default: 20)');
    const demo = (await runCli(['demo', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(demo).toContain('(default: "duckdb:./tributary-demo.duckdb")');
    expect(demo).toContain('(default: 5000)');
  }, 120_000);
});

const CI = process.env.CI === 'true';
const pgAvailable = await pgReachable(PG_TEST_URL);

describe.skipIf(!pgAvailable && !CI)('day-two commands on PostgreSQL', () => {
  const schema = `day_two_${process.pid}`;
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  let client: pg.Client;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 13, records: 60, token: TOKEN });
    dir = tempDir('tributary-day-two-pg-');
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination:\n  url: ${PG_TEST_URL}\n  schema: ${schema}\n`,
    );
    client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    const r = await runCli(['sync', 'humaans', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client?.end();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs and status read the schema named in the config', async () => {
    const runs = JSON.parse(
      (await runCli(['runs', 'humaans', '--config', config, '--json'])).stdout,
    ) as RunJson[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ namespace: schema, status: 'succeeded', trigger: 'manual', deletes: 0 });
    const total = sim.streams().reduce((n, s) => n + sim.records(s).length, 0);
    expect(runs[0]!.rows).toBe(total);
    const status = JSON.parse(
      (await runCli(['status', 'humaans', '--config', config, '--json'])).stdout,
    ) as StatusJson[];
    expect(status.map((s) => s.stream)).toEqual(STREAMS);
    const expected = Object.fromEntries(
      sim.streams().map((s) => [s.replace(/-/g, '_'), sim.records(s).length] as const),
    );
    for (const s of status) {
      expect(s).toMatchObject({
        namespace: schema,
        rows: expected[s.stream],
        mode: 'incremental',
        complete: true,
        lastError: null,
      });
    }
  });

  it('a missing schema is a clear error and is not created', async () => {
    const missing = `${schema}_missing`;
    for (const args of [
      ['state', 'show', 'humaans'],
      ['status', 'humaans'],
      ['runs', 'humaans'],
    ]) {
      const r = await runCli([...args, '--destination', PG_TEST_URL, '--namespace', missing]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`TRB_DEST_OPEN.*has no tributary schema "${missing}"`));
    }
    const found = await client.query('select 1 from pg_namespace where nspname = $1', [missing]);
    expect(found.rowCount).toBe(0);
  });
});

const mysqlRuns = await mysqlTestsRun('day-two');

describe.skipIf(!mysqlRuns)('day-two commands on MySQL', () => {
  const namespace = `day_two_${process.pid}`;
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  let admin: mysql.Pool;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 14, records: 60, token: TOKEN });
    dir = tempDir('tributary-day-two-mysql-');
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\ndestination:\n  url: ${MYSQL_TEST_URL}\n  schema: ${namespace}\n`,
    );
    admin = mysqlAdmin();
    const r = await runCli(['sync', 'humaans', '--config', config]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS "${namespace}"`).catch(() => undefined);
    await admin?.end();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs, status and state show read the namespace named in the config', async () => {
    const runs = JSON.parse(
      (await runCli(['runs', 'humaans', '--config', config, '--json'])).stdout,
    ) as RunJson[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ namespace, status: 'succeeded', trigger: 'manual', deletes: 0 });
    const total = sim.streams().reduce((n, s) => n + sim.records(s).length, 0);
    expect(runs[0]!.rows).toBe(total);
    const status = JSON.parse(
      (await runCli(['status', 'humaans', '--config', config, '--json'])).stdout,
    ) as StatusJson[];
    expect(status.map((s) => s.stream)).toEqual(STREAMS);
    const expected = Object.fromEntries(
      sim.streams().map((s) => [s.replace(/-/g, '_'), sim.records(s).length] as const),
    );
    for (const s of status) {
      expect(s).toMatchObject({ namespace, rows: expected[s.stream], mode: 'incremental', complete: true });
    }
    const states = JSON.parse(
      (await runCli(['state', 'show', 'humaans', '--config', config, '--json'])).stdout,
    ) as Record<string, { state: { complete?: boolean }; updatedAt: string }>;
    expect(Object.keys(states).sort()).toEqual([...STREAMS].sort());
    expect(states.people!.state.complete).toBe(true);
    const reset = await runCli([
      'state',
      'reset',
      'humaans',
      '--config',
      config,
      '--streams',
      'people',
      '--yes',
    ]);
    expect(reset.code, reset.stderr).toBe(0);
    const after = JSON.parse(
      (await runCli(['state', 'show', 'humaans', '--config', config, '--json'])).stdout,
    ) as Record<string, unknown>;
    expect(Object.keys(after)).not.toContain('people');
  });

  it('a missing namespace is a clear error and is not created', async () => {
    const missing = `${namespace}_missing`;
    for (const args of [
      ['state', 'show', 'humaans'],
      ['status', 'humaans'],
      ['runs', 'humaans'],
    ]) {
      const r = await runCli([...args, '--destination', MYSQL_TEST_URL, '--namespace', missing]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`TRB_DEST_OPEN.*has no tributary schema "${missing}"`));
    }
    const [found] = await admin.query(
      `SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${missing}'`,
    );
    expect(found).toEqual([]);
  });
});
