/**
 * The destination conformance suite: what every Destination must do, checked through its public interface
 * and plain SQL. conformance.test.ts runs it for every destination from one matrix (one entry each).
 *
 * The SQL here must run on DuckDB and PostgreSQL alike: double-quoted identifiers, standard
 * information_schema views, no dialect functions. Values are compared after `norm*` helpers, which accept
 * what either driver returns (BIGINT as bigint, number or string; TIMESTAMPTZ as Date or text; JSON as
 * text or parsed).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  ColumnType,
  Destination,
  Row,
  RunRecord,
  SchemaChange,
  StreamState,
  TableSpec,
  WriteBatch,
} from '../../src/destinations/destination.js';
import { DestinationError } from '../../src/errors.js';

export interface DestinationHarness {
  /** A destination for the given namespace, not yet opened: the suite opens and closes it. */
  destination: Destination;
  /** Run SQL against the same database (it may be the destination's own connection) and return row objects. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Remove whatever the test created (files, schemas). Called after the destination is closed. */
  cleanup(): Promise<void>;
  /**
   * The primary key the destination keeps for a table, for a destination that does not declare it as a
   * PRIMARY KEY constraint (DuckDB records it in the table comment: the constraint's index would have to
   * live in memory). Default: the constraint, from information_schema.
   */
  primaryKey?(namespace: string, table: string): Promise<string[]>;
  /**
   * The name the destination stores a column under, for a destination whose identifier rules map some
   * names (MySQL cannot hold characters beyond the Basic Multilingual Plane in a name, and records the
   * original in `_tributary_names`). Default: the name itself.
   */
  storedName?(column: string): string;
}

export type MakeDestination = (namespace: string) => Promise<DestinationHarness>;

// ---------------------------------------------------------------------------------------------------------
// Portable SQL and value helpers

/** A double-quoted identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted string literal (standard SQL: quotes doubled, backslashes literal). */
export function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** BIGINT as a decimal string, whatever the driver returned (bigint, number or string). */
export function normInt(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'bigint' ? v.toString() : String(v);
}

export function normNum(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  return Number(v);
}

/** TIMESTAMPTZ as an ISO-8601 UTC string (millisecond precision, as JS Dates have). */
export function normTs(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}

export function normJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** An information_schema data_type as one of our column types (or the raw lower-cased name). */
export function normType(dataType: unknown): ColumnType | string {
  const t = String(dataType).toLowerCase();
  // MySQL's BOOLEAN is TINYINT(1).
  if (t === 'boolean' || t === 'tinyint') return 'boolean';
  if (t === 'bigint' || t === 'int8') return 'bigint';
  if (t === 'double' || t === 'double precision' || t === 'float8') return 'double';
  if (t === 'timestamp with time zone' || t === 'timestamptz' || t === 'datetime') return 'timestamp';
  if (t === 'varchar' || t === 'text' || t === 'character varying' || t === 'longtext') return 'varchar';
  return t;
}

const SYNCED_AT = new Date('2024-05-01T10:00:00.000Z');

function spec(stream: string, columns: Record<string, ColumnType>, primaryKey: string[] = ['id']): TableSpec {
  return { stream, primaryKey, columns: Object.entries(columns).map(([name, type]) => ({ name, type })) };
}

function batch(table: TableSpec, rows: Row[], extra: Partial<WriteBatch> = {}): WriteBatch {
  return {
    runId: 'run-1',
    stream: table.stream,
    table,
    rows,
    state: { cursor: `after-${rows.length}` },
    syncedAt: SYNCED_AT,
    mode: 'upsert',
    ...extra,
  };
}

/** One opened destination plus SQL helpers bound to its namespace. */
class Fixture {
  constructor(
    readonly harness: DestinationHarness,
    readonly namespace: string,
  ) {}

  get dest(): Destination {
    return this.harness.destination;
  }

  query(sql: string): Promise<Record<string, unknown>[]> {
    return this.harness.query(sql);
  }

  table(name: string): string {
    return `${ident(this.namespace)}.${ident(name)}`;
  }

  /** Every row of a stream's table, ordered by the given columns. */
  rows(stream: string, orderBy: string[] = ['id']): Promise<Record<string, unknown>[]> {
    return this.query(`SELECT * FROM ${this.table(stream)} ORDER BY ${orderBy.map(ident).join(', ')}`);
  }

  /** Column name → normalized type, in table order. */
  async columns(table: string): Promise<Record<string, ColumnType | string>> {
    const rows = await this.query(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = ${lit(this.namespace)} AND table_name = ${lit(table)} ORDER BY ordinal_position`,
    );
    return Object.fromEntries(rows.map((r) => [String(r.column_name), normType(r.data_type)]));
  }

  async tables(): Promise<string[]> {
    const rows = await this.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = ${lit(this.namespace)} ORDER BY table_name`,
    );
    return rows.map((r) => String(r.table_name));
  }

  async primaryKey(table: string): Promise<string[]> {
    if (this.harness.primaryKey) return this.harness.primaryKey(this.namespace, table);
    const rows = await this.query(
      `SELECT kcu.column_name FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu
           ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
          AND tc.table_name = kcu.table_name
        WHERE tc.table_schema = ${lit(this.namespace)} AND tc.table_name = ${lit(table)}
          AND tc.constraint_type = 'PRIMARY KEY'
        ORDER BY kcu.ordinal_position`,
    );
    return rows.map((r) => String(r.column_name));
  }

