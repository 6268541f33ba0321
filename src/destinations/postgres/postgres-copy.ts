/**
 * The COPY bulk path: encode a batch's rows in PostgreSQL's text or binary COPY format, in bounded
 * chunks, and stream them into a staging table with pg-copy-streams. Memory stays at a few chunks no
 * matter how large the batch is (the rows themselves are the engine's, already in memory). Values arrive
 * storable: the row checks (sql/rows.ts) already removed NULs and replaced unpaired surrogates, and warned.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ColumnType, Row, Value } from '../destination.js';
import { quoteIdent } from './postgres-sql.js';
import { isInheritedName, ownValue } from '../sql/rows.js';
import { parseTimestamp } from '../sql/timestamps.js';

/** `text` is PostgreSQL's tab-separated COPY format; `binary` sends values in their wire representation. */
export type CopyFormat = 'text' | 'binary';

/** A staged column: its PostgreSQL name, the row key it reads, and the type it is stored as. */
export interface CopyColumn {
  name: string;
  source: string;
  type: ColumnType;
}

/** Name of the staging column that carries each row's position in the batch (later rows win). */
export const ORDINAL_COLUMN = '_tributary_ord';

/** Target size of one chunk handed to the socket. */
const CHUNK_BYTES = 256 * 1024;

/** The text a non-null value is stored as in a text column. */
function asText(v: Exclude<Value, null>): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // Not a Value by the contract, but never store "[object Object]".
  return JSON.stringify(v);
}

/**
 * Exact decimal digits of an integer-valued number. Beyond 2^53 `String` prints the shortest
 * round-trip form padded with zeros (2^62 → "4611686018427388000"), which is a different bigint.
 */
function integerText(v: number): string {
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

const TEXT_SPECIAL = /[\\\n\r\t]/;
const TEXT_SPECIAL_ALL = /[\\\n\r\t]/g;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_ALL, (ch) => TEXT_ESCAPES[ch] ?? ch) : s;
}

/** Encode rows in COPY text format: ordinal, then each column, tab-separated, `\N` for NULL. */
export function* encodeText(columns: readonly CopyColumn[], rows: readonly Row[]): Generator<Buffer> {
  let chunk = '';
  const inherited = columns.map((c) => isInheritedName(c.source));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let line = String(i);
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const v = inherited[c] ? ownValue(row, col.source) : row[col.source];
      if (v === null || v === undefined) {
        line += '\t\\N';
      } else if (col.type === 'boolean') {
        line += v ? '\tt' : '\tf';
      } else if (col.type === 'varchar') {
        line += `\t${escapeText(asText(v))}`;
      } else if (col.type === 'bigint') {
        // Checked to fit: an integer number, or integer text PostgreSQL reads as it is.
        line += `\t${typeof v === 'number' ? integerText(v) : v}`;
      } else if (col.type === 'double') {
        line += `\t${String(typeof v === 'number' ? v : Number(v))}`;
      } else if (col.type === 'decimal') {
        // Checked to be number text (exact, as the API sent it) or a finite number: nothing to escape.
        line += `\t${typeof v === 'number' ? String(v) : v}`;
      } else {
        // A timestamp checked to parse: no characters that need escaping.
        line += `\t${v}`;
      }
    }
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_BYTES) {
      yield Buffer.from(chunk, 'utf8');
      chunk = '';
    }
  }
  if (chunk.length > 0) yield Buffer.from(chunk, 'utf8');
}

const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const TWO_POW_32 = 4294967296;
/** Whole seconds within which seconds × 10^6 + micros stays an exact double (about ±285 years). */
const EXACT_SECONDS = 9e9;

/** Fills fixed-size chunks and hands full ones over; a value larger than a chunk gets its own. */
class ChunkWriter {
  buf = Buffer.allocUnsafe(CHUNK_BYTES);
  off = 0;
  readonly ready: Buffer[] = [];

  ensure(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    this.flush();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
  }

  flush(): void {
    if (this.off > 0) this.ready.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.off = 0;
  }

  /** An exact integer (|v| < 2^63) as int64, without BigInt. */
  int64(v: number): void {
    const hi = Math.floor(v / TWO_POW_32);
    this.buf.writeInt32BE(hi, this.off);
    this.buf.writeUInt32BE(v - hi * TWO_POW_32, this.off + 4);
    this.off += 8;
  }
}

