/**
 * Values survive intact, end to end: a loopback API in Hellobaton's shape (DRF pages) sends integer ids
 * beyond 2^53, a number beyond int64 and `1e400`, gzip-compressed, under a base_url that carries a query
 * string. The real source, engine and destinations (DuckDB and PostgreSQL) must land every row, distinct,
 * with the exact digits.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnector } from '../../src/connectors/registry.js';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
} from '../../src/declarative/declarative-source.js';
import type { Manifest } from '../../src/declarative/manifest-schema.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import { runSync } from '../../src/engine/sync.js';
import { TributaryError } from '../../src/errors.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { type FakeApi, startFakeApi } from '../helpers/fake-api.js';
import { syncConnector } from '../helpers/humaans.js';
import { pgReachable } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgAvailable = (await pgReachable(PG_URL)) || process.env.CI === 'true';

const RECORDS = 45;
const PAGE_SIZE = 10;
/** 2^53 + 1 + 2i: every one of these collides with its neighbour as a double. */
const ids = Array.from({ length: RECORDS }, (_, i) => (2n ** 53n + 1n + BigInt(i)).toString());
const BEYOND_INT64 = '123456789012345678901234567890';

/** One user as JSON text: the numbers are written raw, as an API would (JS cannot produce them). */
function userJson(i: number): string {
  const capacity = i === 0 ? '1e400' : String(i);
  const external = i === 1 ? BEYOND_INT64 : String(1000 + i);
  return `{"id":${ids[i]},"first_name":"user ${i}","capacity":${capacity},"external_ref":${external},"tags":[${ids[i]},1e400]}`;
}

function pageBody(origin: string, page: number): string {
  const from = (page - 1) * PAGE_SIZE;
  const items = [];
  for (let i = from; i < Math.min(RECORDS, from + PAGE_SIZE); i++) items.push(userJson(i));
  const next =
    from + PAGE_SIZE < RECORDS
      ? JSON.stringify(`${origin}/api/users/?tenant=acme&page=${page + 1}&page_size=${PAGE_SIZE}`)
      : 'null';
  return `{"count":${RECORDS},"next":${next},"previous":null,"results":[${items.join(',')}]}`;
}

let api: FakeApi;
let dir: string;
const seen: URL[] = [];

