/**
 * Type mapping between tributary column types and PostgreSQL, and the per-value checks that decide
 * whether a column must widen before a batch can be written into it.
 */
import { type ColumnType, type Value, widenType } from '../destination.js';

/** The PostgreSQL type tributary creates for each column type. */
export const PG_TYPE: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double precision',
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
  return from === 'bigint' && to === 'double';
}

/** The `USING` expression that converts a stored column to its wider type. */
export function widenUsing(quotedColumn: string, from: ColumnType, to: ColumnType): string {
  if (from === 'timestamp' && to === 'varchar') {
    // Keep timestamps in the same ISO-8601 UTC shape new text values arrive in, not the session DateStyle.
    const iso = `to_char(${quotedColumn} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
    return `regexp_replace(${iso}, '\\.?0+$', '') || 'Z'`;
  }
  return `${quotedColumn}::${PG_TYPE[to]}`;
}

const INT64_MIN = -9223372036854775808;
const INT64_LIMIT = 9223372036854775808;

/** A JS number PostgreSQL's bigint can hold exactly: an integer in [-2^63, 2^63). */
export function isInt64(v: number): boolean {
  return Number.isInteger(v) && v >= INT64_MIN && v < INT64_LIMIT;
}

/**
 * ISO-8601 timestamps accepted into a timestamptz column: date, optional time with optional fraction,
 * optional zone (Z, ±HH, ±HHMM, ±HH:MM). Anything else makes the column text rather than risk a
 * value PostgreSQL would reject or read differently.
 */
const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

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

/** Parse an ISO-8601 timestamp (see ISO_TIMESTAMP) to PostgreSQL's epoch, or undefined if it is not one. */
export function parseTimestamp(text: string): PgTimestamp | undefined {
  const m = ISO_TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = m[11] === undefined ? 0 : Number(m[11]);
    if (oh > 15 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const micros = m[7] === undefined ? 0 : roundHalfEven(Number(`0.${m[7]}`) * 1e6);
  const seconds =
    (daysFromCivil(year, month, day) - PG_EPOCH_DAYS) * 86400 + hour * 3600 + minute * 60 + second - offset;
  return { seconds, micros };
}

/** Whether `v` can be stored in a column of type `type` as it is. */
export function fitsType(v: Value, type: ColumnType): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'boolean':
      return type === 'boolean' || type === 'varchar';
    case 'number':
      if (type === 'double' || type === 'varchar') return true;
      return type === 'bigint' && isInt64(v);
    case 'string':
      if (type === 'varchar') return true;
      return type === 'timestamp' && ISO_TIMESTAMP.test(v) && parseTimestamp(v) !== undefined;
    default:
      return false;
  }
}

/** The narrowest column type that holds `v` on its own. */
export function typeOfValue(v: Exclude<Value, null>): ColumnType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return isInt64(v) ? 'bigint' : 'double';
  return 'varchar';
}

/**
 * Widen `declared` until every value of column `name` in `rows` fits: an out-of-range integer turns a
 * bigint column into double precision, a stray string turns it into text. Never narrows.
 */
export function typeForValues(declared: ColumnType, name: string, rows: readonly Record<string, Value>[]): ColumnType {
  let type = declared;
  for (const row of rows) {
    const v = row[name];
    if (v === null || v === undefined || fitsType(v, type)) continue;
    type = widenType(type, typeOfValue(v));
    if (type === 'varchar') break;
  }
  return type;
}
