/**
 * Secret scanner (docs/architecture.md law 4): every CLI command the suite exercises runs with known secret values
 * (fresh random ones each run) at the highest log level (TRIBUTARY_LOG_LEVEL=trace and --log-level trace),
 * through success, failure, retries, hostile APIs that echo the secret back, a SIGKILL and a resume. Then
 * stdout, stderr, every destination table (bookkeeping included), every state, and the raw bytes of the
 * DuckDB files are scanned for each secret, its URL-encoded form, and every prefix of 6 or more characters
 * of them. Zero occurrences, or the test fails and names where.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { type FakeApi, json, startFakeApi } from '../helpers/fake-api.js';
import { FULL, recordFigures } from '../helpers/reliability/env.js';
import { runKilled } from '../helpers/reliability/run.js';
import { MYSQL_TEST_URL } from '../helpers/mysql.js';
import {
  closeAdmin,
  duckDbTarget,
  mysqlAvailable,
  mysqlQuery,
  mysqlTarget,
  PG_URL,
  postgresAvailable,
  postgresTarget,
  type Target,
} from '../helpers/reliability/targets.js';

const pgOk = await postgresAvailable();
const mysqlOk = await mysqlAvailable();
/** A MySQL login with a password, made for this test (the test server's root has none). */
const MYSQL_USER = `trb_sec_${process.pid}`;

/** Random, so no fixture or earlier run can contain them; a distinctive shape so a prefix never occurs by chance. */
function secret(label: string, special = ''): string {
  return `${label}${special}${randomBytes(12).toString('base64url')}`;
}

const SECRETS = {
  humaansToken: secret('Hq7Tk-'),
  hellobatonKey: secret('Bz4Ky-'),
  wrongToken: secret('Wx9Tk-'),
  pgPassword: secret('Pg3Pw-', '@/:%+ '),
  mysqlPassword: secret('My3Pw-', '@/:%+ '),
  envToken: secret('Ev5Tk-'),
};

/** Each secret as it could appear: raw, URL-encoded, form-encoded, JSON-escaped. */
function forms(s: string): string[] {
  return [
    ...new Set([
      s,
      encodeURIComponent(s),
      new URLSearchParams({ s }).toString().slice(2),
      JSON.stringify(s).slice(1, -1),
    ]),
  ];
}

/** Every form, and every prefix of 6+ characters of every form (the 6-character prefix finds them all). */
const PATTERNS = Object.entries(SECRETS).flatMap(([name, value]) =>
  forms(value).flatMap((f) => [
    { name, kind: 'full', text: f },
    { name, kind: 'prefix', text: f.slice(0, 6) },
  ]),
);

interface Scanned {
  where: string;
  text: string;
}
const scanned: Scanned[] = [];
const figures = {
  secrets: Object.keys(SECRETS).length,
  secretPatterns: 0,
  bytesScanned: 0,
  commandsScanned: 0,
  occurrences: 0,
};

/** Run a CLI command at the highest log level and keep its output for the scan. */
async function cli(label: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return run(label, args, env);
}

