/**
 * Checking a batch's rows before any SQL runs, the same way on every destination: every value must fit its
 * declared column type (or a wider type that holds it exactly), every primary key must be present, rows
 * that repeat a key collapse to the last one, and values no database can store as they are get the one
 * change that makes them storable, counted so the batch can warn. Runs outside the transaction, so a bad
 * batch costs no round trip and leaves nothing behind.
 *
 * Where the DuckDB and PostgreSQL destinations once disagreed, the behaviour chosen here:
 * - A number beyond its column's range widens the column (an integer beyond int64 to double, or to text
 *   when it arrived as exact text; number text beyond the double range to text), never refused.
 * - Unpaired UTF-16 surrogates become U+FFFD, and the batch warns (TRB_DEST_INVALID_UTF16).
 * - NUL characters are removed only where the database cannot store them (a dialect capability), and the
 *   batch warns (TRB_DEST_NUL_STRIPPED).
 * - A timestamp must be ISO-8601 of a real date (what every destination parses the same way).
 */
import { DestinationError } from '../../errors.js';
import {
  type ColumnType,
  type DestinationWarning,
  type Row,
  type TableSpec,
  type Value,
  widenType,
} from '../destination.js';
import type { PreparedRows } from './dialect.js';
import { parseTimestamp } from './timestamps.js';

/** `String.prototype.isWellFormed` (ES2024, in Node 20) and `toWellFormed`, which our TS lib level lacks. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const INT64_LIMIT = 2 ** 63;
const MAX_BIGINT = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_DOUBLE_TEXT = new Set(['NaN', 'Infinity', '-Infinity', '+Infinity']);

/**
 * Whether rows would "have" this field through Object.prototype (`constructor`, `toString`, `__proto__`…).
 * Such columns are read with `ownValue`, so a row without the field really reads as missing.
 */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

export function ownValue(row: Readonly<Record<string, Value>>, name: string): Value | undefined {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}

/** Decimal integer text that a 64-bit integer holds exactly. */
export function isInt64Text(s: string): boolean {
  if (!INTEGER_TEXT.test(s)) return false;
  const digits = s.length - (s[0] === '+' || s[0] === '-' ? 1 : 0);
  if (digits < 19) return true;
  const n = BigInt(s);
  return n <= MAX_BIGINT && n >= -MAX_BIGINT - 1n;
}

/** Number text a double holds: neither overflowing to infinity nor underflowing to zero. */
function isDoubleText(s: string): boolean {
  if (SPECIAL_DOUBLE_TEXT.has(s)) return true;
  if (!DECIMAL_TEXT.test(s)) return false;
  const n = Number(s);
  if (!Number.isFinite(n)) return false;
  return n !== 0 || !/[1-9]/.test(s.split(/[eE]/)[0]!);
}

/**
 * The type a column of `type` must become to hold `value` exactly: `type` itself when it fits, a wider
 * type for a number beyond the range, or a string saying why the value is of the wrong kind.
 */
function fitType(value: Value, type: ColumnType): ColumnType | string {
  const kind = typeof value;
  if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') {
    return `is a ${Array.isArray(value) ? 'array' : kind}, not a string, number, boolean or null (serialize it as JSON text)`;
  }
  switch (type) {
    case 'varchar':
      return type;
    case 'bigint':
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) return 'is not a 64-bit integer';
        return value >= -INT64_LIMIT && value < INT64_LIMIT ? type : 'double';
      }
      if (typeof value === 'string' && INTEGER_TEXT.test(value)) return isInt64Text(value) ? type : 'varchar';
      return 'is not a 64-bit integer';
    case 'double':
      if (typeof value === 'number') return type;
      if (typeof value === 'string' && isDoubleText(value)) return type;
      if (typeof value === 'string' && DECIMAL_TEXT.test(value)) return 'varchar';
      return 'is not a number';
    case 'decimal':
      // Exact number text (stored as it is) or a JS number (stored as its shortest round-trip text).
      if (typeof value === 'number' || (typeof value === 'string' && DECIMAL_TEXT.test(value))) return type;
      return 'is not a number';
    case 'boolean':
      return typeof value === 'boolean' ? type : 'is not a boolean';
    case 'timestamp':
      return typeof value === 'string' && parseTimestamp(value) !== undefined
        ? type
        : 'is not an ISO-8601 timestamp (YYYY-MM-DD[THH:MM[:SS[.f]]][Z|±HH:MM]) of a real date';
  }
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' || typeof value === 'object' ? JSON.stringify(value) : String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What the checks changed in the values, for the batch's warnings. */
export interface ValueChanges {
  /** String values that held NUL characters, removed. */
  nulValues: number;
  /** String values with unpaired surrogates, replaced by U+FFFD. */
  invalidUtf16Values: number;
  /** The columns those values were in. */
  columns: Set<string>;
}

/** A checked batch, ready to stage. */
export interface CheckedRows extends PreparedRows {
  /** Per spec column: the declared type, widened where a value needs a wider one to be stored exactly. */
  types: ColumnType[];
  changes: ValueChanges;
}

export interface RowRules {
  /** Whether the database stores NUL in text (when not, NULs are removed and counted). */
  storesNul: boolean;
}

/**
 * Validate, type, normalize and dedupe a batch, in one pass over each row's own fields. Row objects are
 * only copied when a value changes.
 */
