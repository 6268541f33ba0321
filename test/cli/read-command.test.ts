/**
 * `tributary read`: the built CLI test-reads streams of the bundled simulators, page by page, and writes
 * nothing. Requests are shown with their credentials masked (a bearer header, a query-string api_key).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { TestReadResult } from '../../src/declarative/test-read.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';

describe('tributary read', () => {
  let humaans: SimulatorHandle;
  let baton: SimulatorHandle;
  let dir: string;
  let config: string;
  const TOKEN = 'read-secret-token-737373';
  const KEY = 'read-secret-key-919191';

  beforeAll(async () => {
    [humaans, baton] = await Promise.all([
      startHumaansSimulator({ seed: 7, records: 300, token: TOKEN }),
      startHellobatonSimulator({ seed: 7, records: 300, token: KEY, rateLimitPerMinute: 0 }),
    ]);
    dir = tempDir('tributary-read-');
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: ${TOKEN}\nbase_url: ${humaans.baseUrl}\ninitial_sync_days: 0\nmax_records_per_page: 10\n`,
    );
  });
  afterAll(async () => {
    await Promise.all([humaans?.close(), baton?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Run `read` in `dir` (where a default destination file would appear). */
  const read = (args: string[]) => runCli(['read', ...args], {}, dir);

  it('prints each page: the masked request, status and timing, records, the next request and the state', async () => {
    const r = await read([
      'humaans',
      '--config',
      config,
      '--stream',
      'documents',
      '--pages',
      '2',
      '--records',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
    const pages = out.split(/\n(?=page \d+\n)/);
    expect(pages.map((p) => /^page (\d+)/.exec(p)?.[1])).toEqual(['1', '2']);
    for (const p of pages) {
      expect(p).toMatch(new RegExp(`GET ${escapeRe(humaans.baseUrl)}/documents\\?\\$limit=10&`));
      expect(p).toMatch(/\n {4}authorization: Bearer \*\*\*\n/);
      expect(p).toMatch(/\n {4}-> HTTP 200 in \d+ ms\n/);
      // The keyset re-reads the records at its bound, and leaves out those already read.
      expect(p).toMatch(
        /records: 10 in the response(, | \(\d+ already read, left out\), )\d+ after transforms, showing 2:\n/,
      );
      expect(p).toMatch(/\n {2}next: GET .*updatedAt\[\$gte\]=/);
      expect(p).toMatch(/\n {2}state: \{"cursor":"[^"]+","skip":\d+,"in_progress":true/);
    }
    // The first page's next request is the second page's request.
    const next1 = /next: GET (\S+)/.exec(pages[0]!)![1];
    expect(/\n {2}GET (\S+)/.exec(pages[1]!)![1]).toBe(next1);
    expect(pages[1]).toMatch(/\[not read: --pages reached\]/);
    expect(out).toMatch(
      /humaans\/documents \(incremental\): 2 pages, \d+ records; stopped at the --pages limit; nothing was written/,
    );
    // Nothing written: no default DuckDB file (or any other) appeared where the command ran.
    expect(readdirSync(dir).sort()).toEqual(['humaans.yaml']);
  });

  it('--json is one document: pages with requests, records, decision and state; the pass end is shown', async () => {
    const r = await read([
      'humaans',
      '--config',
      config,
      '--stream',
      'documents',
      '--pages',
      '100',
      '--records',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    const doc = JSON.parse(r.stdout) as TestReadResult;
    const total = humaans.records('documents').length;
    expect(doc).toMatchObject({
      connector: 'humaans',
      stream: 'documents',
      syncMode: 'incremental',
      stopped: 'end_of_stream',
      records: total,
    });
    expect(doc.pages.length).toBeGreaterThanOrEqual(Math.ceil(total / 10));
    expect(doc.pages.reduce((n, p) => n + p.recordCount!, 0)).toBe(total);
    for (const p of doc.pages) expect(p.rawCount! - (p.alreadyRead ?? 0)).toBe(p.recordCount);
    for (const p of doc.pages) {
      expect(p.requests.length).toBeGreaterThan(0);
      expect(p.requests[0]).toMatchObject({ method: 'GET', status: 200, attempt: 0 });
      expect(p.requests[0]!.headers.authorization).toBe('Bearer ***');
      expect(p.records!.length).toBeLessThanOrEqual(1);
      expect(p.records![0]).toHaveProperty('id');
    }
    const last = doc.pages.at(-1)!;
    expect(last.decision).toEqual({
      stop: expect.stringMatching(/^every record of the API's total from updatedAt \S+ \(\d+\) was read$/),
    });
    expect(last.state).toMatchObject({ in_progress: false });
    expect(doc.pages[0]!.decision).toMatchObject({
      followed: true,
      reason: expect.stringMatching(/^keyset on updatedAt/),
    });
  });

  it('--state starts from a state a page printed', async () => {
    const first = JSON.parse(
      (await read(['humaans', '--config', config, '--stream', 'documents', '--pages', '1', '--json'])).stdout,
    ) as TestReadResult;
    const state = first.pages[0]!.state!;
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify(state));
    try {
      const r = await read([
        'humaans',
        '--config',
        config,
        '--stream',
        'documents',
        '--pages',
        '1',
        '--state',
        file,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as TestReadResult;
      const url = doc.pages[0]!.requests[0]!.url;
      expect(url).toContain(`updatedAt[$gte]=${state.cursor}`);
      // The page after the first: the first page's next request.
      expect(url).toBe((first.pages[0]!.decision as { next: { url: string } }).next.url);
    } finally {
      rmSync(file);
    }
  });

  it('masks a query-string api key in every URL, the next request included', async () => {
    const cfg = join(dir, 'baton.yaml');
    writeFileSync(cfg, `api_key: ${KEY}\ncompany: acme\nbase_url: ${baton.baseUrl}\npage_size: 5\n`);
    try {
      const r = await read(['hellobaton', '--config', cfg, '--stream', 'tasks', '--pages', '2']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(KEY);
      expect(r.stdout).toMatch(/\n {2}GET \S+api_key=\*\*\*/);
      expect(r.stdout).toMatch(/\n {2}next: GET \S+api_key=\*\*\*/);
      expect(r.stdout).toMatch(/records: 5 in the response, 5 after transforms/);
    } finally {
      rmSync(cfg);
    }
  });

  it('an error is shown on its page with its code, and sets the exit code', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `api_token: wrong-token-5151\nbase_url: ${humaans.baseUrl}\n`);
    try {
      const r = await read(['humaans', '--config', bad, '--stream', 'people']);
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(
        /page 1\n {2}GET .*\n(.*\n)* {4}-> HTTP 401 in \d+ ms\n {2}error \[TRB_AUTH\] \(exit 2\): /,
      );
      expect(r.stdout).toMatch(/stopped on an error; nothing was written/);
      expect(r.stderr).toMatch(/error \[TRB_AUTH\]/);
      expect(r.stdout + r.stderr).not.toContain('wrong-token-5151');
      const json = await read(['humaans', '--config', bad, '--stream', 'people', '--json']);
      expect(json.code).toBe(2);
      const doc = JSON.parse(json.stdout) as TestReadResult;
      expect(doc.stopped).toBe('error');
      expect(doc.pages).toHaveLength(1);
      expect(doc.pages[0]).toMatchObject({
        page: 1,
        error: { code: 'TRB_AUTH', exitCode: 2 },
        requests: [{ status: 401 }],
      });
    } finally {
      rmSync(bad);
    }
  });

  it('reads a connector folder given by path; a mistyped template in it fails at load with file and line', async () => {
    const folder = join(dir, 'my-people');
    mkdirSync(join(folder, 'schemas'), { recursive: true });
    const manifest = (token: string) => `version: 1
name: my_people
title: My people
spec:
  required: [api_token, base_url]
  properties:
    api_token: { type: string, secret: true }
    base_url: { type: string }
requester:
  base_url: '{{ config.base_url }}'
  authenticator: { type: bearer, token: '${token}' }
paginator: { type: offset, limit_param: $limit, offset_param: $skip, page_size: 5, total_path: [total] }
selector: { path: [data] }
check: { stream: people }
streams:
  - { name: people, path: /people, primary_key: [id], schema: schemas/people.json }
`;
    writeFileSync(
      join(folder, 'schemas', 'people.json'),
      '{"type": "object", "properties": {"id": {"type": "string"}}}',
    );
    writeFileSync(join(folder, 'manifest.yaml'), manifest('{{ config.api_token }}'));
    const cfg = join(dir, 'my-people.yaml');
    writeFileSync(cfg, `api_token: ${TOKEN}\nbase_url: ${humaans.baseUrl}\n`);
    try {
      const r = await read([folder, '--config', cfg, '--stream', 'people', '--pages', '1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as TestReadResult;
      expect(doc).toMatchObject({ connector: 'my_people', stream: 'people', syncMode: 'full_refresh' });
      expect(doc.pages[0]!.requests[0]).toMatchObject({
        status: 200,
        headers: { authorization: 'Bearer ***' },
      });
      expect(doc.pages[0]!.recordCount).toBeGreaterThan(0);

      writeFileSync(join(folder, 'manifest.yaml'), manifest('{{ config.apitoken }}'));
      const bad = await read([folder, '--config', cfg, '--stream', 'people']);
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain(
        `error [TRB_MANIFEST_INVALID]: manifest ${join(folder, 'manifest.yaml')} has a template that cannot resolve:`,
      );
      expect(bad.stderr).toMatch(
        /manifest\.yaml:11:42: requester\.authenticator\.token: "\{\{ config\.apitoken \}\}" names config key "apitoken", which the spec does not declare; did you mean \{\{ config\.api_token \}\}\?/,
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
      rmSync(cfg);
    }
  });

  it('an unknown stream is a usage error before any request', async () => {
    const r = await read(['humaans', '--config', config, '--stream', 'payroll']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TRB_UNKNOWN_STREAM.*payroll.*\(streams: companies, documents/);
    expect(r.stdout).toBe('');
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
