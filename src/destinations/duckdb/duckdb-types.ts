/**
 * Type mapping between tributary's column types and DuckDB's, and the lossless casts that widen one into
 * another (bigint → double → varchar, boolean → varchar, timestamp → varchar).
 *
 * `decimal` (exact numbers beyond int64 or beyond the double range) is stored as VARCHAR holding the exact
 * text: DuckDB's DECIMAL and HUGEINT stop at 38 digits, and `1e400` or a 40-digit id must survive. Read back,
 * such a column is `varchar`, which is also what `decimal` widens to, so nothing narrows across runs.
 */
import type { ColumnType } from '../destination.js';

/** The DuckDB type each column type is stored as. Timestamps arrive as ISO-8601 UTC strings. */
export const DUCKDB_TYPE: Readonly<Record<ColumnType, string>> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'VARCHAR',
  timestamp: 'TIMESTAMPTZ',
  varchar: 'VARCHAR',
};

/**
 * The column type a DuckDB column holds, from `duckdb_columns().data_type`. Types tributary never creates
 * (a column someone altered by hand) map to the family that holds their values without loss, so widening
 * decisions stay safe; such a column keeps its DuckDB type until tributary has to widen it.
 */
export function columnTypeOf(dataType: string): ColumnType {
  const t = dataType.toUpperCase();
  if (t === 'BOOLEAN') return 'boolean';
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(t)) return 'bigint';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return 'double';
  if (t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ') return 'timestamp';
  return 'varchar';
}

/** Whether a DuckDB type is exactly the one tributary would create for `type`. */
export function isNativeType(dataType: string, type: ColumnType): boolean {
  const t = dataType.toUpperCase();
  if (type === 'timestamp') return t === 'TIMESTAMP WITH TIME ZONE' || t === 'TIMESTAMPTZ';
  return t === DUCKDB_TYPE[type];
}

/**
 * SQL that converts `expr` (of column type `from`) to column type `to`, never losing a value. Text forms
 * follow what the engine would have sent: a timestamp becomes ISO-8601 UTC (`2024-01-15T12:34:56.789Z`,
 * microseconds kept when present), an integral double prints without `.0`, booleans print `true`/`false`.
 */
export function widenExpression(expr: string, from: ColumnType, to: ColumnType): string {
  if (from === to) return expr;
  if (to === 'double') return `CAST(${expr} AS DOUBLE)`;
  if (from === 'decimal') return expr; // already VARCHAR
  if (to !== 'varchar' && to !== 'decimal') throw new Error(`cannot widen ${from} to ${to}`);
  switch (from) {
    case 'double':
      return (
        `CASE WHEN isnan(${expr}) THEN 'NaN' ` +
        `WHEN isinf(${expr}) THEN CASE WHEN ${expr} > 0 THEN 'Infinity' ELSE '-Infinity' END ` +
        `WHEN ${expr} = trunc(${expr}) AND abs(${expr}) < 1e15 THEN CAST(CAST(${expr} AS BIGINT) AS VARCHAR) ` +
        `ELSE CAST(${expr} AS VARCHAR) END`
      );
    case 'timestamp':
      return (
        `CASE WHEN microsecond(${expr}) % 1000 = 0 ` +
        `THEN strftime(timezone('UTC', ${expr}), '%Y-%m-%dT%H:%M:%S.%gZ') ` +
        `ELSE strftime(timezone('UTC', ${expr}), '%Y-%m-%dT%H:%M:%S.%fZ') END`
      );
    default:
      return `CAST(${expr} AS VARCHAR)`;
  }
}
