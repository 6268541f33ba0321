/**
 * testRead (src/declarative/test-read.ts) in-process, over real HTTP: page-number paging with `next` links
 * (Hellobaton's simulator), a retried request, a selector that finds no list, and the `--state` file forms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { loadConnector } from '../../src/connectors/registry.js';
import { resolveConnectorConfig } from '../../src/declarative/declarative-source.js';
import { stateFromFile, type TestReadPage, testRead } from '../../src/declarative/test-read.js';
import { SourceError } from '../../src/errors.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { Redactor } from '../../src/util/redact.js';
import { inlineConnector } from '../helpers/declarative.js';
import { startFakeApi } from '../helpers/fake-api.js';

const KEY = 'test-read-key-3141';

async function readBaton(baseUrl: string, pages: number, extra: Record<string, unknown> = {}) {
  const connector = await loadConnector('hellobaton');
  const config = resolveConnectorConfig(connector, {
    api_key: KEY,
    company: 'acme',
    base_url: baseUrl,
    page_size: 5,
    ...extra,
  });
  const redactor = new Redactor();
  redactor.add(KEY);
  const seen: TestReadPage[] = [];
  const out = await testRead(connector, config, { stream: 'tasks', pages, records: 2, redactor }, (p) =>
    seen.push(p),
  );
  return { ...out, seen };
}

describe('testRead', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startHellobatonSimulator({ seed: 9, records: 300, token: KEY, rateLimitPerMinute: 0 });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('follows page-number paging to the end: each next request is the next page, the last says why it stops', async () => {
    const { result, error, seen } = await readBaton(sim.baseUrl, 1000);
    expect(error).toBeUndefined();
    const total = sim.records('tasks').length;
    expect(total).toBeGreaterThan(10);
    expect(result).toMatchObject({
      stream: 'tasks',
      syncMode: 'full_refresh',
      stopped: 'end_of_stream',
      records: total,
    });
    expect(seen).toEqual(result.pages);
    expect(result.pages).toHaveLength(Math.ceil(total / 5));
    result.pages.forEach((p, i) => {
      expect(p.requests).toHaveLength(1);
      expect(p.requests[0]).toMatchObject({ method: 'GET', status: 200, attempt: 0 });
      expect(p.requests[0]!.url).toContain('api_key=***');
      expect(p.records!.length).toBe(Math.min(2, p.recordCount!));
      const next = result.pages[i + 1];
      if (next) {
        expect(p.decision).toEqual({
          next: { method: 'GET', url: next.requests[0]!.url },
          reason: `the body's "next" link`,
          followed: true,
        });
        expect(p.state).toMatchObject({ page: i + 2, in_progress: true });
      } else {
        expect(p.decision).toEqual({ stop: `the body's "next" (next) is empty` });
        expect(p.state).toEqual({ in_progress: false });
      }
    });
    expect(JSON.stringify(result)).not.toContain(KEY);
  });

  it('stops at the page limit, with the next request not followed', async () => {
    const { result } = await readBaton(sim.baseUrl, 2);
    expect(result.stopped).toBe('page_limit');
    expect(result.pages).toHaveLength(2);
    expect(result.pages[1]!.decision).toMatchObject({
      followed: false,
      next: { url: expect.stringContaining('page=3') },
    });
  });

  it("shows a retried request's attempts on its page", async () => {
    const api = await startFakeApi((_req, res) => {
      if (api.hits.length === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"detail":"busy"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count: 1, next: null, previous: null, results: [{ id: 1, name: 'a' }] }));
    });
    try {
      const { result, error } = await readBaton(api.url, 3, { max_retries: 2 });
      expect(error).toBeUndefined();
      expect(result.pages).toHaveLength(1);
      expect(result.pages[0]!.requests.map((r) => [r.status, r.attempt])).toEqual([
        [503, 0],
        [200, 1],
      ]);
    } finally {
      await api.close();
    }
  });

  it('a selector that finds no list is the page error, naming the keys the body had', async () => {
    const api = await startFakeApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 1 }], total: 1 }));
    });
    try {
      const { result, error } = await readBaton(api.url, 3);
      expect(error).toBeInstanceOf(SourceError);
      expect(result.stopped).toBe('error');
      expect(result.pages).toHaveLength(1);
      const page = result.pages[0]!;
      expect(page.requests).toHaveLength(1);
      expect(page.requests[0]!.status).toBe(200);
      expect(page.error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE', exitCode: 1 });
      expect(page.error!.message).toMatch(
        /at "results": the body has no "results"; its keys: "data", "total"$/,
      );
      expect(page.error!.message).not.toContain(KEY);
    } finally {
      await api.close();
    }
  });
});

/** Projects paged by Link header (2 a page), each with tasks paged by a body cursor and a record filter. */
function togetherManifest(baseUrl: string): string {
  return `
version: 1
name: together
title: Together
spec:
  properties:
    token: { type: string, secret: true }
requester:
  base_url: ${baseUrl}
  authenticator: { type: bearer, token: "{{ config.token }}" }
paginator: { type: link_header, page_size_param: per_page, page_size: 2 }
selector: { path: [data] }
check: { stream: projects }
streams:
  - name: projects
    path: projects
    primary_key: [id]
    schema: schemas/projects.json
  - name: tasks
    path: projects/{{ parent.id }}/tasks
    primary_key: [project_id, id]
    schema: schemas/tasks.json
    parent: { stream: projects, key: id, partition_field: project_id }
    paginator: { type: cursor, cursor_path: [meta, next_cursor], cursor_param: cursor }
    record_filter:
      condition: { field: status, op: in, value: [open] }
  - name: open_tasks_of_one
    path: projects/1/tasks
    primary_key: [id]
    schema: schemas/tasks.json
    paginator: { type: cursor, cursor_path: [meta, next_cursor], cursor_param: cursor }
    record_filter:
      condition: { field: status, op: in, value: [open] }
`;
}

