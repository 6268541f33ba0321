/**
 * The write protocol's path for databases whose DDL commits on its own (MySQL/MariaDB): idempotent DDL in
 * its own step, then rows and state in one transaction, and replace-mode swaps journaled and rolled forward
 * at the next open. The conformance suite cannot cut a write between those steps; these tests do, on
 * DuckDB's dialect told that its DDL is not transactional, with a connection that crashes a chosen
 * transaction before it commits.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TableSpec, WriteBatch } from '../../../src/destinations/destination.js';
import { duckDbDialect } from '../../../src/destinations/duckdb/duckdb-destination.js';
import type { DuckTx } from '../../../src/destinations/duckdb/duckdb-table.js';
import type { Dialect, DialectConnection } from '../../../src/destinations/sql/dialect.js';
import { SqlDestination } from '../../../src/destinations/sql/sql-destination.js';
import { queryDuckDb, tempDir } from '../../helpers/duckdb.js';

const NS = 'ns';
const spec: TableSpec = {
  stream: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'v', type: 'varchar' },
  ],
};

function batch(over: Partial<WriteBatch>): WriteBatch {
  return {
    runId: 'run-1',
    stream: 'items',
    table: spec,
    rows: [{ id: 1, v: 'a' }],
    state: { n: 1 },
    syncedAt: new Date('2026-01-01T00:00:00Z'),
    mode: 'upsert',
    ...over,
  };
}

/** Which transaction to crash: the n-th (from 1) since the destination opened, before or after its work. */
interface Crash {
  at: number;
  when: 'before' | 'after';
}

/** A destination on `file` whose dialect commits DDL on its own, crashing one transaction if asked. */
function destination(file: string, crash?: Crash): SqlDestination<DuckTx> {
  const dialect = duckDbDialect(file, NS);
  let n = 0;
  const inner = dialect.connection;
  const connection: DialectConnection<DuckTx> = {
    open: (setup) => inner.open(setup),
    close: () => inner.close(),
    transaction: (what, stream, fn) =>
      inner.transaction(what, stream, async (tx, attempt) => {
        const crashes = crash !== undefined && ++n === crash.at;
        if (crashes && crash.when === 'before') throw new Error('crash before the work');
        const result = await fn(tx, attempt);
        if (crashes) throw new Error('crash before commit');
        return result;
      }),
  };
  const nonTransactional: Dialect<DuckTx> = {
    ...dialect,
    capabilities: { ...dialect.capabilities, transactionalDdl: false },
    connection,
  };
  return new SqlDestination(nonTransactional, { namespace: NS, connector: 'test' });
}

async function q(file: string, sql: string): Promise<Record<string, unknown>[]> {
  return queryDuckDb(file, sql);
}

