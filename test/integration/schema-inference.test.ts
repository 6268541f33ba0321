/**
 * A stream without a schema file, end to end: a loopback API (`/api/orders?page=N`) is synced into DuckDB
 * (and PostgreSQL when it answers) with its columns inferred from the records: integer ids BIGINT, date-time
 * strings TIMESTAMP, nested objects JSON text. A later sync that brings wider values widens the columns; one
 * that brings narrower values again never narrows them. `discover --write-schemas` (writeInferredSchemas)
 * writes the inferred schema from a short read, keeps an existing file unless forced, and the written file
 * then declares the same column types the inference gave.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeInferredSchemas } from '../../src/cli/write-schemas.js';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
} from '../../src/declarative/declarative-source.js';
import { Manifest } from '../../src/declarative/manifest-schema.js';
import { readStreamSchemas } from '../../src/declarative/stream-schema.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import type { RunSummary } from '../../src/engine/summary.js';
import { runSync } from '../../src/engine/sync.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { type FakeApi, json, startFakeApi } from '../helpers/fake-api.js';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlTestsRun } from '../helpers/mysql.js';
import { PG_TEST_URL, postgresTestsRun } from '../helpers/postgres.js';

const PAGE_SIZE = 3;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/** What the API answers, changed between syncs. */
let orders: Record<string, unknown>[] = [];

function baseOrders(): Record<string, unknown>[] {
  return Array.from({ length: 7 }, (_, i) => ({
    id: i + 1,
    total: 100 + i,
    paid: i % 2 === 0,
    createdAt: new Date(T0 + i * 3_600_000).toISOString(),
    shipDay: `2026-03-0${i + 1}`,
    customer: { name: `c${i}`, vip: i === 0 },
    // null on the first page: a null first must not make the column text.
    couponCode: i < PAGE_SIZE ? null : `C${i}`,
    discount: i < PAGE_SIZE ? null : 5,
  }));
}

let api: FakeApi;
let dir: string;

beforeAll(async () => {
  api = await startFakeApi((req, res, origin) => {
    const url = new URL(req.url!, origin);
    if (url.pathname !== '/api/orders') return json(res, 404, { error: 'not found' });
    const page = Number(url.searchParams.get('page') ?? '1');
    const from = (page - 1) * PAGE_SIZE;
    json(res, 200, { data: orders.slice(from, from + PAGE_SIZE) });
  });
  dir = tempDir('tributary-infer-');
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  orders = baseOrders();
  api.hits.length = 0;
});

const MANIFEST = {
  version: 1,
  name: 'shop',
  title: 'Shop',
  spec: { required: ['base_url'], properties: { base_url: { type: 'string' } } },
  requester: { base_url: '{{ config.base_url }}', max_retries: 0 },
  paginator: { type: 'page_number', page_param: 'page', page_size: PAGE_SIZE },
  selector: { path: ['data'] },
  transforms: [{ type: 'snake_case' }],
  check: { stream: 'orders' },
  // No `schema:`: inferred.
  streams: [{ name: 'orders', path: 'orders', primary_key: ['id'] }],
};

/** The connector as the loader reads it from `folder` (no schema file there: inferred). */
function connector(folder: string): LoadedConnector {
  const manifest = Manifest.parse(MANIFEST);
  return { manifest, schemas: readStreamSchemas(manifest, folder, 'shop'), dir: folder };
}

function source(c: LoadedConnector): DeclarativeSource {
  return new DeclarativeSource(c, resolveConnectorConfig(c, { base_url: api.url }));
}

async function sync(c: LoadedConnector, destinationUrl: string, namespace = 'shop'): Promise<RunSummary> {
  const src = source(c);
  const destination = await createDestination({ url: destinationUrl }, { namespace, connector: 'shop' });
  await destination.open();
  try {
    return await runSync({ source: src, destination });
  } finally {
    await destination.close();
    await src.close();
  }
}

async function duckTypes(db: string): Promise<Record<string, string>> {
  const rows = await queryDuckDb(
    db,
    `select column_name, data_type from information_schema.columns
      where table_schema = 'shop' and table_name = 'orders' and column_name not like '\\_tributary%' escape '\\'`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.data_type)]));
}

const INFERRED_DUCKDB = {
  id: 'BIGINT',
  total: 'BIGINT',
  paid: 'BOOLEAN',
  created_at: 'TIMESTAMP WITH TIME ZONE',
  ship_day: 'VARCHAR',
  customer: 'VARCHAR',
  coupon_code: 'VARCHAR',
  discount: 'BIGINT',
};

