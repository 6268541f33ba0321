/**
 * The Hellobaton connector end to end: the real simulator over HTTP, the real engine, DuckDB.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { loadConnector } from '../../src/connectors/registry.js';
import { DeclarativeSource, resolveConnectorConfig } from '../../src/declarative/declarative-source.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { json, startFakeApi } from '../helpers/fake-api.js';
import { syncConnector } from '../helpers/humaans.js';

const config = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
  api_key: 'sim-key',
  company: 'acme',
  base_url: baseUrl,
  ...extra,
});

describe('hellobaton sync into DuckDB', () => {
  let sim: SimulatorHandle;
  let dir: string;

  beforeAll(async () => {
    sim = await startHellobatonSimulator({ seed: 3, records: 3000, rateLimitPerMinute: 0 });
    dir = tempDir();
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => sim.setFaults(undefined));

  it('every record the source emits validates against its stream schema', async () => {
    const connector = await loadConnector('hellobaton');
    const source = new DeclarativeSource(connector, resolveConnectorConfig(connector, config(sim.baseUrl)));
    const ajv = new Ajv({ strict: false, allErrors: true });
    try {
      expect(source.streams()).toHaveLength(17);
      for (const s of source.streams()) {
        // The files declare draft-04; the keywords they use mean the same in ajv's default draft.
        const { $schema: _draft, ...schema } = JSON.parse(
          readFileSync(join(connector.dir, 'schemas', `${s.name}.json`), 'utf8'),
        );
        const validate = ajv.compile(schema);
        let n = 0;
        for await (const page of source.read(s.name, { syncMode: 'full_refresh', state: undefined })) {
          for (const r of page.records) {
            expect(validate(r), `${s.name} record ${n}: ${ajv.errorsText(validate.errors)}`).toBe(true);
            n++;
          }
        }
        expect(n, s.name).toBe(sim.records(s.name).length);
      }
    } finally {
      await source.close();
    }
  });

  it('syncs all 17 streams; parallel pages land exactly the simulator data', async () => {
    const db = join(dir, 'all.duckdb');
    const run = await syncConnector(
      'hellobaton',
      config(sim.baseUrl, { page_size: 20, page_concurrency: 6, requests_per_minute: 100_000 }),
      `duckdb:${db}`,
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.streams).toHaveLength(17);
    for (const stream of sim.streams()) {
      const expected = sim
        .records(stream)
        .map((r) => Number(r.id))
        .sort((a, b) => a - b);
      const rows = await queryDuckDb(db, `select id from hellobaton."${stream}" order by id`);
      expect(
        rows.map((r) => Number(r.id)),
        stream,
      ).toEqual(expected);
    }
    const [phase] = await queryDuckDb(
      db,
      `select phase from hellobaton.projects where phase is not null limit 1`,
    );
    expect(JSON.parse(String(phase!.phase))).toHaveProperty('id');
  });

  it('soft-deletes rows a full pass did not see, and revives them when they come back', async () => {
    const own = await startHellobatonSimulator({ seed: 11, records: 600, rateLimitPerMinute: 0 });
    const db = join(dir, 'soft.duckdb');
    try {
      const first = await syncConnector('hellobaton', config(own.baseUrl), `duckdb:${db}`, {
        streams: ['tasks'],
      });
      expect(first.status).toBe('succeeded');
      const m = own.mutate({ stream: 'tasks', deletes: 4, updates: 2, creates: 1, seed: 5 });
      const second = await syncConnector('hellobaton', config(own.baseUrl), `duckdb:${db}`, {
        streams: ['tasks'],
      });
      expect(second.status).toBe('succeeded');
      expect(second.streams[0]!.softDeletes).toBe(4);
      const deleted = (
        await queryDuckDb(db, 'select id from hellobaton.tasks where _tributary_deleted order by id')
      ).map((r) => Number(r.id));
      expect(deleted).toEqual([...(m.deleted as number[])].sort((a, b) => a - b));
      const live = (
        await queryDuckDb(db, 'select id from hellobaton.tasks where not _tributary_deleted order by id')
      ).map((r) => Number(r.id));
      expect(live).toEqual(
        own
          .records('tasks')
          .map((r) => Number(r.id))
          .sort((a, b) => a - b),
      );
    } finally {
      await own.close();
    }
    // The same seed without the mutation: the deleted tasks exist again and are revived.
    const again = await startHellobatonSimulator({ seed: 11, records: 600, rateLimitPerMinute: 0 });
    try {
      const third = await syncConnector('hellobaton', config(again.baseUrl), `duckdb:${db}`, {
        streams: ['tasks'],
      });
      expect(third.status).toBe('succeeded');
      const [{ n }] = (await queryDuckDb(
        db,
        'select count(*)::int as n from hellobaton.tasks where _tributary_deleted',
      )) as [{ n: number }];
      // Only the task created by the mutation is gone now.
      expect(n).toBe(1);
    } finally {
      await again.close();
    }
  });

  it('replace mode swaps in exactly the new pass', async () => {
    const own = await startHellobatonSimulator({ seed: 12, records: 400, rateLimitPerMinute: 0 });
    const db = join(dir, 'replace.duckdb');
    try {
      await syncConnector('hellobaton', config(own.baseUrl), `duckdb:${db}`, { streams: ['tasks'] });
      own.mutate({ stream: 'tasks', deletes: 3, seed: 2 });
      const run = await syncConnector('hellobaton', config(own.baseUrl), `duckdb:${db}`, {
        streams: ['tasks'],
        fullRefresh: true,
        writeMode: 'replace',
      });
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const ids = (await queryDuckDb(db, 'select id from hellobaton.tasks order by id')).map((r) =>
        Number(r.id),
      );
      expect(ids).toEqual(
        own
          .records('tasks')
          .map((r) => Number(r.id))
          .sort((a, b) => a - b),
      );
    } finally {
      await own.close();
    }
  });

  it('resumes an interrupted full refresh from the last committed page, not page 1', async () => {
    const own = await startHellobatonSimulator({ seed: 13, records: 2000, rateLimitPerMinute: 0 });
    const db = join(dir, 'resume.duckdb');
    try {
      // Page 6 of tasks fails past every retry: pages 1–5 are committed, the stream fails.
      const cfg = config(own.baseUrl, { page_size: 20, page_concurrency: 1, max_retries: 0 });
      own.resetStats();
      const first = syncConnector('hellobaton', cfg, `duckdb:${db}`, { streams: ['tasks'], batchRows: 20 });
      // Wait until five task pages were served, then make the next one fail.
      while (own.requestCount('tasks') < 5) await new Promise((r) => setTimeout(r, 1));
      own.failNext(1, '500');
      const r1 = await first;
      expect(r1.status).toBe('failed');
      const committed = await queryDuckDb(
        db,
        `select state from hellobaton._tributary_state where stream = 'tasks'`,
      );
      const state = JSON.parse(String(committed[0]!.state));
      expect(state.complete).toBe(false);
      const resumePage = state.source.page as number;
      expect(resumePage).toBeGreaterThan(1);

      own.resetStats();
      const r2 = await syncConnector('hellobaton', cfg, `duckdb:${db}`, {
        streams: ['tasks'],
        batchRows: 20,
      });
      expect(r2.status, JSON.stringify(r2.error)).toBe('succeeded');
      const pages = own
        .requests()
        .filter((r) => r.stream === 'tasks')
        .map((r) => Number(r.query.page ?? 1));
      expect(Math.min(...pages)).toBe(resumePage);
      expect(r2.streams[0]!.resumed).toBe(true);
      // Rows committed before the crash count as seen: nothing is soft-deleted.
      expect(r2.streams[0]!.softDeletes).toBe(0);
      const ids = (
        await queryDuckDb(db, 'select id from hellobaton.tasks where not _tributary_deleted order by id')
      ).map((r) => Number(r.id));
      expect(ids).toEqual(
        own
          .records('tasks')
          .map((r) => Number(r.id))
          .sort((a, b) => a - b),
      );
    } finally {
      await own.close();
    }
  });

  it.each([
    ['evil.com/', /single DNS label/],
    ['a:80', /single DNS label/],
    ['a.b', /single DNS label/],
    ['https://evil.com/x.hellobaton.com', /single DNS label/],
    ['', /"company" is required/],
  ])('refuses company %j', async (company, message) => {
    const connector = await loadConnector('hellobaton');
    expect(() => resolveConnectorConfig(connector, { api_key: 'k-123', company })).toThrow(message);
  });

  it('accepts a pasted URL and strips it to the label', async () => {
    const connector = await loadConnector('hellobaton');
    const c = resolveConnectorConfig(connector, {
      api_key: 'k-123',
      company: 'https://Acme.hellobaton.com/',
    });
    expect(c.company).toBe('acme');
    expect(c.base_url).toBe('https://acme.hellobaton.com/api/');
  });

  it.each([
    ['bad-key-12345', 401],
    ['forbidden-key', 403],
  ])('key %s is an auth error (HTTP %i) without the key in it', async (key, status) => {
    const db = join(dir, `auth-${status}.duckdb`);
    const run = await syncConnector('hellobaton', config(sim.baseUrl, { api_key: key }), `duckdb:${db}`, {
      streams: ['users'],
    });
    expect(run.status).toBe('failed');
    expect(run.error!.code).toBe('TRB_AUTH');
    expect(run.error!.message).toContain(`HTTP ${status}`);
    expect(JSON.stringify(run)).not.toContain(key);
  });

  it('HTML with status 200 fails with an error that says so', async () => {
    const db = join(dir, 'html.duckdb');
    sim.setFaults({ rate: 1, kinds: ['html'] });
    const run = await syncConnector('hellobaton', config(sim.baseUrl, { max_retries: 1 }), `duckdb:${db}`, {
      streams: ['users'],
    });
    expect(run.status).toBe('failed');
    expect(run.error!.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(run.error!.message).toMatch(/HTML page/);
    expect(run.error!.message).not.toContain('sim-key');
  });

  it('a page past the end (404 "Invalid page.") ends the stream', async () => {
    const connector = await loadConnector('hellobaton');
    const source = new DeclarativeSource(connector, resolveConnectorConfig(connector, config(sim.baseUrl)));
    try {
      const pages = [];
      for await (const p of source.read('users', {
        syncMode: 'full_refresh',
        // A checkpoint the paginator can resume exactly (read count, page sizes), past the last page.
        state: { page: 9999, in_progress: true, read: 999_800, size: 100, page_size: 100 },
      }))
        pages.push(p);
      expect(pages).toHaveLength(1);
      expect(pages[0]!.records).toEqual([]);
    } finally {
      await source.close();
    }
  });

  describe('hostile API responses', () => {
    it('refuses a next link to another origin and never sends the key there', async () => {
      const evil = await startFakeApi((_req, res) => json(res, 200, { count: 0, next: null, results: [] }));
      const api = await startFakeApi((req, res, origin) => {
        const page = new URL(req.url!, origin).searchParams.get('page') ?? '1';
        if (page === '1')
          json(res, 200, {
            count: 250,
            next: `${evil.origin}/api/users/?page=2`,
            previous: null,
            results: [{ id: 1 }],
          });
        else json(res, 200, { count: 250, next: null, previous: null, results: [{ id: 2 }] });
      });
      try {
        const db = join(dir, 'evil.duckdb');
        const run = await syncConnector(
          'hellobaton',
          config(api.url, { page_concurrency: 1, api_key: 'secret-key-9876' }),
          `duckdb:${db}`,
          { streams: ['users'] },
        );
        expect(run.status).toBe('failed');
        expect(run.error!.code).toBe('TRB_SOURCE_REDIRECT');
        expect(run.error!.message).toMatch(/not the configured API origin/);
        expect(evil.hits).toEqual([]);
        expect(JSON.stringify(run)).not.toContain('secret-key-9876');
        // The key went to the configured origin once per request, never twice.
        expect(api.hits[0]).toMatch(/api_key=secret-key-9876/);
        expect(api.hits[0]!.match(/api_key=/g)).toHaveLength(1);
      } finally {
        await evil.close();
        await api.close();
      }
    });

    it('`results` that is not an array is a clear error', async () => {
      const api = await startFakeApi((_req, res) =>
        json(res, 200, { count: 1, next: null, results: { id: 1 } }),
      );
      try {
        const run = await syncConnector(
          'hellobaton',
          config(api.url),
          `duckdb:${join(dir, 'notarray.duckdb')}`,
          { streams: ['users'] },
        );
        expect(run.error).toMatchObject({
          code: 'TRB_SOURCE_BAD_RESPONSE',
          message: expect.stringMatching(
            /without a record list at "results": "results" is an object, not a list; its keys: "id"/,
          ),
        });
      } finally {
        await api.close();
      }
    });

    it('a record whose id is null fails the stream, naming its position, and commits nothing from that page', async () => {
      const api = await startFakeApi((req, res, origin) => {
        const page = Number(new URL(req.url!, origin).searchParams.get('page') ?? '1');
        const results = page === 1 ? [{ id: 1 }, { id: 2 }] : [{ id: 3 }, { id: null }];
        json(res, 200, {
          count: 4,
          next: page === 1 ? `${origin}/api/users/?page=2&page_size=2` : null,
          results,
        });
      });
      const db = join(dir, 'nullid.duckdb');
      try {
        const run = await syncConnector(
          'hellobaton',
          config(api.url, { page_size: 2, page_concurrency: 1 }),
          `duckdb:${db}`,
          { streams: ['users'], batchRows: 1 },
        );
        expect(run.error).toMatchObject({
          code: 'TRB_SOURCE_RECORD',
          message: expect.stringMatching(/record #3 \(page 2, item 1\) has no primary key "id"/),
        });
        const ids = (await queryDuckDb(db, 'select id from hellobaton.users order by id')).map((r) =>
          Number(r.id),
        );
        expect(ids).toEqual([1, 2]);
      } finally {
        await api.close();
      }
    });
  });
});
