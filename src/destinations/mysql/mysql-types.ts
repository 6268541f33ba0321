/**
 * Type mapping between tributary column types and MySQL/MariaDB, the SQL that widens one into another, and
 * the per-value checks and text forms the bulk path sends.
 *
 * - `timestamp` is DATETIME(6) holding UTC (every session runs with time_zone '+00:00'): TIMESTAMP stops in
 *   2038, DATETIME covers years 1000–9999 with microseconds.
 * - `decimal` (an exact number of any size, e.g. a 40-digit id or `1e400`) is LONGTEXT holding the exact
 *   text, as in DuckDB: MySQL's DECIMAL stops at 65 digits (30 after the point), so DECIMAL(65,30) would
 *   refuse `1e400` and round 1e-31. Read back, such a column is `varchar`, which is also what `decimal`
 *   widens to, so nothing narrows across runs.
 * - `varchar` is LONGTEXT, except in a primary key: InnoDB indexes at most 3072 bytes per key, so text key
 *   columns are VARCHAR(n) with n = 768 / (key columns) characters (utf8mb4 takes up to 4 bytes each), and a
 *   longer key value is refused with a message that says so.
 */
import { DestinationError } from '../../errors.js';
import { type ColumnType, type Value, widenType } from '../destination.js';

/** The MySQL type tributary creates for each column type outside a primary key. */
export const MYSQL_TYPE: Readonly<Record<ColumnType, string>> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  decimal: 'LONGTEXT',
  timestamp: 'DATETIME(6)',
  varchar: 'LONGTEXT',
};

/** InnoDB's index key limit in bytes (DYNAMIC row format, the default since MySQL 5.7 / MariaDB 10.2). */
const KEY_BYTES = 3072;

/** Characters a text key column holds: an equal share of the key limit at 4 bytes per utf8mb4 character. */
export function keyChars(keyColumns: number): number {
  return Math.floor(KEY_BYTES / 4 / Math.max(1, keyColumns));
}

/** The column type for `type`, as a member of a primary key of `keyColumns` columns or not. */
export function columnDefinition(type: ColumnType, keyColumns: number | undefined): string {
  if (keyColumns !== undefined && MYSQL_TYPE[type] === 'LONGTEXT') return `VARCHAR(${keyChars(keyColumns)})`;
  return MYSQL_TYPE[type];
}

/**
 * The column type a MySQL column holds, from information_schema `DATA_TYPE` and `COLUMN_TYPE`, or undefined
 * for a type tributary does not write (the planner refuses to touch such a column).
 */
export function columnTypeFromMysql(dataType: string, columnType: string): ColumnType | undefined {
  switch (dataType.toLowerCase()) {
    case 'tinyint':
      // BOOLEAN is TINYINT(1); MySQL 8 no longer prints display widths, so a bare tinyint counts too.
      return /^tinyint(\(1\))?$/i.test(columnType) ? 'boolean' : undefined;
    case 'bigint':
      return /unsigned/i.test(columnType) ? undefined : 'bigint';
    case 'double':
      return 'double';
    case 'datetime':
      return 'timestamp';
    case 'longtext':
    case 'mediumtext':
    case 'text':
    case 'varchar':
      return 'varchar';
    default:
      return undefined;
  }
}

/** Whether `from` widens to `to` (never a narrowing, never a change within the same stored type). */
export function canWiden(from: ColumnType, to: ColumnType): boolean {
  if (from === to || MYSQL_TYPE[from] === MYSQL_TYPE[to]) return false;
  return widenType(from, to) === to;
}

/**
 * SQL that converts `expr` (a column of type `from`) to the text or number its wider type `to` stores, in
 * the shape the engine sends new values in: booleans `true`/`false`, timestamps ISO-8601 UTC with
 * milliseconds (microseconds when there are some). Doubles print as MySQL's shortest round-trip text
 * (`1e21`, `0.1`), which reads back as the same number.
 */