describe('a stream without a schema file', () => {
  it('loads as inferred: no declared columns, an open object schema', () => {
    const c = connector(dir);
    expect(c.schemas.orders!.inferred).toBe(true);
    expect(c.schemas.orders!.declaredColumns).toEqual({});
    expect(source(c).streams()[0]!.inferSchema).toBe(true);
  });

  it('syncs into DuckDB with real column types, widens on wider values and never narrows', async () => {
    const db = join(dir, 'widen.duckdb');
    const c = connector(dir);
    const first = await sync(c, `duckdb:${db}`);
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(await duckTypes(db)).toEqual(INFERRED_DUCKDB);
    const rows = await queryDuckDb(
      db,
      `select id, created_at::varchar as created_at, customer, coupon_code from shop.orders order by id`,
    );
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({
      id: '1',
      created_at: '2026-03-01 00:00:00+00',
      customer: '{"name":"c0","vip":true}',
      coupon_code: null,
    });

    // Wider values: a fractional total, a paid flag that is text, an id beyond the old ones.
    orders[4] = { ...orders[4], total: 104.5, paid: 'partly' };
    const second = await sync(c, `duckdb:${db}`);
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    expect(await duckTypes(db)).toEqual({ ...INFERRED_DUCKDB, total: 'DOUBLE', paid: 'VARCHAR' });
    expect(await queryDuckDb(db, `select total, paid from shop.orders where id = 5`)).toEqual([
      { total: 104.5, paid: 'partly' },
    ]);

    // Narrow values again: the columns stay as wide as they became.
    orders = baseOrders();
    const third = await sync(c, `duckdb:${db}`);
    expect(third.status, JSON.stringify(third.error)).toBe('succeeded');
    expect(await duckTypes(db)).toEqual({ ...INFERRED_DUCKDB, total: 'DOUBLE', paid: 'VARCHAR' });
  });

  it('an inferred integer key widens to text when a text key comes, keeping every row', async () => {
    const db = join(dir, 'key.duckdb');
    const c = connector(dir);
    expect((await sync(c, `duckdb:${db}`)).status).toBe('succeeded');
    expect((await duckTypes(db)).id).toBe('BIGINT');
    orders = [...baseOrders(), { ...baseOrders()[0]!, id: 'A-1' }];
    const second = await sync(c, `duckdb:${db}`);
    expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
    expect((await duckTypes(db)).id).toBe('VARCHAR');
    const ids = await queryDuckDb(db, 'select id from shop.orders order by id');
    expect(ids.map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', 'A-1']);
  });

  it('PostgreSQL: the same inferred types', async (ctx) => {
    if (!(await postgresTestsRun('schema-inference'))) return ctx.skip();
    const schema = `trb_infer_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
    try {
      const run = await sync(connector(dir), PG_TEST_URL, schema);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const { rows } = await admin.query(
        `select column_name, data_type from information_schema.columns
          where table_schema = $1 and table_name = 'orders' and column_name not like '\\_tributary%'`,
        [schema],
      );
      expect(Object.fromEntries(rows.map((r) => [r.column_name, r.data_type]))).toEqual({
        id: 'bigint',
        total: 'bigint',
        paid: 'boolean',
        created_at: 'timestamp with time zone',
        ship_day: 'text',
        customer: 'text',
        coupon_code: 'text',
        discount: 'bigint',
      });
    } finally {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    }
  });
  it('MySQL: the same inferred types', async (ctx) => {
    if (!(await mysqlTestsRun('schema-inference'))) return ctx.skip();
    const namespace = `trb_infer_${randomBytes(4).toString('hex')}`;
    const admin = mysqlAdmin();
    try {
      const run = await sync(connector(dir), MYSQL_TEST_URL, namespace);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const [rows] = await admin.query(
        `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'orders' AND COLUMN_NAME NOT LIKE '\\_tributary%'`,
        [namespace],
      );
      const types = Object.fromEntries(
        (rows as { name: string; type: string }[]).map((r) => [r.name, String(r.type).toLowerCase()]),
      );
      // MariaDB writes a display width (`bigint(20)`), MySQL 8 does not.
      for (const c of ['id', 'total', 'discount']) expect(types[c], c).toMatch(/^bigint/);
      expect(types.created_at).toBe('datetime(6)');
      // Booleans and text: whatever the destination maps them to, never the bigint or datetime above.
      expect(types.paid).toMatch(/^tinyint|^bool/);
      expect(types.ship_day).not.toMatch(/datetime|bigint/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${namespace}"`).catch(() => undefined);
      await admin.end();
    }
  });
});

