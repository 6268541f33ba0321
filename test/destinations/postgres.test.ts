/**
 * PostgreSQL destination against a real server (TRIBUTARY_TEST_POSTGRES_URL, default the local test
 * database). Each test writes into its own schema and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Row, TableSpec, WriteBatch } from '../../src/destinations/destination.js';
import {
  type DestinationWarning,
  PostgresDestination,
  type PostgresDestinationOptions,
} from '../../src/destinations/postgres/postgres-destination.js';
import { DestinationError } from '../../src/errors.js';
import { pgReachable } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CI = process.env.CI === 'true';

const reachable = () => pgReachable(PG_URL);

const available = await reachable();
if (!available && !CI) {
  console.warn(
    `[postgres tests] SKIPPED: PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ':***@')}. ` +
      'Set TRIBUTARY_TEST_POSTGRES_URL to run them (they fail instead of skipping when CI=true).',
  );
}
const describePg = available || CI ? describe : describe.skip;

let admin: pg.Client;
const schemas: string[] = [];
const destinations: PostgresDestination[] = [];

function freshSchema(prefix = 'trb_pg'): string {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  return name;
}

function destination(schema: string, extra: Partial<PostgresDestinationOptions> = {}): PostgresDestination {
  const d = new PostgresDestination(PG_URL, {
    namespace: schema,
    connector: 'test',
    lockTimeoutMs: 1000,
    retryDelayMs: 50,
    onWarning: () => undefined,
    ...extra,
  });
  destinations.push(d);
  return d;
}

async function opened(
  schema: string,
  extra: Partial<PostgresDestinationOptions> = {},
): Promise<PostgresDestination> {
  const d = destination(schema, extra);
  await d.open();
  return d;
}

async function q<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await admin.query(sql, params)).rows as T[];
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const SYNCED = new Date('2026-01-02T03:04:05.678Z');

const USERS: TableSpec = {
  stream: 'users',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'varchar' },
    { name: 'active', type: 'boolean' },
    { name: 'score', type: 'double' },
    { name: 'created_at', type: 'timestamp' },
  ],
};

function batch(over: Partial<WriteBatch> & { rows: Row[] }): WriteBatch {
  return {
    runId: 'run-1',
    stream: over.table?.stream ?? 'users',
    table: USERS,
    state: { cursor: over.rows.length },
    syncedAt: SYNCED,
    mode: 'upsert',
    ...over,
  };
}

async function expectDestError(p: Promise<unknown>, code: string): Promise<DestinationError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe(code);
    return err as DestinationError;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

describePg('PostgresDestination', () => {
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
  });

  afterEach(async () => {
    // Close what the test opened, then drop its schemas even if a close failed.
    await Promise.allSettled(destinations.splice(0).map((d) => d.close()));
    for (const s of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${ident(s)} CASCADE`);
  });

  afterAll(async () => {
    await admin?.end();
  });

  it('reaches PostgreSQL (fails in CI when the server is missing)', () => {
    expect(available).toBe(true);
  });

  describe('open', () => {
    it('creates the schema and the bookkeeping tables, and is idempotent', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const tables = await q<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
        [schema],
      );
      expect(tables.map((t) => t.table_name)).toEqual([
        '_tributary_names',
        '_tributary_owner',
        '_tributary_runs',
        '_tributary_schema_changes',
        '_tributary_state',
      ]);
      const cols = await q<{ table_name: string; column_name: string; data_type: string }>(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
          WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
        [schema],
      );
      const of = (t: string) =>
        cols.filter((c) => c.table_name === t).map((c) => `${c.column_name}:${c.data_type}`);
      expect(of('_tributary_state')).toEqual([
        'stream:text',
        'state:jsonb',
        'updated_at:timestamp with time zone',
      ]);
      expect(of('_tributary_runs')).toEqual([
        'run_id:text',
        'connector:text',
        'started_at:timestamp with time zone',
        'ended_at:timestamp with time zone',
        'status:text',
        'records_written:bigint',
        'records_deleted:bigint',
        'error:text',
        'summary:jsonb',
        'trigger:text',
        'attempt:bigint',
        'worker:text',
        'duration_ms:bigint',
      ]);
      expect(of('_tributary_schema_changes')).toEqual([
        'run_id:text',
        'stream:text',
        'kind:text',
        'column_name:text',
        'from_type:text',
        'to_type:text',
        'changed_at:timestamp with time zone',
        'source_path:text',
      ]);
      expect(of('_tributary_names')).toEqual(['kind:text', 'original:text', 'truncated:text']);
      expect(of('_tributary_owner')).toEqual([
        'connector:text',
        'connection:text',
        'claimed_at:timestamp with time zone',
      ]);
      await d.close();
      const again = await opened(schema);
      expect(await again.readStates()).toEqual({});
    });

    it('describes itself without a password', () => {
      const d = new PostgresDestination('postgres://alice:hunter2-secret@db.example:6543/prod', {
        namespace: 'hr',
        connector: 'humaans',
      });
      expect(d.description).toBe('postgres://alice@db.example:6543/prod?schema=hr');
      const e = new PostgresDestination('postgres://alice@db.example/prod', {
        namespace: 'hr',
        connector: 'humaans',
        password: 'hunter2-secret',
      });
      expect(e.description).not.toContain('hunter2');
    });

    it('uses the schema option over the namespace', async () => {
      const schema = freshSchema();
      await opened('ignored', { schema });
      expect(await q(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).toHaveLength(1);
      expect(await q(`SELECT 1 FROM pg_namespace WHERE nspname = 'ignored'`)).toHaveLength(0);
    });
  });

  describe.each(['binary', 'text'] as const)('write (%s COPY)', (copyFormat) => {
    it('creates the table with the declared key, mapped types and system columns', async () => {
      const schema = freshSchema();
      const d = await opened(schema, { copyFormat });
      const result = await d.write(
        batch({
          rows: [
            { id: 1, name: 'Ada', active: true, score: 1.5, created_at: '2024-05-06T07:08:09.123456Z' },
            { id: 2, name: null, active: false, score: null, created_at: null },
          ],
          passId: 'pass-1',
        }),
      );
      expect(result.rowsWritten).toBe(2);
      expect(result.schemaChanges).toEqual([{ stream: 'users', kind: 'create_table' }]);
      const cols = await q<{
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
      }>(
        `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = 'users' ORDER BY ordinal_position`,
        [schema],
      );
      expect(cols.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
        'id:bigint',
        'name:text',
        'active:boolean',
        'score:double precision',
        'created_at:timestamp with time zone',
        '_tributary_synced_at:timestamp with time zone',
        '_tributary_deleted:boolean',
        '_tributary_pass:text',
      ]);
      const deleted = cols.find((c) => c.column_name === '_tributary_deleted')!;
      expect(deleted.is_nullable).toBe('NO');
      expect(deleted.column_default).toBe('false');
      const pk = await q<{ attname: string }>(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary`,
        [`${ident(schema)}.users`],
      );
      expect(pk.map((r) => r.attname)).toEqual(['id']);
      const rows = await q(
        `SELECT id::text, name, active, score, created_at::text AS created_at, _tributary_synced_at::text AS synced,
                _tributary_deleted AS deleted, _tributary_pass AS pass
           FROM ${ident(schema)}.users ORDER BY id`,
      );
      expect(rows).toEqual([
        {
          id: '1',
          name: 'Ada',
          active: true,
          score: 1.5,
          created_at: '2024-05-06 07:08:09.123456+00',
          synced: '2026-01-02 03:04:05.678+00',
          deleted: false,
          pass: 'pass-1',
        },
        {
          id: '2',
          name: null,
          active: false,
          score: null,
          created_at: null,
          synced: '2026-01-02 03:04:05.678+00',
          deleted: false,
          pass: 'pass-1',
        },
      ]);
      expect(await d.readStates()).toEqual({ users: { cursor: 2 } });
      const logged = await q(`SELECT run_id, stream, kind FROM ${ident(schema)}._tributary_schema_changes`);
      expect(logged).toEqual([{ run_id: 'run-1', stream: 'users', kind: 'create_table' }]);
    });

    it('upserts by key; within a batch the last row of a key wins', async () => {
      const schema = freshSchema();
      const d = await opened(schema, { copyFormat });
      await d.write(
        batch({
          rows: [
            { id: 1, name: 'one' },
            { id: 2, name: 'two' },
          ],
          state: { page: 1 },
        }),
      );
      const second = await d.write(
        batch({
          rows: [
            { id: 2, name: 'two-a' },
            { id: 3, name: 'three' },
            { id: 2, name: 'two-b' },
            { id: 3, name: 'three-b' },
          ],
          state: { page: 2 },
          syncedAt: new Date('2026-02-01T00:00:00Z'),
        }),
      );
      expect(second.rowsWritten).toBe(2);
      const rows = await q(
        `SELECT id::int AS id, name, _tributary_synced_at::date::text AS day FROM ${ident(schema)}.users ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: 1, name: 'one', day: '2026-01-02' },
        { id: 2, name: 'two-b', day: '2026-02-01' },
        { id: 3, name: 'three-b', day: '2026-02-01' },
      ]);
      expect(await d.readStates()).toEqual({ users: { page: 2 } });
    });

    it('round-trips awkward text, numbers and timestamps exactly', async () => {
      const schema = freshSchema();
      const d = await opened(schema, { copyFormat });
      const texts = [
        'tab\there',
        'new\nline',
        'cr\rlf',
        'back\\slash',
        '\\N',
        'quote\'s "double"',
        '',
        ' ',
        'ünïcødé ✓ 日本語 🚀',
        '\u0001\u001f control',
        'x'.repeat(300_000),
      ];
      const spec: TableSpec = {
        stream: 'values',
        primaryKey: ['k'],
        columns: [
          { name: 'k', type: 'bigint' },
          { name: 't', type: 'varchar' },
          { name: 'i', type: 'bigint' },
          { name: 'f', type: 'double' },
          { name: 'ts', type: 'timestamp' },
        ],
      };
      const ints = [0, -1, 2 ** 53, -(2 ** 53), 2 ** 62, -(2 ** 63), 4294967296, -4294967297];
      const floats = [0.1, -2.5e-300, 1.7976931348623157e308, Number.NaN, Number.POSITIVE_INFINITY, -1e-7];
      const stamps = [
        '2024-01-01T00:00:00Z',
        '2024-02-29T23:59:59.999999Z',
        '1970-01-01T00:00:00.000001Z',
        '1900-06-15T12:00:00+02:00',
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.5Z',
        '2024-03-10T10:11:12.1234567Z',
        '2024-03-10 10:11',
        '2024-03-10',
        '1999-12-31T23:59:59.9999995-05:30',
        '2024-07-01T10:11Z',
        '2024-07-01 10:11:12+0530',
        '2024-07-01T10:11:12.000000500-01',
        '2024-07-01T10:11:12.9999999Z',
      ];
      const n = Math.max(texts.length, ints.length, floats.length, stamps.length);
      const rows: Row[] = [];
      for (let k = 0; k < n; k++) {
        rows.push({
          k,
          t: texts[k] ?? null,
          i: ints[k] ?? null,
          f: floats[k] ?? null,
          ts: stamps[k] ?? null,
        });
      }
      await d.write(batch({ table: spec, rows }));
      const got = await q<{ t: string | null; i: string | null; f: string | null; ts: string | null }>(
        `SELECT t, i::text, f::text, ts::text FROM ${ident(schema)}."values" ORDER BY k`,
      );
      expect(got.map((r) => r.t)).toEqual(rows.map((r) => r.t));
      expect(got.map((r) => r.i)).toEqual(
        rows.map((r) => (r.i === null ? null : BigInt(r.i as number).toString())),
      );
      expect(got.map((r) => (r.f === null ? null : Number(r.f)))).toEqual(rows.map((r) => r.f));
      // The server's own parse of the same text is the reference for every timestamp.
      const expected = await q<{ ts: string | null }>(
        'SELECT s::timestamptz::text AS ts FROM unnest($1::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n',
        [rows.map((r) => r.ts)],
      );
      expect(got.map((r) => r.ts)).toEqual(expected.map((r) => r.ts));
    });
  });

  describe('schema evolution', () => {
    it('adds columns and widens types in place, logging each change', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await d.write(
        batch({
          rows: [{ id: 1, name: 'a', active: true, score: 2, created_at: '2024-01-02T03:04:05.5Z' }],
          table: {
            ...USERS,
            columns: [
              { name: 'id', type: 'bigint' },
              { name: 'name', type: 'varchar' },
              { name: 'active', type: 'boolean' },
              { name: 'score', type: 'bigint' },
              { name: 'created_at', type: 'timestamp' },
            ],
          },
        }),
      );
      const evolved: TableSpec = {
        ...USERS,
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'name', type: 'varchar' },
          { name: 'active', type: 'varchar' },
          { name: 'score', type: 'double' },
          { name: 'created_at', type: 'varchar' },
          { name: 'email', type: 'varchar' },
        ],
      };
      const result = await d.write(
        batch({
          runId: 'run-2',
          table: evolved,
          rows: [{ id: 2, name: 'b', active: 'maybe', score: 2.25, created_at: 'yesterday', email: 'b@x' }],
        }),
      );
      expect(result.schemaChanges).toEqual([
        { stream: 'users', kind: 'widen_column', column: 'active', fromType: 'boolean', toType: 'varchar' },
        { stream: 'users', kind: 'widen_column', column: 'score', fromType: 'bigint', toType: 'double' },
        {
          stream: 'users',
          kind: 'widen_column',
          column: 'created_at',
          fromType: 'timestamp',
          toType: 'varchar',
        },
        { stream: 'users', kind: 'add_column', column: 'email', toType: 'varchar' },
      ]);
      const types = await q<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = $1 AND table_name = 'users' AND column_name IN ('active', 'score', 'created_at', 'email')
          ORDER BY column_name`,
        [schema],
      );
      expect(types).toEqual([
        { column_name: 'active', data_type: 'text' },
        { column_name: 'created_at', data_type: 'text' },
        { column_name: 'email', data_type: 'text' },
        { column_name: 'score', data_type: 'double precision' },
      ]);
      const rows = await q(
        `SELECT id::int AS id, active, score, created_at, email FROM ${ident(schema)}.users ORDER BY id`,
      );
      // A widened timestamp reads like the engine's ISO-8601 text (milliseconds kept), the form a value
      // written after the widening has: the value must not depend on when its column widened.
      expect(rows).toEqual([
        { id: 1, active: 'true', score: 2, created_at: '2024-01-02T03:04:05.500Z', email: null },
        { id: 2, active: 'maybe', score: 2.25, created_at: 'yesterday', email: 'b@x' },
      ]);
      const log = await q(
        `SELECT run_id, kind, column_name, from_type, to_type FROM ${ident(schema)}._tributary_schema_changes
          WHERE run_id = 'run-2' ORDER BY changed_at, column_name`,
      );
      expect(log).toHaveLength(4);
      expect(log).toContainEqual({
        run_id: 'run-2',
        kind: 'widen_column',
        column_name: 'score',
        from_type: 'bigint',
        to_type: 'double',
      });
    });

    it('widens double precision to text, and never narrows a column', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const spec = (type: 'double' | 'varchar' | 'bigint'): TableSpec => ({
        stream: 'm',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'v', type },
        ],
      });
      await d.write(batch({ table: spec('double'), rows: [{ id: 1, v: 0.5 }] }));
      const widened = await d.write(batch({ table: spec('varchar'), rows: [{ id: 2, v: 'text' }] }));
      expect(widened.schemaChanges).toEqual([
        { stream: 'm', kind: 'widen_column', column: 'v', fromType: 'double', toType: 'varchar' },
      ]);
      const narrower = await d.write(batch({ table: spec('bigint'), rows: [{ id: 3, v: 7 }] }));
      expect(narrower.schemaChanges).toEqual([]);
      expect(await q(`SELECT id::int AS id, v FROM ${ident(schema)}.m ORDER BY id`)).toEqual([
        { id: 1, v: '0.5' },
        { id: 2, v: 'text' },
        { id: 3, v: '7' },
      ]);
    });

    it.each(['binary', 'text'] as const)(
      'widens a column for out-of-range numbers instead of failing or losing digits (%s)',
      async (copyFormat) => {
        const schema = freshSchema();
        const d = await opened(schema, { copyFormat });
        const spec: TableSpec = {
          stream: 'nums',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'n', type: 'bigint' },
            { name: 's', type: 'bigint' },
            { name: 'f', type: 'double' },
          ],
        };
        await d.write(batch({ table: spec, rows: [{ id: 1, n: 5, s: '-9223372036854775808', f: '2.5e3' }] }));
        const result = await d.write(
          batch({
            runId: 'run-2',
            table: spec,
            rows: [
              { id: 2, n: 1e20, s: '123456789012345678901234567890', f: '1e400' },
              { id: 3, n: -(2 ** 64), s: '7', f: 'NaN' },
            ],
          }),
        );
        expect(result.schemaChanges).toEqual([
          { stream: 'nums', kind: 'widen_column', column: 'n', fromType: 'bigint', toType: 'double' },
          { stream: 'nums', kind: 'widen_column', column: 's', fromType: 'bigint', toType: 'varchar' },
          { stream: 'nums', kind: 'widen_column', column: 'f', fromType: 'double', toType: 'varchar' },
        ]);
        expect(await q(`SELECT id::int AS id, n, s, f FROM ${ident(schema)}.nums ORDER BY id`)).toEqual([
          { id: 1, n: 5, s: '-9223372036854775808', f: '2500' },
          { id: 2, n: 1e20, s: '123456789012345678901234567890', f: '1e400' },
          { id: 3, n: -(2 ** 64), s: '7', f: 'NaN' },
        ]);
        const log = await q(
          `SELECT count(*)::int AS n FROM ${ident(schema)}._tributary_schema_changes WHERE run_id = 'run-2'`,
        );
        expect(log).toEqual([{ n: 3 }]);
      },
    );

    it.each(['binary', 'text'] as const)(
      'refuses values of the wrong kind for their column, naming stream, row and column (%s)',
      async (copyFormat) => {
        const schema = freshSchema();
        const d = await opened(schema, { copyFormat });
        const spec: TableSpec = {
          stream: 'strict',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'n', type: 'bigint' },
            { name: 'f', type: 'double' },
            { name: 'b', type: 'boolean' },
            { name: 'at', type: 'timestamp' },
          ],
        };
        await d.write(batch({ table: spec, rows: [{ id: 1, n: 1 }], state: { n: 1 } }));
        const cases: Array<[Row, string]> = [
          [{ id: 2, n: 1.5 }, 'column "n": value 1.5 is not a 64-bit integer'],
          [{ id: 2, n: 'twelve' }, 'column "n": value "twelve" is not a 64-bit integer'],
          [{ id: 2, n: true }, 'is not a 64-bit integer'],
          [{ id: 2, f: 'abc' }, 'column "f": value "abc" is not a number'],
          [{ id: 2, b: 'yes' }, 'column "b": value "yes" is not a boolean'],
          [
            { id: 2, at: '2024-02-30T00:00:00Z' },
            'column "at": value "2024-02-30T00:00:00Z" is not an ISO-8601',
          ],
          [{ id: 2, at: 'last tuesday' }, 'is not an ISO-8601'],
          [{ id: 2, at: 1700000000 }, 'is not an ISO-8601'],
        ];
        for (const [row, message] of cases) {
          const err = await expectDestError(
            d.write(batch({ table: spec, rows: [{ id: 9 }, row], state: { n: 2 } })),
            'TRB_DEST_WRITE',
          );
          expect(err.message).toContain('stream "strict": row 1');
          expect(err.message).toContain(message);
        }
        expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.strict`)).toEqual([{ id: 1 }]);
        expect(await d.readStates()).toEqual({ strict: { n: 1 } });
      },
    );
  });

  describe.each(['binary', 'text'] as const)(
    'exact numbers and disambiguated columns (%s COPY)',
    (copyFormat) => {
      it('stores ids beyond 2^53 exactly in bigint and exact decimals in numeric; keys stay distinct', async () => {
        const schema = freshSchema();
        const d = await opened(schema, { copyFormat });
        const spec: TableSpec = {
          stream: 'e',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'v', type: 'decimal' },
          ],
        };
        await d.write(
          batch({
            table: spec,
            rows: [
              { id: '9007199254740993', v: '1e400' },
              { id: '9007199254740992', v: '-123456789012345678901234567890.50' },
              { id: '-9223372036854775808', v: 2.5 },
              { id: 1, v: '1e-400' },
              { id: 2, v: '0.000' },
              { id: 3, v: '-0.00012' },
              { id: 4, v: 12345678 },
            ],
          }),
        );
        const rows = await q<{ id: string; v: string; t: string }>(
          `SELECT id::text AS id, v::text AS v, pg_typeof(v)::text AS t FROM ${ident(schema)}.e ORDER BY id`,
        );
        expect(rows.map((r) => r.t)).toEqual(Array(7).fill('numeric'));
        expect(Object.fromEntries(rows.map((r) => [r.id, r.v]))).toEqual({
          '9007199254740993': `1${'0'.repeat(400)}`,
          '9007199254740992': '-123456789012345678901234567890.50',
          '-9223372036854775808': '2.5',
          '1': `0.${'0'.repeat(399)}1`,
          '2': '0.000',
          '3': '-0.00012',
          '4': '12345678',
        });
      });

      it('widens bigint and double to numeric exactly, logged; beyond int64 text still widens to text', async () => {
        const schema = freshSchema();
        const d = await opened(schema, { copyFormat });
        const spec = (id: 'bigint' | 'decimal', f: 'double' | 'decimal'): TableSpec => ({
          stream: 'w',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: id },
            { name: 'f', type: f },
          ],
        });
        await d.write(
          batch({ table: spec('bigint', 'double'), rows: [{ id: '9223372036854775807', f: 0.1 }] }),
        );
        const result = await d.write(
          batch({
            runId: 'run-2',
            table: spec('decimal', 'decimal'),
            rows: [{ id: '123456789012345678901234567890', f: '1e400' }],
          }),
        );
        expect(result.schemaChanges).toEqual([
          { stream: 'w', kind: 'widen_column', column: 'id', fromType: 'bigint', toType: 'decimal' },
          { stream: 'w', kind: 'widen_column', column: 'f', fromType: 'double', toType: 'decimal' },
        ]);
        expect(await q(`SELECT id::text AS id, f::text AS f FROM ${ident(schema)}.w ORDER BY id`)).toEqual([
          { id: '123456789012345678901234567890', f: `1${'0'.repeat(400)}` },
          // The stored double 0.1 is the shortest exact text, not 15-digit rounding or its binary expansion.
          { id: '9223372036854775807', f: '0.1' },
        ]);
        const again = await d.write(batch({ table: spec('decimal', 'decimal'), rows: [{ id: 5, f: 1.5 }] }));
        expect(again.schemaChanges).toEqual([]);
      });
    },
  );

  it('adds source_path to a schema-change log created before it existed', async () => {
    const schema = freshSchema();
    await q(`CREATE SCHEMA ${ident(schema)}`);
    await q(
      `CREATE TABLE ${ident(schema)}._tributary_schema_changes (run_id text, stream text NOT NULL, kind text NOT NULL, ` +
        'column_name text, from_type text, to_type text, changed_at timestamptz NOT NULL DEFAULT now())',
    );
    const d = await opened(schema);
    await d.write(
      batch({
        table: {
          stream: 'o',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'x__2', type: 'bigint', sourcePath: 'X' },
          ],
        },
        rows: [{ id: 1 }],
      }),
    );
    expect(
      await q(
        `SELECT source_path FROM ${ident(schema)}._tributary_schema_changes WHERE kind = 'rename_collision'`,
      ),
    ).toEqual([{ source_path: 'X' }]);
  });

  describe('values PostgreSQL rejects', () => {
    it.each(['binary', 'text'] as const)(
      'strips NUL characters, counts them and warns (%s)',
      async (copyFormat) => {
        const schema = freshSchema();
        const warnings: DestinationWarning[] = [];
        const d = await opened(schema, { copyFormat, onWarning: (w) => warnings.push(w) });
        const result = await d.write(
          batch({
            rows: [
              { id: 1, name: 'a\u0000b\u0000c' },
              { id: 2, name: 'clean' },
              { id: 3, name: '\u0000' },
            ],
          }),
        );
        expect(result.nulValuesStripped).toBe(2);
        expect(result.warnings).toHaveLength(1);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.code).toBe('TRB_DEST_NUL_STRIPPED');
        expect(warnings[0]!.message).toContain('2 value(s)');
        expect(warnings[0]!.message).toContain('name');
        expect(await q(`SELECT id::int AS id, name FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
          { id: 1, name: 'abc' },
          { id: 2, name: 'clean' },
          { id: 3, name: '' },
        ]);
      },
    );

    it('replaces unpaired surrogates and says so', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const result = await d.write(batch({ rows: [{ id: 1, name: 'bad \ud800 half' }] }));
      expect(result.invalidUtf16Values).toBe(1);
      expect(result.warnings.map((w) => w.code)).toEqual(['TRB_DEST_INVALID_UTF16']);
      expect(await q(`SELECT name FROM ${ident(schema)}.users`)).toEqual([{ name: 'bad \ufffd half' }]);
    });

    it('rejects a row without a primary key value before writing anything', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const err = await expectDestError(
        d.write(batch({ rows: [{ id: 1 }, { id: null, name: 'x' }] })),
        'TRB_DEST_WRITE',
      );
      expect(err.message).toContain('row 1');
      expect(err.message).toContain('"id"');
      expect(await d.readStates()).toEqual({});
    });

    it('rejects a row with a field the table spec does not declare', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const err = await expectDestError(
        d.write(batch({ rows: [{ id: 1, surprise: 1 }] })),
        'TRB_DEST_SCHEMA',
      );
      expect(err.message).toContain('"surprise"');
    });

    it('rejects column names reserved for system columns', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const spec: TableSpec = {
        stream: 'r',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: '_tributary_deleted', type: 'varchar' },
        ],
      };
      const err = await expectDestError(d.write(batch({ table: spec, rows: [] })), 'TRB_DEST_SCHEMA');
      expect(err.message).toContain('reserved');
    });
  });

  describe('identifiers', () => {
    it('quotes hostile and Unicode names everywhere', async () => {
      const schema = freshSchema('trb "pg"; drop schema public; --');
      const d = await opened(schema);
      const spec: TableSpec = {
        stream: "Robert\"); DROP TABLE students;-- \\' E'x",
        primaryKey: ['Id', 'id'],
        columns: [
          { name: 'Id', type: 'varchar' },
          { name: 'id', type: 'bigint' },
          { name: 'select', type: 'varchar' },
          { name: 'a "quoted" name', type: 'varchar' },
          { name: 'semi;colon', type: 'bigint' },
          { name: 'ünïcødé 名前 🚀', type: 'varchar' },
          { name: 'back\\slash\ttab', type: 'boolean' },
          { name: 'xmin', type: 'varchar' },
        ],
      };
      const row: Row = {
        Id: 'A',
        id: 1,
        select: 'sel',
        'a "quoted" name': 'q',
        'semi;colon': 2,
        'ünïcødé 名前 🚀': 'u',
        'back\\slash\ttab': true,
        xmin: 'system column name',
      };
      await d.write(batch({ table: spec, rows: [row, { ...row, id: 2 }], stream: spec.stream }));
      const [got] = await q(`SELECT * FROM ${ident(schema)}.${ident(spec.stream)} WHERE id = 2`);
      expect(got).toMatchObject({
        Id: 'A',
        id: '2',
        select: 'sel',
        'a "quoted" name': 'q',
        'semi;colon': '2',
        'ünïcødé 名前 🚀': 'u',
        'back\\slash\ttab': true,
      });
      // "xmin" is a PostgreSQL system column; the user column is stored under a mapped name, recorded.
      const names = await q<{ kind: string; original: string; truncated: string }>(
        `SELECT kind, original, truncated FROM ${ident(schema)}._tributary_names`,
      );
      expect(names).toHaveLength(1);
      expect(names[0]).toMatchObject({ kind: 'column', original: 'xmin' });
      expect(got![names[0]!.truncated]).toBe('system column name');
      expect(await q(`SELECT 1 FROM pg_namespace WHERE nspname = 'public'`)).toHaveLength(1);
      // The table comment (a literal with the stream and pass names in it) survives hostile text too.
      const pass = `p\\'"; drop`;
      await d.write(
        batch({ table: spec, rows: [{ ...row, id: 3 }], stream: spec.stream, mode: 'replace', passId: pass }),
      );
      await d.write(
        batch({ table: spec, rows: [{ ...row, id: 4 }], stream: spec.stream, mode: 'replace', passId: pass }),
      );
      await d.finishReplace(spec.stream, spec, { done: true });
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.${ident(spec.stream)} ORDER BY id`)).toEqual(
        [{ id: 3 }, { id: 4 }],
      );
      const [comment] = await q<{ c: string }>(`SELECT obj_description($1::regclass, 'pg_class') AS c`, [
        `${ident(schema)}.${ident(spec.stream)}`,
      ]);
      expect(JSON.parse(comment!.c.slice('tributary:'.length))).toEqual({ stream: spec.stream });
    });

    it('truncates long names to 63 bytes deterministically, UTF-8 safe, and records the mapping', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const longStream = `stream_${'ß'.repeat(40)}`;
      const colA = `${'é'.repeat(31)}_first_column_with_a_long_name`;
      const colB = `${'é'.repeat(31)}_second_column_with_a_long_name`;
      const spec: TableSpec = {
        stream: longStream,
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: colA, type: 'varchar' },
          { name: colB, type: 'varchar' },
        ],
      };
      await d.write(batch({ stream: longStream, table: spec, rows: [{ id: 1, [colA]: 'a', [colB]: 'b' }] }));
      await d.write(batch({ stream: longStream, table: spec, rows: [{ id: 2, [colA]: 'c', [colB]: 'd' }] }));
      const names = await q<{ kind: string; original: string; truncated: string }>(
        `SELECT kind, original, truncated FROM ${ident(schema)}._tributary_names ORDER BY kind, original`,
      );
      expect(names.map((n) => [n.kind, n.original])).toEqual([
        ['column', colA],
        ['column', colB],
        ['table', longStream],
      ]);
      for (const n of names) {
        expect(Buffer.byteLength(n.truncated)).toBeLessThanOrEqual(63);
        expect(n.truncated).not.toContain('\ufffd');
        expect(n.truncated).toMatch(/_[0-9a-f]{8}$/);
      }
      expect(names[0]!.truncated).not.toBe(names[1]!.truncated);
      const table = names[2]!.truncated;
      const rows = await q(
        `SELECT id::int AS id, ${ident(names[0]!.truncated)} AS a, ${ident(names[1]!.truncated)} AS b
           FROM ${ident(schema)}.${ident(table)} ORDER BY id`,
      );
      expect(rows).toEqual([
        { id: 1, a: 'a', b: 'b' },
        { id: 2, a: 'c', b: 'd' },
      ]);
      expect(await d.readStates()).toHaveProperty([longStream]);
    });

    it('refuses two columns that differ only past the limit only if their hashes collide (they do not)', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const base = 'c'.repeat(70);
      const spec: TableSpec = {
        stream: 's',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: `${base}1`, type: 'bigint' },
          { name: `${base}2`, type: 'bigint' },
        ],
      };
      await d.write(batch({ table: spec, rows: [{ id: 1, [`${base}1`]: 1, [`${base}2`]: 2 }] }));
      const cols = await q(
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = 's'`,
        [schema],
      );
      expect(cols).toEqual([{ n: 6 }]);
    });
  });

  describe('full refresh and replace', () => {
    it('sweepDeleted marks rows the pass did not see, commits state, and a later write revives them', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await d.write(batch({ rows: [{ id: 1 }, { id: 2 }, { id: 3 }], passId: 'p1' }));
      await d.write(
        batch({ rows: [{ id: 1 }, { id: 3 }], passId: 'p2', state: { pass: 'p2', done: false } }),
      );
      expect(await d.sweepDeleted('users', 'p2', { pass: 'p2', done: true })).toBe(1);
      expect(await d.sweepDeleted('users', 'p2', { pass: 'p2', done: true })).toBe(0);
      expect(
        await q(
          `SELECT id::int AS id, _tributary_deleted AS d, _tributary_pass AS p FROM ${ident(schema)}.users ORDER BY id`,
        ),
      ).toEqual([
        { id: 1, d: false, p: 'p2' },
        { id: 2, d: true, p: 'p1' },
        { id: 3, d: false, p: 'p2' },
      ]);
      expect(await d.readStates()).toEqual({ users: { pass: 'p2', done: true } });
      await d.write(batch({ rows: [{ id: 2, name: 'back' }], passId: 'p3' }));
      expect(await q(`SELECT _tributary_deleted AS d FROM ${ident(schema)}.users WHERE id = 2`)).toEqual([
        { d: false },
      ]);
    });

    it('sweepDeleted on a stream that never wrote a table just commits state', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      expect(await d.sweepDeleted('ghost', 'p1', { done: true })).toBe(0);
      expect(await d.readStates()).toEqual({ ghost: { done: true } });
    });

    it('replace mode builds a side table and swaps it in atomically with the state', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await d.write(
        batch({
          rows: [
            { id: 1, name: 'old' },
            { id: 2, name: 'old' },
          ],
          state: { v: 0 },
        }),
      );
      await d.write(
        batch({ mode: 'replace', passId: 'r1', rows: [{ id: 2, name: 'new' }], state: { v: 1 } }),
      );
      await d.write(
        batch({ mode: 'replace', passId: 'r1', rows: [{ id: 3, name: 'new' }], state: { v: 2 } }),
      );
      // Until the swap, readers see the old table.
      expect(await q(`SELECT id::int AS id, name FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
        { id: 1, name: 'old' },
        { id: 2, name: 'old' },
      ]);
      expect(await d.readStates()).toEqual({ users: { v: 2 } });
      const evolved: TableSpec = {
        ...USERS,
        columns: [...USERS.columns, { name: 'extra', type: 'varchar' }],
      };
      await d.finishReplace('users', evolved, { v: 'final' });
      expect(await q(`SELECT id::int AS id, name, extra FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
        { id: 2, name: 'new', extra: null },
        { id: 3, name: 'new', extra: null },
      ]);
      expect(await d.readStates()).toEqual({ users: { v: 'final' } });
      const tables = await q<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'i') AND c.relname NOT LIKE '\\_tributary\\_%' ORDER BY 1`,
        [schema],
      );
      expect(tables.map((t) => t.relname)).toEqual(['users', 'users_pkey']);
      // The swapped-in table is an ordinary tributary table: upserts and the next replace work.
      await d.write(batch({ rows: [{ id: 3, name: 'upserted' }] }));
      await d.write(batch({ mode: 'replace', passId: 'r2', rows: [{ id: 9 }] }));
      await d.finishReplace('users', USERS, { v: 'again' });
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.users`)).toEqual([{ id: 9 }]);
    });

    it('a new replace pass discards rows staged by an unfinished earlier pass; a resumed pass keeps them', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await d.write(batch({ mode: 'replace', passId: 'crashed', rows: [{ id: 1 }, { id: 2 }] }));
      await d.write(batch({ mode: 'replace', passId: 'fresh', rows: [{ id: 3 }] }));
      await d.write(batch({ mode: 'replace', passId: 'fresh', rows: [{ id: 4 }] }));
      await d.finishReplace('users', USERS, {});
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
        { id: 3 },
        { id: 4 },
      ]);
    });

    it('a replace pass with no rows at all swaps in an empty table', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await d.write(batch({ rows: [{ id: 1 }] }));
      await d.finishReplace('users', USERS, { empty: true });
      expect(await q(`SELECT count(*)::int AS n FROM ${ident(schema)}.users`)).toEqual([{ n: 0 }]);
    });

    it('replace refuses to drop a table tributary did not create', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await admin.query(`CREATE TABLE ${ident(schema)}.users (id bigint PRIMARY KEY, precious text)`);
      await admin.query(`INSERT INTO ${ident(schema)}.users VALUES (1, 'keep me')`);
      await d.write(batch({ mode: 'replace', passId: 'r', rows: [{ id: 2 }] }));
      const err = await expectDestError(d.finishReplace('users', USERS, { v: 1 }), 'TRB_DEST_SCHEMA');
      expect(err.message).toContain('not created by tributary');
      expect(await q(`SELECT precious FROM ${ident(schema)}.users`)).toEqual([{ precious: 'keep me' }]);
    });
  });

  describe('state and runs', () => {
    it('readStates, resetState for some and for all streams', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      for (const stream of ['a', 'b', 'c']) {
        await d.write(batch({ stream, table: { ...USERS, stream }, rows: [], state: { s: stream } }));
      }
      expect(await d.readStates()).toEqual({ a: { s: 'a' }, b: { s: 'b' }, c: { s: 'c' } });
      await d.resetState(['a', 'c']);
      expect(await d.readStates()).toEqual({ b: { s: 'b' } });
      await d.resetState();
      expect(await d.readStates()).toEqual({});
    });

    it('an empty batch still creates the table and commits state', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      const result = await d.write(batch({ rows: [], state: { empty: true } }));
      expect(result.rowsWritten).toBe(0);
      expect(await q(`SELECT count(*)::int AS n FROM ${ident(schema)}.users`)).toEqual([{ n: 0 }]);
      expect(await d.readStates()).toEqual({ users: { empty: true } });
    });

    it('recordRun inserts then updates the run row, redacting the password', async () => {
      const schema = freshSchema();
      const url = new URL(PG_URL);
      url.password = 'pw-Secret-123';
      const d = new PostgresDestination(url.href, {
        namespace: schema,
        connector: 'humaans',
        lockTimeoutMs: 1000,
      });
      destinations.push(d);
      await d.open();
      const startedAt = new Date('2026-03-01T00:00:00Z');
      await d.recordRun({ runId: 'r-1', connector: 'humaans', startedAt, status: 'running' });
      await d.recordRun({
        runId: 'r-1',
        connector: 'humaans',
        startedAt,
        endedAt: new Date('2026-03-01T00:01:00Z'),
        status: 'failed',
        recordsWritten: 10,
        recordsDeleted: 2,
        error: 'boom at postgres://postgres:pw-Secret-123@host/db',
        summary: [{ stream: 'users', upserts: 10 }],
      });
      const runs = await q(
        `SELECT run_id, connector, status, records_written::int AS w, records_deleted::int AS d, error, summary,
                ended_at - started_at AS took
           FROM ${ident(schema)}._tributary_runs`,
      );
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        run_id: 'r-1',
        connector: 'humaans',
        status: 'failed',
        w: 10,
        d: 2,
        summary: [{ stream: 'users', upserts: 10 }],
      });
      expect(String(runs[0]!.error)).not.toContain('pw-Secret-123');
      expect(String(runs[0]!.error)).toContain('boom');
    });
  });

  describe('concurrency', () => {
    it('a second sync of the same schema waits, then fails with TRB_DEST_LOCKED; it can open once the first closes', async () => {
      const schema = freshSchema();
      const first = await opened(schema);
      const second = destination(schema, { lockTimeoutMs: 300 });
      const started = Date.now();
      const err = await expectDestError(second.open(), 'TRB_DEST_LOCKED');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(err.message).toContain(schema);
      expect(err.message).toContain('another tributary sync');
      expect(err.message).toMatch(/held by backend pid \d+/);
      await first.close();
      await second.open();
      await second.write(batch({ rows: [{ id: 1 }] }));
    });

    it('the waiting sync gets the lock when the first one closes within the timeout', async () => {
      const schema = freshSchema();
      const first = await opened(schema);
      const second = destination(schema, { lockTimeoutMs: 5000 });
      const waiting = second.open();
      await new Promise((r) => setTimeout(r, 200));
      await first.close();
      await waiting;
      await second.write(batch({ rows: [{ id: 1 }] }));
    });

    it('different schemas do not block each other', async () => {
      const a = await opened(freshSchema());
      const b = await opened(freshSchema());
      await Promise.all([a.write(batch({ rows: [{ id: 1 }] })), b.write(batch({ rows: [{ id: 1 }] }))]);
    });

    it('concurrent writes to different streams and to the same stream all land', async () => {
      const schema = freshSchema();
      const d = await opened(schema, { poolSize: 3 });
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 12; i++) {
        const stream = `s${i % 3}`;
        writes.push(
          d.write(
            batch({ stream, table: { ...USERS, stream }, rows: [{ id: i, name: `n${i}` }], state: { i } }),
          ),
        );
      }
      await Promise.all(writes);
      const counts = await q(
        `SELECT (SELECT count(*) FROM ${ident(schema)}.s0)::int AS a, (SELECT count(*) FROM ${ident(schema)}.s1)::int AS b,
                (SELECT count(*) FROM ${ident(schema)}.s2)::int AS c`,
      );
      expect(counts).toEqual([{ a: 4, b: 4, c: 4 }]);
      expect(await d.readStates()).toEqual({ s0: { i: 9 }, s1: { i: 10 }, s2: { i: 11 } });
    });
  });

  describe('connection loss', () => {
    async function terminate(applicationName: string): Promise<number> {
      // With a timeout, pg_terminate_backend returns once the backend has exited: without it, the next step
      // could still find the dying session alive (seen in CI under load), and the test would race the server.
      const res = await admin.query(
        `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [applicationName],
      );
      return res.rowCount ?? 0;
    }

    /**
     * Terminate the session of `app` once it is busy with a COPY, polling back to back until `done` says the
     * write settled (or 60 s pass); resolves with how many sessions were terminated.
     */
    async function killDuringCopy(app: string, done: () => boolean): Promise<number> {
      const until = Date.now() + 60_000;
      while (!done() && Date.now() < until) {
        const res = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = $1 AND state = 'active' AND query LIKE 'COPY%'`,
          [app],
        );
        if ((res.rowCount ?? 0) > 0) return res.rowCount ?? 0;
      }
      return 0;
    }

    function bigRows(n: number): Row[] {
      const rows: Row[] = [];
      for (let i = 0; i < n; i++) rows.push({ id: i, name: `name ${i} ${'x'.repeat(40)}`, score: i / 3 });
      return rows;
    }

    it('retries a batch on a fresh connection after the server ends the session between batches', async () => {
      const schema = freshSchema();
      const app = `trb-test-${randomBytes(4).toString('hex')}`;
      const d = await opened(schema, { applicationName: app });
      await d.write(batch({ rows: [{ id: 1 }], state: { n: 1 } }));
      expect(await terminate(app)).toBeGreaterThan(0);
      await d.write(batch({ rows: [{ id: 2 }], state: { n: 2 } }));
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
        { id: 1 },
        { id: 2 },
      ]);
      expect(await d.readStates()).toEqual({ users: { n: 2 } });
    });

    it('retries a batch whose session is terminated during the COPY, with an exact result', async () => {
      const rows = bigRows(300_000);
      // The killer polls for the COPY; on a loaded machine the COPY can finish between two polls, and then
      // the case did not happen (failed once in CI that way). Every attempt must be exact; up to three
      // attempts get one whose COPY was killed mid-flight.
      let killed = 0;
      for (let attempt = 1; attempt <= 3 && killed === 0; attempt++) {
        const schema = freshSchema();
        const app = `trb-test-${randomBytes(4).toString('hex')}`;
        const d = await opened(schema, { applicationName: app });
        let settled = false;
        const killer = killDuringCopy(app, () => settled);
        const result = await d.write(batch({ rows, state: { n: 'big' } })).finally(() => {
          settled = true;
        });
        killed = await killer;
        expect(result.rowsWritten).toBe(300_000);
        expect(
          await q(
            `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(id)::text AS s FROM ${ident(schema)}.users`,
          ),
        ).toEqual([{ n: 300_000, d: 300_000, s: String((299_999 * 300_000) / 2) }]);
        expect(await d.readStates()).toEqual({ users: { n: 'big' } });
      }
      expect(killed).toBe(1);
    }, 180_000);

    it('gives up with TRB_DEST_CONNECTION when retries are exhausted; state stays with the data', async () => {
      const schema = freshSchema();
      const app = `trb-test-${randomBytes(4).toString('hex')}`;
      const d = await opened(schema, { applicationName: app, maxAttempts: 1 });
      await d.write(batch({ rows: [{ id: -1 }], state: { n: 1 } }));
      let settled = false;
      const killer = killDuringCopy(app, () => settled);
      const err = await expectDestError(
        d.write(batch({ rows: bigRows(300_000), state: { n: 2 } })).finally(() => {
          settled = true;
        }),
        'TRB_DEST_CONNECTION',
      );
      expect(await killer).toBe(1);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('lost the connection');
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.users`)).toEqual([{ id: -1 }]);
      expect(await q(`SELECT state FROM ${ident(schema)}._tributary_state WHERE stream = 'users'`)).toEqual([
        { state: { n: 1 } },
      ]);
    });

    it('takes the lock again when its session dies, and stops if another sync took it meanwhile', async () => {
      const schema = freshSchema();
      const app = `trb-test-${randomBytes(4).toString('hex')}`;
      const d = await opened(schema, { applicationName: app });
      await d.write(batch({ rows: [{ id: 1 }] }));
      // No pause after each termination: the write must notice even before the socket tells the client.
      expect(await terminate(`${app}:lock`)).toBe(1);
      await d.write(batch({ rows: [{ id: 2 }] }));
      expect(await terminate(`${app}:lock`)).toBe(1);
      const intruder = await opened(schema);
      const err = await expectDestError(d.write(batch({ rows: [{ id: 3 }] })), 'TRB_DEST_LOCKED');
      expect(err.message).toContain('lost the lock session');
      await intruder.write(batch({ rows: [{ id: 4 }] }));
      expect(await q(`SELECT id::int AS id FROM ${ident(schema)}.users ORDER BY id`)).toEqual([
        { id: 1 },
        { id: 2 },
        { id: 4 },
      ]);
    });
  });

  describe('pre-existing tables', () => {
    it('refuses a table tributary did not create whose primary key differs, and explains', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await admin.query(
        `CREATE TABLE ${ident(schema)}.users (user_id bigint PRIMARY KEY, id bigint, name text)`,
      );
      await admin.query(`INSERT INTO ${ident(schema)}.users VALUES (7, 7, 'theirs')`);
      const err = await expectDestError(
        d.write(batch({ rows: [{ id: 1 }], state: { n: 1 } })),
        'TRB_DEST_SCHEMA',
      );
      expect(err.message).toContain('not created by tributary');
      expect(err.message).toContain('("user_id")');
      expect(err.message).toContain('("id")');
      expect(err.exitCode).toBe(1);
      expect(await q(`SELECT * FROM ${ident(schema)}.users`)).toEqual([
        { user_id: '7', id: '7', name: 'theirs' },
      ]);
      expect(await d.readStates()).toEqual({});
    });

    it('refuses a table without a primary key, and a tributary table whose key changed', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await admin.query(`CREATE TABLE ${ident(schema)}.users (id bigint, name text)`);
      const noKey = await expectDestError(d.write(batch({ rows: [{ id: 1 }] })), 'TRB_DEST_SCHEMA');
      expect(noKey.message).toContain('primary key is none');
      await d.write(batch({ stream: 'other', table: { ...USERS, stream: 'other' }, rows: [{ id: 1 }] }));
      const changed = await expectDestError(
        d.write(
          batch({
            stream: 'other',
            table: { ...USERS, stream: 'other', primaryKey: ['name'] },
            rows: [{ id: 1, name: 'x' }],
          }),
        ),
        'TRB_DEST_SCHEMA',
      );
      expect(changed.message).toContain('now declares ("name")');
    });

    it('adopts a compatible table: same key, managed types; adds the system columns', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await admin.query(`CREATE TABLE ${ident(schema)}.users (id bigint PRIMARY KEY, name text)`);
      await admin.query(`INSERT INTO ${ident(schema)}.users VALUES (7, 'theirs')`);
      await d.write(batch({ rows: [{ id: 1, name: 'ours' }] }));
      expect(
        await q(
          `SELECT id::int AS id, name, _tributary_deleted AS d FROM ${ident(schema)}.users ORDER BY id`,
        ),
      ).toEqual([
        { id: 1, name: 'ours', d: false },
        { id: 7, name: 'theirs', d: false },
      ]);
    });

    it('refuses a column of a type tributary does not manage', async () => {
      const schema = freshSchema();
      const d = await opened(schema);
      await admin.query(`CREATE TABLE ${ident(schema)}.users (id integer PRIMARY KEY, name varchar(3))`);
      const err = await expectDestError(d.write(batch({ rows: [{ id: 1 }] })), 'TRB_DEST_SCHEMA');
      expect(err.message).toMatch(/column "id" has type integer/);
    });
  });
});