export function widenExpression(expr: string, from: ColumnType, to: ColumnType): string {
  if (to === 'double') return `CAST(${expr} AS DOUBLE)`;
  switch (from) {
    case 'boolean':
      return `CASE WHEN ${expr} IS NULL THEN NULL WHEN ${expr} THEN 'true' ELSE 'false' END`;
    case 'timestamp':
      return (
        `CONCAT(DATE_FORMAT(${expr}, '%Y-%m-%dT%H:%i:%s.'), IF(MICROSECOND(${expr}) % 1000 = 0, ` +
        `LPAD(MICROSECOND(${expr}) DIV 1000, 3, '0'), LPAD(MICROSECOND(${expr}), 6, '0')), 'Z')`
      );
    default:
      return `CAST(${expr} AS CHAR)`;
  }
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT64_MAX = 9223372036854775807n;

function isInt64Text(s: string): boolean {
  if (!INTEGER_TEXT.test(s)) return false;
  const n = BigInt(s);
  return n <= INT64_MAX && n >= -INT64_MAX - 1n;
}

/** Number text DOUBLE holds: finite, and not a non-zero value that underflows to zero. */
function isDoubleText(s: string): boolean {
  if (!DECIMAL_TEXT.test(s)) return false;
  const n = Number(s);
  return Number.isFinite(n) && (n !== 0 || !/[1-9]/.test(s.split(/[eE]/)[0]!));
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * An ISO-8601 timestamp as the UTC DATETIME(6) text MySQL stores (`2024-01-15 12:34:56.789000`), or
 * undefined when it is not one, names an impossible date, or falls outside DATETIME's years 1000–9999.
 * More than 6 fraction digits round to the microsecond, as PostgreSQL does.
 */
export function datetimeText(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  const local = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  const check = new Date(local);
  if (
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return undefined;
  let offset = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0));
  }
  let micros = frac === '' ? 0 : Math.round(Number(`0.${frac}`) * 1e6);
  let ms = local - offset * 60_000;
  if (micros >= 1_000_000) {
    micros -= 1_000_000;
    ms += 1000;
  }
  const iso = new Date(ms).toISOString();
  if (!/^\d{4}-/.test(iso) || iso < '1000' || iso >= '10000') return undefined;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros).padStart(6, '0')}`;
}

/** Whether `v` can be stored in a column of `type` exactly as it is. */
export function fitsType(v: Value, type: ColumnType): boolean {
  switch (type) {
    case 'varchar':
      return true;
    case 'bigint':
      return typeof v === 'number'
        ? Number.isInteger(v) && Math.abs(v) < 2 ** 63
        : typeof v === 'string' && isInt64Text(v);
    case 'double':
      return typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string' && isDoubleText(v);
    case 'decimal':
      return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && DECIMAL_TEXT.test(v));
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
      return typeof v === 'string' && datetimeText(v) !== undefined;
  }
}

/**
 * For a number its column cannot hold, the wider type that does: an integer beyond int64 or number text
 * beyond DOUBLE makes the column `decimal` (exact text); undefined for a value of the wrong kind (1.5 or
 * "twelve" for a bigint), which is refused, never coerced.
 */
export function outOfRangeWidening(v: Value, type: ColumnType): ColumnType | undefined {
  if (type === 'bigint') {
    if (typeof v === 'number') return Number.isInteger(v) ? 'decimal' : undefined;
    if (typeof v === 'string') return INTEGER_TEXT.test(v) ? 'decimal' : undefined;
  }
  if (type === 'double' && typeof v === 'string' && DECIMAL_TEXT.test(v)) return 'decimal';
  return undefined;
}

/** The text the bulk path sends for a value of a column of `type` (null stays null). */
export function stagedText(v: Value | undefined, type: ColumnType): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v === true ? '1' : '0';
  if (type === 'timestamp') return datetimeText(String(v)) ?? String(v);
  return typeof v === 'string' ? v : String(v);
}

/** Refuse a text key value longer than its VARCHAR(n) key column, naming the stream, row and column. */
export function checkKeyLength(stream: string, row: number, column: string, v: Value, chars: number): void {
  if (typeof v !== 'string' || v.length <= chars || [...v].length <= chars) return;
  throw new DestinationError(
    'TRB_DEST_WRITE',
    `stream "${stream}": row ${row} primary-key column "${column}" holds ${[...v].length} characters; MySQL ` +
      `keys hold at most ${chars} here (InnoDB's 3072-byte key limit at 4 bytes per utf8mb4 character, shared ` +
      'by the key columns). Use a destination without this limit for this stream, or a shorter key.',
    { details: { stream, row, column, limit: chars } },
  );
}
