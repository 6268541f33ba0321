/**
 * The embedded DuckDB destination: the conformance suite (once per staging path, to prove they agree), then
 * what only DuckDB has: file paths, the one-writer file lock, durability across reopen, DuckDB-only values.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { ColumnType, Row, TableSpec, WriteBatch } from '../../src/destinations/destination.js';
import { DuckDbDestination, type DuckDbTuning } from '../../src/destinations/duckdb/duckdb-destination.js';
import { DestinationError } from '../../src/errors.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { normInt } from './conformance.js';

// The conformance suite runs for DuckDB (both staging paths) from conformance.test.ts.

// ---------------------------------------------------------------------------------------------------------

const dirs: string[] = [];
const destinations: DuckDbDestination[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const d of destinations.splice(0)) await d.close();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((resolve) => c.once('exit', resolve));
    }
  }
  for (const d of dirs.splice(0)) {
    try {
      chmodSync(d, 0o755);
    } catch {
      // already gone
    }
    rmSync(d, { recursive: true, force: true });
  }
});

function dir(): string {
  const d = tempDir('tributary-duckdb-');
  dirs.push(d);
  return d;
}

function destination(path: string, namespace = 'test', tuning: DuckDbTuning = {}): DuckDbDestination {
  const d = new DuckDbDestination(path, { namespace, connector: 'test' }, tuning);
  destinations.push(d);
  return d;
}

function spec(stream: string, columns: Record<string, ColumnType>, primaryKey = ['id']): TableSpec {
  return { stream, primaryKey, columns: Object.entries(columns).map(([name, type]) => ({ name, type })) };
}

function batch(table: TableSpec, rows: Row[], extra: Partial<WriteBatch> = {}): WriteBatch {
  return {
    runId: 'run-1',
    stream: table.stream,
    table,
    rows,
    state: { n: rows.length },
    syncedAt: new Date('2024-05-01T10:00:00.000Z'),
    mode: 'upsert',
    ...extra,
  };
}

async function openError(path: string): Promise<DestinationError> {
  const err = await destination(path)
    .open()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DestinationError);
  return err as DestinationError;
}

/** A second process that opens `path` with DuckDB and holds it until killed. */
async function holdFile(path: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.argv[1]).then(async (db) => {
      await db.connect();
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    }, (err) => { console.error(err.message); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script, path], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += String(d);
    });
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}: ${err}`)));
  });
  return child;
}

describe('duckdb: opening files', () => {
  it('refuses a directory, naming the path and the reason', async () => {
    const d = dir();
    const err = await openError(d);
    expect(err.code).toBe('TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(d);
    expect(err.message).toMatch(/directory/);
  });

  it('refuses a path whose parent directory does not exist', async () => {
    const path = join(dir(), 'missing', 'sub', 'x.duckdb');
    const err = await openError(path);
    expect(err.code).toBe('TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/does not exist/);
  });

  it('refuses a file that is not a DuckDB database', async () => {
    const path = join(dir(), 'notes.duckdb');
    writeFileSync(path, 'just some text, not a database\n'.repeat(200));
    const err = await openError(path);
    expect(err.code).toBe('TRB_DEST_OPEN');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not a valid DuckDB database/);
  });

  // Root may write any file whatever its mode, so only an ordinary user can see this refusal.
  it.skipIf(process.getuid?.() === 0)('refuses a read-only file and a read-only directory', async () => {
    const d = dir();
    const path = join(d, 'ro.duckdb');
    const seed = destination(path);
    await seed.open();
    await seed.close();
    chmodSync(path, 0o444);
    const err = await openError(path);
    expect(err.code).toBe('TRB_DEST_OPEN');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/not writable/);

    const roDir = join(d, 'ro');
    mkdirSync(roDir);
    chmodSync(roDir, 0o555);
    const err2 = await openError(join(roDir, 'x.duckdb'));
    expect(err2.code).toBe('TRB_DEST_OPEN');
    expect(err2.message).toMatch(/not writable/);
  });

  it('reports a file locked by another process as TRB_DEST_LOCKED with its pid, and opens once it is gone', async () => {
    const path = join(dir(), 'locked.duckdb');
    const holder = await holdFile(path);
    const err = await openError(path);
    expect(err.code).toBe('TRB_DEST_LOCKED');
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`DuckDB file ${path} is locked by another process (pid ${holder.pid})`);
    expect(err.details.pid).toBe(holder.pid);

    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const d = destination(path);
    await d.open();
    expect(await d.readStates()).toEqual({});
  });

  it('refuses to open the same file twice in one process (DuckDB would allow it and corrupt it)', async () => {
    const path = join(dir(), 'twice.duckdb');
    await destination(path).open();
    const err = await openError(path);
    expect(err.code).toBe('TRB_DEST_LOCKED');
    expect(err.message).toContain('already open in this process');
  });

  it('describes itself without secrets, closes idempotently, and refuses use after close', async () => {
    const path = join(dir(), 'close.duckdb');
    const d = destination(path);
    expect(d.description).toBe(`duckdb:${path}`);
    await d.open();
    await d.open();
    await d.close();
    await d.close();
    const err = await d.write(batch(spec('s', { id: 'bigint' }), [{ id: 1 }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe('TRB_DEST_CONNECTION');
    // The file is free again: another destination (or process) may open it.
    await destination(path).open();
  });
});

describe('duckdb: data', () => {
  it('keeps rows, state and runs across close and reopen, readable by a plain read-only DuckDB', async () => {
    const path = join(dir(), 'durable.duckdb');
    const first = destination(path, 'humaans');
    await first.open();
    await first.write(
      batch(spec('people', { id: 'varchar', n: 'bigint' }), [{ id: 'a', n: 1 }], { state: { cursor: 'c1' } }),
    );
    await first.recordRun({ runId: 'r', connector: 'humaans', startedAt: new Date(), status: 'succeeded' });
    await first.close();

    const states = await queryDuckDb(
      path,
      'select stream, state from humaans._tributary_state order by stream',
    );
    expect(states.map((s) => [s.stream, JSON.parse(String(s.state))])).toEqual([
      ['people', { cursor: 'c1' }],
    ]);

    const second = destination(path, 'humaans');
    await second.open();
    expect(await second.readStates()).toEqual({ people: { cursor: 'c1' } });
    await second.write(batch(spec('people', { id: 'varchar', n: 'bigint' }), [{ id: 'b', n: 2 }]));
    expect((await second.query('select id from humaans.people order by id')).map((r) => r.id)).toEqual([
      'a',
      'b',
    ]);
  });

  it('round-trips DuckDB-only values: NaN and infinities, NUL characters, unpaired surrogates become U+FFFD', async () => {
    const d = destination(join(dir(), 'values.duckdb'));
    await d.open();
    const t = spec('v', { id: 'bigint', d: 'double', s: 'varchar' });
    await d.write(
      batch(t, [
        { id: 1, d: Number.NaN, s: 'nul\u0000inside' },
        { id: 2, d: Number.POSITIVE_INFINITY, s: 'lone \ud800 surrogate' },
        { id: 3, d: Number.NEGATIVE_INFINITY, s: 'Infinity' },
        { id: 4, d: 'NaN', s: Number.NaN },
      ]),
    );
    const got = await d.query('select d, s from test.v order by id');
    expect(got[0]!.d).toBeNaN();
    expect(got[0]!.s).toBe('nul\u0000inside');
    expect(got[1]!.d).toBe(Number.POSITIVE_INFINITY);
    expect(got[1]!.s).toBe('lone \ufffd surrogate');
    expect(got[2]!.d).toBe(Number.NEGATIVE_INFINITY);
    expect(got[3]!.d).toBeNaN();
    expect(got[3]!.s).toBe('NaN');
  });

  it('rebuilds the table to widen a primary-key column (DuckDB cannot ALTER an indexed column)', async () => {
    const d = destination(join(dir(), 'pk.duckdb'));
    await d.open();
    await d.write(batch(spec('pk', { id: 'bigint', v: 'varchar' }), [{ id: 1, v: 'a' }]));
    const result = await d.write(
      batch(spec('pk', { id: 'varchar', v: 'varchar' }), [
        { id: 'x', v: 'b' },
        { id: '1', v: 'A' },
      ]),
    );
    expect(result.schemaChanges).toEqual([
      { stream: 'pk', kind: 'widen_column', column: 'id', fromType: 'bigint', toType: 'varchar' },
    ]);
    expect(await d.query('select id, v from test.pk order by id')).toEqual([
      { id: '1', v: 'A' },
      { id: 'x', v: 'b' },
    ]);
    const tables = await d.query(
      `select table_name from duckdb_tables() where schema_name = 'test' order by 1`,
    );
    expect(tables.map((t) => t.table_name)).not.toContain('_tributary_rebuild_pk');
    // The key still holds after the rebuild.
    await d.write(batch(spec('pk', { id: 'varchar', v: 'varchar' }), [{ id: 'x', v: 'again' }]));
    expect((await d.query('select count(*) as n from test.pk'))[0]!.n).toBe(2n);
  });

  it('refuses columns that DuckDB would see as one, and matches an existing column case-insensitively', async () => {
    const d = destination(join(dir(), 'case.duckdb'));
    await d.open();
    const err = await d
      .write(batch(spec('c', { id: 'bigint', Name: 'varchar', name: 'varchar' }), [{ id: 1 }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe('TRB_DEST_SCHEMA');
    // É and é are different columns to DuckDB (it folds ASCII only).
    await d.write(
      batch(spec('c', { id: 'bigint', É: 'varchar', é: 'varchar' }), [{ id: 1, É: 'upper', é: 'lower' }]),
    );
    await d.write(
      batch(spec('c', { ID: 'bigint', É: 'varchar', é: 'varchar' }, ['ID']), [{ ID: 1, É: 'U' }]),
    );
    expect(
      await d.query(
        'select * exclude (_tributary_synced_at, _tributary_deleted, _tributary_pass) from test.c',
      ),
    ).toEqual([{ id: 1n, É: 'U', é: null }]);
  });

  it('changing the primary key is refused with a clear TRB_DEST_SCHEMA', async () => {
    const d = destination(join(dir(), 'pkchange.duckdb'));
    await d.open();
    await d.write(batch(spec('k', { id: 'bigint', other: 'bigint' }), [{ id: 1, other: 1 }]));
    const err = await d
      .write(batch(spec('k', { id: 'bigint', other: 'bigint' }, ['other']), [{ id: 1, other: 1 }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe('TRB_DEST_SCHEMA');
    expect((err as DestinationError).message).toMatch(/primary key \(id\).*declares \(other\)/);
  });

  it('keeps nothing in staging between batches, whichever staging path', async () => {
    for (const staging of ['appender', 'json'] as const) {
      const d = destination(join(dir(), `stage-${staging}.duckdb`), 'test', { staging });
      await d.open();
      const rows = Array.from({ length: 25_000 }, (_, i) => ({ id: i, v: `v${i}` }));
      const result = await d.write(batch(spec('s', { id: 'bigint', v: 'varchar' }), rows));
      expect(result.rowsWritten).toBe(25_000);
      const staged = await d.query(
        `select table_name, estimated_size from duckdb_tables() where database_name = 'temp'`,
      );
      for (const t of staged) expect(normInt(t.estimated_size), `${staging}: ${t.table_name}`).toBe('0');
      await d.close();
    }
  });

  it('upserts into a table that has rows, reviving deleted ones and logging its changes once', async () => {
    const d = destination(join(dir(), 'upsert.duckdb'));
    await d.open();
    await d.write(
      batch(spec('r', { id: 'bigint', v: 'varchar' }), [
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
      ]),
    );
    // Deleted rows must come back.
    await d.sweepDeleted('r', 'other-pass', {});
    const result = await d.write(
      batch(
        spec('r', { id: 'bigint', v: 'varchar', w: 'bigint' }),
        [
          { id: 2, v: 'B', w: 2 },
          { id: 3, v: 'c' },
        ],
        {
          runId: 'run-2',
          state: { second: true },
        },
      ),
    );
    expect(result).toEqual({
      rowsWritten: 2,
      schemaChanges: [{ stream: 'r', kind: 'add_column', column: 'w', toType: 'bigint' }],
    });
    expect(await d.query('select id, v, w, _tributary_deleted as del from test.r order by id')).toEqual([
      { id: 1n, v: 'a', w: null, del: true },
      { id: 2n, v: 'B', w: 2n, del: false },
      { id: 3n, v: 'c', w: null, del: false },
    ]);
    const logged = await d.query(
      `select count(*) as n from test._tributary_schema_changes where kind = 'add_column'`,
    );
    expect(logged[0]!.n).toBe(1n);
    expect((await d.readStates()).r).toEqual({ second: true });
  });

  it('refuses objects and arrays as values: they must arrive as JSON text', async () => {
    const d = destination(join(dir(), 'objects.duckdb'));
    await d.open();
    for (const value of [{ a: 1 }, [1, 2]]) {
      const err = await d
        .write(batch(spec('o', { id: 'bigint', v: 'varchar' }), [{ id: 1, v: value as unknown as string }]))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DestinationError);
      expect((err as DestinationError).message).toMatch(/serialize it as JSON text/);
    }
  });

  it('writes a stream without a primary key by appending', async () => {
    const d = destination(join(dir(), 'nopk.duckdb'));
    await d.open();
    const t = spec('log', { at: 'timestamp', msg: 'varchar' }, []);
    await d.write(
      batch(t, [
        { at: '2024-01-01T00:00:00Z', msg: 'a' },
        { at: '2024-01-01T00:00:00Z', msg: 'a' },
      ]),
    );
    await d.write(batch(t, [{ at: '2024-01-01T00:00:00Z', msg: 'a' }]));
    expect((await d.query('select count(*) as n from test.log'))[0]!.n).toBe(3n);
  });
});

/** Run SQL on a DuckDB file directly (the destination must not have it open). */
async function rawDuckDb(path: string, statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  try {
    const conn = await instance.connect();
    for (const sql of statements) await conn.run(sql);
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
}

/** The declared key a table's comment records, and whether DuckDB enforces one with a PRIMARY KEY. */
async function keyOf(
  d: DuckDbDestination,
  schema: string,
  table: string,
): Promise<{ recorded: unknown; enforced: string[] }> {
  const [t] = await d.query(
    `select comment from duckdb_tables() where schema_name = '${schema}' and table_name = '${table}'`,
  );
  const enforced = await d.query(
    `select unnest(constraint_column_names) as c from duckdb_constraints()
      where schema_name = '${schema}' and table_name = '${table}' and constraint_type = 'PRIMARY KEY'`,
  );
  const comment = String(t!.comment);
  return {
    recorded: JSON.parse(comment.slice('tributary:'.length)).primaryKey,
    enforced: enforced.map((r) => String(r.c)),
  };
}

describe('duckdb: primary keys without an in-memory index', () => {
  it('creates stream tables without a PRIMARY KEY constraint or index, the key recorded and NOT NULL', async () => {
    const d = destination(join(dir(), 'noindex.duckdb'));
    await d.open();
    await d.write(
      batch(spec('m', { org: 'varchar', id: 'bigint', v: 'varchar' }, ['org', 'id']), [{ org: 'a', id: 1 }]),
    );
    expect(await keyOf(d, 'test', 'm')).toEqual({ recorded: ['org', 'id'], enforced: [] });
    expect(await d.query(`select index_name from duckdb_indexes() where table_name = 'm'`)).toEqual([]);
    const notNull = await d.query(
      `select column_name, is_nullable from duckdb_columns() where table_name = 'm' order by column_index`,
    );
    expect(notNull.slice(0, 3)).toEqual([
      { column_name: 'org', is_nullable: false },
      { column_name: 'id', is_nullable: false },
      { column_name: 'v', is_nullable: true },
    ]);
  });

  it('upserts batch after batch without ever duplicating a key; within a batch the last row wins', async () => {
    const d = destination(join(dir(), 'dups.duckdb'));
    await d.open();
    const t = spec('u', { id: 'varchar', n: 'bigint' });
    for (let round = 0; round < 3; round++) {
      const rows: Row[] = [];
      // Every key twice in the batch (the second one wins), half of them already stored.
      for (let i = round * 50; i < round * 50 + 100; i++)
        rows.push({ id: `k${i}`, n: -1 }, { id: `k${i}`, n: round });
      const result = await d.write(batch(t, rows));
      expect(result.rowsWritten).toBe(100);
    }
    const [stats] = await d.query(
      'select count(*) as n, count(distinct id) as keys, max(n) as top from test.u',
    );
    expect(stats).toEqual({ n: 200n, keys: 200n, top: 2n });
    const byRound = await d.query('select n, count(*) as c from test.u group by n order by n');
    expect(byRound).toEqual([
      { n: 0n, c: 50n },
      { n: 1n, c: 50n },
      { n: 2n, c: 100n },
    ]);
  });

  it('skip-unchanged leaves equal rows in place, rewrites changed and deleted ones, counts both', async () => {
    const d = destination(join(dir(), 'skip.duckdb'));
    await d.open();
    const t = spec('s', { id: 'bigint', modified: 'varchar', v: 'varchar' });
    const first = new Date('2024-05-01T10:00:00.000Z');
    await d.write(
      batch(
        t,
        [
          { id: 1, modified: 'm1', v: 'a' },
          { id: 2, modified: 'm1', v: 'b' },
          { id: 3, modified: 'm1', v: 'c' },
        ],
        { passId: 'p1', syncedAt: first },
      ),
    );
    await d.sweepDeleted('s', 'p2', {}); // every row deleted: no pass p2 wrote them
    await d.write(batch(t, [{ id: 1, modified: 'm1', v: 'a' }], { passId: 'p2', syncedAt: first }));
    const second = new Date('2024-05-02T10:00:00.000Z');
    const result = await d.write(
      batch(
        t,
        [
          { id: 1, modified: 'm1', v: 'ignored: unchanged' },
          { id: 2, modified: 'm2', v: 'B' },
          { id: 3, modified: 'm1', v: 'C' },
          { id: 4, modified: 'm1', v: 'd' },
          { id: 4, modified: 'm1', v: 'D' },
        ],
        { passId: 'p3', syncedAt: second, skipUnchangedBy: 'modified' },
      ),
    );
    // 1 is unchanged and live; 2 changed; 3 is unchanged but was deleted, so it is written again; 4 is new.
    expect(result.rowsWritten).toBe(3);
    expect(result.rowsUnchanged).toBe(1);
    const rows = await d.query(
      'select id, v, _tributary_deleted as del, _tributary_pass as pass, _tributary_synced_at as at from test.s order by id',
    );
    expect(rows.map((r) => [r.id, r.v, r.del, r.pass, (r.at as Date).toISOString()])).toEqual([
      [1n, 'a', false, 'p3', first.toISOString()],
      [2n, 'B', false, 'p3', second.toISOString()],
      [3n, 'C', false, 'p3', second.toISOString()],
      [4n, 'D', false, 'p3', second.toISOString()],
    ]);
  });

  it('migrates a table an older version created with a PRIMARY KEY: rebuilt once without it, rows intact', async () => {
    const path = join(dir(), 'legacy.duckdb');
    await rawDuckDb(path, [
      'create schema test',
      `create table test.docs (id varchar, n bigint, "_tributary_synced_at" timestamptz,
         "_tributary_deleted" boolean not null default false, "_tributary_pass" varchar, primary key (id))`,
      `comment on table test.docs is 'tributary:{"stream":"docs"}'`,
      `insert into test.docs (id, n) values ('a', 1), ('b', 2)`,
    ]);
    const d = destination(path);
    await d.open();
    const t = spec('docs', { id: 'varchar', n: 'bigint' });
    const result = await d.write(
      batch(t, [
        { id: 'b', n: 20 },
        { id: 'c', n: 3 },
        { id: 'c', n: 30 },
      ]),
    );
    expect(result).toEqual({ rowsWritten: 2, schemaChanges: [] });
    expect(await d.query('select id, n from test.docs order by id')).toEqual([
      { id: 'a', n: 1n },
      { id: 'b', n: 20n },
      { id: 'c', n: 30n },
    ]);
    expect(await keyOf(d, 'test', 'docs')).toEqual({ recorded: ['id'], enforced: [] });
    // The recorded key is the key from now on: a different one is still refused.
    const err = await d
      .write(batch(spec('docs', { id: 'varchar', n: 'bigint' }, ['n']), [{ id: 'x', n: 9 }]))
      .catch((e: unknown) => e);
    expect((err as DestinationError).code).toBe('TRB_DEST_SCHEMA');
    await d.close();
    // …and across a reopen, which reads the key back from the comment.
    const again = destination(path);
    await again.open();
    await again.write(batch(t, [{ id: 'a', n: 100 }]));
    expect(await again.query('select id, n from test.docs order by id')).toEqual([
      { id: 'a', n: 100n },
      { id: 'b', n: 20n },
      { id: 'c', n: 30n },
    ]);
  });

  it('upserts into a table someone else created with a PRIMARY KEY, and keeps their constraint', async () => {
    const path = join(dir(), 'theirs.duckdb');
    await rawDuckDb(path, [
      'create schema test',
      // With tributary's system columns already there: DuckDB (1.5) refuses to commit an ALTER TABLE and
      // row changes of an indexed table in one transaction, so tributary could not add them itself.
      `create table test.theirs (id bigint primary key, v varchar, "_tributary_synced_at" timestamptz,
         "_tributary_deleted" boolean not null default false, "_tributary_pass" varchar)`,
      `insert into test.theirs (id, v) values (1, 'one'), (2, 'two')`,
    ]);
    const d = destination(path);
    await d.open();
    const t = spec('theirs', { id: 'bigint', v: 'varchar' });
    await d.write(
      batch(t, [
        { id: 2, v: 'TWO' },
        { id: 3, v: 'three' },
      ]),
    );
    // Twice in one session, so the delete and re-insert of a key meet DuckDB's index in one transaction too.
    await d.write(batch(t, [{ id: 2, v: 'deux' }]));
    expect(await d.query('select id, v from test.theirs order by id')).toEqual([
      { id: 1n, v: 'one' },
      { id: 2n, v: 'deux' },
      { id: 3n, v: 'three' },
    ]);
    const [row] = await d.query(`select comment from duckdb_tables() where table_name = 'theirs'`);
    expect(row!.comment).toBeNull();
    const pk = await d.query(
      `select constraint_column_names as c from duckdb_constraints()
        where table_name = 'theirs' and constraint_type = 'PRIMARY KEY'`,
    );
    expect(pk).toEqual([{ c: ['id'] }]);
  });

  it('a replaced table keeps its key across the swap', async () => {
    const d = destination(join(dir(), 'replace-key.duckdb'));
    await d.open();
    const t = spec('r', { id: 'bigint', v: 'varchar' });
    await d.write(batch(t, [{ id: 1, v: 'a' }], { mode: 'replace', passId: 'p1' }));
    await d.write(batch(t, [{ id: 1, v: 'A' }], { mode: 'replace', passId: 'p1' }));
    await d.finishReplace('r', t, { done: true });
    expect(await keyOf(d, 'test', 'r')).toEqual({ recorded: ['id'], enforced: [] });
    expect(await d.query('select id, v from test.r')).toEqual([{ id: 1n, v: 'A' }]);
    await d.write(batch(t, [{ id: 1, v: 'again' }]));
    expect(await d.query('select id, v from test.r')).toEqual([{ id: 1n, v: 'again' }]);
  });
});

describe('duckdb: memory settings', () => {
  async function setting(d: DuckDbDestination, name: string): Promise<string> {
    const [row] = await d.query(`select value from duckdb_settings() where name = '${name}'`);
    return String(row!.value);
  }

  it('opens files with a 64MB memory limit, a 256MB checkpoint threshold and no insertion order', async () => {
    const d = destination(join(dir(), 'settings.duckdb'));
    await d.open();
    expect(await setting(d, 'memory_limit')).toBe('61.0 MiB');
    expect(await setting(d, 'checkpoint_threshold')).toBe('244.1 MiB');
    expect(await setting(d, 'preserve_insertion_order')).toBe('false');
    const explicit = destination(join(dir(), 'explicit.duckdb'), 'test', { memoryLimit: '200MB' });
    await explicit.open();
    expect(await setting(explicit, 'memory_limit')).toBe('190.7 MiB');
  });

  it('lifts the default limit and retries when DuckDB runs out of memory; an explicit limit holds', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ id: i, v: `value ${i} `.repeat(20) }));
    const t = spec('big', { id: 'bigint', v: 'varchar' });

    const d = destination(join(dir(), 'lift.duckdb'));
    await d.open();
    // Starve the default limit so the batch cannot fit; the destination must not fail the sync for it.
    await d.query(`set memory_limit = '2MB'`);
    const result = await d.write(batch(t, rows, { state: { n: 1 } }));
    expect(result.rowsWritten).toBe(30_000);
    expect((await d.query('select count(*) as n from test.big'))[0]!.n).toBe(30_000n);
    expect(await setting(d, 'memory_limit')).not.toBe('1.9 MiB');

    const strict = destination(join(dir(), 'strict.duckdb'), 'test', { memoryLimit: '64MB' });
    await strict.open();
    await strict.query(`set memory_limit = '2MB'`);
    const err = await strict.write(batch(t, rows)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).message).toMatch(/memory|allocate|pin|MiB used/i);
    // Nothing of the failed batch, nor its state, was kept.
    await strict.query(`set memory_limit = '64MB'`);
    expect(await strict.readStates()).toEqual({});
  });
});

describe('duckdb: exact numbers and disambiguated columns', () => {
  it.each(['appender', 'json'] as const)(
    'stores ids beyond 2^53 exactly in BIGINT and exact decimals as their text; keys stay distinct (%s staging)',
    async (staging) => {
      const d = destination(join(dir(), 'exact.duckdb'), 'test', { staging });
      await d.open();
      const t = spec('e', { id: 'bigint', v: 'decimal', f: 'double' });
      await d.write(
        batch(t, [
          { id: '9007199254740993', v: '1e400', f: 1.5 },
          { id: '9007199254740992', v: '-123456789012345678901234567890.5', f: 2 },
          { id: '-9223372036854775808', v: 2.5, f: null },
        ]),
      );
      const rows = await d.query(
        'select id::varchar as id, v, typeof(v) as vt, typeof(id) as it from test.e order by id',
      );
      expect(rows).toEqual([
        { id: '-9223372036854775808', v: '2.5', vt: 'VARCHAR', it: 'BIGINT' },
        { id: '9007199254740992', v: '-123456789012345678901234567890.5', vt: 'VARCHAR', it: 'BIGINT' },
        { id: '9007199254740993', v: '1e400', vt: 'VARCHAR', it: 'BIGINT' },
      ]);
    },
  );

  it('widens bigint and double columns to decimal (VARCHAR, exact text), logged; reopened, nothing narrows', async () => {
    const path = join(dir(), 'widen.duckdb');
    const d = destination(path);
    await d.open();
    await d.write(batch(spec('w', { id: 'bigint', n: 'bigint', f: 'double' }), [{ id: 1, n: 42, f: 0.1 }]));
    const result = await d.write(
      batch(
        spec('w', { id: 'decimal', n: 'decimal', f: 'decimal' }),
        [{ id: '123456789012345678901234567890', n: '1e400', f: '-1e-400' }],
        { runId: 'run-2' },
      ),
    );
    expect(result.schemaChanges).toEqual([
      { stream: 'w', kind: 'widen_column', column: 'id', fromType: 'bigint', toType: 'decimal' },
      { stream: 'w', kind: 'widen_column', column: 'n', fromType: 'bigint', toType: 'decimal' },
      { stream: 'w', kind: 'widen_column', column: 'f', fromType: 'double', toType: 'decimal' },
    ]);
    expect(await d.query('select id, n, f from test.w order by id')).toEqual([
      { id: '1', n: '42', f: '0.1' },
      { id: '123456789012345678901234567890', n: '1e400', f: '-1e-400' },
    ]);
    const logged = await d.query(
      `select kind, column_name, from_type, to_type from test._tributary_schema_changes where run_id = 'run-2' order by column_name`,
    );
    expect(logged).toHaveLength(3);
    // Next write with the same decimal spec: the VARCHAR column is read back as varchar and holds it.
    const again = await d.write(
      batch(spec('w', { id: 'decimal', n: 'decimal', f: 'decimal' }), [{ id: 2, n: 3, f: 4.5 }]),
    );
    expect(again.schemaChanges).toEqual([]);
  });

  it('refuses non-numeric text in a decimal column, naming the column', async () => {
    const d = destination(join(dir(), 'bad.duckdb'));
    await d.open();
    const err = await d
      .write(batch(spec('b', { id: 'bigint', v: 'decimal' }), [{ id: 1, v: 'twelve' }]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).message).toMatch(/column "v": value "twelve" is not a number/);
  });

  it('adds source_path to a schema-change log created before it existed', async () => {
    const path = join(dir(), 'old.duckdb');
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    await conn.run('create schema test');
    await conn.run(
      'create table test._tributary_schema_changes (run_id VARCHAR, stream VARCHAR NOT NULL, kind VARCHAR NOT NULL, column_name VARCHAR, from_type VARCHAR, to_type VARCHAR, changed_at TIMESTAMPTZ NOT NULL)',
    );
    conn.closeSync();
    db.closeSync();
    const d = destination(path);
    await d.open();
    await d.write(
      batch(
        {
          stream: 'o',
          primaryKey: ['id'],
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'x__2', type: 'bigint', sourcePath: 'X' },
          ],
        },
        [{ id: 1 }],
      ),
    );
    expect(
      await d.query(`select source_path from test._tributary_schema_changes where kind = 'rename_collision'`),
    ).toEqual([{ source_path: 'X' }]);
  });
});
