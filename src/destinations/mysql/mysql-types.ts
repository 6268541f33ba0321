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
 *   columns are VARCHAR(n) with n = 768 / (key columns) characters (utf8mb4 takes up to 4 bytes each); a
 *   longer key value is refused by strict mode (mysql-errors.ts says why).
 */
import type { ColumnType, Value } from '../destination.js';
import { parseTimestamp } from '../sql/timestamps.js';

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
 * for a type tributary does not write (the protocol refuses to touch such a column). Text is LONGTEXT: a
 * shorter text type (VARCHAR(n), TEXT, MEDIUMTEXT) would refuse longer values, except in a primary key,
 * which MySQL bounds anyway (tributary's own key columns are VARCHAR(n)).
 */
export function columnTypeFromMysql(
  dataType: string,
  columnType: string,
  inKey: boolean,
): ColumnType | undefined {
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
      return 'varchar';
    case 'varchar':
      return inKey ? 'varchar' : undefined;
    default:
      return undefined;
  }
}

/**
 * SQL that converts `expr` (a column of type `from`) to the text or number its wider type `to` stores, in
 * the shape the engine sends new values in: booleans `true`/`false`, timestamps ISO-8601 UTC with
 * milliseconds (microseconds when there are some), doubles as JavaScript prints them (jsNumberText).
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
    case 'double':
      return jsNumberText(expr);
    default:
      return `CAST(${expr} AS CHAR)`;
  }
}

/**
 * SQL for a DOUBLE as JavaScript's `String(number)` prints it, which is the text a number written straight
 * into a text column gets. MySQL prints the same shortest round-trip digits but switches to exponent form at
 * other thresholds (`1.234567890123507e15`, `0.0000001`), so a value would read differently depending on
 * whether it was stored before or after its column widened. From MySQL's text: the significant digits and
 * the position of the decimal point, then JavaScript's rule (ECMA-262 Number::toString).
 */
export function jsNumberText(x: string): string {
  const t = `CAST(ABS(${x}) AS CHAR)`;
  const mantissa = `SUBSTRING_INDEX(${t}, 'e', 1)`;
  const exponent = `IF(LOCATE('e', ${t}) > 0, CAST(SUBSTRING_INDEX(${t}, 'e', -1) AS SIGNED), 0)`;
  const raw = `REPLACE(${mantissa}, '.', '')`;
  const intDigits = `IF(LOCATE('.', ${mantissa}) > 0, LOCATE('.', ${mantissa}) - 1, LENGTH(${mantissa}))`;
  const leadingZeros = `(LENGTH(${raw}) - LENGTH(TRIM(LEADING '0' FROM ${raw})))`;
  const digits = `TRIM(TRAILING '0' FROM TRIM(LEADING '0' FROM ${raw}))`;
  // The decimal point sits after `n` digits (value = 0.digits × 10^n); k digits in all.
  const n = `(${intDigits} - ${leadingZeros} + ${exponent})`;
  const k = `LENGTH(${digits})`;
  const sign = `IF(${x} < 0, '-', '')`;
  return (
    `CASE WHEN ${x} IS NULL THEN NULL WHEN ${x} = 0 THEN '0' ` +
    `WHEN ${n} >= ${k} AND ${n} <= 21 THEN CONCAT(${sign}, ${digits}, REPEAT('0', ${n} - ${k})) ` +
    `WHEN ${n} > 0 AND ${n} <= 21 THEN CONCAT(${sign}, LEFT(${digits}, ${n}), '.', SUBSTRING(${digits}, ${n} + 1)) ` +
    `WHEN ${n} > -6 AND ${n} <= 0 THEN CONCAT(${sign}, '0.', REPEAT('0', -${n}), ${digits}) ` +
    `ELSE CONCAT(${sign}, LEFT(${digits}, 1), IF(${k} > 1, CONCAT('.', SUBSTRING(${digits}, 2)), ''), 'e', ` +
    `IF(${n} - 1 < 0, '-', '+'), ABS(${n} - 1)) END`
  );
}

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (the row checks have already proven the date real). */
const UTC_ISO = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/;

/** Seconds from 1970-01-01 to 2000-01-01, the epoch parseTimestamp counts from. */
const EPOCH_2000 = 946_684_800;

/**
 * An ISO-8601 timestamp (already checked by the row checks) as the UTC DATETIME(6) text MySQL stores:
 * `2024-01-15 12:34:56.789000`. A year beyond 9999 after the shift to UTC is left as it is, for MySQL to
 * refuse.
 */
function datetimeText(text: string): string {
  // The engine's own shape (UTC, `Z`, up to 6 fraction digits) needs no arithmetic: most values take this path.
  const utc = UTC_ISO.exec(text);
  if (utc !== null) return `${utc[1]} ${utc[2]}.${(utc[3] ?? '').padEnd(6, '0')}`;
  const t = parseTimestamp(text);
  if (t === undefined) return text;
  const iso = new Date((t.seconds + EPOCH_2000) * 1000).toISOString();
  if (!/^\d{4}-/.test(iso)) return text;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(t.micros).padStart(6, '0')}`;
}

/** The text the bulk path sends for a value of a column of `type` (null stays null). */
export function stagedText(v: Value | undefined, type: ColumnType): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v === true ? '1' : '0';
  if (type === 'timestamp') return datetimeText(String(v));
  return typeof v === 'string' ? v : String(v);
}
