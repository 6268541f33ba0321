/**
 * Type mapping between tributary column types and PostgreSQL, and the per-value checks that decide
 * whether a column must widen before a batch can be written into it.
 */
import { DestinationError } from '../../errors.js';
import { type ColumnType, type Value, widenType } from '../destination.js';
import { parseTimestamp } from '../sql/timestamps.js';

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

/** The widenings that `ALTER COLUMN … TYPE` performs without losing any stored value's meaning. */
export function canWiden(from: ColumnType, to: ColumnType): boolean {
  if (from === to) return false;
  if (to === 'varchar') return true;
  if (to === 'decimal') return from === 'bigint' || from === 'double';
  return from === 'bigint' && to === 'double';
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
export function jsNumberText(quotedColumn: string): string {
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

/** 2^63: doubles represent it exactly, so the bounds below are exact. */
const INT64_LIMIT = 2 ** 63;
const INT64_MIN = -INT64_LIMIT;

/** A JS number PostgreSQL's bigint can hold exactly: an integer in [-2^63, 2^63). */
export function isInt64(v: number): boolean {
  return Number.isInteger(v) && v >= INT64_MIN && v < INT64_LIMIT;
}

/**
 * Whether reading `row[name]` could find a member of Object.prototype (`constructor`, `toString`,
 * `__proto__`…) instead of a missing field. Such columns are read with `ownValue`.
 */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

/** The row's own value for `name`; undefined when the row lacks it (never a prototype member). */
export function ownValue(row: Readonly<Record<string, Value>>, name: string): Value | undefined {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_DOUBLE_TEXT = new Set(['NaN', 'Infinity', '-Infinity', '+Infinity']);
const INT64_MAX_TEXT = 9223372036854775807n;

/** Decimal integer text that bigint holds exactly. */
export function isInt64Text(s: string): boolean {
  if (!INTEGER_TEXT.test(s)) return false;
  const digits = s.length - (s[0] === '+' || s[0] === '-' ? 1 : 0);
  if (digits < 19) return true;
  const n = BigInt(s);
  return n <= INT64_MAX_TEXT && n >= -INT64_MAX_TEXT - 1n;
}

/**
 * Number text that double precision holds: a decimal (or NaN/±Infinity) that neither overflows to
 * infinity nor underflows to zero, both of which PostgreSQL refuses.
 */
export function isDoubleText(s: string): boolean {
  if (SPECIAL_DOUBLE_TEXT.has(s)) return true;
  if (!DECIMAL_TEXT.test(s)) return false;
  const n = Number(s);
  if (!Number.isFinite(n)) return false;
  return n !== 0 || !/[1-9]/.test(s.split(/[eE]/)[0]!);
}

/** Whether `v` can be stored in a column of type `type` exactly as it is. */
export function fitsType(v: Value, type: ColumnType): boolean {
  switch (type) {
    case 'varchar':
      return true;
    case 'bigint':
      return typeof v === 'number' ? isInt64(v) : typeof v === 'string' && isInt64Text(v);
    case 'double':
      return typeof v === 'number' || (typeof v === 'string' && isDoubleText(v));
    case 'decimal':
      return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && DECIMAL_TEXT.test(v));
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
      return typeof v === 'string' && parseTimestamp(v) !== undefined;
  }
}

/**
 * For a number too large for its column, the wider type that holds it exactly: an integer beyond
 * ±2^63 moves a bigint column to double precision (a JS number is a double already), and number text
 * beyond the range moves the column to text (which keeps every digit). Undefined for values that are
 * simply the wrong kind (1.5 or "twelve" for a bigint): those are refused, never coerced.
 */
export function outOfRangeWidening(v: Value, type: ColumnType): ColumnType | undefined {
  if (type === 'bigint') {
    if (typeof v === 'number') return Number.isInteger(v) ? 'double' : undefined;
    if (typeof v === 'string') return INTEGER_TEXT.test(v) ? 'varchar' : undefined;
  }
  if (type === 'double' && typeof v === 'string' && DECIMAL_TEXT.test(v)) return 'varchar';
  return undefined;
}

function describeMisfit(type: ColumnType): string {
  switch (type) {
    case 'bigint':
      return 'is not a 64-bit integer';
    case 'double':
    case 'decimal':
      return 'is not a number';
    case 'boolean':
      return 'is not a boolean';
    default:
      return 'is not an ISO-8601 timestamp (YYYY-MM-DD[THH:MM[:SS[.f]]][Z|±HH:MM]) of a real date';
  }
}

function preview(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The type column `name` must have for every value in `rows` to be stored exactly: `declared`, or wider
 * when a number is out of its range. A value of the wrong kind for the column fails the batch with
 * TRB_DEST_WRITE, naming the stream, row and column, before anything is written.
 */
export function typeForValues(
  declared: ColumnType,
  stream: string,
  name: string,
  rows: readonly Record<string, Value>[],
): ColumnType {
  let type = declared;
  if (type === 'varchar') return type;
  const inherited = isInheritedName(name);
  for (let i = 0; i < rows.length; i++) {
    const v = inherited ? ownValue(rows[i]!, name) : rows[i]![name];
    if (v === null || v === undefined || fitsType(v, type)) continue;
    const wider = outOfRangeWidening(v, type);
    if (wider === undefined) {
      throw new DestinationError(
        'TRB_DEST_WRITE',
        `stream "${stream}": row ${i} column "${name}": value ${preview(v)} ${describeMisfit(type)} (column type ${type})`,
        { details: { stream, row: i, column: name, type } },
      );
    }
    type = widenType(type, wider);
    if (type === 'varchar') break;
  }
  return type;
}
