/**
 * Connection and transactions for MySQL/MariaDB (dialect role `DialectConnection`): a mysql2 pool whose
 * sessions start strict and in UTC, the namespace lock, and the namespace database created when missing.
 * Transactions (serialized per stream, replayed after a lost connection, a deadlock or a lock wait timeout,
 * mapped to DestinationError) are sql/pooled-session.ts; this file gives it mysql2's hooks.
 */
import mysql, { type PoolConnection, type ResultSetHeader } from 'mysql2/promise';
import { ConfigError, DestinationError } from '../../errors.js';
import type { RunResult, Tx } from '../sql/dialect.js';
import { PooledSession } from '../sql/pooled-session.js';
import { type ConnectionSettings, SESSION_SETUP } from './mysql-connection.js';
import { isTransientError, mapOpenError, mapWriteError } from './mysql-errors.js';
import { NamespaceLock } from './mysql-lock.js';
import { quoteIdent } from './mysql-names.js';

/** One transaction on one pooled session. */
export class MysqlTx implements Tx {
  constructor(readonly conn: PoolConnection) {}

  async run(sql: string): Promise<RunResult> {
    const [res] = await this.conn.query<ResultSetHeader>(sql);
    // INSERT … SELECT … ON DUPLICATE KEY UPDATE counts an updated row twice in affectedRows; its info
    // ("Records: 3  Duplicates: 1  Warnings: 0") counts each row written once.
    const records = /^Records: (\d+)/.exec(res.info ?? '');
    return { rowsChanged: records ? Number(records[1]) : res.affectedRows };
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const [rows] = await this.conn.query(sql);
    return rows as Record<string, unknown>[];
  }
}

/** What the server allows, read once at open (the bulk path needs it). */
export interface ServerTraits {
  /** NO PAD binary collation of utf8mb4, so 'a' and 'a ' are different keys. */
  collation: string;
  localInfile: boolean;
  maxPacketBytes: number;
}

/** BOOLEAN is TINYINT(1): read it back as a boolean, as the other destinations return it. */
const typeCast: mysql.TypeCast = (field, next) => {
  if (field.type === 'TINY' && field.length === 1) {
    const v = field.string();
    return v === null ? null : v === '1';
  }
  return next();
};

export class MysqlSession extends PooledSession<PoolConnection, MysqlTx> {
  private pool: mysql.Pool | undefined;
  private lock: NamespaceLock | undefined;
  private traitsRead: ServerTraits | undefined;
  constructor(
    private readonly settings: ConnectionSettings,
    private readonly opts: {
      poolSize: number;
      lockTimeoutMs: number;
      maxAttempts: number;
      retryDelayMs: number;
    },
  ) {
    super(opts, {
      isTransient: isTransientError,
      map: (err, what) => mapWriteError(err, what, settings.target, settings.redactor),
    });
  }

  get traits(): ServerTraits {
    if (this.traitsRead === undefined) throw new Error('MySQL destination used before open()');
    return this.traitsRead;
  }

  override async open(setup: (tx: MysqlTx) => Promise<void>): Promise<void> {
    const { target, redactor } = this.settings;
    const lock = new NamespaceLock({ ...this.settings, timeoutMs: this.opts.lockTimeoutMs });
    await lock.acquire();
    const pool = mysql.createPool({
      ...this.settings.pool,
      connectionLimit: this.opts.poolSize,
      typeCast,
    });
    // A pool without an error listener would crash the process on an idle connection's error.
    pool.on('connection', (conn) => {
      conn.on('error', () => undefined);
      conn.query(SESSION_SETUP);
    });
    this.pool = pool;
    this.lock = lock;
    try {
      const conn = await pool.getConnection();
      try {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(
          `SELECT @@local_infile AS li, @@max_allowed_packet AS mp,
             (SELECT COLLATION_NAME FROM information_schema.COLLATIONS
               WHERE COLLATION_NAME IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin') ORDER BY 1 DESC LIMIT 1) AS co,
             (SELECT count(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?) AS found`,
          [target.schema],
        );
        const r = rows[0]!;
        this.traitsRead = {
          collation: String(r.co ?? 'utf8mb4_bin'),
          localInfile: Number(r.li) === 1,
          maxPacketBytes: Number(r.mp),
        };
        // Asked first, so opening an existing namespace never sends CREATE DATABASE (a right it may not have).
        if (Number(r.found) === 0) {
          await conn.query(
            `CREATE DATABASE IF NOT EXISTS ${quoteIdent(target.schema)} CHARACTER SET utf8mb4 COLLATE ${this.traitsRead.collation}`,
          );
        }
        // Copies a widening cut short left behind (mysql-tables.ts): never the live table, safe under the lock.
        const [leftovers] = await conn.query<mysql.RowDataPacket[]>(
          `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?
              AND (TABLE_NAME LIKE '\\_tributary\\_widen\\_%' OR TABLE_NAME LIKE '\\_tributary\\_old\\_%')`,
          [target.schema],
        );
        for (const { t } of leftovers)
          await conn.query(`DROP TABLE ${quoteIdent(target.schema)}.${quoteIdent(String(t))}`);
      } finally {
        conn.release();
      }
      await this.transaction('preparing the namespace', undefined, (tx) => setup(tx));
    } catch (err) {
      await this.close();
      throw err instanceof ConfigError ? err : mapOpenError(err, target, redactor);
    }
  }

  override async close(): Promise<void> {
    await this.drain();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }

  protected override assertOpen(): void {
    if (this.pool === undefined)
      throw new DestinationError('TRB_DEST_OPEN', `${this.settings.target.description} is not open`);
  }

  protected override acquire(): Promise<PoolConnection> {
    return this.pool!.getConnection();
  }

  protected override async begin(conn: PoolConnection): Promise<void> {
    await this.lock!.verify(conn);
    await conn.query('START TRANSACTION');
  }

  protected override async exec(conn: PoolConnection, sql: string): Promise<void> {
    await conn.query(sql);
  }

  protected override release(conn: PoolConnection, broken: boolean): void {
    if (broken) conn.destroy();
    else conn.release();
  }

  protected override tx(conn: PoolConnection): MysqlTx {
    return new MysqlTx(conn);
  }
}
