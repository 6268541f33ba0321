/**
 * SQL text that several databases spell the same way: the INSERT … ON CONFLICT merge of DuckDB and PostgreSQL,
 * and the parts of a merge MySQL (ON DUPLICATE KEY UPDATE) spells as they do.
 */
import type { DialectSql, OnConflict, SqlValue } from './dialect.js';

/** A non-key column a merge updates on a duplicate key, and whether it keeps a stored value over NULL. */
export interface MergedColumn {
  column: string;
  coalesce: boolean;
}

/**
 * A dialect's `mergeRowsSql`: `INSERT INTO table (columns) VALUES (…), (…)`, then `onDuplicate`, the
 * database's clause for a key already stored, given the columns to update (kept columns are left out).
 */
export function mergeRowsWith(
  quoteIdent: (name: string) => string,
  onDuplicate: (table: string, merged: MergedColumn[], key: readonly string[]) => string,
): DialectSql['mergeRowsSql'] {
  return (table, columns, rows, key, onConflict: Readonly<Record<string, OnConflict>> = {}) => {
    const merged = columns
      .filter((c) => !key.includes(c) && (onConflict[c] ?? 'replace') !== 'keep')
      .map((column) => ({ column, coalesce: onConflict[column] === 'coalesce' }));
    const values = rows.map((r) => `(${r.join(', ')})`).join(', ');
    return `INSERT INTO ${table} (${columns.map(quoteIdent).join(', ')}) VALUES ${values} ${onDuplicate(table, merged, key)}`;
  };
}

/**
 * `INSERT … ON CONFLICT (key) DO UPDATE`, as DuckDB and PostgreSQL spell it: each
 * non-key column replaced, coalesced with the stored value, or kept (`DO NOTHING` when all are kept).
 */
export function mergeOnConflictSql(quoteIdent: (name: string) => string): DialectSql['mergeRowsSql'] {
  return mergeRowsWith(quoteIdent, (table, merged, key) => {
    const sets = merged.map(({ column, coalesce }) => {
      const q = quoteIdent(column);
      return coalesce ? `${q} = coalesce(EXCLUDED.${q}, ${table}.${q})` : `${q} = EXCLUDED.${q}`;
    });
    return (
      `ON CONFLICT (${key.map(quoteIdent).join(', ')}) ` +
      (sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`)
    );
  });
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
