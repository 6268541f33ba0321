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