/** Commands that repeat a path another command already covers: only in the full run. */
async function cliFull(
  label: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult | undefined> {
  return FULL ? run(label, args, env) : undefined;
}

async function run(label: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  const t0 = Date.now();
  const r = await runCli(args, { TRIBUTARY_LOG_LEVEL: 'trace', ...env });
  if (process.env.TRIBUTARY_RELIABILITY_VERBOSE)
    console.log(`[secrets] ${label}: exit ${r.code} in ${Date.now() - t0} ms`);
  scanned.push({ where: `${label}: stdout`, text: r.stdout }, { where: `${label}: stderr`, text: r.stderr });
  figures.commandsScanned++;
  return r;
}

/** Every occurrence of every pattern, with its surroundings (the secret itself masked in the report). */
function scan(texts: Scanned[]): string[] {
  const findings: string[] = [];
  for (const s of texts) {
    for (const p of PATTERNS) {
      let at = s.text.indexOf(p.text);
      while (at !== -1) {
        const around = s.text
          .slice(Math.max(0, at - 60), at + p.text.length + 20)
          .replaceAll(p.text, `<<${p.name}:${p.kind}>>`);
        findings.push(`${s.where}: ${p.name} (${p.kind}) …${around}…`);
        at = s.text.indexOf(p.text, at + 1);
      }
    }
  }
  return findings;
}

describe(`secret scanner (${FULL ? 'full' : 'quick'})`, () => {
  let dir: string;
  let humaans: SimulatorHandle;
  let hellobaton: SimulatorHandle;
  let echo: FakeApi;
  const targets: Target[] = [];
  const pgUrl = (() => {
    const u = new URL(PG_URL);
    u.password = encodeURIComponent(SECRETS.pgPassword);
    return u.toString();
  })();

  const humaansConfig = (extra: Record<string, unknown> = {}) => ({
    api_token: SECRETS.humaansToken,
    base_url: humaans.baseUrl,
    initial_sync_days: 0,
    max_records_per_page: 50,
    ...extra,
  });
  const hellobatonConfig = (extra: Record<string, unknown> = {}) => ({
    api_key: SECRETS.hellobatonKey,
    company: 'acme',
    base_url: hellobaton.baseUrl,
    page_size: 20,
    requests_per_minute: 100_000,
    ...extra,
  });
  const file = (name: string, content: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };

  beforeAll(async () => {
    dir = tempDir('tributary-secrets-');
    humaans = await startHumaansSimulator({
      seed: 31,
      records: 1500,
      latencyMs: 2,
      token: SECRETS.humaansToken,
    });
    hellobaton = await startHellobatonSimulator({
      seed: 31,
      records: 600,
      latencyMs: 2,
      rateLimitPerMinute: 0,
      token: SECRETS.hellobatonKey,
    });
    // A hostile API that echoes whatever credentials it gets into its bodies, headers and links.
    echo = await startFakeApi((req, res, origin) => {
      const url = new URL(req.url ?? '/', origin);
      const key = url.searchParams.get('api_key') ?? '';
      const bearer = String(req.headers.authorization ?? '');
      const page = Number(url.searchParams.get('page') ?? '1');
      if (url.pathname.includes('auth-echo'))
        return json(res, 401, { detail: `invalid key ${key} ${bearer}` });
      if (page === 1)
        return json(res, 200, {
          count: 60,
          next: `${origin}/api/users/?page=2&api_key=${key}&page_size=20`,
          results: [{ id: 1, first_name: 'one' }],
        });
      if (page === 2) {
        res.writeHead(500, { 'content-type': 'text/html', 'x-echo': key });
        return res.end(
          `<html>Internal error for api_key=${key} and ${encodeURIComponent(key)} (${bearer})</html>`,
        );
      }
      return json(res, 200, {
        count: 60,
        next: `http://evil.example.test/steal?api_key=${key}`,
        results: [{ id: 3 }],
      });
    });
  }, 60_000);

  afterAll(async () => {
    await humaans?.close();
    await hellobaton?.close();
    await echo?.close();
    for (const t of targets) await t.drop().catch(() => undefined);
    if (mysqlOk) await mysqlQuery(`DROP USER IF EXISTS '${MYSQL_USER}'@'%'`).catch(() => undefined);
    await closeAdmin();
    rmSync(dir, { recursive: true, force: true });
    recordFigures('secret-scanner', figures);
  });

  it('runs every command the suite exercises with the secrets, at trace level', async () => {
    const hCfg = file('humaans.json', humaansConfig());
    const bCfg = file('hellobaton.json', hellobatonConfig());
    // The token only in the environment, interpolated into a YAML config.
    const envCfg = file(
      'humaans-env.yaml',
      `api_token: \${TRB_SECRET_TOKEN}\nbase_url: ${humaans.baseUrl}\ninitial_sync_days: 0\n`,
    );
    const wrongCfg = file('wrong.json', humaansConfig({ api_token: SECRETS.wrongToken }));
    const duck = duckDbTarget(dir, 'secrets', 'humaans');
    const duckB = duckDbTarget(dir, 'secrets-b', 'hellobaton');
    targets.push(duck, duckB);
    const trace = ['--log-level', 'trace', '--no-progress'];

    await cliFull('connectors', ['connectors']);
    await cliFull('spec humaans', ['spec', 'humaans']);
    await cli('spec hellobaton', ['spec', 'hellobaton']);
    expect(
      (await cli('check humaans', ['check', 'humaans', '--config', hCfg, '--log-level', 'trace'])).code,
    ).toBe(0);
    expect(
      (await cliFull('check hellobaton', ['check', 'hellobaton', '--config', bCfg, '--log-level', 'trace']))
        ?.code ?? 0,
    ).toBe(0);
    expect(
      (await cli('check (wrong token)', ['check', 'humaans', '--config', wrongCfg, '--log-level', 'trace']))
        .code,
    ).toBe(2); // TRB_AUTH: fix the config (exit-code table, src/errors.ts)
    expect((await cliFull('discover humaans', ['discover', 'humaans', '--config', hCfg]))?.code ?? 0).toBe(0);
    expect((await cli('discover hellobaton', ['discover', 'hellobaton', '--config', bCfg])).code).toBe(0);
    // A test read prints requests (URLs and headers), records and state, here at trace level too.
    expect(
      (
        await cli('read humaans', [
          'read',
          'humaans',
          '--config',
          hCfg,
          '--stream',
          'documents',
          '--log-level',
          'trace',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await cli('read hellobaton --json', [
          'read',
          'hellobaton',
          '--config',
          bCfg,
          '--stream',
          'tasks',
          '--json',
          '--log-level',
          'trace',
        ])
      ).code,
    ).toBe(0);

    // Syncs: plain, killed and resumed, with faults and retries, from an env-var config, with a bad token.
    expect(
      (await cli('sync humaans → duckdb', ['sync', 'humaans', '--config', hCfg, ...duck.args, ...trace]))
        .code,
    ).toBe(0);
    humaans.mutate({ stream: 'documents', creates: 40, updates: 80 });
    const killed = await runKilled(
      ['sync', 'humaans', '--config', hCfg, ...duck.args, '--batch-rows', '20', ...trace],
      { progress: () => humaans.requestCount(), afterRequests: 2, delayMs: 5 },
      { TRIBUTARY_LOG_LEVEL: 'trace' },
    );
    scanned.push(
      { where: 'killed sync: stdout', text: killed.result.stdout },
      { where: 'killed sync: stderr', text: killed.result.stderr },
    );
    figures.commandsScanned++;
    expect(
      (await cli('resumed sync', ['sync', 'humaans', '--config', hCfg, ...duck.args, ...trace])).code,
    ).toBe(0);
    humaans.failNext(2, '503');
    humaans.failNext(1, '429');
    expect(
      (
        await cli('sync with retries', [
          'sync',
          'humaans',
          '--config',
          hCfg,
          ...duck.args,
          '--full-refresh',
          ...trace,
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await cli(
          'sync from an environment-variable config',
          ['sync', 'humaans', '--config', envCfg, ...duck.args, '--streams', 'companies', ...trace],
          { TRB_SECRET_TOKEN: SECRETS.humaansToken },
        )
      ).code,
    ).toBe(0);
    // A token that exists only in the environment must be masked too.
    await cliFull(
      'sync with a wrong token from the environment',
      ['sync', 'humaans', '--config', envCfg, ...duck.args, '--streams', 'companies', ...trace],
      {
        TRB_SECRET_TOKEN: SECRETS.envToken,
      },
    );
    expect(
      (await cli('sync (wrong token)', ['sync', 'humaans', '--config', wrongCfg, ...duck.args, ...trace]))
        .code,
    ).toBe(2); // TRB_AUTH
    hellobaton.failNext(2, 'malformed');
    expect(
      (
        await cli('sync hellobaton → duckdb', [
          'sync',
          'hellobaton',
          '--config',
          bCfg,
          ...duckB.args,
          ...trace,
        ])
      ).code,
    ).toBe(0);
    // The echoing API: a key in next links, in a 500 page and its headers, and a link to another origin.
    const echoCfg = file(
      'echo.json',
      hellobatonConfig({ base_url: echo.url, page_concurrency: 1, max_retries: 1 }),
    );
    expect(
      (
        await cli('sync from an echoing API', [
          'sync',
          'hellobaton',
          '--config',
          echoCfg,
          ...duckB.args,
          '--streams',
          'users',
          ...trace,
        ])
      ).code,
    ).toBe(1);
    const authEcho = file(
      'auth-echo.json',
      hellobatonConfig({ base_url: `${echo.origin}/auth-echo/`, max_retries: 0 }),
    );
    expect(
      (
        await cli('check against an API that echoes the key in a 401', [
          'check',
          'hellobaton',
          '--config',
          authEcho,
        ])
      ).code,
    ).toBe(2); // TRB_AUTH
    const bearerEcho = file(
      'bearer-echo.json',
      humaansConfig({ base_url: `${echo.origin}/auth-echo`, retry_attempts: 0 }),
    );
    expect(
      (
        await cli('sync against an API that echoes the bearer token in a 401', [
          'sync',
          'humaans',
          '--config',
          bearerEcho,
          ...duck.args,
          '--streams',
          'companies',
          ...trace,
        ])
      ).code,
    ).toBe(2); // TRB_AUTH

    for (const t of [duck, duckB]) {
      await cli(`state show ${t.namespace}`, ['state', 'show', t.namespace, '--destination', t.url]);
    }
    await cliFull('state reset', [
      'state',
      'reset',
      'humaans',
      '--destination',
      duck.url,
      '--streams',
      'companies',
      '--yes',
    ]);

    if (pgOk) {
      // PostgreSQL: the password in the destination URL, and in a config file's destination block.
      const pgH = postgresTarget('sec_h');
      const pgB = postgresTarget('sec_b');
      targets.push(pgH, pgB);
      const pgArgs = (t: Target) => ['--destination', pgUrl, '--namespace', t.namespace];
      expect(
        (
          await cli('sync humaans → postgres', [
            'sync',
            'humaans',
            '--config',
            hCfg,
            ...pgArgs(pgH),
            ...trace,
          ])
        ).code,
      ).toBe(0);
      const withBlock = file(
        'hellobaton-pg.yaml',
        [
          `api_key: ${SECRETS.hellobatonKey}`,
          'company: acme',
          `base_url: ${hellobaton.baseUrl}`,
          'requests_per_minute: 100000',
          'destination:',
          `  url: ${PG_URL}`,
          `  schema: ${pgB.namespace}`,
          `  password: ${JSON.stringify(SECRETS.pgPassword)}`,
          '',
        ].join('\n'),
      );
      expect(
        (
          await cli('sync hellobaton → postgres (password in config)', [
            'sync',
            'hellobaton',
            '--config',
            withBlock,
            ...trace,
          ])
        ).code,
      ).toBe(0);
      const killedPg = await runKilled(
        ['sync', 'hellobaton', '--config', withBlock, '--full-refresh', '--batch-rows', '20', ...trace],
        { progress: () => hellobaton.requestCount(), afterRequests: 5, delayMs: 5 },
        { TRIBUTARY_LOG_LEVEL: 'trace' },
      );
      scanned.push(
        { where: 'killed pg sync: stdout', text: killedPg.result.stdout },
        { where: 'killed pg sync: stderr', text: killedPg.result.stderr },
      );
      figures.commandsScanned++;
      expect(
        (
          await cli('resumed pg sync', [
            'sync',
            'hellobaton',
            '--config',
            withBlock,
            '--full-refresh',
            ...trace,
          ])
        ).code,
      ).toBe(0);
      await cliFull('state show postgres', ['state', 'show', 'humaans', ...pgArgs(pgH)]);
      // A destination that refuses: wrong port, the password in the URL.
      const badPort = new URL(pgUrl);
      badPort.port = '9';
      await cli('sync to an unreachable postgres', [
        'sync',
        'humaans',
        '--config',
        hCfg,
        '--destination',
        badPort.toString(),
        ...trace,
      ]);
    }

    if (mysqlOk) {
      // MySQL: the password of a login made for the test, in the destination URL and in a config file's block.
      await mysqlQuery(`CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${SECRETS.mysqlPassword}'`);
      await mysqlQuery(`GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'%'`);
      const myUrl = new URL(MYSQL_TEST_URL);
      myUrl.username = MYSQL_USER;
      const withPassword = new URL(myUrl);
      withPassword.password = encodeURIComponent(SECRETS.mysqlPassword);
      const myH = mysqlTarget('sec_h');
      const myB = mysqlTarget('sec_b');
      targets.push(myH, myB);
      const myArgs = (t: Target) => ['--destination', withPassword.toString(), '--namespace', t.namespace];
      expect(
        (await cli('sync humaans → mysql', ['sync', 'humaans', '--config', hCfg, ...myArgs(myH), ...trace]))
          .code,
      ).toBe(0);
      const withBlock = file(
        'hellobaton-mysql.yaml',
        [
          `api_key: ${SECRETS.hellobatonKey}`,
          'company: acme',
          `base_url: ${hellobaton.baseUrl}`,
          'requests_per_minute: 100000',
          'destination:',
          `  url: ${myUrl.toString()}`,
          `  schema: ${myB.namespace}`,
          `  password: ${JSON.stringify(SECRETS.mysqlPassword)}`,
          '',
        ].join('\n'),
      );
      expect(
        (
          await cli('sync hellobaton → mysql (password in config)', [
            'sync',
            'hellobaton',
            '--config',
            withBlock,
            '--full-refresh',
            ...trace,
          ])
        ).code,
      ).toBe(0);
      await cliFull('state show mysql', ['state', 'show', 'humaans', ...myArgs(myH)]);
      await cliFull('runs mysql', ['runs', 'hellobaton', '--config', withBlock]);
      const badPort = new URL(withPassword);
      badPort.port = '9';
      await cli('sync to an unreachable mysql', [
        'sync',
        'humaans',
        '--config',
        hCfg,
        '--destination',
        badPort.toString(),
        ...trace,
      ]);
      const wrongPassword = new URL(myUrl);
      wrongPassword.password = encodeURIComponent(SECRETS.wrongToken);
      await cli('sync to mysql with a wrong password', [
        'sync',
        'humaans',
        '--config',
        hCfg,
        '--destination',
        wrongPassword.toString(),
        ...trace,
      ]);
    }
  }, 240_000);

  it('the scanner itself finds a planted secret, an encoded one and a 6-character prefix', () => {
    const planted = [
      { where: 'planted raw', text: `x ${SECRETS.humaansToken} y` },
      { where: 'planted encoded', text: `?p=${encodeURIComponent(SECRETS.pgPassword)}` },
      { where: 'planted prefix', text: `token=${SECRETS.hellobatonKey.slice(0, 6)}***` },
      { where: 'clean', text: 'nothing to see here ***' },
    ];
    const found = scan(planted).map((f) => f.split(':')[0]);
    expect(new Set(found)).toEqual(new Set(['planted raw', 'planted encoded', 'planted prefix']));
  });

  it('finds no secret, and no 6+ character prefix of one, anywhere', async () => {
    for (const t of targets) {
      if (!(await t.exists().catch(() => false))) continue;
      scanned.push({
        where: `destination ${t.kind}:${t.namespace} (tables, states, runs, schema changes${t.kind === 'duckdb' ? ', raw file' : ''})`,
        text: await t.everything(),
      });
    }
    figures.secretPatterns = PATTERNS.length;
    for (const s of scanned) figures.bytesScanned += s.text.length;
    const findings = scan(scanned);
    figures.occurrences = findings.length;
    // The scan must have had something to look at: every command's output and every destination.
    expect(figures.commandsScanned).toBeGreaterThanOrEqual((FULL ? 22 : 16) + (pgOk ? (FULL ? 6 : 4) : 0));
    expect(findings.slice(0, 20), `${findings.length} occurrences`).toEqual([]);
  });
});
