/**
 * A stream's table as DuckDB has it, and the DDL that brings it to a TableSpec: create it, add columns,
 * widen types. Runs inside the write's transaction, so a failed batch leaves the table as it was.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { DestinationError } from '../../errors.js';
import {
  type ColumnType,
  type SchemaChange,
  SYSTEM_COLUMNS,
  type TableSpec,
  widenType,
} from '../destination.js';
import {
  addColumnSql,
  commentSql,
  createTableSql,
  type DuckDbTableMarker,
  foldIdent,
  markerKey,
  qualify,
  quoteIdent,
  quoteLiteral,
  RESERVED_PREFIX,
  rebuildTableName,
  readMarker,
  SYSTEM_COLUMN_DDL,
  type TableMarker,
} from './duckdb-sql.js';
import { columnTypeOf, DUCKDB_TYPE, widenExpression } from './duckdb-types.js';

/** Where the destination's tables live: the database (catalog) and the schema, as DuckDB spells them. */
export interface TableLocation {
  catalog: string;
  schema: string;
}

export interface ExistingColumn {
  name: string;
  /** DuckDB's type name, e.g. `BIGINT` or `TIMESTAMP WITH TIME ZONE`. */
  dataType: string;
  type: ColumnType;
}

export interface TableShape {
  /** The table name as DuckDB stores it. */
  name: string;
  columns: ExistingColumn[];
  /** The PRIMARY KEY constraint's columns, else the key recorded in tributary's table comment, else none. */
  primaryKey: string[];
  /**
   * Whether DuckDB enforces the key with a PRIMARY KEY constraint (and keeps its index in memory): tables
   * an older tributary created, and tables tributary did not create.
   */
  keyEnforced: boolean;
  comment: string | null;
}

const SYSTEM_NAMES = new Set(Object.values(SYSTEM_COLUMNS).map(foldIdent));

/** Whether a column is one of tributary's system columns. */
export function isSystemColumn(name: string): boolean {
  return SYSTEM_NAMES.has(foldIdent(name));
}

interface WellFormed {
  isWellFormed(): boolean;
}

function badName(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.includes('\u0000')) return 'contains a NUL character';
  if (!(name as unknown as WellFormed).isWellFormed()) return 'contains an unpaired UTF-16 surrogate';
  return undefined;
}

function schemaError(message: string, details: Record<string, unknown>): DestinationError {
  return new DestinationError('TRB_DEST_SCHEMA', message, { details });
}

/** Refuse a stream name or TableSpec DuckDB cannot hold faithfully, before anything runs. */
export function checkSpec(stream: string, spec: TableSpec): void {
  const streamProblem = badName(stream);
  if (streamProblem) throw schemaError(`stream name ${JSON.stringify(stream)} ${streamProblem}`, { stream });
  if (foldIdent(stream).startsWith(RESERVED_PREFIX)) {
    throw schemaError(
      `stream name "${stream}" is reserved: names starting with ${RESERVED_PREFIX} belong to tributary's own tables`,
      { stream },
    );
  }
  if (spec.stream !== stream) {
    throw schemaError(`table spec is for stream "${spec.stream}" but the batch is for "${stream}"`, {
      stream,
    });
  }
  if (spec.columns.length === 0)
    throw schemaError(`stream "${stream}": the table spec declares no columns`, { stream });
  const seen = new Map<string, string>();
  for (const c of spec.columns) {
    const problem = badName(c.name);
    if (problem)
      throw schemaError(`stream "${stream}": column name ${JSON.stringify(c.name)} ${problem}`, { stream });
    if (!(c.type in DUCKDB_TYPE)) {
      throw schemaError(`stream "${stream}": column "${c.name}" has unknown type ${JSON.stringify(c.type)}`, {
        stream,
        column: c.name,
      });
    }
    const key = foldIdent(c.name);
    if (SYSTEM_NAMES.has(key)) {
      throw schemaError(`stream "${stream}": column "${c.name}" collides with tributary's system column`, {
        stream,
        column: c.name,
      });
    }
    const other = seen.get(key);
    if (other !== undefined) {
      throw schemaError(
        `stream "${stream}": columns "${other}" and "${c.name}" are the same column in DuckDB, which ignores the case of ASCII letters in names`,
        { stream, column: c.name },
      );
    }
    seen.set(key, c.name);
  }
  const keys = new Set<string>();
  for (const k of spec.primaryKey) {
    if (!seen.has(foldIdent(k))) {
      throw schemaError(`stream "${stream}": primary key column "${k}" is not among the table's columns`, {
        stream,
        column: k,
      });
    }
    if (keys.has(foldIdent(k)))
      throw schemaError(`stream "${stream}": primary key lists "${k}" twice`, { stream });
    keys.add(foldIdent(k));
  }
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
  return {
    name,
    comment: found.comment,
    columns: cols.getRowObjectsJS().map((r) => {
      const dataType = String(r.data_type);
      return { name: String(r.column_name), dataType, type: columnTypeOf(dataType) };
    }),
    primaryKey: pkRow ? [...pkRow.cols] : (markerKey(found.comment) ?? []),
    keyEnforced: pkRow !== undefined,
  };
}

