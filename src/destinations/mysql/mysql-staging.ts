/**
 * The bulk path: rows into a session's TEMPORARY staging table (CREATE TEMPORARY TABLE does not commit
 * implicitly, so staging stays inside the batch transaction), typed like the target's columns, from which
 * the upsert (mysql-sql.ts) writes the stream table. LOAD DATA LOCAL turns a value that does not convert
 * into a warning rather than an error, so a load with any warning is refused whole; the row checks
 * (sql/rows.ts) have refused values of the wrong kind before.
 *
 * Two ways in, measured by bench/mysql-bulk.ts (figures in docs/destinations/mysql.md):
 * - `load-data`: LOAD DATA LOCAL INFILE fed from a stream of tab-separated lines (mysql2's
 *   infileStreamFactory; the server must allow `local_infile`). The default.
 * - `insert`: multi-row INSERT statements, each below the server's max_allowed_packet. The fallback when
 *   the server refuses LOCAL INFILE.
 */
import { type Duplex, Readable } from 'node:stream';
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import { DestinationError } from '../../errors.js';
import type { DialectStaging, PreparedRows, StagedColumn } from '../sql/dialect.js';
import { quoteIdent } from './mysql-names.js';
import type { MysqlTx } from './mysql-session.js';
import { columnDefinition, stagedText } from './mysql-types.js';

export type BulkMethod = 'load-data' | 'insert';

/** The staging table's name; the reserved prefix keeps it from shadowing a stream table. */
const STAGE = '_tributary_stage';

export class MysqlStaging implements DialectStaging<MysqlTx> {
  constructor(
    private readonly qualify: (table: string) => string,
    /** How rows go in (load-data falls back to insert when the server refuses LOCAL INFILE). */
    private readonly method: () => BulkMethod,
    private readonly maxPacketBytes: () => number,
    private readonly tableOptions: () => string,
  ) {}

  async stage(tx: MysqlTx, columns: readonly StagedColumn[], rows: PreparedRows): Promise<string> {
    const stage = this.qualify(STAGE);
    // A TEMPORARY table: its DDL does not commit the batch transaction, and it dies with the session.
    await tx.run(`DROP TEMPORARY TABLE IF EXISTS ${stage}`);
    const defs = columns.map((c) => `${quoteIdent(c.name)} ${columnDefinition(c.type, undefined)}`);
    await tx.run(`CREATE TEMPORARY TABLE ${stage} (${defs.join(', ')}) ${this.tableOptions()}`);
    const width = rows.width;
    const count = rows.rows.length;
    const texts: (string | null)[] = new Array(count * width);
    for (let i = 0; i < count; i++)
      for (let c = 0; c < width; c++)
        texts[i * width + c] = stagedText(rows.values[i * width + c], columns[c]!.type);
    const batch: Batch = {
      stage,
      names: columns.map((c) => quoteIdent(c.name)).join(', '),
      width,
      count,
      texts,
    };
    if (this.method() === 'load-data') await loadData(tx, batch);
    else await insertRows(tx, batch, this.maxPacketBytes());
    return stage;
  }

  async clear(tx: MysqlTx): Promise<void> {
    await tx.run(`DROP TEMPORARY TABLE IF EXISTS ${this.qualify(STAGE)}`);
  }
}

/** A batch as text, row-major: `texts[i * width + c]` is row i's value of column c (null is NULL). */
interface Batch {
  /** The staging table, qualified. */
  stage: string;
  /** Its columns, quoted, comma-separated. */
  names: string;
  width: number;
  count: number;
  texts: readonly (string | null)[];
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
function* lines({ texts, width, count }: Batch): Generator<Buffer> {
  let chunk = '';
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < width; c++)
      chunk += (c === 0 ? '' : '\t') + escapeField(texts[i * width + c] ?? null);
    chunk += '\n';
    if (chunk.length >= 256 * 1024) {
      yield Buffer.from(chunk, 'utf8');
      chunk = '';
    }
  }
  if (chunk.length > 0) yield Buffer.from(chunk, 'utf8');
}

async function loadData(tx: MysqlTx, batch: Batch): Promise<void> {
  const { stage, names, count } = batch;
  // mysql2 leaves a LOAD DATA hanging when the server hangs up while the upload waits for 'drain' (a killed
  // session, a restart): nothing is written any more, so no write fails. Ending the socket fails the query
  // with PROTOCOL_CONNECTION_LOST, and the transaction is replayed on a fresh session.
  const socket = (tx.conn as unknown as { connection: { stream: Duplex } }).connection.stream;
  const hangUp = () => socket.destroy();
  socket.once('end', hangUp);
  let res: ResultSetHeader;
  try {
    [res] = await tx.conn.query<ResultSetHeader>({
      sql:
        `LOAD DATA LOCAL INFILE 'tributary-batch' INTO TABLE ${stage} CHARACTER SET utf8mb4 ` +
        `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${names})`,
      infileStreamFactory: () => Readable.from(lines(batch)),
    });
  } finally {
    socket.removeListener('end', hangUp);
  }
  if (res.affectedRows !== count || res.warningStatus > 0) {
    // LOAD DATA LOCAL turns conversion errors into warnings; a batch with any is refused, never half-read.
    const [warnings] = await tx.conn.query('SHOW WARNINGS LIMIT 3');
    const said = (warnings as { Message?: string }[]).map((w) => w.Message).join('; ');
    throw new DestinationError(
      'TRB_DEST_WRITE',
      `MySQL read ${res.affectedRows} of ${count} staged rows with ${res.warningStatus} warning(s): ${said}`,
    );
  }
}

async function insertRows(tx: MysqlTx, batch: Batch, maxPacketBytes: number): Promise<void> {
  const { stage, names, width, count, texts } = batch;
  const head = `INSERT INTO ${stage} (${names}) VALUES `;
  // Bytes, not characters, count against the packet; leave room for the protocol.
  const limit = Math.max(64 * 1024, Math.min(maxPacketBytes - 1024, 16 * 1024 * 1024));
  let parts: string[] = [];
  let bytes = head.length;
  for (let i = 0; i <= count; i++) {
    let tuple = '';
    let size = 0;
    if (i < count) {
      tuple = '(';
      for (let c = 0; c < width; c++) tuple += (c === 0 ? '' : ',') + mysql.escape(texts[i * width + c]);
      tuple += ')';
      size = Buffer.byteLength(tuple, 'utf8') + 1;
      if (head.length + size > limit) {
        throw new DestinationError(
          'TRB_DEST_WRITE',
          `a row of ${size} bytes does not fit in the server's max_allowed_packet (${maxPacketBytes} bytes); raise it`,
        );
      }
    }
    if (parts.length > 0 && (i === count || bytes + size > limit)) {
      await tx.run(head + parts.join(','));
      parts = [];
      bytes = head.length;
    }
    if (i < count) {
      parts.push(tuple);
      bytes += size;
    }
  }
}
