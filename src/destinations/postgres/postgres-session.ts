/**
 * PostgreSQL's connection role (sql/dialect.ts): a schema advisory lock held on its own session from open
 * to close, a pool of write connections (streams write concurrently, each stream's work in order), and
 * transactions that a dropped connection or a deadlock replays on a fresh connection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ConfigError, DestinationError } from '../../errors.js';
import type { DialectConnection, Tx } from '../sql/dialect.js';
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

export class PostgresSession implements DialectConnection<PgTx> {
  private lock: SchemaLock | undefined;
  private pool: pg.Pool | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';
  /** Per-stream queue: writes, sweeps and swaps of one stream never overlap. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly description: string,
    private readonly settings: ConnectionSettings | undefined,
    private readonly setupError: DestinationError | undefined,
    private readonly schema: string,
    private readonly opts: SessionOptions,
  ) {}

  /** Backend pid of the lock session, for tests that simulate a lost connection. */
  get lockPid(): number | undefined {
    return this.lock?.pid;
  }

  async open(setup: (tx: PgTx) => Promise<void>): Promise<void> {
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

  transaction<T>(
    what: string,
    stream: string | undefined,
    fn: (tx: PgTx, attempt: number) => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    return stream === undefined
      ? this.attempts(what, fn)
      : this.serialize(stream, () => this.attempts(what, fn));
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    // Let queued work settle (it fails fast once the pool is gone), then let go of the lock.
    await Promise.allSettled([...this.queues.values()]);
    const pool = this.pool;
    const lock = this.lock;
    this.pool = undefined;
    this.lock = undefined;
    await pool?.end().catch(() => undefined);
    await lock?.release();
  }

  /**
   * Run `fn` in one transaction on a pooled connection. A transient failure (lost connection, deadlock)
   * rolls back everything `fn` did, so the whole transaction is replayed on a fresh connection.
   */
  private async attempts<T>(what: string, fn: (tx: PgTx, attempt: number) => Promise<T>): Promise<T> {
    const { target, redactor } = this.settings!;
    for (let attempt = 1; ; attempt++) {
      this.assertOpen();
      let client: pg.PoolClient | undefined;
      try {
        await this.lock!.ensureHeld();
        client = await this.pool!.connect();
        await client.query('BEGIN');
        await this.lock!.verify(client);
        const result = await fn(pgTx(client), attempt);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        if (client !== undefined) {
          await client.query('ROLLBACK').catch(() => undefined);
          // Never reuse a session whose transaction failed mid-way (it may be mid-COPY or dead).
          client.release(true);
        }
        if (err instanceof ConfigError) throw err;
        if (!(err instanceof DestinationError) && isTransientError(err) && attempt < this.opts.maxAttempts) {
          await sleep(this.opts.retryDelayMs * 2 ** (attempt - 1));
          continue;
        }
        const mapped = mapWriteError(err, what, target, redactor);
        if (attempt > 1 && mapped.code === 'TRB_DEST_CONNECTION') {
          throw new DestinationError(
            'TRB_DEST_CONNECTION',
            `${mapped.message} (gave up after ${attempt} attempts)`,
            {
              details: { ...mapped.details, attempts: attempt },
              retryable: true,
            },
          );
        }
        throw mapped;
      }
    }
  }

  /** Chain `fn` after earlier work on the same stream. */
  private serialize<T>(stream: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(stream) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queues.set(stream, settled);
    void settled.then(() => {
      if (this.queues.get(stream) === settled) this.queues.delete(stream);
    });
    return next;
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new DestinationError(
        'TRB_DEST_CONNECTION',
        `${this.description} is ${this.state === 'new' ? 'not open yet (call open() first)' : 'closed'}`,
      );
    }
  }
}