/** Encode rows in COPY binary format: header, then per row a field count and length-prefixed values. */
export function* encodeBinary(columns: readonly CopyColumn[], rows: readonly Row[]): Generator<Buffer> {
  const w = new ChunkWriter();
  w.ensure(BINARY_SIGNATURE.length + 8);
  BINARY_SIGNATURE.copy(w.buf, 0);
  w.buf.writeInt32BE(0, 11); // flags
  w.buf.writeInt32BE(0, 15); // header extension length
  w.off = 19;
  const fieldCount = columns.length + 1;
  const inherited = columns.map((c) => isInheritedName(c.source));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    w.ensure(2 + 12);
    w.buf.writeInt16BE(fieldCount, w.off);
    w.buf.writeInt32BE(8, w.off + 2);
    w.off += 6;
    w.int64(i);
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const v = inherited[c] ? ownValue(row, col.source) : row[col.source];
      if (v === null || v === undefined) {
        w.ensure(4);
        w.buf.writeInt32BE(-1, w.off);
        w.off += 4;
        continue;
      }
      switch (col.type) {
        case 'boolean':
          w.ensure(5);
          w.buf.writeInt32BE(1, w.off);
          w.buf[w.off + 4] = v ? 1 : 0;
          w.off += 5;
          break;
        case 'bigint':
          w.ensure(12);
          w.buf.writeInt32BE(8, w.off);
          if (typeof v === 'number') {
            w.off += 4;
            w.int64(v);
          } else {
            w.buf.writeBigInt64BE(BigInt(v as string), w.off + 4);
            w.off += 12;
          }
          break;
        case 'double':
          w.ensure(12);
          w.buf.writeInt32BE(8, w.off);
          w.buf.writeDoubleBE(typeof v === 'number' ? v : Number(v), w.off + 4);
          w.off += 12;
          break;
        case 'decimal': {
          const n = numericBinary(typeof v === 'number' ? String(v) : (v as string));
          w.ensure(4 + n.length);
          w.buf.writeInt32BE(n.length, w.off);
          n.copy(w.buf, w.off + 4);
          w.off += 4 + n.length;
          break;
        }
        case 'timestamp': {
          // Checked to parse before encoding; `!` documents that invariant.
          const ts = parseTimestamp(v as string)!;
          w.ensure(12);
          w.buf.writeInt32BE(8, w.off);
          w.off += 4;
          if (Math.abs(ts.seconds) < EXACT_SECONDS) {
            w.int64(ts.seconds * 1e6 + ts.micros);
          } else {
            w.buf.writeBigInt64BE(BigInt(ts.seconds) * 1_000_000n + BigInt(ts.micros), w.off);
            w.off += 8;
          }
          break;
        }
        default: {
          const s = asText(v);
          // UTF-8 needs at most 3 bytes per UTF-16 code unit.
          w.ensure(4 + s.length * 3);
          const n = w.buf.write(s, w.off + 4, 'utf8');
          w.buf.writeInt32BE(n, w.off);
          w.off += 4 + n;
        }
      }
    }
    if (w.ready.length > 0) yield* w.ready.splice(0);
  }
  w.ensure(2);
  w.buf.writeInt16BE(-1, w.off); // trailer
  w.off += 2;
  w.flush();
  yield* w.ready.splice(0);
}

const NUMERIC_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const NUMERIC_NEG = 0x4000;
/** PostgreSQL's limit on a numeric's display scale. */
const NUMERIC_DSCALE_MAX = 0x3fff;

/**
 * A numeric value in PostgreSQL's binary form (numeric_send): digit count, weight, sign and display scale
 * (int16 each), then base-10000 digits (int16), most significant first; value = Σ digit[i] × 10000^(weight−i).
 * Written by hand because no library at hand encodes it; the text form (`1e400`, `-12.50`) is exact, so
 * this only regroups its decimal digits.
 */
export function numericBinary(text: string): Buffer {
  const m = NUMERIC_TEXT.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal number: ${text}`);
  const negative = m[1] === '-';
  const intPart = m[2]!;
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  const dscale = Math.min(NUMERIC_DSCALE_MAX, Math.max(0, frac.length - exp));
  let digits = intPart + frac;
  // Position of the decimal point within `digits`.
  let point = intPart.length + exp;
  const lead = digits.search(/[1-9]/);
  if (lead === -1) {
    const zero = Buffer.alloc(8);
    zero.writeInt16BE(dscale, 6);
    return zero;
  }
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  // Align the point to a 4-digit group boundary, then pad the tail to whole groups.
  const padLeft = (((4 - (point % 4)) % 4) + 4) % 4;
  digits = '0'.repeat(padLeft) + digits;
  point += padLeft;
  digits += '0'.repeat((4 - (digits.length % 4)) % 4);
  const ndigits = digits.length / 4;
  const buf = Buffer.alloc(8 + ndigits * 2);
  buf.writeInt16BE(ndigits, 0);
  buf.writeInt16BE(point / 4 - 1, 2);
  buf.writeUInt16BE(negative ? NUMERIC_NEG : 0, 4);
  buf.writeInt16BE(dscale, 6);
  for (let i = 0; i < ndigits; i++) buf.writeInt16BE(Number(digits.slice(i * 4, i * 4 + 4)), 8 + i * 2);
  return buf;
}

/** Stream `rows` into `table` (already created, with the ordinal column first) with COPY. */
export async function copyRows(
  client: PoolClient,
  table: string,
  columns: readonly CopyColumn[],
  rows: readonly Row[],
  format: CopyFormat,
): Promise<void> {
  const columnList = [ORDINAL_COLUMN, ...columns.map((c) => c.name)].map(quoteIdent).join(', ');
  const sql = `COPY ${table} (${columnList}) FROM STDIN (FORMAT ${format})`;
  const encoded = format === 'binary' ? encodeBinary(columns, rows) : encodeText(columns, rows);
  const sink = client.query(copyFrom(sql));
  await pipeline(Readable.from(encoded, { objectMode: true, highWaterMark: 4 }), sink);
}