  async schemaChanges(stream: string): Promise<SchemaChange[]> {
    const rows = await this.query(
      `SELECT stream, kind, column_name, from_type, to_type FROM ${this.table('_tributary_schema_changes')}
        WHERE stream = ${lit(stream)} ORDER BY changed_at, kind, column_name`,
    );
    return rows.map((r) => {
      const c: SchemaChange = { stream: String(r.stream), kind: r.kind as SchemaChange['kind'] };
      if (r.column_name !== null) c.column = String(r.column_name);
      if (r.from_type !== null) c.fromType = r.from_type as ColumnType;
      if (r.to_type !== null) c.toType = r.to_type as ColumnType;
      return c;
    });
  }

  /** The stream's row ids (as strings) with their soft-delete flag. */
  async liveness(stream: string): Promise<Record<string, boolean>> {
    const rows = await this.query(
      `SELECT "id", "_tributary_deleted" FROM ${this.table(stream)} ORDER BY "id"`,
    );
    return Object.fromEntries(rows.map((r) => [normInt(r.id)!, r._tributary_deleted === true]));
  }
}

/** Drop the keys of changes that only some destinations fill in, so lists compare across destinations. */
function changeKeys(changes: readonly SchemaChange[]): string[] {
  return changes.map((c) => [c.kind, c.column ?? '', c.fromType ?? '', c.toType ?? ''].join(':')).sort();
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Register the conformance suite for one destination. `makeDestination(namespace)` returns a fresh,
 * unopened destination writing into `namespace` (unique per test), a `query` function over the same
 * database, and a `cleanup`.
 */
export function describeDestinationConformance(name: string, makeDestination: MakeDestination): void {
  describe(`${name}: destination conformance`, () => {
    const open: Fixture[] = [];

    afterEach(async () => {
      for (const f of open.splice(0)) {
        await f.dest.close();
        await f.harness.cleanup();
      }
    });

    async function setup(namespace = `conf_${randomBytes(4).toString('hex')}`): Promise<Fixture> {
      const harness = await makeDestination(namespace);
      const f = new Fixture(harness, namespace);
      open.push(f);
      await harness.destination.open();
      return f;
    }

    it('creates the stream table from the spec, with system columns, primary key and bookkeeping tables', async () => {
      const f = await setup();
      const t = spec('people', {
        id: 'bigint',
        name: 'varchar',
        active: 'boolean',
        score: 'double',
        seen_at: 'timestamp',
      });
      const result = await f.dest.write(
        batch(t, [{ id: 1, name: 'Ada', active: true, score: 1.5, seen_at: '2024-01-15T12:34:56.789Z' }]),
      );
      expect(result.rowsWritten).toBe(1);
      expect(result.schemaChanges).toEqual([{ stream: 'people', kind: 'create_table' }]);
      expect(await f.columns('people')).toEqual({
        id: 'bigint',
        name: 'varchar',
        active: 'boolean',
        score: 'double',
        seen_at: 'timestamp',
        _tributary_synced_at: 'timestamp',
        _tributary_deleted: 'boolean',
        _tributary_pass: 'varchar',
      });
      expect(await f.primaryKey('people')).toEqual(['id']);
      expect(await f.tables()).toEqual(
        expect.arrayContaining([
          'people',
          '_tributary_state',
          '_tributary_runs',
          '_tributary_schema_changes',
        ]),
      );
      const [row] = await f.rows('people');
      expect(normTs(row!._tributary_synced_at)).toBe(SYNCED_AT.toISOString());
      expect(row!._tributary_deleted).toBe(false);
      expect(row!._tributary_pass).toBeNull();
      expect(changeKeys(await f.schemaChanges('people'))).toEqual(['create_table:::']);
    });

    it('round-trips every type exactly', async () => {
      const f = await setup();
      const t = spec('types', {
        id: 'bigint',
        b: 'boolean',
        n: 'bigint',
        d: 'double',
        ts: 'timestamp',
        s: 'varchar',
      });
      const strings = [
        '',
        'unicode 名前 🎉 émoji Ωμέγα',
        'line1\nline2\r\nline3',
        `it's "quoted"`,
        'back\\slash \\n is not a newline',
        '\ttab\tseparated\t',
        'comma, "separated", values',
        '{"looks":"like json"}',
        'NULL',
        '\\N',
        'x'.repeat(20_000),
      ];
      const numbers = [0, -1, 2 ** 53, -(2 ** 53), 1234567890123, 42, 7, 8, 9, 10, 11];
      const doubles = [
        0.1,
        -1.5e-300,
        1.7976931348623157e308,
        1 / 3,
        5e-324,
        42,
        -2.5,
        1e21,
        Math.PI,
        100,
        0,
      ];
      const stamps = [
        '2024-01-15T12:34:56.789Z',
        '1970-01-01T00:00:00.000Z',
        '1900-02-28T23:59:59.999Z',
        '2099-12-31T23:59:59.999Z',
        '2024-06-01T12:00:00+02:00',
        '2024-02-29T00:00:00Z',
        '2024-01-15T12:34:56.789Z',
        '2024-01-15T12:34:56.789Z',
        '2024-01-15T12:34:56.789Z',
        '2024-01-15T12:34:56.789Z',
        '2024-01-15T12:34:56.789Z',
      ];
      const rows: Row[] = strings.map((s, i) => ({
        id: i,
        b: i % 2 === 0,
        n: numbers[i]!,
        d: doubles[i]!,
        ts: stamps[i]!,
        s,
      }));
      await f.dest.write(batch(t, rows));
      const got = await f.rows('types');
      expect(got.length).toBe(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = got[i]!;
        expect(normInt(r.id)).toBe(String(i));
        expect(r.b).toBe(i % 2 === 0);
        expect(normInt(r.n), `bigint #${i}`).toBe(String(numbers[i]));
        expect(normNum(r.d), `double #${i}`).toBe(doubles[i]);
        expect(normTs(r.ts), `timestamp #${i}`).toBe(new Date(stamps[i]!).toISOString());
        expect(r.s, `varchar #${i}`).toBe(strings[i]);
      }
    });

    it('keeps every digit of bigint values given as decimal strings', async () => {
      const f = await setup();
      const t = spec('big', { id: 'bigint', n: 'bigint' });
      const values = ['9007199254740993', '-9223372036854775808', '9223372036854775807'];
      await f.dest.write(
        batch(
          t,
          values.map((n, i) => ({ id: i, n })),
        ),
      );
      const got = await f.rows('big');
      expect(got.map((r) => normInt(r.n))).toEqual(values);
    });

    it('stores null and missing values as NULL, and keeps empty and zero values', async () => {
      const f = await setup();
      const t = spec('nulls', {
        id: 'bigint',
        s: 'varchar',
        n: 'bigint',
        d: 'double',
        b: 'boolean',
        ts: 'timestamp',
      });
      await f.dest.write(
        batch(t, [
          { id: 1, s: null, n: null, d: null, b: null, ts: null },
          { id: 2 },
          { id: 3, s: '', n: 0, d: 0, b: false, ts: '1970-01-01T00:00:00.000Z' },
        ]),
      );
      const got = await f.rows('nulls');
      for (const r of got.slice(0, 2)) {
        expect([r.s, r.n, r.d, r.b, r.ts]).toEqual([null, null, null, null, null]);
      }
      const z = got[2]!;
      expect(z.s).toBe('');
      expect(normInt(z.n)).toBe('0');
      expect(normNum(z.d)).toBe(0);
      expect(z.b).toBe(false);
      expect(normTs(z.ts)).toBe('1970-01-01T00:00:00.000Z');
    });

    it('adds a column: older rows get NULL, and the change is returned and logged', async () => {
      const f = await setup();
      await f.dest.write(batch(spec('grow', { id: 'bigint', a: 'varchar' }), [{ id: 1, a: 'one' }]));
      const result = await f.dest.write(
        batch(spec('grow', { id: 'bigint', a: 'varchar', b: 'bigint' }), [{ id: 2, a: 'two', b: 22 }], {
          runId: 'run-2',
        }),
      );
      expect(result.schemaChanges).toEqual([
        { stream: 'grow', kind: 'add_column', column: 'b', toType: 'bigint' },
      ]);
      expect((await f.columns('grow')).b).toBe('bigint');
      const got = await f.rows('grow');
      expect(got.map((r) => [normInt(r.id), r.a, normInt(r.b)])).toEqual([
        ['1', 'one', null],
        ['2', 'two', '22'],
      ]);
      expect(changeKeys(await f.schemaChanges('grow'))).toEqual(['add_column:b::bigint', 'create_table:::']);
      const logged = await f.query(
        `SELECT run_id FROM ${f.table('_tributary_schema_changes')} WHERE stream = 'grow' AND kind = 'add_column'`,
      );
      expect(logged.map((r) => r.run_id)).toEqual(['run-2']);
    });

    it('records rename_collision with the source path for a disambiguated column, on create and on add', async () => {
      const f = await setup();
      const t1: TableSpec = {
        stream: 'r',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'foo_bar', type: 'varchar' },
          { name: 'foo_bar__2', type: 'varchar', sourcePath: 'fooBar' },
        ],
      };
      const r1 = await f.dest.write(batch(t1, [{ id: 1, foo_bar: 'snake', foo_bar__2: 'camel' }]));
      expect(r1.schemaChanges).toEqual([
        { stream: 'r', kind: 'create_table' },
        { stream: 'r', kind: 'rename_collision', column: 'foo_bar__2', sourcePath: 'fooBar' },
      ]);
      const t2: TableSpec = {
        ...t1,
        columns: [...t1.columns, { name: 'a_b__2', type: 'bigint', sourcePath: 'a.b' }],
      };
      const r2 = await f.dest.write(batch(t2, [{ id: 2, a_b__2: 7 }], { runId: 'run-2' }));
      expect(r2.schemaChanges).toEqual([
        { stream: 'r', kind: 'add_column', column: 'a_b__2', toType: 'bigint' },
        { stream: 'r', kind: 'rename_collision', column: 'a_b__2', sourcePath: 'a.b' },
      ]);
      expect(
        await f.query(
          `SELECT run_id, column_name, source_path FROM ${f.table('_tributary_schema_changes')} WHERE kind = 'rename_collision' ORDER BY run_id`,
        ),
      ).toEqual([
        { run_id: 'run-1', column_name: 'foo_bar__2', source_path: 'fooBar' },
        { run_id: 'run-2', column_name: 'a_b__2', source_path: 'a.b' },
      ]);
    });

    it('widens bigint → double → varchar, boolean → varchar and timestamp → varchar without losing values', async () => {
      const f = await setup();
      const cols = (n: ColumnType, flag: ColumnType, at: ColumnType) =>
        spec('widen', { id: 'bigint', n, flag, at });
      await f.dest.write(
        batch(cols('bigint', 'boolean', 'timestamp'), [
          { id: 1, n: 42, flag: true, at: '2024-01-15T12:34:56.789Z' },
        ]),
      );
      const toDouble = await f.dest.write(
        batch(cols('double', 'boolean', 'timestamp'), [{ id: 2, n: 1.5, flag: false }]),
      );
      expect(changeKeys(toDouble.schemaChanges)).toEqual(['widen_column:n:bigint:double']);
      expect((await f.columns('widen')).n).toBe('double');
      expect((await f.rows('widen')).map((r) => normNum(r.n))).toEqual([42, 1.5]);

      const toText = await f.dest.write(
        batch(cols('varchar', 'varchar', 'varchar'), [
          { id: 3, n: 'n/a', flag: 'maybe', at: 'last tuesday' },
        ]),
      );
      expect(changeKeys(toText.schemaChanges)).toEqual([
        'widen_column:at:timestamp:varchar',
        'widen_column:flag:boolean:varchar',
        'widen_column:n:double:varchar',
      ]);
      expect(await f.columns('widen')).toMatchObject({ n: 'varchar', flag: 'varchar', at: 'varchar' });
      const got = await f.rows('widen');
      // The earlier values survive as text that reads back as the same value.
      expect(Number(got[0]!.n)).toBe(42);
      expect(Number(got[1]!.n)).toBe(1.5);
      expect(got[2]!.n).toBe('n/a');
      expect(got.map((r) => r.flag)).toEqual(['true', 'false', 'maybe']);
      expect(new Date(String(got[0]!.at)).toISOString()).toBe('2024-01-15T12:34:56.789Z');
      expect(got[1]!.at).toBeNull();
      expect(got[2]!.at).toBe('last tuesday');
      expect(changeKeys(await f.schemaChanges('widen'))).toEqual([
        'create_table:::',
        'widen_column:at:timestamp:varchar',
        'widen_column:flag:boolean:varchar',
        'widen_column:n:bigint:double',
        'widen_column:n:double:varchar',
      ]);
    });

    it('never narrows: a narrower spec type leaves the wider column alone', async () => {
      const f = await setup();
      await f.dest.write(batch(spec('narrow', { id: 'bigint', v: 'varchar' }), [{ id: 1, v: 'text' }]));
      const result = await f.dest.write(
        batch(spec('narrow', { id: 'bigint', v: 'bigint' }), [{ id: 2, v: 7 }]),
      );
      expect(result.schemaChanges).toEqual([]);
      expect((await f.columns('narrow')).v).toBe('varchar');
      expect((await f.rows('narrow')).map((r) => r.v)).toEqual(['text', '7']);
    });

    it('widens a primary-key column without losing rows, or refuses with TRB_DEST_SCHEMA and changes nothing', async () => {
      const f = await setup();
      await f.dest.write(
        batch(spec('pkw', { id: 'bigint', v: 'varchar' }), [
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
        ]),
      );
      let refused: unknown;
      try {
        await f.dest.write(
          batch(spec('pkw', { id: 'varchar', v: 'varchar' }), [
            { id: 'x', v: 'c' },
            { id: '2', v: 'B' },
          ]),
        );
      } catch (err) {
        refused = err;
      }
      const got = await f.rows('pkw');
      if (refused === undefined) {
        expect((await f.columns('pkw')).id).toBe('varchar');
        expect(got.map((r) => [String(r.id), r.v])).toEqual([
          ['1', 'a'],
          ['2', 'B'],
          ['x', 'c'],
        ]);
        expect(await f.primaryKey('pkw')).toEqual(['id']);
      } else {
        expect(refused).toBeInstanceOf(DestinationError);
        expect((refused as DestinationError).code).toBe('TRB_DEST_SCHEMA');
        expect(got.map((r) => [normInt(r.id), r.v])).toEqual([
          ['1', 'a'],
          ['2', 'b'],
        ]);
      }
    });

    it('upserts by primary key; within one batch the last row of a key wins', async () => {
      const f = await setup();
      const t = spec('ups', { id: 'bigint', v: 'varchar', n: 'bigint' });
      await f.dest.write(
        batch(t, [
          { id: 1, v: 'a', n: 1 },
          { id: 2, v: 'b', n: 2 },
        ]),
      );
      const second = await f.dest.write(
        batch(
          t,
          [
            { id: 2, v: 'B', n: 20 },
            { id: 3, v: 'c', n: 3 },
            { id: 3, v: 'C', n: 30 },
            { id: 2, v: 'B2' },
          ],
          { syncedAt: new Date('2024-05-02T00:00:00.000Z') },
        ),
      );
      expect(second.rowsWritten).toBe(2);
      const got = await f.rows('ups');
      expect(got.map((r) => [normInt(r.id), r.v, normInt(r.n)])).toEqual([
        ['1', 'a', '1'],
        // The replacing row had no n: the record no longer has it, so neither does the table.
        ['2', 'B2', null],
        ['3', 'C', '30'],
      ]);
      expect(got.map((r) => normTs(r._tributary_synced_at))).toEqual([
        SYNCED_AT.toISOString(),
        '2024-05-02T00:00:00.000Z',
        '2024-05-02T00:00:00.000Z',
      ]);
    });

    it('upserts a record into a row as a whole: a stored column the batch does not carry becomes NULL', async () => {
      const f = await setup();
      const wide = spec('whole', { id: 'bigint', v: 'varchar', extra: 'varchar' });
      await f.dest.write(
        batch(wide, [
          { id: 1, v: 'a', extra: 'old' },
          { id: 2, v: 'b', extra: 'kept' },
        ]),
      );
      // A later run whose records no longer have `extra` (the API dropped the field): its spec lacks it.
      const narrow = spec('whole', { id: 'bigint', v: 'varchar' });
      await f.dest.write(batch(narrow, [{ id: 1, v: 'A' }]));
      const got = await f.rows('whole');
      expect(got.map((r) => [normInt(r.id), r.v, r.extra])).toEqual([
        ['1', 'A', null],
        // A row the batch did not touch keeps what it had.
        ['2', 'b', 'kept'],
      ]);
    });

    it('upserts on a composite primary key', async () => {
      const f = await setup();
      const t = spec('memberships', { org: 'varchar', id: 'bigint', role: 'varchar' }, ['org', 'id']);
      await f.dest.write(
        batch(t, [
          { org: 'a', id: 1, role: 'admin' },
          { org: 'b', id: 1, role: 'member' },
        ]),
      );
      await f.dest.write(
        batch(t, [
          { org: 'a', id: 1, role: 'owner' },
          { org: 'a', id: 2, role: 'member' },
          { org: 'b', id: 1, role: 'guest' },
          { org: 'b', id: 1, role: 'viewer' },
        ]),
      );
      expect(await f.primaryKey('memberships')).toEqual(['org', 'id']);
      const got = await f.rows('memberships', ['org', 'id']);
      expect(got.map((r) => [r.org, normInt(r.id), r.role])).toEqual([
        ['a', '1', 'owner'],
        ['a', '2', 'member'],
        ['b', '1', 'viewer'],
      ]);
    });

    it('soft-deletes rows a full-refresh pass did not see, and a later write revives them', async () => {
      const f = await setup();
      const t = spec('soft', { id: 'bigint', v: 'varchar' });
      await f.dest.write(
        batch(
          t,
          [1, 2, 3].map((id) => ({ id, v: `p1-${id}` })),
          { passId: 'p1' },
        ),
      );
      expect(await f.dest.sweepDeleted('soft', 'p1', { pass: 'p1', done: true })).toBe(0);

      await f.dest.write(
        batch(
          t,
          [1, 3].map((id) => ({ id, v: `p2-${id}` })),
          { passId: 'p2' },
        ),
      );
      expect(await f.dest.sweepDeleted('soft', 'p2', { pass: 'p2', done: true })).toBe(1);
      expect(await f.liveness('soft')).toEqual({ '1': false, '2': true, '3': false });
      expect((await f.dest.readStates()).soft).toEqual({ pass: 'p2', done: true });
      const passes = await f.query(`SELECT "id", "_tributary_pass" FROM ${f.table('soft')} ORDER BY "id"`);
      expect(passes.map((r) => r._tributary_pass)).toEqual(['p2', 'p1', 'p2']);

      // Sweeping again finds nothing new.
      expect(await f.dest.sweepDeleted('soft', 'p2', { pass: 'p2', done: true })).toBe(0);

      await f.dest.write(batch(t, [{ id: 2, v: 'back' }], { passId: 'p3' }));
      expect(await f.liveness('soft')).toEqual({ '1': false, '2': false, '3': false });
      expect((await f.rows('soft'))[1]!.v).toBe('back');
    });

    it('sweepDeleted on a stream without a table commits the state and returns 0', async () => {
      const f = await setup();
      expect(await f.dest.sweepDeleted('never_written', 'p1', { done: true })).toBe(0);
      expect((await f.dest.readStates()).never_written).toEqual({ done: true });
    });

    it('counts the rows of a pass and lists the rows its sweep would mark deleted (upsert mode)', async () => {
      const f = await setup();
      const t = spec('proof', { id: 'bigint', v: 'varchar' });
      expect(await f.dest.countPassRows('proof', 'p1', 'upsert')).toBe(0);
      expect(await f.dest.deletionCandidates('proof', 'p1', 'upsert', ['id'], 10)).toEqual([]);
      await f.dest.write(
        batch(
          t,
          [1, 2, 3, 4].map((id) => ({ id, v: `p1-${id}` })),
          { passId: 'p1' },
        ),
      );
      await f.dest.sweepDeleted('proof', 'p1', { done: 1 });
      await f.dest.write(
        batch(
          t,
          [1, 3].map((id) => ({ id, v: `p2-${id}` })),
          { passId: 'p2', state: { step: 'p2' } },
        ),
      );
      expect(await f.dest.countPassRows('proof', 'p2', 'upsert')).toBe(2);
      expect(await f.dest.countPassRows('proof', 'p1', 'upsert')).toBe(2);
      const candidates = await f.dest.deletionCandidates('proof', 'p2', 'upsert', ['id'], 10);
      expect(candidates.map((r) => normInt(r.id)).sort()).toEqual(['2', '4']);
      expect(Object.keys(candidates[0]!)).toEqual(['id']);
      expect(await f.dest.deletionCandidates('proof', 'p2', 'upsert', ['id'], 1)).toHaveLength(1);
      // A row already marked deleted is no candidate: the sweep would not mark it again.
      await f.dest.sweepDeleted('proof', 'p2', { done: 2 });
      await f.dest.write(batch(t, [{ id: 1, v: 'p3' }], { passId: 'p3' }));
      expect(
        (await f.dest.deletionCandidates('proof', 'p3', 'upsert', ['id'], 10)).map((r) => normInt(r.id)),
      ).toEqual(['3']);
      // Nothing above changed a row or the state.
      expect(await f.liveness('proof')).toEqual({ '1': false, '2': true, '3': false, '4': true });
    });

    it('counts the staged rows of a replace pass and lists the live rows the swap would drop', async () => {
      const f = await setup();
      const t = spec('proof_rep', { id: 'bigint', v: 'varchar' });
      await f.dest.write(
        batch(
          t,
          [1, 2, 3].map((id) => ({ id, v: 'old' })),
        ),
      );
      // No staged table yet: every live row would go.
      expect(
        (await f.dest.deletionCandidates('proof_rep', 'r1', 'replace', ['id'], 10))
          .map((r) => normInt(r.id))
          .sort(),
      ).toEqual(['1', '2', '3']);
      await f.dest.write(
        batch(
          t,
          [
            { id: 1, v: 'new' },
            { id: 5, v: 'new' },
          ],
          { mode: 'replace', passId: 'r1' },
        ),
      );
      expect(await f.dest.countPassRows('proof_rep', 'r1', 'replace')).toBe(2);
      expect(await f.dest.countPassRows('proof_rep', 'r1', 'upsert')).toBe(0);
      expect(
        (await f.dest.deletionCandidates('proof_rep', 'r1', 'replace', ['id'], 10))
          .map((r) => normInt(r.id))
          .sort(),
      ).toEqual(['2', '3']);
      // Rows staged by another pass do not count as seen by this one.
      expect(
        (await f.dest.deletionCandidates('proof_rep', 'r2', 'replace', ['id'], 10))
          .map((r) => normInt(r.id))
          .sort(),
      ).toEqual(['1', '2', '3']);
      expect((await f.rows('proof_rep')).map((r) => r.v)).toEqual(['old', 'old', 'old']);
    });

    it('commitState commits a stream state alone', async () => {
      const f = await setup();
      await f.dest.commitState('only_state', { restart: { reason: 'x' } });
      expect((await f.dest.readStates()).only_state).toEqual({ restart: { reason: 'x' } });
      await f.dest.commitState('only_state', { n: 2 });
      expect((await f.dest.readStates()).only_state).toEqual({ n: 2 });
      expect(await f.tables()).not.toContain('only_state');
    });

    it('replace mode builds the new table aside and swaps it in atomically with the state', async () => {
      const f = await setup();
      const t = spec('rep', { id: 'bigint', v: 'varchar' });
      await f.dest.write(
        batch(t, [
          { id: 1, v: 'old' },
          { id: 2, v: 'old' },
        ]),
      );
      const tablesBefore = await f.tables();

      await f.dest.write(
        batch(t, [{ id: 3, v: 'new' }], { mode: 'replace', passId: 'r1', state: { step: 1 } }),
      );
      await f.dest.write(
        batch(spec('rep', { id: 'bigint', v: 'varchar', extra: 'bigint' }), [{ id: 4, v: 'new', extra: 4 }], {
          mode: 'replace',
          passId: 'r1',
          state: { step: 2 },
        }),
      );
      // Until the swap, readers see the old table, and the staged rows are invisible in it.
      expect((await f.rows('rep')).map((r) => [normInt(r.id), r.v])).toEqual([
        ['1', 'old'],
        ['2', 'old'],
      ]);
      expect((await f.dest.readStates()).rep).toEqual({ step: 2 });

      await f.dest.finishReplace('rep', spec('rep', { id: 'bigint', v: 'varchar', extra: 'bigint' }), {
        done: true,
      });
      const got = await f.rows('rep');
      expect(got.map((r) => [normInt(r.id), r.v, normInt(r.extra)])).toEqual([
        ['3', 'new', null],
        ['4', 'new', '4'],
      ]);
      expect(got.every((r) => r._tributary_deleted === false && r._tributary_pass === 'r1')).toBe(true);
      expect((await f.dest.readStates()).rep).toEqual({ done: true });
      expect(await f.primaryKey('rep')).toEqual(['id']);
      // The side table is gone: the schema holds the same tables as before the pass.
      expect(await f.tables()).toEqual(tablesBefore);
    });

    it('replace mode with no rows at all leaves an empty table', async () => {
      const f = await setup();
      const t = spec('rep_empty', { id: 'bigint', v: 'varchar' });
      await f.dest.write(batch(t, [{ id: 1, v: 'old' }]));
      await f.dest.finishReplace('rep_empty', t, { done: true });
      expect(await f.rows('rep_empty')).toEqual([]);
      expect(Object.keys(await f.columns('rep_empty'))).toEqual(
        expect.arrayContaining(['id', 'v', '_tributary_deleted']),
      );
      expect((await f.dest.readStates()).rep_empty).toEqual({ done: true });

      // A stream that never had a table gets an empty one too.
      await f.dest.finishReplace('rep_new', spec('rep_new', { id: 'bigint' }), { done: true });
      expect(await f.rows('rep_new')).toEqual([]);
    });

    it('replace mode discards rows staged by an earlier, abandoned pass', async () => {
      const f = await setup();
      const t = spec('rep_stale', { id: 'bigint', v: 'varchar' });
      await f.dest.write(batch(t, [{ id: 1, v: 'abandoned' }], { mode: 'replace', passId: 'dead' }));
      // A resumed pass (same pass id) keeps what it staged; a new pass starts from nothing.
      await f.dest.write(batch(t, [{ id: 2, v: 'kept' }], { mode: 'replace', passId: 'live' }));
      await f.dest.write(batch(t, [{ id: 3, v: 'kept' }], { mode: 'replace', passId: 'live' }));
      await f.dest.finishReplace('rep_stale', t, { done: true });
      expect((await f.rows('rep_stale')).map((r) => [normInt(r.id), r.v])).toEqual([
        ['2', 'kept'],
        ['3', 'kept'],
      ]);
    });

    it('replace mode never drops a table tributary did not create', async () => {
      const f = await setup();
      await f.query(`CREATE TABLE ${f.table('mine')} ("id" BIGINT, "note" VARCHAR(100))`);
      await f.query(`INSERT INTO ${f.table('mine')} VALUES (1, 'keep me')`);
      const t = spec('mine', { id: 'bigint', v: 'varchar' });
      await f.dest.write(batch(t, [{ id: 2, v: 'x' }], { mode: 'replace', passId: 'r', state: { n: 1 } }));
      const err = await f.dest.finishReplace('mine', t, { done: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).code).toBe('TRB_DEST_SCHEMA');
      expect((await f.rows('mine')).map((r) => r.note)).toEqual(['keep me']);
      expect((await f.dest.readStates()).mine).toEqual({ n: 1 });
    });

    it('commits each stream state with its rows', async () => {
      const f = await setup();
      expect(await f.dest.readStates()).toEqual({});
      const nested: StreamState = {
        cursor: '2024-01-01T00:00:00Z',
        pages: [1, 2],
        nested: { ok: true, name: '名前 "q"' },
      };
      await f.dest.write(batch(spec('s1', { id: 'bigint' }), [{ id: 1 }], { state: nested }));
      await f.dest.write(batch(spec('s2', { id: 'bigint' }), [], { state: { empty: true } }));
      expect(await f.dest.readStates()).toEqual({ s1: nested, s2: { empty: true } });
      // An empty batch still creates the table and commits state.
      expect(await f.rows('s2')).toEqual([]);
      await f.dest.write(batch(spec('s1', { id: 'bigint' }), [{ id: 2 }], { state: { cursor: 'later' } }));
      expect((await f.dest.readStates()).s1).toEqual({ cursor: 'later' });
      const stored = await f.query(
        `SELECT stream, state FROM ${f.table('_tributary_state')} ORDER BY stream`,
      );
      expect(stored.map((r) => [r.stream, normJson(r.state)])).toEqual([
        ['s1', { cursor: 'later' }],
        ['s2', { empty: true }],
      ]);
    });

    it('a write that fails leaves neither rows, nor state, nor schema changes', async () => {
      const f = await setup();
      const t = spec('atomic', { id: 'bigint', v: 'varchar', at: 'timestamp' });
      await f.dest.write(
        batch(t, [{ id: 1, v: 'committed', at: '2024-01-01T00:00:00.000Z' }], { state: { n: 1 } }),
      );
      const before = {
        rows: await f.rows('atomic'),
        columns: await f.columns('atomic'),
        changes: await f.schemaChanges('atomic'),
      };

      // A primary key without a value.
      await expect(
        f.dest.write(
          batch(
            t,
            [
              { id: 2, v: 'x' },
              { id: null, v: 'no key' },
            ],
            { state: { n: 2 } },
          ),
        ),
      ).rejects.toBeInstanceOf(DestinationError);

      // A value the database refuses, in a batch that also adds a column: the failure comes after DDL.
      const grown = spec('atomic', { id: 'bigint', v: 'varchar', at: 'timestamp', extra: 'varchar' });
      const rows: Row[] = [];
      for (let i = 0; i < 500; i++)
        rows.push({ id: 100 + i, v: 'x', at: '2024-01-01T00:00:00.000Z', extra: 'e' });
      rows.push({ id: 9999, v: 'bad', at: 'not a timestamp', extra: 'e' });
      const err = await f.dest.write(batch(grown, rows, { state: { n: 3 } })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).message).toContain('atomic');

      expect(await f.rows('atomic')).toEqual(before.rows);
      expect(await f.columns('atomic')).toEqual(before.columns);
      expect(await f.schemaChanges('atomic')).toEqual(before.changes);
      expect((await f.dest.readStates()).atomic).toEqual({ n: 1 });

      // And the destination is still usable.
      await f.dest.write(batch(grown, [{ id: 2, v: 'fine', extra: 'e' }], { state: { n: 4 } }));
      expect((await f.rows('atomic')).map((r) => normInt(r.id))).toEqual(['1', '2']);
      expect((await f.dest.readStates()).atomic).toEqual({ n: 4 });
    });

    it('refuses values that would not survive their column type', async () => {
      const f = await setup();
      const t = spec('strict', { id: 'bigint', n: 'bigint', b: 'boolean' });
      await f.dest.write(batch(t, [{ id: 1, n: 1, b: true }], { state: { n: 1 } }));
      for (const bad of [
        { id: 2, n: 1.5 },
        { id: 3, n: 'twelve' },
        { id: 4, b: 'yes' },
      ] as Row[]) {
        const err = await f.dest.write(batch(t, [bad], { state: { n: 2 } })).catch((e: unknown) => e);
        expect(err, JSON.stringify(bad)).toBeInstanceOf(DestinationError);
      }
      expect((await f.rows('strict')).length).toBe(1);
      expect((await f.dest.readStates()).strict).toEqual({ n: 1 });
    });

    it('refuses a row with a field the table spec does not declare', async () => {
      const f = await setup();
      const t = spec('undeclared', { id: 'bigint', v: 'varchar' });
      const err = await f.dest
        .write(batch(t, [{ id: 1, v: 'a', surprise: 'lost?' }]))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).message).toContain('surprise');
      expect(await f.dest.readStates()).toEqual({});
    });

    it('refuses stream names in tributary’s reserved _tributary_ prefix', async () => {
      const f = await setup();
      const err = await f.dest
        .write(batch(spec('_tributary_state', { id: 'bigint' }), [{ id: 1 }]))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).code).toBe('TRB_DEST_SCHEMA');
    });

    it('quotes hostile identifiers: namespace, stream and column names land verbatim', async () => {
      const ns = `conf "ns"; drop ${randomBytes(3).toString('hex')}`;
      const f = await setup(ns);
      const stream = `we"ird'; drop table x; --`;
      const hostile: Record<string, ColumnType> = {
        id: 'bigint',
        select: 'varchar',
        order: 'bigint',
        '"x"; drop table y': 'varchar',
        名前: 'varchar',
        'émoji_🎉': 'boolean',
        "it's": 'double',
        'with space': 'timestamp',
      };
      const row: Row = {
        id: 1,
        select: 'sel',
        order: 2,
        '"x"; drop table y': 'dropped?',
        名前: 'なまえ',
        'émoji_🎉': true,
        "it's": 2.5,
        'with space': '2024-01-01T00:00:00.000Z',
      };
      await f.dest.write(batch(spec(stream, hostile), [row], { passId: 'p"1' }));
      const stored = (name: string) => f.harness.storedName?.(name) ?? name;
      expect(Object.keys(await f.columns(stream))).toEqual([
        ...Object.keys(hostile).map(stored),
        '_tributary_synced_at',
        '_tributary_deleted',
        '_tributary_pass',
      ]);
      // A later column and a second row, then a sweep and a state, all through the same names.
      await f.dest.write(
        batch(spec(stream, { ...hostile, 'new "col"': 'varchar' }), [{ id: 2, 'new "col"': 'n' }], {
          passId: 'p"2',
        }),
      );
      expect(await f.dest.sweepDeleted(stream, 'p"2', { ok: 1 })).toBe(1);
      const got = await f.rows(stream);
      expect(got[0]).toMatchObject({
        select: 'sel',
        '"x"; drop table y': 'dropped?',
        名前: 'なまえ',
        [stored('émoji_🎉')]: true,
        "it's": 2.5,
        _tributary_deleted: true,
      });
      expect(normInt(got[0]!.order)).toBe('2');
      expect(normTs(got[0]!['with space'])).toBe('2024-01-01T00:00:00.000Z');
      expect(got[1]!['new "col"']).toBe('n');
      expect((await f.dest.readStates())[stream]).toEqual({ ok: 1 });
      expect(await f.tables()).toContain(stream);
    });

    it('reads columns named like Object.prototype members from the row itself, never from the prototype', async () => {
      const f = await setup();
      // Built by hand: in an object literal, "__proto__" would set the prototype instead of a key.
      const t: TableSpec = {
        stream: 'proto',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'constructor', type: 'bigint' },
          { name: 'toString', type: 'varchar' },
          { name: '__proto__', type: 'varchar' },
        ],
      };
      // JSON.parse makes "__proto__" an own field, as it would be in a parsed API response.
      const withAll = JSON.parse('{"id": 2, "constructor": 7, "toString": "s", "__proto__": "p"}') as Row;
      await f.dest.write(batch(t, [{ id: 1 }, withAll]));
      // Aliased, because a driver building row objects cannot set an own "__proto__" by assignment either.
      const got = await f.query(
        `SELECT "id" AS i, "constructor" AS c, "toString" AS s, "__proto__" AS p FROM ${f.table('proto')} ORDER BY "id"`,
      );
      expect(got.map((r) => [normInt(r.i), normInt(r.c), r.s, r.p])).toEqual([
        ['1', null, null, null],
        ['2', '7', 's', 'p'],
      ]);
    });

    it('records runs: a second recordRun of the same run updates its row', async () => {
      const f = await setup();
      const startedAt = new Date('2024-05-01T10:00:00.000Z');
      const running: RunRecord = { runId: 'r-1', connector: 'humaans', startedAt, status: 'running' };
      await f.dest.recordRun(running);
      await f.dest.recordRun({
        ...running,
        status: 'failed',
        endedAt: new Date('2024-05-01T10:05:00.000Z'),
        recordsWritten: 1234,
        recordsDeleted: 5,
        error: `HTTP 500 from "api" — it's bad`,
        summary: { streams: { people: { records: 1234 } } },
      });
      await f.dest.recordRun({ runId: 'r-2', connector: 'humaans', startedAt, status: 'running' });
      const runs = await f.query(`SELECT * FROM ${f.table('_tributary_runs')} ORDER BY run_id`);
      expect(runs.length).toBe(2);
      const r = runs[0]!;
      expect(r.run_id).toBe('r-1');
      expect(r.connector).toBe('humaans');
      expect(r.status).toBe('failed');
      expect(normTs(r.started_at)).toBe(startedAt.toISOString());
      expect(normTs(r.ended_at)).toBe('2024-05-01T10:05:00.000Z');
      expect(normInt(r.records_written)).toBe('1234');
      expect(normInt(r.records_deleted)).toBe('5');
      expect(r.error).toBe(`HTTP 500 from "api" — it's bad`);
      expect(normJson(r.summary)).toEqual({ streams: { people: { records: 1234 } } });
      expect(runs[1]!.status).toBe('running');
      expect(runs[1]!.ended_at).toBeNull();
    });

    it('resetState clears the given streams, or all of them', async () => {
      const f = await setup();
      for (const s of ['a', 'b', 'c'])
        await f.dest.write(batch(spec(s, { id: 'bigint' }), [{ id: 1 }], { state: { s } }));
      await f.dest.resetState(['a']);
      expect(Object.keys(await f.dest.readStates()).sort()).toEqual(['b', 'c']);
      await f.dest.resetState([]);
      expect(Object.keys(await f.dest.readStates()).sort()).toEqual(['b', 'c']);
      await f.dest.resetState();
      expect(await f.dest.readStates()).toEqual({});
      // Only state goes: the data stays.
      expect((await f.rows('b')).length).toBe(1);
    });

    it('handles concurrent writes to different streams', async () => {
      const f = await setup();
      const streams = ['c1', 'c2', 'c3', 'c4'];
      await Promise.all(
        streams.map((s, i) =>
          f.dest.write(
            batch(
              spec(s, { id: 'bigint', v: 'varchar' }),
              Array.from({ length: 200 }, (_, j) => ({ id: j, v: `${s}-${j}` })),
              { state: { i } },
            ),
          ),
        ),
      );
      for (const s of streams) expect((await f.rows(s)).length).toBe(200);
      expect(await f.dest.readStates()).toEqual({ c1: { i: 0 }, c2: { i: 1 }, c3: { i: 2 }, c4: { i: 3 } });
    });

    // -----------------------------------------------------------------------------------------------------
    // KILL -9 EXACT-COPY TEST GOES HERE (engine owner).
    // It needs the engine: run a real sync into this destination in a child process, SIGKILL it at a
    // random instant, re-run to completion, and compare every table and state row with an uninterrupted
    // sync's (no row lost, none duplicated, every value equal). test/integration/kill9.test.ts does this
    // for DuckDB through the CLI; the destination-generic version belongs in this suite.
    it.todo('kill -9 at a random instant, then re-run: an exact copy (needs the engine; added by its owner)');
  });
}