export function checkRows(spec: TableSpec, rows: readonly Row[], rules: RowRules): CheckedRows {
  const stream = spec.stream;
  const columns = spec.columns;
  const width = columns.length;
  const types = columns.map((c) => c.type);
  const index = new Map<string, number>();
  for (let c = 0; c < width; c++) index.set(columns[c]!.name, c);
  const keyIndexes = spec.primaryKey.map((k) => index.get(k)!);
  const single = keyIndexes.length === 1 ? keyIndexes[0]! : -1;
  const lastIndex = new Map<string, number>();
  const values: (Value | undefined)[] = new Array(rows.length * width);
  const changes: ValueChanges = { nulValues: 0, invalidUtf16Values: 0, columns: new Set() };
  const stripNul = !rules.storesNul;
  let out: Row[] | undefined;

  for (let i = 0; i < rows.length; i++) {
    let row = rows[i]!;
    let copied = false;
    const base = i * width;
    // Only the row's own fields: a column named like an Object.prototype member ("constructor") that the
    // row lacks reads as missing, and a field the spec does not declare is refused.
    for (const key in row) {
      const c = index.get(key);
      if (c === undefined) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `stream "${stream}": row ${i} has field "${key}", which the table spec does not declare`,
          { details: { stream, row: i, field: key } },
        );
      }
      let value = row[key];
      if (value === undefined || value === null) {
        values[base + c] = value;
        continue;
      }
      const type = types[c]!;
      if (typeof value === 'string') {
        let changed = value;
        if (stripNul && changed.indexOf('\0') !== -1) {
          changed = changed.replaceAll('\0', '');
          changes.nulValues++;
          changes.columns.add(key);
        }
        if (!(changed as unknown as WellFormed).isWellFormed()) {
          changed = (changed as unknown as WellFormed).toWellFormed();
          changes.invalidUtf16Values++;
          changes.columns.add(key);
        }
        if (changed !== value) {
          value = changed;
          if (!copied) {
            row = { ...row };
            copied = true;
          }
          row[key] = value;
        }
      }
      // Fast path for the common fits: a string in a text column, a finite number in a double column.
      if (
        !(typeof value === 'string' ? type === 'varchar' : type === 'double' && typeof value === 'number')
      ) {
        const fitted = fitType(value, type);
        if (fitted !== type) {
          const wider = fitted as ColumnType;
          if (!(fitted in TYPE_NAMES)) {
            throw new DestinationError(
              'TRB_DEST_WRITE',
              `stream "${stream}": row ${i} column "${key}": value ${preview(value)} ${fitted} (column type ${type})`,
              { details: { stream, row: i, column: key, type } },
            );
          }
          types[c] = widenType(type, wider);
        }
        if (typeof value === 'number' && !Number.isFinite(value)) {
          // JSON has no NaN or Infinity: every staging path carries them as their JS text.
          value = String(value);
          if (!copied) {
            row = { ...row };
            copied = true;
          }
          row[key] = value;
        }
      }
      values[base + c] = value;
    }
    if (copied) out ??= rows.slice(0, i);
    if (out !== undefined) out.push(row);

    if (keyIndexes.length > 0) {
      let key: string;
      if (single >= 0) {
        const v = values[base + single];
        if (v === null || v === undefined) throw nullKey(stream, i, columns[single]!.name);
        key = typeof v === 'string' ? v : String(v);
      } else {
        const parts: string[] = [];
        for (const k of keyIndexes) {
          const v = values[base + k];
          if (v === null || v === undefined) throw nullKey(stream, i, columns[k]!.name);
          parts.push(String(v));
        }
        key = JSON.stringify(parts);
      }
      lastIndex.set(key, i);
    }
  }

  const staged = out ?? (rows as Row[]);
  if (keyIndexes.length === 0 || lastIndex.size === staged.length)
    return { rows: staged, values, width, types, changes };
  const keep = new Uint8Array(staged.length);
  for (const i of lastIndex.values()) keep[i] = 1;
  const kept: Row[] = [];
  const keptValues: (Value | undefined)[] = new Array(lastIndex.size * width);
  for (let i = 0; i < staged.length; i++) {
    if (keep[i] !== 1) continue;
    const to = kept.length * width;
    for (let c = 0; c < width; c++) keptValues[to + c] = values[i * width + c];
    kept.push(staged[i]!);
  }
  return { rows: kept, values: keptValues, width, types, changes };
}

const TYPE_NAMES: Record<ColumnType, true> = {
  boolean: true,
  bigint: true,
  double: true,
  decimal: true,
  timestamp: true,
  varchar: true,
};

function nullKey(stream: string, row: number, column: string): DestinationError {
  return new DestinationError(
    'TRB_DEST_WRITE',
    `stream "${stream}": row ${row} has no value for primary key column "${column}"`,
    { details: { stream, row, column } },
  );
}

/** The warnings a batch's value changes call for (none when nothing changed). */
export function valueWarnings(
  stream: string,
  changes: ValueChanges,
  destination: string,
  product: string,
): DestinationWarning[] {
  const warnings: DestinationWarning[] = [];
  const columns = [...changes.columns];
  if (changes.nulValues > 0) {
    warnings.push({
      code: 'TRB_DEST_NUL_STRIPPED',
      stream,
      message:
        `stream "${stream}": removed NUL characters (U+0000) from ${changes.nulValues} value(s) in column(s) ` +
        `${columns.join(', ')}; ${product} text cannot store them`,
      details: { values: changes.nulValues, columns, destination },
    });
  }
  if (changes.invalidUtf16Values > 0) {
    warnings.push({
      code: 'TRB_DEST_INVALID_UTF16',
      stream,
      message:
        `stream "${stream}": replaced unpaired UTF-16 surrogates with U+FFFD in ${changes.invalidUtf16Values} ` +
        `value(s) in column(s) ${columns.join(', ')}; they have no UTF-8 form`,
      details: { values: changes.invalidUtf16Values, columns, destination },
    });
  }
  return warnings;
}
