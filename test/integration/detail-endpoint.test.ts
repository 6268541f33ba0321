/**
 * The detail endpoints the engine asks before it marks a row deleted (docs/reliability.md, "Deletes only on
 * proof"): `fetchOne` against both real simulators over HTTP, and a sync whose sweep confirms each deletion
 * with exactly one detail request.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import { loadConnector } from '../../src/connectors/registry.js';
import { DeclarativeSource, resolveConnectorConfig } from '../../src/declarative/declarative-source.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { createLogger } from '../../src/util/log.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { json, startFakeApi } from '../helpers/fake-api.js';
import { humaansConfig, syncConnector } from '../helpers/humaans.js';

const batonConfig = (baseUrl: string) => ({ api_key: 'sim-key', company: 'acme', base_url: baseUrl });

async function firstListed(source: DeclarativeSource, stream: string): Promise<Record<string, unknown>> {
  for await (const page of source.read(stream, { syncMode: 'full_refresh', state: undefined }))
    if (page.records.length > 0) return page.records[0]!;
  throw new Error(`${stream} listed nothing`);
}

describe('detail endpoints', () => {
  let baton: SimulatorHandle;
  let humaans: SimulatorHandle;
  let dir: string;

  beforeAll(async () => {
    baton = await startHellobatonSimulator({ seed: 7, records: 300, rateLimitPerMinute: 0 });
    humaans = await startHumaansSimulator({ seed: 7, records: 300, rateLimitPerMinute: 0 });
    dir = tempDir();
  });
  afterAll(async () => {
    await baton.close();
    await humaans.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, stream, missing] of [
    ['hellobaton', 'tasks', 987654321],
    ['humaans', 'people', 'no-such-person'],
  ] as const) {
    it(`${name}: fetchOne returns a record transformed like a listed one, and null on 404`, async () => {
      const sim = name === 'hellobaton' ? baton : humaans;
      const connector = await loadConnector(name);
      const config = name === 'hellobaton' ? batonConfig(sim.baseUrl) : humaansConfig(sim);
      const source = new DeclarativeSource(connector, resolveConnectorConfig(connector, config));
      try {
        expect(source.streams().every((s) => s.detail === true)).toBe(true);
        const listed = await firstListed(source, stream);
        sim.resetStats();
        const before = source.metrics(stream).requests;
        const one = await source.fetchOne(stream, { id: listed.id });
        expect(one).toEqual(listed);
        expect(await source.fetchOne(stream, { id: missing })).toBeNull();
        // Both went through the stream's client (its metrics and rate budget), and hit the detail path.
        expect(source.metrics(stream).requests - before).toBe(2);
        const paths = sim.requests().map((r) => [r.path, r.status]);
        expect(paths).toEqual(
          name === 'hellobaton'
            ? [
                [`/api/${stream}/${listed.id}/`, 200],
                [`/api/${stream}/${missing}/`, 404],
              ]
            : [
                [`/api/${stream}/${listed.id}`, 200],
                [`/api/${stream}/${missing}`, 404],
              ],
        );
      } finally {
        await source.close();
      }
    });
  }

  it('hellobaton: a sweep confirms each deletion with one detail request, and a clean pass makes none', async () => {
    const own = await startHellobatonSimulator({ seed: 12, records: 400, rateLimitPerMinute: 0 });
    const db = join(dir, 'confirm.duckdb');
    try {
      const opts = { streams: ['tasks'] };
      expect((await syncConnector('hellobaton', batonConfig(own.baseUrl), `duckdb:${db}`, opts)).status).toBe(
        'succeeded',
      );
      own.resetStats();
      await syncConnector('hellobaton', batonConfig(own.baseUrl), `duckdb:${db}`, opts);
      expect(own.requests().filter((r) => /^\/api\/tasks\/\d+\/$/.test(r.path))).toEqual([]);

      const m = own.mutate({ stream: 'tasks', deletes: 3, seed: 4 });
      own.resetStats();
      const run = await syncConnector('hellobaton', batonConfig(own.baseUrl), `duckdb:${db}`, opts);
      expect(run.status).toBe('succeeded');
      expect(run.streams[0]!.softDeletes).toBe(3);
      const deletedIds = [...(m.deleted as number[])].sort((a, b) => a - b);
      const details = own
        .requests()
        .filter((r) => /^\/api\/tasks\/\d+\/$/.test(r.path))
        .map((r) => [Number(r.path.split('/')[3]), r.status])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(details).toEqual(deletedIds.map((id) => [id, 404]));
      const swept = await queryDuckDb(
        db,
        'select id from hellobaton.tasks where _tributary_deleted order by id',
      );
      expect(swept.map((r) => Number(r.id))).toEqual(deletedIds);
    } finally {
      await own.close();
    }
  });

  it('hellobaton: a record the list skipped but its detail view still serves is repaired, never marked deleted', async () => {
    const truth = new Map([1, 2, 3, 4, 5].map((id) => [id, { id, first_name: `user ${id}` }]));
    let skipped: number | undefined;
    const api = await startFakeApi((req, res, origin) => {
      const url = new URL(req.url!, origin);
      const detail = /^\/api\/users\/(\d+)\/$/.exec(url.pathname);
      if (detail) {
        const r = truth.get(Number(detail[1]));
        return r ? json(res, 200, r) : json(res, 404, { detail: 'Not found.' });
      }
      // The list moved under the pass: one record slid over a page boundary, and the count followed it.
      const results = [...truth.values()].filter((r) => r.id !== skipped);
      json(res, 200, { count: results.length, next: null, previous: null, results });
    });
    const db = join(dir, 'repair.duckdb');
    const live = async () =>
      (await queryDuckDb(db, 'select id, _tributary_deleted as d from hellobaton.users order by id')).map(
        (r) => `${r.id}${r.d ? ' deleted' : ''}`,
      );
    const detailHits = () =>
      api.hits.filter((h) => /^\/api\/users\/\d+\//.test(h)).map((h) => h.split('?')[0]);
    try {
      const opts = { streams: ['users'] };
      expect((await syncConnector('hellobaton', batonConfig(api.url), `duckdb:${db}`, opts)).status).toBe(
        'succeeded',
      );
      expect(detailHits()).toEqual([]);

      skipped = 3;
      truth.set(3, { id: 3, first_name: 'user 3, renamed' });
      const drifted = await syncConnector('hellobaton', batonConfig(api.url), `duckdb:${db}`, opts);
      expect(drifted.status).toBe('succeeded');
      expect(drifted.streams[0]!.softDeletes).toBe(0);
      expect(detailHits()).toEqual(['/api/users/3/']);
      expect(await live()).toEqual(['1', '2', '3', '4', '5']);
      const [three] = await queryDuckDb(db, 'select first_name from hellobaton.users where id = 3');
      expect(three!.first_name).toBe('user 3, renamed');

      skipped = undefined;
      truth.delete(3);
      const deleted = await syncConnector('hellobaton', batonConfig(api.url), `duckdb:${db}`, opts);
      expect(deleted.streams[0]!.softDeletes).toBe(1);
      expect(detailHits()).toEqual(['/api/users/3/', '/api/users/3/']);
      expect(await live()).toEqual(['1', '2', '3 deleted', '4', '5']);
    } finally {
      await api.close();
    }
  });

  it("fetchOne logs its retry warnings on the caller's logger (the stream's, carrying run and stream)", async () => {
    let failed = false;
    const api = await startFakeApi((req, res, origin) => {
      const url = new URL(req.url!, origin);
      if (url.pathname === '/api/users/5/' && !failed) {
        failed = true;
        return json(res, 503, { detail: 'try again' });
      }
      json(res, 200, { id: 5, first_name: 'five' });
    });
    const chunks: string[] = [];
    const destination = {
      write(chunk: string) {
        chunks.push(String(chunk));
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const streamLog = createLogger({ destination, level: 'debug' }).child({
      runId: 'run-1',
      connector: 'hellobaton',
      stream: 'users',
    });
    const connector = await loadConnector('hellobaton');
    const source = new DeclarativeSource(connector, resolveConnectorConfig(connector, batonConfig(api.url)));
    try {
      expect(await source.fetchOne('users', { id: 5 }, { logger: streamLog })).toMatchObject({ id: 5 });
      const warnings = chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => /^request failed/.test(String(l.msg)));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ runId: 'run-1', connector: 'hellobaton', stream: 'users' });
      expect(String(warnings[0]!.url)).toContain('/api/users/5/');
    } finally {
      await source.close();
      await api.close();
    }
  });
});
