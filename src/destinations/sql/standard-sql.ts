/**
 * SQL text that several databases spell the same way (DuckDB and PostgreSQL both follow PostgreSQL here); a
 * dialect whose database differs (MySQL's ON DUPLICATE KEY UPDATE) writes its own.
 */
import type { OnConflict, SqlValue } from './dialect.js';

/**
 * `INSERT … ON CONFLICT (key) DO UPDATE`, as DuckDB and PostgreSQL spell it: each
 * non-key column replaced, coalesced with the stored value, or kept (`DO NOTHING` when all are kept).
 */
export function mergeOnConflictSql(
  quoteIdent: (name: string) => string,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly string[])[],
  key: readonly string[],
  onConflict: Readonly<Record<string, OnConflict>> = {},
): string {
  const keys = new Set(key);
  const sets = columns
    .filter((c) => !keys.has(c) && (onConflict[c] ?? 'replace') !== 'keep')
    .map((c) =>
      onConflict[c] === 'coalesce'
        ? `${quoteIdent(c)} = coalesce(EXCLUDED.${quoteIdent(c)}, ${table}.${quoteIdent(c)})`
        : `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`,
    );
  return (
    `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES ${rows.map((r) => `(${r.join(', ')})`).join(', ')} ` +
    `ON CONFLICT (${key.map(quoteIdent).join(', ')}) ${sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`}`
  );
}

/** A literal for a bookkeeping value; `timestampType` is the database's name for a timestamp with time zone. */
export function literalValue(
  value: SqlValue,
  quoteLiteral: (text: string) => string,
  timestampType: string,
): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return `${quoteLiteral(value.toISOString())}::${timestampType}`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  return quoteLiteral(value);
}
