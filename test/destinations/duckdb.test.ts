/**
 * The embedded DuckDB destination: the conformance suite (once per staging path, to prove they agree), then
 * what only DuckDB has: file paths, the one-writer file lock, durability across reopen, DuckDB-only values.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ColumnType, Row, TableSpec, WriteBatch } from '../../src/destinations/destination.js';
import { DuckDbDestination, type DuckDbTuning } from '../../src/destinations/duckdb/duckdb-destination.js';
import { DestinationError } from '../../src/errors.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { describeDestinationConformance, normInt } from './conformance.js';

function conformance(name: string, tuning: DuckDbTuning): void {
  describeDestinationConformance(name, async (namespace) => {
    const dir = tempDir('tributary-duckdb-conf-');
    const destination = new DuckDbDestination(
      join(dir, 'test.duckdb'),
      { namespace, connector: 'test' },
      tuning,
    );
    return {
      destination,
      query: (sql) => destination.query(sql),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
}

conformance('duckdb', {});
conformance('duckdb (json staging)', { staging: 'json' });

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
    expect(err.exitCode).toBe(2);
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

  it('redoes an insert-first batch that meets existing keys as an upsert, logging its changes once', async () => {
    for (const insertFirst of [true, false]) {
      const d = destination(join(dir(), `retry-${insertFirst}.duckdb`), 'test', { insertFirst });
      await d.open();
      await d.write(
        batch(spec('r', { id: 'bigint', v: 'varchar' }), [
          { id: 1, v: 'a' },
          { id: 2, v: 'b' },
        ]),
      );
      // Deleted rows must come back through either path.
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
      await d.close();
    }
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
