/**
 * The bulk path: rows into a session's TEMPORARY staging table (CREATE TEMPORARY TABLE does not commit
 * implicitly, so staging stays inside the batch transaction), from which one INSERT … SELECT … ON DUPLICATE
 * KEY UPDATE writes the stream table. Every staging column is LONGTEXT holding the value's text: the
 * conversion to the column's type happens in that INSERT, under the session's strict sql_mode, so a value
 * that does not fit is an error, never a warning (LOAD DATA LOCAL would turn conversion errors into
 * warnings).
 *
 * Two ways in, measured by bench/mysql-bulk.ts (figures in docs/destinations/mysql.md):
 * - `load-data`: LOAD DATA LOCAL INFILE fed from a stream of tab-separated lines (mysql2's
 *   infileStreamFactory; the server must allow `local_infile`). The default.
 * - `insert`: multi-row INSERT statements, each below the server's max_allowed_packet. The fallback when
 *   the server refuses LOCAL INFILE.
 */
import { Readable } from 'node:stream';
import mysql, { type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { DestinationError } from '../../errors.js';

export type BulkMethod = 'load-data' | 'insert';

export interface StageOptions {
  method: BulkMethod;
  /** The server's max_allowed_packet in bytes: an INSERT statement stays below it. */
  maxPacketBytes: number;
}

/** The staging column of the i-th value (positional: stream column names need no quoting here). */
export function stageColumn(i: number): string {
  return `c${i}`;
}

/** DDL for a fresh staging table of `width` text columns (dropping one a previous batch left behind). */
export function stageTableSql(stage: string, width: number): string[] {
  const cols = Array.from({ length: Math.max(1, width) }, (_, i) => `${stageColumn(i)} LONGTEXT`);
  return [
    `DROP TEMPORARY TABLE IF EXISTS ${stage}`,
    `CREATE TEMPORARY TABLE ${stage} (${cols.join(', ')}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  ];
}

/** Load `rows` (each a list of `width` texts or nulls) into the staging table. Returns the rows loaded. */
export async function stageRows(
  conn: PoolConnection,
  stage: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
  opts: StageOptions,
): Promise<number> {
  if (rows.length === 0) return 0;
  if (opts.method === 'load-data') return loadData(conn, stage, width, rows);
  return insertRows(conn, stage, width, rows, opts.maxPacketBytes);
}

/** LOAD DATA's escapes (ESCAPED BY '\\'): the field and line separators, backslash, NUL; `\N` is NULL. */
function escapeField(v: string | null): string {
  if (v === null) return '\\N';
  // Fast path: most values need no escaping.
  if (!/[\\\t\n\r\0]/.test(v)) return v;
  return v.replace(/[\\\t\n\r\0]/g, (ch) =>
    ch === '\\' ? '\\\\' : ch === '\t' ? '\\t' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\0',
  );
}

/** The rows as tab-separated lines, in chunks of about 256 KB, produced as the server reads them. */
function* lines(rows: ReadonlyArray<ReadonlyArray<string | null>>, width: number): Generator<Buffer> {
  let chunk: string[] = [];
  let size = 0;
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < width; i++) line += (i === 0 ? '' : '\t') + escapeField(row[i] ?? null);
    chunk.push(line);
    size += line.length + 1;
    if (size >= 256 * 1024) {
      yield Buffer.from(`${chunk.join('\n')}\n`, 'utf8');
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield Buffer.from(`${chunk.join('\n')}\n`, 'utf8');
}

async function loadData(
  conn: PoolConnection,
  stage: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
): Promise<number> {
  const cols = Array.from({ length: width }, (_, i) => stageColumn(i)).join(', ');
  const [res] = await conn.query<ResultSetHeader>({
    sql:
      `LOAD DATA LOCAL INFILE 'tributary-batch' INTO TABLE ${stage} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${cols})`,
    infileStreamFactory: () => Readable.from(lines(rows, width)),
  });
  if (res.affectedRows !== rows.length || res.warningStatus > 0) {
    // Text into LONGTEXT cannot warn; a warning means lines and rows disagree. Never stage a guess.
    throw new DestinationError(
      'TRB_DEST_WRITE',
      `LOAD DATA staged ${res.affectedRows} of ${rows.length} rows with ${res.warningStatus} warning(s)`,
    );
  }
  return res.affectedRows;
}

async function insertRows(
  conn: PoolConnection,
  stage: string,
  width: number,
  rows: ReadonlyArray<ReadonlyArray<string | null>>,
  maxPacketBytes: number,
): Promise<number> {
  const cols = Array.from({ length: width }, (_, i) => stageColumn(i)).join(', ');
  const head = `INSERT INTO ${stage} (${cols}) VALUES `;
  // Bytes, not characters, count against the packet; leave room for the header and the protocol.
  const limit = Math.max(64 * 1024, Math.min(maxPacketBytes - 1024, 16 * 1024 * 1024));
  let parts: string[] = [];
  let bytes = head.length;
  let loaded = 0;
  const flush = async () => {
    if (parts.length === 0) return;
    const [res] = await conn.query<ResultSetHeader>(head + parts.join(','));
    loaded += res.affectedRows;
    parts = [];
    bytes = head.length;
  };
  for (const row of rows) {
    let tuple = '(';
    for (let i = 0; i < width; i++) tuple += (i === 0 ? '' : ',') + mysql.escape(row[i] ?? null);
    tuple += ')';
    const size = Buffer.byteLength(tuple, 'utf8') + 1;
    if (head.length + size > limit) {
      throw new DestinationError(
        'TRB_DEST_WRITE',
        `a row of ${size} bytes does not fit in the server's max_allowed_packet (${maxPacketBytes} bytes); raise it`,
      );
    }
    if (bytes + size > limit) await flush();
    parts.push(tuple);
    bytes += size;
  }
  await flush();
  return loaded;
}
