/**
 * DuckDB's tables role (sql/dialect.ts): read a table's shape from the catalog, and the DDL that creates or
 * evolves it. Runs inside the protocol's transaction, so a failed batch leaves the table as it was.
 */
import { bookkeepingColumnDdl, createBookkeepingSql } from '../sql/bookkeeping.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ColumnType, SYSTEM_COLUMNS } from '../destination.js';
import type { BookkeepingType, DialectTables, ShapeColumn, TableShape, Tx } from '../sql/dialect.js';
import { readMarker } from '../table-marker.js';
import {
  addColumnSql,
  commentSql,
  createTableSql,
  duckDbMarkerComment,
  foldIdent,
  markerKey,
  qualify,
  quoteIdent,
  quoteLiteral,
  rebuildTableName,
  SYSTEM_COLUMN_DDL,
} from './duckdb-sql.js';
import { columnTypeOf, DUCKDB_TYPE, widenExpression } from './duckdb-types.js';

/** A transaction on the destination's one DuckDB connection. */
export interface DuckTx extends Tx {
  readonly conn: DuckDBConnection;
}

/** Where the destination's tables live: the database (catalog) and the schema, as DuckDB spells them. */
export interface TableLocation {
  catalog: string;
  schema: string;
}

/** What only the DuckDB dialect reads back from a shape. */
interface DuckNative {
  /** DuckDB's type names by column name. */
  dataTypes: Map<string, string>;
  /**
   * Whether DuckDB enforces the key with a PRIMARY KEY constraint (and keeps its index in memory): tables
   * an older tributary created, and tables tributary did not create.
   */
  keyEnforced: boolean;
}

const SYSTEM_NAMES = new Set(Object.values(SYSTEM_COLUMNS).map(foldIdent));

function native(shape: TableShape): DuckNative {
  return shape.native as DuckNative;
}

