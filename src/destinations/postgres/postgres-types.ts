/**
 * Type mapping between tributary column types and PostgreSQL, and the SQL that widens a stored column.
 * (Which type a batch's values need is decided for every destination in sql/rows.ts.)
 */
import type { ColumnType } from '../destination.js';

export { type PgTimestamp, parseTimestamp } from '../sql/timestamps.js';

/** The PostgreSQL type tributary creates for each column type. */
export const PG_TYPE: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double precision',
  // Unconstrained: any precision and scale, NaN and ±Infinity (PostgreSQL 14+), so every exact number fits.
  decimal: 'numeric',
  timestamp: 'timestamptz',
  varchar: 'text',
};

/**
 * The column type a PostgreSQL column holds, from `pg_type.typname` (and the typmod, -1 when none),
 * or undefined for types tributary does not manage.
 */
export function columnTypeFromPg(typname: string, typmod: number): ColumnType | undefined {
  switch (typname) {
    case 'bool':
      return 'boolean';
    case 'int8':
      return 'bigint';
    case 'float8':
      return 'double';
    case 'numeric':
      // A constrained numeric(p,s) rounds or rejects values; only the unconstrained one is ours.
      return typmod < 0 ? 'decimal' : undefined;
    case 'timestamptz':
      return 'timestamp';
    case 'text':
      return 'varchar';
    case 'varchar':
      // Unbounded `character varying` behaves like text; a length limit could reject values.
      return typmod < 0 ? 'varchar' : undefined;
    default:
      return undefined;
  }
}

/** The `USING` expression that converts a stored column to its wider type. */
export function widenUsing(quotedColumn: string, from: ColumnType, to: ColumnType): string {
  if (from === 'timestamp' && to === 'varchar') {
    // Keep timestamps in the shape new text values arrive in (the engine's ISO-8601 UTC with
    // milliseconds, `2024-01-15T12:34:56.000Z`; microseconds only when there are some), not the session
    // DateStyle: a value must read the same whether it was written before or after the widening.
    const iso = (precision: string) =>
      `to_char(${quotedColumn} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.${precision}') || 'Z'`;
    return `CASE WHEN extract(microseconds FROM ${quotedColumn})::bigint % 1000 = 0 THEN ${iso('MS')} ELSE ${iso('US')} END`;
  }
  if (from === 'double' && to === 'varchar') return jsNumberText(quotedColumn);
  // float8 → numeric casts round to 15 digits; float8's text output is the shortest exact form.
  if (from === 'double' && to === 'decimal') return `(${quotedColumn})::text::numeric`;
  return `${quotedColumn}::${PG_TYPE[to]}`;
}

/**
 * SQL for a double precision value as JavaScript's `String(number)` prints it, which is the text a number
 * written straight into a text column gets. PostgreSQL prints the same shortest round-trip digits but
 * switches to exponent notation at other thresholds (`1.234567890123507e+15`, `1e-05`, `-0`), so a value
 * would read differently depending on whether it was stored before or after its column widened.
 */
function jsNumberText(quotedColumn: string): string {
  const t = `(${quotedColumn})::text`;
  const mantissa = `split_part(${t}, 'e', 1)`;
  const exp = `split_part(${t}, 'e', 2)::int`;
  const sign = `CASE WHEN left(${t}, 1) = '-' THEN '-' ELSE '' END`;
  const digits = `replace(replace(${mantissa}, '-', ''), '.', '')`;
  return (
    `CASE WHEN ${t} = '-0' THEN '0' ` +
    `WHEN position('e' IN ${t}) = 0 THEN ${t} ` +
    `WHEN ${exp} >= 21 OR ${exp} <= -7 THEN ${mantissa} || 'e' || CASE WHEN ${exp} < 0 THEN '-' ELSE '+' END || abs(${exp})::text ` +
    `WHEN ${exp} >= 0 THEN ${sign} || CASE WHEN length(${digits}) <= ${exp} + 1 ` +
    `THEN ${digits} || repeat('0', ${exp} + 1 - length(${digits})) ` +
    `ELSE left(${digits}, ${exp} + 1) || '.' || substr(${digits}, ${exp} + 2) END ` +
    `ELSE ${sign} || '0.' || repeat('0', -${exp} - 1) || ${digits} END`
  );
}