interface Widening {
  column: ExistingColumn;
  to: ColumnType;
}

/**
 * Bring `table` to `spec`: create it, or add the missing columns and widen the ones whose values no longer
 * fit. Never narrows and never drops. Returns the changes made (for `_tributary_schema_changes`).
 *
 * A table tributary created with an enforced PRIMARY KEY (versions before the key moved into the table
 * comment) is rebuilt once without the constraint, so its index no longer has to live in memory.
 */
export async function evolveTable(
  conn: DuckDBConnection,
  loc: TableLocation,
  table: string,
  spec: TableSpec,
  existing: TableShape | undefined,
  tableMarker: TableMarker,
): Promise<{ shape: TableShape; changes: SchemaChange[] }> {
  const qualified = qualify(loc.catalog, loc.schema, existing?.name ?? table);
  const stream = spec.stream;
  const marker: DuckDbTableMarker = { ...tableMarker, primaryKey: [...spec.primaryKey] };
  if (existing === undefined) {
    const columns = spec.columns.map((c) => ({ name: c.name, sqlType: DUCKDB_TYPE[c.type] }));
    await conn.run(createTableSql(qualified, columns, spec.primaryKey));
    await conn.run(commentSql(qualified, marker));
    const shape = await readTable(conn, loc, table);
    return { shape: shape!, changes: [{ stream, kind: 'create_table' }, ...renames(stream, spec.columns)] };
  }

  const declared = new Set(spec.primaryKey.map(foldIdent));
  const actual = new Set(existing.primaryKey.map(foldIdent));
  if (declared.size !== actual.size || [...declared].some((k) => !actual.has(k))) {
    throw schemaError(
      `stream "${stream}": table ${qualified} has primary key (${existing.primaryKey.join(', ')}) but the stream ` +
        `declares (${spec.primaryKey.join(', ')}). Drop the table (or sync into another schema) to change it.`,
      { stream, table: existing.name },
    );
  }

  const byName = new Map(existing.columns.map((c) => [foldIdent(c.name), c]));
  const changes: SchemaChange[] = [];
  const widenings: Widening[] = [];
  const additions: { name: string; type: ColumnType; sourcePath?: string }[] = [];
  for (const c of spec.columns) {
    const have = byName.get(foldIdent(c.name));
    if (have === undefined) {
      additions.push(c);
      continue;
    }
    const to = widenType(have.type, c.type);
    if (to !== have.type) widenings.push({ column: have, to });
  }

  // An older tributary's table (it has our marker) still enforces its key with an in-memory index: the
  // rebuild drops the constraint. A table someone else created keeps its constraint, rebuilt or not.
  const ours = readMarker(existing.comment) !== undefined;
  const migrate = ours && existing.keyEnforced;
  if (widenings.length > 0 || migrate) {
    // Rebuild the table inside the transaction instead of ALTER … SET DATA TYPE … USING: DuckDB cannot
    // change the type of a column a primary-key index covers, and (DuckDB 1.5) a file killed after a
    // committed ALTER … USING <function call> and before the next checkpoint cannot replay its WAL
    // (docs/reliability.md, D2). The rebuild's INSERT … SELECT is logged as data and replays cleanly.
    await rebuild(conn, loc, existing, widenings, ours ? marker : undefined);
  }
  for (const w of widenings) {
    changes.push({
      stream,
      kind: 'widen_column',
      column: w.column.name,
      fromType: w.column.type,
      toType: w.to,
    });
  }
  for (const a of additions) {
    await conn.run(addColumnSql(qualified, a.name, a.type));
    changes.push({ stream, kind: 'add_column', column: a.name, toType: a.type });
  }
  changes.push(...renames(stream, additions));
  // A table tributary did not create may lack system columns; the upsert needs them.
  for (const s of SYSTEM_COLUMN_DDL) {
    if (!byName.has(foldIdent(s.name))) {
      await conn.run(
        `ALTER TABLE ${qualified} ADD COLUMN ${quoteIdent(s.name)} ${s.ddl.replace(' NOT NULL', '')}`,
      );
    }
  }
  const changed =
    changes.length > 0 || migrate || SYSTEM_COLUMN_DDL.some((s) => !byName.has(foldIdent(s.name)));
  return { shape: changed ? (await readTable(conn, loc, table))! : existing, changes };
}