describe('testRead with Link-header, cursor and child-stream paging', () => {
  const TOKEN = 'together-token-2718';
  const projects = [{ id: 1 }, { id: 2 }, { id: 3 }];
  let api: Awaited<ReturnType<typeof startFakeApi>>;
  beforeAll(async () => {
    api = await startFakeApi((req, res, origin) => {
      const url = new URL(req.url ?? '/', origin);
      const send = (body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/projects') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const next =
          page * 2 < projects.length
            ? `<${origin}/api/projects?per_page=2&page=${page + 1}>; rel="next"`
            : '';
        send({ data: projects.slice((page - 1) * 2, page * 2) }, next ? { link: next } : {});
        return;
      }
      const m = /^\/api\/projects\/(\d+)\/tasks$/.exec(url.pathname);
      if (m) {
        const cursor = url.searchParams.get('cursor');
        const tasks = cursor
          ? [{ id: 3, status: 'open' }]
          : [
              { id: 1, status: 'open' },
              { id: 2, status: 'done' },
            ];
        send({ data: tasks, meta: { next_cursor: cursor ? null : `c-${m[1]}` } });
        return;
      }
      res.writeHead(404);
      res.end();
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  const read = (stream: string, pages: number) => {
    const connector = inlineConnector(togetherManifest(api.url));
    const config = resolveConnectorConfig(connector, { token: TOKEN });
    const redactor = new Redactor();
    return testRead(connector, config, { stream, pages, records: 5, redactor });
  };

  it('Link-header paging: the next request is the rel="next" link, and the last page says none came', async () => {
    const { result, error } = await read('projects', 10);
    expect(error).toBeUndefined();
    expect(result.pages.map((p) => p.decision)).toEqual([
      {
        next: { method: 'GET', url: `${api.origin}/api/projects?per_page=2&page=2` },
        reason: 'the next link in the Link header (rel="next")',
        followed: true,
      },
      { stop: 'no next link in the Link header (rel="next")' },
    ]);
    expect(result.pages[0]!.requests[0]!.headers.authorization).toBe('Bearer ***');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("a child stream's pages: each parent's pages through its cursor, filtered and transformed", async () => {
    const { result, error } = await read('tasks', 2);
    expect(error).toBeUndefined();
    const [first, second] = result.pages;
    // A child's page has no raw page to match requests with: it shows the requests sent since the page
    // before (the parent's first, and a parent page requested ahead may be among them).
    const paths = (p: typeof first) =>
      p!.requests.map((r) => `${new URL(r.url).pathname}${new URL(r.url).search}`);
    expect(paths(first)[0]).toBe('/api/projects?per_page=2');
    expect(paths(first)).toContain('/api/projects/1/tasks');
    expect(first).toMatchObject({ recordCount: 1, records: [{ id: 1, project_id: 1 }] });
    expect(first!.rawCount).toBeUndefined();
    expect(paths(second)).toContain('/api/projects/1/tasks?cursor=c-1');
    expect(second).toMatchObject({ recordCount: 1, records: [{ id: 3, project_id: 1 }] });
    expect(second!.decision).toMatchObject({ followed: false });
  });
});

describe('testRead of a filtered stream', () => {
  it('counts the records the filter dropped, and follows the body cursor', async () => {
    const api = await startFakeApi((req, res) => {
      const cursor = new URL(req.url ?? '/', 'http://x').searchParams.get('cursor');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          cursor
            ? { data: [{ id: 3, status: 'open' }], meta: { next_cursor: null } }
            : {
                data: [
                  { id: 1, status: 'open' },
                  { id: 2, status: 'done' },
                ],
                meta: { next_cursor: 'c2' },
              },
        ),
      );
    });
    try {
      const connector = inlineConnector(togetherManifest(api.url));
      const config = resolveConnectorConfig(connector, { token: 'tok-filter-1' });
      const { result, error } = await testRead(connector, config, {
        stream: 'open_tasks_of_one',
        pages: 5,
        records: 5,
        redactor: new Redactor(),
      });
      expect(error).toBeUndefined();
      expect(result.pages.map((p) => [p.rawCount, p.filtered, p.recordCount])).toEqual([
        [2, 1, 1],
        [1, undefined, 1],
      ]);
      expect(result.pages[0]!.decision).toEqual({
        next: { method: 'GET', url: `${api.origin}/api/projects/1/tasks?cursor=c2` },
        reason: "the cursor in the body's meta.next_cursor",
        followed: true,
      });
      expect(result.pages[1]!.decision).toEqual({ stop: "no cursor in the body's meta.next_cursor" });
    } finally {
      await api.close();
    }
  });
});

describe('stateFromFile', () => {
  const source = { skip: 100, in_progress: true };
  it('takes a page state, a stored state, or `state show --json` output', () => {
    expect(stateFromFile(source, 'tasks')).toEqual(source);
    expect(stateFromFile({ version: 1, mode: 'full_refresh', source, complete: false }, 'tasks')).toEqual(
      source,
    );
    expect(
      stateFromFile({ tasks: { state: { version: 1, source }, updatedAt: '2026-01-01T00:00:00Z' } }, 'tasks'),
    ).toEqual(source);
    expect(stateFromFile([1], 'tasks')).toBeUndefined();
    expect(stateFromFile('x', 'tasks')).toBeUndefined();
  });
});
