/**
 * PostgreSQL's connection role (sql/dialect.ts): a schema advisory lock held on its own session from open
 * to close, and a pg pool of write connections. The per-stream queue and the replay of transactions that a
 * dropped connection or a deadlock cut short are sql/pooled-session.ts; this file gives it pg's hooks.
 */
import pg from 'pg';
import { ConfigError, DestinationError } from '../../errors.js';
import type { Tx } from '../sql/dialect.js';
import { PooledSession } from '../sql/pooled-session.js';
import type { ConnectionSettings } from './postgres-connection.js';
import { isTransientError, mapOpenError, mapWriteError } from './postgres-errors.js';
import { SchemaLock } from './postgres-lock.js';
import { quoteIdent } from './postgres-sql.js';

/** A transaction on one pooled connection. */
export interface PgTx extends Tx {
  readonly client: pg.PoolClient;
}

export interface SessionOptions {
  /** How long open() waits for another sync of the same schema. */
  lockTimeoutMs: number;
  /** Attempts per transaction when the connection drops (or a deadlock hits). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  retryDelayMs: number;
  /** Write connections. */
  poolSize: number;
}

function pgTx(client: pg.PoolClient): PgTx {
  return {
    client,
    async run(sql) {
      return { rowsChanged: (await client.query(sql)).rowCount ?? 0 };
    },
    async query(sql) {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    },
  };
}

export class PostgresSession extends PooledSession<pg.PoolClient, PgTx> {
  private lock: SchemaLock | undefined;
  private pool: pg.Pool | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(
    private readonly description: string,
    private readonly settings: ConnectionSettings | undefined,
    private readonly setupError: DestinationError | undefined,
    private readonly schema: string,
    private readonly opts: SessionOptions,
  ) {
    super(opts, {
      isTransient: isTransientError,
      map: (err, what) => mapWriteError(err, what, settings!.target, settings!.redactor),
    });
  }

  /** Backend pid of the lock session, for tests that simulate a lost connection. */
  get lockPid(): number | undefined {
    return this.lock?.pid;
  }

  override async open(setup: (tx: PgTx) => Promise<void>): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') {
      throw new DestinationError('TRB_DEST_OPEN', `${this.description} was closed; create a new destination`);
    }
    if (this.setupError !== undefined || this.settings === undefined) throw this.setupError;
    const { client, target, redactor } = this.settings;
    const lock = new SchemaLock({ client, target, redactor, timeoutMs: this.opts.lockTimeoutMs });
    await lock.acquire();
    const pool = new pg.Pool({ ...client, max: Math.max(1, this.opts.poolSize) });
    // Errors on idle or checked-out connections are handled where the next query fails;
    // without listeners they would crash the process.
    pool.on('error', () => undefined);
    pool.on('connect', (c) => c.on('error', () => undefined));
    this.lock = lock;
    this.pool = pool;
    try {
      const session = await pool.connect();
      try {
        await session.query('BEGIN');
        // Existence is checked first: `CREATE SCHEMA IF NOT EXISTS` demands CREATE privilege even when it exists.
        const exists = await session.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (exists.rowCount === 0) await session.query(`CREATE SCHEMA ${quoteIdent(this.schema)}`);
        // Under the schema's lock, so two connections cannot both claim the namespace.
        await setup(pgTx(session));
        await session.query('COMMIT');
        session.release();
      } catch (err) {
        await session.query('ROLLBACK').catch(() => undefined);
        session.release(true);
        throw err;
      }
    } catch (err) {
      this.lock = undefined;
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      await lock.release();
      // A namespace owned by another connection is a config error (namespace-owner.ts), not a failed open.
      throw err instanceof ConfigError ? err : mapOpenError(err, target, redactor);
    }
    this.state = 'open';
  }

  override async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Let queued work settle (it fails fast once the pool is gone), then let go of the lock.
    await this.drain();
    const pool = this.pool;
    const lock = this.lock;
    this.pool = undefined;
    this.lock = undefined;
    await pool?.end().catch(() => undefined);
    await lock?.release();
  }

  protected override assertOpen(): void {
    if (this.state !== 'open') {
      throw new DestinationError(
        'TRB_DEST_CONNECTION',
        `${this.description} is ${this.state === 'new' ? 'not open yet (call open() first)' : 'closed'}`,
      );
    }
  }

  protected override async acquire(): Promise<pg.PoolClient> {
    await this.lock!.ensureHeld();
    return this.pool!.connect();
  }

  protected override async begin(client: pg.PoolClient): Promise<void> {
    await client.query('BEGIN');
    await this.lock!.verify(client);
  }

  protected override async exec(client: pg.PoolClient, sql: string): Promise<void> {
    await client.query(sql);
  }

  protected override release(client: pg.PoolClient, broken: boolean): void {
    client.release(broken);
  }

  protected override tx(client: pg.PoolClient): PgTx {
    return pgTx(client);
  }
}