/** The table of that name (compared the way DuckDB compares names), or undefined when there is none. */
export async function readTable(
  conn: DuckDBConnection,
  loc: TableLocation,
  table: string,
): Promise<TableShape | undefined> {
  const tables = await conn.runAndReadAll(
    'SELECT table_name, comment FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2',
    [loc.catalog, loc.schema],
  );
  const want = foldIdent(table);
  const found = tables.getRowObjectsJS().find((r) => foldIdent(String(r.table_name)) === want) as
    | { table_name: string; comment: string | null }
    | undefined;
  if (found === undefined) return undefined;
  const name = found.table_name;
  const cols = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns()
      WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 ORDER BY column_index`,
    [loc.catalog, loc.schema, name],
  );
  const pk = await conn.runAndReadAll(
    `SELECT constraint_column_names AS cols FROM duckdb_constraints()
      WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 AND constraint_type = 'PRIMARY KEY'`,
    [loc.catalog, loc.schema, name],
  );
  const pkRow = pk.getRowObjectsJS()[0] as { cols: string[] } | undefined;
  const columns: ShapeColumn[] = cols.getRowObjectsJS().map((r) => {
    const dataType = String(r.data_type);
    return { name: String(r.column_name), nativeType: dataType, type: columnTypeOf(dataType) };
  });
  const nativeShape: DuckNative = {
    dataTypes: new Map(columns.map((c) => [c.name, c.nativeType])),
    keyEnforced: pkRow !== undefined,
  };
  return {
    name,
    comment: found.comment,
    columns,
    primaryKey: pkRow ? [...pkRow.cols] : (markerKey(found.comment) ?? []),
    native: nativeShape,
  };
}

interface Widening {
  column: ShapeColumn;
  to: ColumnType;
}

/**
 * Recreate a table with widened column types and copy its rows over, all inside the caller's transaction.
 * With a `comment` (a table of ours) the copy records the key in its comment and enforces none; without
 * one (someone else's table) it keeps the PRIMARY KEY constraint the table had, and its comment.
 *
 * A rebuild instead of ALTER … SET DATA TYPE … USING: DuckDB cannot change the type of a column a
 * primary-key index covers, and (DuckDB 1.5) a file killed after a committed ALTER … USING <function call>
 * and before the next checkpoint cannot replay its WAL (docs/reliability.md, D2). The rebuild's
 * INSERT … SELECT is logged as data and replays cleanly.
 */
async function rebuild(
  conn: DuckDBConnection,
  loc: TableLocation,
  existing: TableShape,
  widenings: readonly Widening[],
  comment: string | undefined,
): Promise<void> {
  const target = qualify(loc.catalog, loc.schema, existing.name);
  const temp = rebuildTableName(existing.name);
  const qualifiedTemp = qualify(loc.catalog, loc.schema, temp);
  const widened = new Map(widenings.map((w) => [foldIdent(w.column.name), w.to]));
  const user = existing.columns.filter((c) => !SYSTEM_NAMES.has(foldIdent(c.name)));
  const present = new Set(existing.columns.map((c) => foldIdent(c.name)));
  const ddl = user.map((c) => {
    const to = widened.get(foldIdent(c.name));
    return { name: c.name, sqlType: to === undefined ? c.nativeType : DUCKDB_TYPE[to] };
  });
  const select = [
    ...user.map((c) => {
      const to = widened.get(foldIdent(c.name));
      return to === undefined ? quoteIdent(c.name) : widenExpression(quoteIdent(c.name), c.type!, to);
    }),
    ...SYSTEM_COLUMN_DDL.map((s) =>
      present.has(foldIdent(s.name))
        ? quoteIdent(s.name)
        : s.name === SYSTEM_COLUMNS.deleted
          ? 'false'
          : 'NULL',
    ),
  ];
  const insertCols = [...user.map((c) => c.name), ...SYSTEM_COLUMN_DDL.map((s) => s.name)].map(quoteIdent);
  await conn.run(`DROP TABLE IF EXISTS ${qualifiedTemp}`);
  const enforce = comment === undefined && native(existing).keyEnforced;
  await conn.run(createTableSql(qualifiedTemp, ddl, existing.primaryKey, enforce));
  await conn.run(
    `INSERT INTO ${qualifiedTemp} (${insertCols.join(', ')}) SELECT ${select.join(', ')} FROM ${target}`,
  );
  await conn.run(`DROP TABLE ${target}`);
  await conn.run(`ALTER TABLE ${qualifiedTemp} RENAME TO ${quoteIdent(existing.name)}`);
  if (comment !== undefined) await conn.run(commentSql(target, comment));
  else if (existing.comment !== null)
    await conn.run(`COMMENT ON TABLE ${target} IS ${quoteLiteral(existing.comment)}`);
}

const BOOKKEEPING_TYPE: Record<BookkeepingType, string> = {
  key: 'VARCHAR',
  text: 'VARCHAR',
  json: 'JSON',
  timestamp: 'TIMESTAMPTZ',
  bigint: 'BIGINT',
};

/** DuckDB's tables role; `location` is known once the file is open. */
export function duckDbTables(location: () => TableLocation): DialectTables<DuckTx> {
  const q = (table: string) => {
    const loc = location();
    return qualify(loc.catalog, loc.schema, table);
  };
  return {
    readTable: (tx, table) => readTable(tx.conn, location(), table),
    async tableComments(tx) {
      const loc = location();
      const rows = await tx.conn.runAndReadAll(
        'SELECT comment FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2',
        [loc.catalog, loc.schema],
      );
      return rows.getRowObjectsJS().map((r) => (r.comment as string | null) ?? null);
    },
    async createTable(tx, table, columns, primaryKey, comment) {
      const ddl = columns.map((c) => ({ name: c.name, sqlType: DUCKDB_TYPE[c.type] }));
      await tx.run(createTableSql(q(table), ddl, primaryKey));
      await tx.run(commentSql(q(table), comment));
    },
    async alterTable(tx, shape, change) {
      const qualified = q(shape.name);
      // An older tributary's table (it has our marker) still enforces its key with an in-memory index: the
      // rebuild drops the constraint. A table someone else created keeps its constraint, rebuilt or not.
      const migrate = readMarker(shape.comment) !== undefined && native(shape).keyEnforced;
      if (change.widen.length > 0 || migrate)
        await rebuild(tx.conn, location(), shape, change.widen, change.comment);
      for (const a of change.add) await tx.run(addColumnSql(qualified, a.name, a.type));
      // A table tributary did not create may lack system columns; the upsert needs them.
      for (const name of change.addSystem) {
        const s = SYSTEM_COLUMN_DDL.find((d) => d.name === name)!;
        await tx.run(
          `ALTER TABLE ${qualified} ADD COLUMN ${quoteIdent(s.name)} ${s.ddl.replace(' NOT NULL', '')}`,
        );
      }
      return change.widen.length > 0 || migrate || change.add.length > 0 || change.addSystem.length > 0;
    },
    async createBookkeepingTable(tx, table, columns) {
      await tx.run(createBookkeepingSql(q(table), columns, quoteIdent, BOOKKEEPING_TYPE));
    },
    async addBookkeepingColumn(tx, table, column) {
      await tx.run(
        `ALTER TABLE ${q(table)} ADD COLUMN IF NOT EXISTS ${bookkeepingColumnDdl(column, quoteIdent, BOOKKEEPING_TYPE)}`,
      );
    },
    markerComment: duckDbMarkerComment,
    async setComment(tx, table, comment) {
      await tx.run(commentSql(q(table), comment));
    },
    async renameTable(tx, from, to) {
      await tx.run(`ALTER TABLE ${q(from.name)} RENAME TO ${quoteIdent(to)}`);
    },
    async dropTable(tx, table) {
      await tx.run(`DROP TABLE ${q(table)}`);
    },
  };
}
