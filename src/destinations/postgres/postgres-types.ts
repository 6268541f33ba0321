/**
 * Type mapping between tributary column types and PostgreSQL, and the per-value checks that decide
 * whether a column must widen before a batch can be written into it.
 */
import { DestinationError } from '../../errors.js';
import { type ColumnType, type Value, widenType } from '../destination.js';

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

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch for binary timestamps. */
const PG_EPOCH_DAYS = 10957;

/** A parsed timestamp: whole seconds and microseconds since 2000-01-01T00:00:00Z (PostgreSQL's epoch). */
export interface PgTimestamp {
  seconds: number;
  micros: number;
}

/** Round half to even, as PostgreSQL's `rint` does for fractional seconds. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Value of the `n` ASCII digits of `s` at `at`, or -1 if any is not a digit (or is past the end). */
function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * Parse the ISO-8601 timestamps a timestamptz column accepts: `YYYY-MM-DD`, optionally followed by
 * `T` or a space, `HH:MM`, optional `:SS`, optional `.f` (1-9 digits), optional zone (`Z`, `±HH`,
 * `±HHMM`, `±HH:MM`). Returns undefined for anything else, including impossible dates, so such a value
 * makes its column text rather than a value PostgreSQL would reject or read differently. Hand-written
 * (no regex): it runs for every timestamp value of every batch.
 */
export function parseTimestamp(text: string): PgTimestamp | undefined {
  const len = text.length;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 1 || month < 1 || day < 1 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45)
    return undefined;
  if (month > 12 || day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micros = 0;
  let offset = 0;
  let i = 10;
  if (i < len) {
    const sep = text.charCodeAt(i);
    if (sep !== 84 && sep !== 32) return undefined; // 'T' or ' '
    hour = digitsAt(text, i + 1, 2);
    minute = digitsAt(text, i + 4, 2);
    if (hour < 0 || minute < 0 || text.charCodeAt(i + 3) !== 58) return undefined;
    i += 6;
    if (text.charCodeAt(i) === 58) {
      second = digitsAt(text, i + 1, 2);
      if (second < 0) return undefined;
      i += 3;
      if (text.charCodeAt(i) === 46) {
        let j = i + 1;
        while (j < len && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++;
        const n = j - i - 1;
        if (n < 1 || n > 9) return undefined;
        // Up to 6 digits are exact; beyond, round half to even like PostgreSQL's rint(frac * 10^6).
        micros =
          n <= 6
            ? digitsAt(text, i + 1, n) * POW10[6 - n]!
            : roundHalfEven(Number(`0.${text.slice(i + 1, j)}`) * 1e6);
        i = j;
      }
    }
    if (i < len) {
      const zone = text.charCodeAt(i);
      if (zone === 90) {
        i++; // 'Z'
      } else if (zone === 43 || zone === 45) {
        const oh = digitsAt(text, i + 1, 2);
        if (oh < 0 || oh > 15) return undefined;
        i += 3;
        let om = 0;
        if (i < len) {
          if (text.charCodeAt(i) === 58) i++;
          om = digitsAt(text, i, 2);
          if (om < 0 || om > 59) return undefined;
          i += 2;
        }
        offset = (zone === 45 ? -1 : 1) * (oh * 3600 + om * 60);
      } else {
        return undefined;
      }
    }
    if (i !== len || hour > 23 || minute > 59 || second > 59) return undefined;
  }
  const seconds =
    (daysFromCivil(year, month, day) - PG_EPOCH_DAYS) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return { seconds, micros };
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
