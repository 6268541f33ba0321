/**
 * SQL text for the DuckDB destination: quoting, names and the statements the destination runs. Every
 * identifier goes through `quoteIdent`, every string value through `quoteLiteral`; nothing else is ever
 * spliced into SQL.
 */
import { type ColumnType, SYSTEM_COLUMNS } from '../destination.js';
import type { DialectSql, DialectUpsert, SqlValue, UpsertInput } from '../sql/dialect.js';
import { literalValue, mergeOnConflictSql } from '../sql/standard-sql.js';
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

/** Temporary table a widening rebuilds into, inside the write's transaction. */
export function rebuildTableName(table: string): string {
  return `_tributary_rebuild_${table}`;
}

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

export function commentSql(qualified: string, comment: string): string {
  return `COMMENT ON TABLE ${qualified} IS ${quoteLiteral(comment)}`;
}

/** The comment of a DuckDB table of tributary's: the marker with the stream's primary key. */
export function duckDbMarkerComment(marker: TableMarker, primaryKey: readonly string[]): string {
  const withKey: DuckDbTableMarker = { ...marker, primaryKey: [...primaryKey] };
  return markerComment(withKey);
}

/** A SQL literal for a bookkeeping value. */
export function sqlValue(value: SqlValue): string {
  return literalValue(value, quoteLiteral, 'TIMESTAMPTZ');
}

/** DuckDB's SQL text for the protocol; `location` is known once the file is open. */
export function duckDbSql(location: () => { catalog: string; schema: string }): DialectSql {
  return {
    quoteIdent,
    quoteLiteral,
    literal: sqlValue,
    jsonLiteral: (text) => `${quoteLiteral(text)}::JSON`,
    qualify: (table) => {
      const { catalog, schema } = location();
      return qualify(catalog, schema, table);
    },
    asText: (expr) => `CAST(${expr} AS VARCHAR)`,
    isDistinctFrom: (a, b) => `${a} IS DISTINCT FROM ${b}`,
    typeName: (type) => DUCKDB_TYPE[type],
    mergeRowsSql: mergeOnConflictSql(quoteIdent),
    now: () => 'now()',
  };
}

export const duckDbUpsert: DialectUpsert = { upsertSql, touchUnchangedSql };

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
export function upsertSql(m: UpsertInput): string[] {
  const system = [SYSTEM_COLUMNS.syncedAt, SYSTEM_COLUMNS.deleted, SYSTEM_COLUMNS.pass];
  const insertCols = [...m.columns, ...system].map(quoteIdent).join(', ');
  const values = [
    ...m.columns.map((c) => `src.${quoteIdent(c)}`),
    `${quoteLiteral(m.syncedAt.toISOString())}::TIMESTAMPTZ`,
    'false',
    m.passId === null ? 'NULL::VARCHAR' : quoteLiteral(m.passId),
  ].join(', ');
  const insert = `INSERT INTO ${m.target} (${insertCols}) SELECT ${values} FROM ${m.source} AS src`;
  if (m.primaryKey.length === 0 || m.insertOnly) return [insert];
  const on = m.primaryKey.map((c) => `tgt.${quoteIdent(c)} = src.${quoteIdent(c)}`).join(' AND ');
  if (m.unchangedBy === undefined)
    return [`DELETE FROM ${m.target} AS tgt USING ${m.source} AS src WHERE ${on}`, insert];
  const by = quoteIdent(m.unchangedBy);
  // Left in place: equal value and live (exactly what touchUnchangedSql stamped with the pass).
  const changed = `(tgt.${by} IS DISTINCT FROM src.${by} OR tgt.${quoteIdent(SYSTEM_COLUMNS.deleted)})`;
  return [
    `DELETE FROM ${m.target} AS tgt USING ${m.source} AS src WHERE ${on} AND ${changed}`,
    `${insert} WHERE NOT EXISTS (SELECT 1 FROM ${m.target} AS tgt WHERE ${on})`,
  ];
}

/**
 * Client-side incremental: stamp stored, live rows whose `unchangedBy` value equals the staged one with this
 * pass, without rewriting them, so the soft-delete sweep still counts them as seen.
 */
export function touchUnchangedSql(m: Parameters<DialectUpsert['touchUnchangedSql']>[0]): string {
  const by = quoteIdent(m.unchangedBy);
  const join = m.primaryKey.map((c) => `t.${quoteIdent(c)} = s.${quoteIdent(c)}`).join(' AND ');
  const pass = m.passId === null ? 'NULL::VARCHAR' : quoteLiteral(m.passId);
  return (
    `UPDATE ${m.target} AS t SET ${quoteIdent(SYSTEM_COLUMNS.pass)} = ${pass} FROM ${m.source} AS s ` +
    `WHERE ${join} AND t.${by} IS NOT DISTINCT FROM s.${by} AND NOT t.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
  );
}
