/**
 * The namespace lock: `GET_LOCK` held on a dedicated connection from open() to close(), so two syncs of the
 * same namespace never interleave their writes (the PostgreSQL destination's advisory lock, in MySQL).
 * A named lock belongs to its session: if that session dies, the lock goes with it, so every transaction
 * checks that the lock session still holds it (`verify`).
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { DestinationError } from '../../errors.js';
import type { Redactor } from '../../util/redact.js';
import { namespaceLockedError, type Target } from '../sql/driver-errors.js';
import { SESSION_SETUP } from './mysql-connection.js';
import { mapOpenError } from './mysql-errors.js';

/** A lock name for a namespace: at most 64 characters (MySQL's limit), the same in every process. */
export function lockName(schema: string): string {
  return `tributary:${createHash('sha256').update(schema, 'utf8').digest('hex').slice(0, 40)}`;
}

export class NamespaceLock {
  private conn: mysql.Connection | undefined;
  private connectionId: number | undefined;
  private readonly name: string;

  constructor(
    private readonly opts: {
      pool: mysql.ConnectionOptions;
      target: Target;
      redactor: Redactor;
      /** How long open() waits for another sync to finish before failing with TRB_DEST_LOCKED. */
      timeoutMs: number;
    },
  ) {
    this.name = lockName(opts.target.schema);
  }

  /** Connect and take the lock, waiting up to the timeout. Throws TRB_DEST_OPEN, _UNREACHABLE or _LOCKED. */
  async acquire(): Promise<void> {
    // Fractional seconds: MariaDB honours them; MySQL rounds.
    await this.take(Math.max(0, this.opts.timeoutMs / 1000), false);
  }

  /**
   * Inside a write transaction (on another session): check that the lock session still holds the lock, and
   * take it again if it died; if another sync took it meanwhile, stop with TRB_DEST_LOCKED.
   */
  async verify(conn: mysql.PoolConnection): Promise<void> {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS holder', [this.name]);
    const holder = rows[0]?.holder;
    if (holder !== null && holder !== undefined && Number(holder) === this.connectionId) return;
    await this.drop();
    await this.take(0, true);
  }

  async release(): Promise<void> {
    const conn = this.conn;
    if (conn === undefined) return;
    await conn.query('SELECT RELEASE_LOCK(?)', [this.name]).catch(() => undefined);
    await this.drop();
  }

  private async drop(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.connectionId = undefined;
    await conn?.end().catch(() => conn.destroy());
  }

  private async take(waitSeconds: number, reacquiring: boolean): Promise<void> {
    const { target, redactor } = this.opts;
    let conn: mysql.Connection;
    try {
      conn = await mysql.createConnection(this.opts.pool);
      // An error on the idle lock session must not crash the process; verify() notices the loss.
      conn.on('error', () => undefined);
      await conn.query(SESSION_SETUP);
    } catch (err) {
      throw reacquiring ? err : mapOpenError(err, target, redactor);
    }
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        'SELECT GET_LOCK(?, ?) AS got, CONNECTION_ID() AS id',
        [this.name, waitSeconds],
      );
      if (Number(rows[0]?.got) !== 1) throw await this.lockedError(conn, reacquiring);
      this.conn = conn;
      this.connectionId = Number(rows[0]?.id);
    } catch (err) {
      await conn.end().catch(() => conn.destroy());
      throw err instanceof DestinationError || reacquiring ? err : mapOpenError(err, target, redactor);
    }
  }

  private async lockedError(conn: mysql.Connection, reacquiring: boolean): Promise<DestinationError> {
    const { target, timeoutMs, redactor } = this.opts;
    let holder = '';
    try {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT p.ID AS id, p.USER AS user, p.HOST AS host FROM information_schema.PROCESSLIST p
          WHERE p.ID = IS_USED_LOCK(?)`,
        [this.name],
      );
      const h = rows[0];
      if (h !== undefined) holder = ` (held by connection ${h.id}, user "${h.user}" from ${h.host})`;
    } catch {
      // The holder is a nicety; the error stands without it.
    }
    return namespaceLockedError(target, {
      noun: 'namespace',
      holder,
      reacquiring,
      timeoutMs,
      redact: (t) => redactor.redact(t),
    });
  }
}
