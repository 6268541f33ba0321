/**
 * SQL text for the DuckDB destination: quoting, names and the statements the destination runs. Every
 * identifier goes through `quoteIdent`, every string value through `quoteLiteral`; nothing else is ever
 * spliced into SQL.
 */
import { BOOKKEEPING_TABLES, type ColumnType, SYSTEM_COLUMNS } from '../destination.js';
import { DUCKDB_TYPE } from './duckdb-types.js';

/** A double-quoted identifier; embedded double quotes are doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted string literal; embedded single quotes are doubled (DuckDB strings have no backslash escapes). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `"catalog"."schema"."table"`. The catalog is explicit so a TEMP table of the same name can never shadow it. */
export function qualify(catalog: string, schema: string, table: string): string {
  return `${quoteIdent(catalog)}.${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * DuckDB compares identifiers case-insensitively, folding ASCII letters only (`"É"` and `"é"` are two
 * columns, `"A"` and `"a"` are one). This is the key two names collide under.
 */
export function foldIdent(name: string): string {
  return name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Prefix of every name tributary owns in the schema; streams may not use it. */
export const RESERVED_PREFIX = '_tributary_';

/** The side table a replace-mode pass builds before `finishReplace` swaps it in. */
export function replaceTableName(stream: string): string {
  return `${RESERVED_PREFIX}replace_${stream}`;
}

/** Temporary table a primary-key type change rebuilds into, inside the write's transaction. */
export function rebuildTableName(table: string): string {
  return `${RESERVED_PREFIX}rebuild_${table}`;
}

export { markerComment, OWNED_MARKER, readMarker, type TableMarker } from '../table-marker.js';
import { markerComment, readMarker, type TableMarker } from '../table-marker.js';

/**
 * The comment of a DuckDB stream table: the shared marker plus the primary key the stream declared.
 * DuckDB tables tributary creates carry no PRIMARY KEY constraint (its index would have to stay in memory,
 * growing with the table), so the key is recorded here and enforced by the upsert itself.
 */
export interface DuckDbTableMarker extends TableMarker {
  primaryKey?: string[];
}

/** The primary key a marker records, or undefined when it records none (older tables, other tables). */
export function markerKey(comment: string | null | undefined): string[] | undefined {
  const key = (readMarker(comment) as DuckDbTableMarker | undefined)?.primaryKey;
  return Array.isArray(key) && key.every((k) => typeof k === 'string') ? key : undefined;
}

/** A column as it is declared in DDL: our type name, or a DuckDB type we found and keep. */
export interface ColumnDdl {
  name: string;
  /** The DuckDB type, e.g. `BIGINT`. */
  sqlType: string;
}

/** System columns, in table order, with their DDL. */
export const SYSTEM_COLUMN_DDL: readonly { name: string; ddl: string }[] = [
  { name: SYSTEM_COLUMNS.syncedAt, ddl: 'TIMESTAMPTZ' },
  { name: SYSTEM_COLUMNS.deleted, ddl: 'BOOLEAN NOT NULL DEFAULT false' },
  { name: SYSTEM_COLUMNS.pass, ddl: 'VARCHAR' },
];

/**
 * CREATE TABLE for a stream table (or its side table): user columns, system columns. Primary-key columns
 * are NOT NULL; the key itself is declared with a PRIMARY KEY constraint only when `enforced` (kept for
 * tables tributary did not create), because DuckDB holds such a constraint's index in memory.
 */
export function createTableSql(
  qualified: string,
  columns: readonly ColumnDdl[],
  primaryKey: readonly string[],
  enforced = false,
): string {
  const keys = new Set(primaryKey.map(foldIdent));
  const defs = [
    ...columns.map(
      (c) => `${quoteIdent(c.name)} ${c.sqlType}${keys.has(foldIdent(c.name)) ? ' NOT NULL' : ''}`,
    ),
    ...SYSTEM_COLUMN_DDL.map((c) => `${quoteIdent(c.name)} ${c.ddl}`),
  ];
  if (enforced && primaryKey.length > 0) defs.push(`PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE ${qualified} (${defs.join(', ')})`;
}

export function addColumnSql(qualified: string, name: string, type: ColumnType): string {
  return `ALTER TABLE ${qualified} ADD COLUMN ${quoteIdent(name)} ${DUCKDB_TYPE[type]}`;
}

export function commentSql(qualified: string, marker: DuckDbTableMarker): string {
  return `COMMENT ON TABLE ${qualified} IS ${quoteLiteral(markerComment(marker))}`;
}

/** The bookkeeping tables of one namespace (docs/architecture.md: "Tables in the destination"). */
export function bookkeepingDdl(catalog: string, schema: string): string[] {
  const q = (t: string) => qualify(catalog, schema, t);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(catalog)}.${quoteIdent(schema)}`,
    `CREATE TABLE IF NOT EXISTS ${q(BOOKKEEPING_TABLES.state)} (
       stream VARCHAR PRIMARY KEY,
       state JSON NOT NULL,
       updated_at TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${q(BOOKKEEPING_TABLES.runs)} (
       run_id VARCHAR PRIMARY KEY,
       connector VARCHAR NOT NULL,
       started_at TIMESTAMPTZ NOT NULL,
       ended_at TIMESTAMPTZ,
       status VARCHAR NOT NULL,
       records_written BIGINT,
       records_deleted BIGINT,
       error VARCHAR,
       summary JSON)`,
    `CREATE TABLE IF NOT EXISTS ${q(BOOKKEEPING_TABLES.schemaChanges)} (
       run_id VARCHAR,
       stream VARCHAR NOT NULL,
       kind VARCHAR NOT NULL,
       column_name VARCHAR,
       from_type VARCHAR,
       to_type VARCHAR,
       changed_at TIMESTAMPTZ NOT NULL,
       source_path VARCHAR)`,
    // Tables created before rename_collision had no source_path.
    `ALTER TABLE ${q(BOOKKEEPING_TABLES.schemaChanges)} ADD COLUMN IF NOT EXISTS source_path VARCHAR`,
    `CREATE TABLE IF NOT EXISTS ${q(BOOKKEEPING_TABLES.owner)} (
       connector VARCHAR NOT NULL,
       connection VARCHAR,
       claimed_at TIMESTAMPTZ NOT NULL)`,
  ];
}