beforeAll(async () => {
  api = await startFakeApi((req, res, origin) => {
    const url = new URL(req.url!, origin);
    seen.push(url);
    const page = Number(url.searchParams.get('page') ?? '1');
    const body = Buffer.from(pageBody(origin, page));
    const gzip = String(req.headers['accept-encoding'] ?? '').includes('gzip');
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(gzip ? gzipSync(body) : body);
  });
  dir = tempDir();
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = () => ({
  api_key: 'exact-key',
  company: 'acme',
  // A base_url with a query string: the stream path goes into the path, the query stays.
  base_url: `${api.origin}/api/?tenant=acme`,
  page_size: PAGE_SIZE,
  page_concurrency: 1,
});

describe('exact values end to end', () => {
  it('DuckDB: ids beyond 2^53 stay distinct in BIGINT; beyond int64 and 1e400 keep their exact text', async () => {
    seen.length = 0;
    const db = join(dir, 'exact.duckdb');
    const run = await syncConnector('hellobaton', config(), `duckdb:${db}`, { streams: ['users'] });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    // The base URL's query reached the API on every request, and the path was the stream's.
    expect(seen.length).toBeGreaterThanOrEqual(Math.ceil(RECORDS / PAGE_SIZE));
    for (const u of seen) {
      expect(u.pathname).toBe('/api/users/');
      expect(u.searchParams.get('tenant')).toBe('acme');
    }
    // Compressed on the wire: fewer bytes than decoded.
    const m = run.streams[0]!.metrics;
    expect(m.wireBytes).toBeGreaterThan(0);
    expect(m.wireBytes!).toBeLessThan(m.bytes);

    const rows = await queryDuckDb(
      db,
      `select id::varchar as id, typeof(id) as id_type, capacity, typeof(capacity) as cap_type,
              external_ref, tags from hellobaton.users order by id`,
    );
    expect(rows).toHaveLength(RECORDS);
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows[0]!.id_type).toBe('BIGINT');
    // capacity is declared integer; 1e400 widened it to decimal (VARCHAR with the exact text in DuckDB).
    expect(rows[0]!.cap_type).toBe('VARCHAR');
    expect(rows[0]!.capacity).toBe('1e400');
    expect(rows[1]!.capacity).toBe('1');
    expect(rows[1]!.external_ref).toBe(BEYOND_INT64);
    expect(rows[2]!.external_ref).toBe('1002');
    expect(rows[3]!.tags).toBe(`[${ids[3]},1e400]`);
    const types = await queryDuckDb(
      db,
      `select column_name, data_type from duckdb_columns() where schema_name = 'hellobaton' and table_name = 'users' and column_name in ('id', 'capacity', 'external_ref') order by 1`,
    );
    expect(types.map((c) => [c.column_name, c.data_type])).toEqual([
      ['capacity', 'VARCHAR'],
      ['external_ref', 'VARCHAR'],
      ['id', 'BIGINT'],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/Infinity/);
  });

  it.skipIf(!pgAvailable)(
    'PostgreSQL: ids beyond 2^53 stay distinct in bigint; beyond int64 and 1e400 are exact numerics',
    async () => {
      const schema = `trb_exact_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        const run = await syncConnector('hellobaton', config(), PG_URL, {
          streams: ['users'],
          namespace: schema,
        });
        expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
        const { rows } = await admin.query(
          `select id::text as id, pg_typeof(id)::text as id_type, capacity::text as capacity,
                  pg_typeof(capacity)::text as cap_type, external_ref::text as external_ref,
                  pg_typeof(external_ref)::text as ext_type, tags
             from "${schema}".users order by id`,
        );
        expect(rows).toHaveLength(RECORDS);
        expect(rows.map((r) => r.id)).toEqual(ids);
        expect(rows[0].id_type).toBe('bigint');
        expect(rows[0].cap_type).toBe('numeric');
        expect(rows[0].capacity).toBe(`1${'0'.repeat(400)}`);
        expect(rows[1].capacity).toBe('1');
        expect(rows[1].ext_type).toBe('numeric');
        expect(rows[1].external_ref).toBe(BEYOND_INT64);
        expect(rows[3].tags).toBe(`[${ids[3]},1e400]`);
      } finally {
        await admin.query(`drop schema if exists "${schema}" cascade`);
        await admin.end();
      }
    },
  );
});

describe('manifest-driven transport and collisions, end to end', () => {
  /** Hellobaton's connector with its manifest changed as a connector author would change the YAML. */
  async function connectorWith(change: (m: Manifest) => Manifest): Promise<LoadedConnector> {
    const base = await loadConnector('hellobaton');
    return { ...base, manifest: change(base.manifest) };
  }

  it('requester max_response_bytes caps a response, failing the stream with the cap named', async () => {
    const connector = await connectorWith((m) => ({
      ...m,
      requester: { ...m.requester, max_response_bytes: 1024 },
    }));
    const source = new DeclarativeSource(connector, resolveConnectorConfig(connector, config()));
    try {
      const pages = source.read('users', { syncMode: 'full_refresh', state: undefined });
      const err = (await (async () => {
        for await (const _ of pages) {
          // drain
        }
      })().catch((e: unknown) => e)) as TributaryError;
      expect(err).toBeInstanceOf(TributaryError);
      expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
      expect(err.message).toContain('1 KiB cap');
      expect(err.message).toContain('/api/users/');
      expect(err.message).not.toContain('exact-key');
    } finally {
      await source.close();
    }
  });

  it('two fields that flatten to one name both land, the renamed one recorded and warned about', async () => {
    const collide = await startFakeApi((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          count: 2,
          next: null,
          previous: null,
          results: [
            { id: 1, fooBar: 'camel 1', foo_bar: 'snake 1', a: { b: 'nested 1' }, a_b: 'flat 1' },
            { id: 2, foo_bar: 'snake 2', fooBar: 'camel 2', a_b: 'flat 2', a: { b: 'nested 2' } },
          ],
        }),
      );
    });
    const connector = await connectorWith((m) => ({
      ...m,
      transforms: [{ type: 'flatten', separator: '_' }, { type: 'snake_case' }, ...m.transforms],
    }));
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const source = new DeclarativeSource(
      connector,
      resolveConnectorConfig(connector, { ...config(), base_url: collide.url }),
      { logger },
    );
    const db = join(dir, 'collide.duckdb');
    const destination = await createDestination(
      { url: `duckdb:${db}` },
      { namespace: 'hb', connector: 'hellobaton' },
    );
    try {
      await destination.open();
      const run = await runSync({ source, destination, streams: ['users'] });
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    } finally {
      await destination.close();
      await source.close();
      await collide.close();
    }
    expect(
      await queryDuckDb(
        db,
        'select id::integer as id, foo_bar, foo_bar__2, a_b, a_b__2 from hb.users order by id',
      ),
    ).toEqual([
      { id: 1, foo_bar: 'snake 1', foo_bar__2: 'camel 1', a_b: 'flat 1', a_b__2: 'nested 1' },
      { id: 2, foo_bar: 'snake 2', foo_bar__2: 'camel 2', a_b: 'flat 2', a_b__2: 'nested 2' },
    ]);
    expect(
      await queryDuckDb(
        db,
        `select column_name, source_path from hb._tributary_schema_changes where kind = 'rename_collision' order by 1`,
      ),
    ).toEqual([
      { column_name: 'a_b__2', source_path: 'a.b' },
      { column_name: 'foo_bar__2', source_path: 'fooBar' },
    ]);
    const logged = warnings.map((w) => JSON.parse(w) as { msg: string; column?: string });
    expect(
      logged
        .filter((w) => w.column !== undefined)
        .map((w) => w.column)
        .sort(),
    ).toEqual(['a_b__2', 'foo_bar__2']);
    expect(logged.find((w) => w.column === 'foo_bar__2')!.msg).toMatch(
      /"foo_bar" and "fooBar" map to one column/,
    );
  });
});
