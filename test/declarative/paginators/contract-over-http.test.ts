/**
 * The connectors' own manifests (Hellobaton, Humaans) through DeclarativeSource against scripted loopback
 * HTTP servers that bend the paging contract: what the paginators learn and check reaches the engine's
 * pages (every record, `expectedCount` on the last page) or fails the stream with TRB_SOURCE_CONTRACT.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConnector } from '../../../src/connectors/registry.js';
import type { Page } from '../../../src/engine/source.js';
import { DeclarativeSource, resolveConnectorConfig } from '../../../src/declarative/declarative-source.js';
import { type FakeApi, json, startFakeApi } from '../../helpers/fake-api.js';

const N = 1000;
let api: FakeApi | undefined;
let source: DeclarativeSource | undefined;

afterEach(async () => {
  await source?.close();
  await api?.close();
  source = undefined;
  api = undefined;
});

async function readAll(stream: string, mode: 'full_refresh' | 'incremental' = 'full_refresh') {
  const pages: Page[] = [];
  try {
    for await (const p of source!.read(stream, { syncMode: mode, state: undefined })) pages.push(p);
    return { pages, error: undefined };
  } catch (error) {
    return { pages, error: error as Error & { code?: string; details?: Record<string, unknown> } };
  }
}

/** A Django REST list of N users that serves at most `cap` a page and reports `count`. */
async function hellobaton(opts: { cap?: number; count?: number }) {
  api = await startFakeApi((req, res, origin) => {
    const u = new URL(req.url!, origin);
    const page = Number(u.searchParams.get('page') ?? 1);
    const size = Math.min(Number(u.searchParams.get('page_size') ?? 100), opts.cap ?? 1000);
    const start = (page - 1) * size;
    if (start >= N && page > 1) return json(res, 404, { detail: 'Invalid page.' });
    const next = start + size < N ? new URL(u) : null;
    next?.searchParams.set('page', String(page + 1));
    const results = Array.from({ length: Math.max(0, Math.min(size, N - start)) }, (_, i) => ({
      id: start + i + 1,
      email: `u${start + i + 1}@example.com`,
    }));
    json(res, 200, { count: opts.count ?? N, next: next?.toString() ?? null, previous: null, results });
  });
  const connector = await loadConnector('hellobaton');
  source = new DeclarativeSource(
    connector,
    resolveConnectorConfig(connector, { api_key: 'sim-key', company: 'acme', base_url: api.url }),
  );
}

/** A Feathers list of N documents, one updatedAt each, that serves at most `cap` a page. */
async function humaans(opts: { cap?: number; ignoreFilter?: boolean }) {
  const rows = Array.from({ length: N }, (_, i) => ({
    id: `d${String(i).padStart(4, '0')}`,
    updatedAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(i / 3) * 60_000).toISOString(),
  }));
  api = await startFakeApi((req, res, origin) => {
    const u = new URL(req.url!, origin);
    const limit = Math.min(Number(u.searchParams.get('$limit') ?? 100), opts.cap ?? 250);
    const skip = Number(u.searchParams.get('$skip') ?? 0);
    const gte = opts.ignoreFilter ? null : u.searchParams.get('updatedAt[$gte]');
    const hits = rows.filter((r) => gte === null || r.updatedAt >= gte);
    json(res, 200, { total: hits.length, limit, skip, data: hits.slice(skip, skip + limit) });
  });
  const connector = await loadConnector('humaans');
  source = new DeclarativeSource(
    connector,
    resolveConnectorConfig(connector, {
      api_token: 'tok-123',
      base_url: api.url,
      max_records_per_page: 250,
      initial_sync_days: 0,
    }),
  );
}

const hits = () => api!.hits.map((h) => new URL(h, 'http://x'));

describe('Hellobaton manifest against a scripted Django REST API', () => {
  it('capped page_size (asked 100, got 25; count and next right): all 1,000 read, proven by the count', async () => {
    await hellobaton({ cap: 25 });
    const { pages, error } = await readAll('users');
    expect(error).toBeUndefined();
    const ids = pages.flatMap((p) => p.records.map((r) => r.id));
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(pages.at(-1)).toMatchObject({ checkpoint: { in_progress: false }, expectedCount: N });
    expect(pages.slice(0, -1).every((p) => p.expectedCount === undefined)).toBe(true);
    expect(hits()).toHaveLength(40);
  });

  it('count too low while next is right: every page is read, then the pass fails its proof', async () => {
    await hellobaton({ count: 500 });
    const { pages, error } = await readAll('users');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_CONTRACT', details: { expected: 500, seen: N } });
    expect(error!.message).toContain(api!.origin);
    expect(hits()).toHaveLength(10);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });
});

describe('Humaans manifest against a scripted Feathers API', () => {
  it('capped $limit (asked 250, got 100; total 1000): all 1,000 read, sorted by updatedAt then id', async () => {
    await humaans({ cap: 100 });
    const { pages, error } = await readAll('documents');
    expect(error).toBeUndefined();
    const ids = new Set(pages.flatMap((p) => p.records.map((r) => r.id)));
    expect(ids.size).toBe(N);
    expect(pages.at(-1)).toMatchObject({ checkpoint: { in_progress: false }, expectedCount: N });
    for (const u of hits()) {
      expect(u.searchParams.get('$limit')).toBe('250');
      expect(u.searchParams.get('$sort[updatedAt]')).toBe('1');
      expect(u.searchParams.get('$sort[id]')).toBe('1');
    }
  });

  it('ignored updatedAt[$gte]: TRB_SOURCE_CONTRACT after a bounded number of requests, state never complete', async () => {
    await humaans({ ignoreFilter: true });
    const { pages, error } = await readAll('documents', 'incremental');
    expect(error).toMatchObject({ code: 'TRB_SOURCE_CONTRACT' });
    expect(error!.message).toMatch(/ignores the filter/);
    expect(hits().length).toBeLessThanOrEqual(3);
    expect(pages.every((p) => p.checkpoint.in_progress === true)).toBe(true);
  });
});