/** Upsert one stream's state row. `now()` is the transaction's start, the same instant for every row it writes. */
export function upsertStateSql(qualifiedStateTable: string, stream: string, state: string): string {
  return (
    `INSERT INTO ${qualifiedStateTable} (stream, state, updated_at) ` +
    `VALUES (${quoteLiteral(stream)}, ${quoteLiteral(state)}, now()) ` +
    'ON CONFLICT (stream) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at'
  );
}

/** A SQL literal for a bookkeeping value. */
export function sqlValue(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return `${quoteLiteral(value.toISOString())}::TIMESTAMPTZ`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'NULL';
    return String(value);
  }
  return quoteLiteral(value);
}

export interface UpsertInput {
  /** The target table, qualified. */
  target: string;
  /** A parenthesised relation with one column per entry of `columns`, named and typed like the target's. */
  source: string;
  /** The batch's columns (all of them in the target). */
  columns: readonly string[];
  /** Target columns the batch does not carry: NULL in a replaced row. */
  absentColumns: readonly string[];
  primaryKey: readonly string[];
  syncedAt: Date;
  passId: string | null;
  /** Plain INSERT, no key matching: for a table this transaction created, which holds no keys yet. */
  insertOnly?: boolean;
  /** Client-side incremental: leave rows whose stored value of this column is equal (see WriteBatch). */
  unchangedBy?: string;
}

/** The upsert as statements to run in order: `remove` (when there is one), then `insert`. */
export interface UpsertStatements {
  /** Deletes the stored rows the batch replaces. */
  remove?: string;
  /** Inserts the batch's rows (all of them, or with skip-unchanged those not left in place); its count is rows written. */
  insert: string;
}

/**
 * The upsert, set-wise, with no index: delete the stored rows whose key the batch carries, then insert the
 * batch. Each statement is one hash join of the staged rows against the table's key columns. The staged
 * rows are already unique by key (the destination dedupes them, last wins). A written row is always live
 * again (`_tributary_deleted = false`); columns the batch lacks are NULL in it. Streams without a primary
 * key append.
 *
 * Delete-and-insert rather than UPDATE (or MERGE … UPDATE): DuckDB keeps updated values in memory, pinned,
 * until the next checkpoint, so a batch that rewrites many stored rows could exhaust `memory_limit`;
 * deleted rows cost a few bits each, and inserted rows spill to disk like any other.
 *
 * With `unchangedBy` (skip-unchanged), rows `touchUnchangedSql` left in place are neither deleted nor
 * inserted again: the insert skips keys still in the table.
 */
export function upsertSql(m: UpsertInput): UpsertStatements {
  const system = [SYSTEM_COLUMNS.syncedAt, SYSTEM_COLUMNS.deleted, SYSTEM_COLUMNS.pass];
  const insertCols = [...m.columns, ...system].map(quoteIdent).join(', ');
  const values = [
    ...m.columns.map((c) => `src.${quoteIdent(c)}`),
    `${quoteLiteral(m.syncedAt.toISOString())}::TIMESTAMPTZ`,
    'false',
    m.passId === null ? 'NULL::VARCHAR' : quoteLiteral(m.passId),
  ].join(', ');
  const insert = `INSERT INTO ${m.target} (${insertCols}) SELECT ${values} FROM ${m.source} AS src`;
  if (m.primaryKey.length === 0 || m.insertOnly) return { insert };
  const on = m.primaryKey.map((c) => `tgt.${quoteIdent(c)} = src.${quoteIdent(c)}`).join(' AND ');
  if (m.unchangedBy === undefined)
    return { remove: `DELETE FROM ${m.target} AS tgt USING ${m.source} AS src WHERE ${on}`, insert };
  const by = quoteIdent(m.unchangedBy);
  // Left in place: equal value and live (exactly what touchUnchangedSql stamped with the pass).
  const changed = `(tgt.${by} IS DISTINCT FROM src.${by} OR tgt.${quoteIdent(SYSTEM_COLUMNS.deleted)})`;
  return {
    remove: `DELETE FROM ${m.target} AS tgt USING ${m.source} AS src WHERE ${on} AND ${changed}`,
    insert: `${insert} WHERE NOT EXISTS (SELECT 1 FROM ${m.target} AS tgt WHERE ${on})`,
  };
}

/**
 * Client-side incremental: stamp stored, live rows whose `unchangedBy` value equals the staged one with this
 * pass, without rewriting them, so the soft-delete sweep still counts them as seen.
 */
export function touchUnchangedSql(m: {
  target: string;
  source: string;
  primaryKey: readonly string[];
  unchangedBy: string;
  passId: string | null;
}): string {
  const by = quoteIdent(m.unchangedBy);
  const join = m.primaryKey.map((c) => `t.${quoteIdent(c)} = s.${quoteIdent(c)}`).join(' AND ');
  const pass = m.passId === null ? 'NULL::VARCHAR' : quoteLiteral(m.passId);
  return (
    `UPDATE ${m.target} AS t SET ${quoteIdent(SYSTEM_COLUMNS.pass)} = ${pass} FROM ${m.source} AS s ` +
    `WHERE ${join} AND t.${by} IS NOT DISTINCT FROM s.${by} AND NOT t.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
  );
}