/**
 * Recreate a table with widened column types and copy its rows over, all inside the caller's transaction.
 * With a `marker` (a table of ours) the copy records the key in its comment and enforces none; without one
 * (someone else's table) it keeps the PRIMARY KEY constraint the table had, and its comment.
 */
async function rebuild(
  conn: DuckDBConnection,
  loc: TableLocation,
  existing: TableShape,
  widenings: readonly Widening[],
  marker: DuckDbTableMarker | undefined,
): Promise<void> {
  const target = qualify(loc.catalog, loc.schema, existing.name);
  const temp = rebuildTableName(existing.name);
  const qualifiedTemp = qualify(loc.catalog, loc.schema, temp);
  const widened = new Map(widenings.map((w) => [foldIdent(w.column.name), w.to]));
  const user = existing.columns.filter((c) => !SYSTEM_NAMES.has(foldIdent(c.name)));
  const present = new Set(existing.columns.map((c) => foldIdent(c.name)));
  const ddl = user.map((c) => {
    const to = widened.get(foldIdent(c.name));
    return { name: c.name, sqlType: to === undefined ? c.dataType : DUCKDB_TYPE[to] };
  });
  const select = [
    ...user.map((c) => {
      const to = widened.get(foldIdent(c.name));
      return to === undefined ? quoteIdent(c.name) : widenExpression(quoteIdent(c.name), c.type, to);
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
  const enforce = marker === undefined && existing.keyEnforced;
  await conn.run(createTableSql(qualifiedTemp, ddl, existing.primaryKey, enforce));
  await conn.run(
    `INSERT INTO ${qualifiedTemp} (${insertCols.join(', ')}) SELECT ${select.join(', ')} FROM ${target}`,
  );
  await conn.run(`DROP TABLE ${target}`);
  await conn.run(`ALTER TABLE ${qualifiedTemp} RENAME TO ${quoteIdent(existing.name)}`);
  if (marker !== undefined) await conn.run(commentSql(target, marker));
  else if (existing.comment !== null)
    await conn.run(`COMMENT ON TABLE ${target} IS ${quoteLiteral(existing.comment)}`);
}

/** A `rename_collision` change for each new column whose name was disambiguated (see transforms.ts). */
function renames(stream: string, columns: readonly { name: string; sourcePath?: string }[]): SchemaChange[] {
  return columns.flatMap((c) =>
    c.sourcePath === undefined
      ? []
      : [{ stream, kind: 'rename_collision' as const, column: c.name, sourcePath: c.sourcePath }],
  );
}