describe('protocol on a database whose DDL commits on its own', () => {
  it('runs the DDL first: a crash before the rows commit leaves the table, no rows, no state; a retry completes', async () => {
    const file = join(tempDir(), 'ddl.duckdb');
    // Transaction 1 is the DDL step of the write, 2 its rows and state.
    const d = destination(file, { at: 2, when: 'after' });
    await d.open();
    await expect(d.write(batch({}))).rejects.toThrow(/crash before commit/);
    await d.close();

    const columns = await q(
      file,
      `SELECT column_name FROM information_schema.columns WHERE table_schema = '${NS}' AND table_name = 'items' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'v',
      '_tributary_synced_at',
      '_tributary_deleted',
      '_tributary_pass',
    ]);
    expect(await q(file, `SELECT count(*)::INT AS n FROM ${NS}.items`)).toEqual([{ n: 0 }]);
    expect(await q(file, `SELECT count(*)::INT AS n FROM ${NS}._tributary_state`)).toEqual([{ n: 0 }]);

    const again = destination(file);
    await again.open();
    const result = await again.write(batch({}));
    expect(result.rowsWritten).toBe(1);
    expect(await again.readStates()).toEqual({ items: { n: 1 } });
    await again.close();
    // The table's creation is logged once, by the step that created it.
    expect(await q(file, `SELECT kind FROM ${NS}._tributary_schema_changes`)).toEqual([
      { kind: 'create_table' },
    ]);
  });

  it('adds a column in the DDL step and reports it with the batch', async () => {
    const file = join(tempDir(), 'add.duckdb');
    const d = destination(file);
    await d.open();
    await d.write(batch({}));
    const wider: TableSpec = { ...spec, columns: [...spec.columns, { name: 'w', type: 'bigint' }] };
    const result = await d.write(batch({ table: wider, rows: [{ id: 2, v: 'b', w: 7 }], state: { n: 2 } }));
    expect(result.schemaChanges).toEqual([
      { stream: 'items', kind: 'add_column', column: 'w', toType: 'bigint' },
    ]);
    await d.close();
    expect(await q(file, `SELECT id::INT AS id, w::INT AS w FROM ${NS}.items ORDER BY id`)).toEqual([
      { id: 1, w: null },
      { id: 2, w: 7 },
    ]);
  });

  it('journals a replace swap: cut after the state commits, the next open rolls the swap forward', async () => {
    const file = join(tempDir(), 'swap.duckdb');
    const setup = destination(file);
    await setup.open();
    await setup.write(batch({ rows: [{ id: 1, v: 'old' }] }));
    await setup.write(
      batch({ mode: 'replace', passId: 'p1', rows: [{ id: 2, v: 'new' }], state: { pass: 'p1' } }),
    );
    await setup.close();

    // finishReplace: 1 = the side table's DDL, 2 = state + journal record, 3 = the swap itself.
    const cut = destination(file, { at: 3, when: 'before' });
    await cut.open();
    await expect(cut.finishReplace('items', spec, { done: true })).rejects.toThrow(/crash before the work/);
    await cut.close();

    expect(await q(file, `SELECT stream, side_table FROM ${NS}._tributary_swaps`)).toEqual([
      { stream: 'items', side_table: '_tributary_replace_items' },
    ]);
    expect(await q(file, `SELECT v FROM ${NS}.items`)).toEqual([{ v: 'old' }]);

    const reopened = destination(file);
    await reopened.open();
    expect(await reopened.readStates()).toEqual({ items: { done: true } });
    await reopened.close();
    expect(await q(file, `SELECT id::INT AS id, v FROM ${NS}.items`)).toEqual([{ id: 2, v: 'new' }]);
    expect(await q(file, `SELECT count(*)::INT AS n FROM ${NS}._tributary_swaps`)).toEqual([{ n: 0 }]);
    expect(
      await q(
        file,
        `SELECT count(*)::INT AS n FROM duckdb_tables() WHERE table_name = '_tributary_replace_items'`,
      ),
    ).toEqual([{ n: 0 }]);
    const [comment] = await q(file, `SELECT comment FROM duckdb_tables() WHERE table_name = 'items'`);
    expect(JSON.parse(String(comment!.comment).slice('tributary:'.length))).toEqual({
      stream: 'items',
      primaryKey: ['id'],
    });
  });

  it('a swap cut before the state commits changes nothing: the pass can finish again', async () => {
    const file = join(tempDir(), 'noswap.duckdb');
    const setup = destination(file);
    await setup.open();
    await setup.write(batch({ rows: [{ id: 1, v: 'old' }] }));
    await setup.write(batch({ mode: 'replace', passId: 'p1', rows: [{ id: 2, v: 'new' }] }));
    await setup.close();

    const cut = destination(file, { at: 2, when: 'after' });
    await cut.open();
    await expect(cut.finishReplace('items', spec, { done: true })).rejects.toThrow(/crash before commit/);
    await cut.close();
    expect(await q(file, `SELECT count(*)::INT AS n FROM ${NS}._tributary_swaps`)).toEqual([{ n: 0 }]);
    expect(await q(file, `SELECT v FROM ${NS}.items`)).toEqual([{ v: 'old' }]);

    const again = destination(file);
    await again.open();
    expect(await again.readStates()).toEqual({ items: { n: 1 } });
    await again.finishReplace('items', spec, { done: true });
    await again.close();
    expect(await q(file, `SELECT v FROM ${NS}.items`)).toEqual([{ v: 'new' }]);
  });
});
