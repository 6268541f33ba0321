/**
 * The queries the DuckDB and PostgreSQL readers send alike (both dialects accept the same text), and how a
 * row count comes back. Each reader still lists schemas and tables its own way (information_schema in
 * DuckDB, pg_class in PostgreSQL) and qualifies names with its own quoting.
 */
import { SYSTEM_COLUMNS, type TableCount } from './destination.js';

/** The `limit` newest runs in `runsTable` (already qualified); `summary` comes back as JSON text. */
export function latestRunsSql(runsTable: string, limit: number): string {
  return (
    'SELECT run_id, connector, started_at, ended_at, status, records_written, records_deleted, error, ' +
    `CAST(summary AS VARCHAR) AS summary FROM ${runsTable} ORDER BY started_at DESC LIMIT ${Math.max(0, Math.floor(limit))}`
  );
}

/** Rows (`n`) and soft-deleted rows (`d`) of one stream table (already qualified). */
export function rowCountsSql(table: string): string {
  return `SELECT count(*) AS n, count(*) FILTER (WHERE "${SYSTEM_COLUMNS.deleted}") AS d FROM ${table}`;
}

/** The answer to rowCountsSql (counts may come back as bigints or numeric text) as a TableCount. */
export function tableCount(table: string, row: Record<string, unknown> | undefined): TableCount {
  return { table, rows: Number(row?.n ?? 0), deleted: Number(row?.d ?? 0) };
}
