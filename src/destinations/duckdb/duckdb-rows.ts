/**
 * Checking a batch's rows before any SQL runs: every value must fit its declared column type without a
 * silent change, every primary key must be present, and rows that repeat a key collapse to the last one.
 * Runs outside the transaction, so a bad batch costs no round trip and leaves nothing behind.
 */
import { DestinationError } from '../../errors.js';
import type { ColumnType, Row, TableSpec, Value } from '../destination.js';

const MAX_BIGINT = 2n ** 63n - 1n;
const TWO_POW_63 = 2 ** 63;
const INTEGER_TEXT = /^[+-]?\d{1,19}$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL_DOUBLE_TEXT = new Set(['NaN', 'Infinity', '-Infinity', '+Infinity']);

/** `String.prototype.isWellFormed` (ES2024, in Node 20) and `toWellFormed`, which our TS lib level lacks. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * Whether rows would "have" this field through Object.prototype (`constructor`, `toString`, `__proto__`…).
 * Such columns are read with `ownValue`, so a row without the field really reads as missing.
 */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}

export function ownValue(row: Row, name: string): Value | undefined {
  return Object.hasOwn(row, name) ? row[name] : undefined;
}

/** Why `value` does not fit a `type` column, or undefined when it does. */
function misfit(value: Value, type: ColumnType): string | undefined {
  const kind = typeof value;
  if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') {
    return `is a ${Array.isArray(value) ? 'array' : kind}, not a string, number, boolean or null (serialize it as JSON text)`;
  }
  switch (type) {
    case 'varchar':
      return undefined;
    case 'bigint':
      if (typeof value === 'number') {
        return Number.isInteger(value) && Math.abs(value) < TWO_POW_63
          ? undefined
          : 'is not a 64-bit integer';
      }
      if (typeof value === 'string') {
        if (!INTEGER_TEXT.test(value)) return 'is not a 64-bit integer';
        const n = BigInt(value);
        return n > MAX_BIGINT || n < -MAX_BIGINT - 1n ? 'is out of the 64-bit integer range' : undefined;
      }
      return 'is not a 64-bit integer';
    case 'double':
      if (typeof value === 'number') return undefined;
      if (typeof value === 'string' && (DECIMAL_TEXT.test(value) || SPECIAL_DOUBLE_TEXT.has(value)))
        return undefined;
      return 'is not a number';
    case 'decimal':
      // Exact number text (stored as it is) or a JS number (stored as its shortest round-trip text).
      if (typeof value === 'number' || (typeof value === 'string' && DECIMAL_TEXT.test(value)))
        return undefined;
      return 'is not a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not a boolean';
    case 'timestamp':
      // The text itself is parsed by DuckDB, which refuses (never guesses) a malformed timestamp.
      return typeof value === 'string' ? undefined : 'is not an ISO-8601 timestamp string';
  }
}

/**
 * A value every staging path carries unchanged: non-finite numbers become their JS text (JSON has no
 * NaN), and strings with unpaired UTF-16 surrogates get U+FFFD in their place, which is what any UTF-8
 * encoder (including Node's own) would write.
 */
function normalize(value: Value): Value {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') {
    const s = value as unknown as WellFormed;
    return s.isWellFormed() ? value : s.toWellFormed();
  }
  return value;
}

function needsNormalizing(value: Value): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value === 'string') return !(value as unknown as WellFormed).isWellFormed();
  return false;
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

/** A checked batch, ready to stage. */
export interface PreparedRows {
  /** The rows to write, in batch order, each primary key once (its last occurrence), values normalized. */
  rows: Row[];
  /**
   * The same rows' values, row-major: `values[i * width + c]` is row i's value of the spec's column c
   * (undefined when the row lacks it). Staging reads these instead of the row objects, whose many shapes
   * make property lookups by name slow.
   */
  values: (Value | undefined)[];
  /** Columns per row in `values`: the spec's column count. */
  width: number;
}

/**
 * Validate, normalize and dedupe a batch, in one pass over each row's own fields. Row objects are only
 * copied when a value needs normalizing.
 */
export function prepareRows(spec: TableSpec, rows: readonly Row[]): PreparedRows {
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
      // Fast path for the common fits (a string in a text column, a finite number in a double column);
      // anything else gets the full check.
      const type = types[c]!;
      const common =
        typeof value === 'string'
          ? (type === 'varchar' || type === 'timestamp') && (value as unknown as WellFormed).isWellFormed()
          : typeof value === 'number' && type === 'double' && Number.isFinite(value);
      if (!common) {
        const problem = misfit(value, type);
        if (problem !== undefined) {
          throw new DestinationError(
            'TRB_DEST_WRITE',
            `stream "${stream}": row ${i} column "${key}": value ${preview(value)} ${problem} (column type ${type})`,
            { details: { stream, row: i, column: key, type } },
          );
        }
        if (needsNormalizing(value)) {
          value = normalize(value);
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
  if (keyIndexes.length === 0 || lastIndex.size === staged.length) return { rows: staged, values, width };
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
  return { rows: kept, values: keptValues, width };
}

function nullKey(stream: string, row: number, column: string): DestinationError {
  return new DestinationError(
    'TRB_DEST_WRITE',
    `stream "${stream}": row ${row} has no value for primary key column "${column}"`,
    { details: { stream, row, column } },
  );
}