describe('discover --write-schemas', () => {
  it('writes the schema inferred from the first pages, keeps it unless forced, and the loader then uses it', async () => {
    const folder = tempDir('tributary-write-schemas-');
    try {
      const c = connector(folder);
      const file = join(folder, 'schemas', 'orders.json');
      const written = await writeInferredSchemas(c, source(c), { pages: 1, force: false });
      expect(written).toEqual([
        { stream: 'orders', file: 'schemas/orders.json', status: 'written', records: PAGE_SIZE, pages: 1 },
      ]);
      // A short read: one page asked for, no more.
      expect(api.hits).toHaveLength(1);
      const schema = JSON.parse(readFileSync(file, 'utf8'));
      expect(schema.required).toEqual(['id']);
      expect(schema.properties).toEqual({
        id: { type: 'integer' },
        total: { type: 'integer' },
        paid: { type: 'boolean' },
        created_at: { type: 'string', format: 'date-time' },
        ship_day: { type: 'string', format: 'date' },
        customer: { type: 'object', properties: { name: { type: 'string' }, vip: { type: 'boolean' } } },
        // Only nulls on the first page: the reviewer sees it could not be typed.
        coupon_code: { type: 'null' },
        discount: { type: 'null' },
      });

      // An existing file is kept, untouched, and costs no request.
      writeFileSync(file, `${JSON.stringify(schema, null, 2)}\n`);
      const before = statSync(file).mtimeMs;
      api.hits.length = 0;
      const kept = await writeInferredSchemas(c, source(c), { pages: 5, force: false });
      expect(kept[0]!.status).toBe('kept');
      expect(api.hits).toHaveLength(0);
      expect(statSync(file).mtimeMs).toBe(before);

      // --force rewrites it from a longer read: every page now, so the later values are seen.
      const forced = await writeInferredSchemas(c, source(c), { pages: 10, force: true });
      expect(forced[0]).toMatchObject({ status: 'written', records: 7, pages: 3 });
      const full = JSON.parse(readFileSync(file, 'utf8'));
      expect(full.properties.coupon_code).toEqual({ type: ['string', 'null'] });
      expect(full.properties.discount).toEqual({ type: ['integer', 'null'] });

      // From now on the stream is declared by the file, with the types the inference gave.
      const declared = connector(folder);
      expect(declared.schemas.orders!.inferred).toBeUndefined();
      expect(declared.schemas.orders!.declaredColumns).toEqual({
        id: 'bigint',
        total: 'bigint',
        paid: 'boolean',
        created_at: 'timestamp',
        ship_day: 'varchar',
        customer: 'varchar',
        coupon_code: 'varchar',
        discount: 'bigint',
      });
      const db = join(folder, 'declared.duckdb');
      const run = await sync(declared, `duckdb:${db}`);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(await duckTypes(db)).toEqual(INFERRED_DUCKDB);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a placeholder schema ({"type": "object"}, as init writes) syncs inferred types and is replaced without --force', async () => {
    const folder = tempDir('tributary-write-schemas-');
    try {
      const file = join(folder, 'schemas', 'orders.json');
      mkdirSync(join(folder, 'schemas'));
      writeFileSync(file, '{"type": "object"}\n');
      const c = connector(folder);
      expect(c.schemas.orders!.inferred).toBe(true);
      const db = join(folder, 'placeholder.duckdb');
      const run = await sync(c, `duckdb:${db}`);
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      expect(await duckTypes(db)).toEqual(INFERRED_DUCKDB);
      const written = await writeInferredSchemas(c, source(c), { pages: 1, force: false });
      expect(written[0]).toMatchObject({ status: 'written', replacedPlaceholder: true });
      expect(JSON.parse(readFileSync(file, 'utf8')).properties.id).toEqual({ type: 'integer' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes nothing for a stream that has no records', async () => {
    const folder = tempDir('tributary-write-schemas-');
    try {
      orders = [];
      const c = connector(folder);
      const written = await writeInferredSchemas(c, source(c), { pages: 3, force: false });
      expect(written[0]).toMatchObject({ status: 'empty', pages: 1 });
      expect(existsSync(join(folder, 'schemas', 'orders.json'))).toBe(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
