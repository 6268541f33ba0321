/**
 * DuckDB's connection role (sql/dialect.ts): one file, one connection, one transaction at a time (DuckDB
 * allows one writing process per file, and tributary writes through one connection). A transaction that
 * runs out of the default memory limit is retried once without it.
 */
import { totalmem } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, DestinationError } from '../../errors.js';
import type { DialectConnection } from '../sql/dialect.js';
import { Mutex } from '../../util/mutex.js';
import { type OpenedDuckDb, openDuckDb } from './duckdb-open.js';
import { foldIdent, quoteIdent } from './duckdb-sql.js';
import type { Stager } from './duckdb-staging.js';
import type { DuckTx, TableLocation } from './duckdb-table.js';

/** Knobs for benchmarks and unusual deployments; the defaults are what the measurements chose. */
export interface DuckDbTuning {
  /** How rows reach the staging table (default `appender`, the fastest measured; see duckdb-staging.ts). */
  staging?: 'appender' | 'json';
  /**
   * DuckDB `checkpoint_threshold`: how much WAL accumulates before DuckDB folds it into the file (default
   * 256MB). Each checkpoint compresses and writes the row groups changed since the last one, and a row
   * group still filling up is written again at the next: at DuckDB's 16MB default, every few batches, which
   * made a 1M-row load about 60% slower. Rows not yet checkpointed count against `memoryLimit` and spill to
   * the temporary directory beyond it.
   */
  checkpointThreshold?: string;
  /**
   * DuckDB `memory_limit`. Default 64MB for a file (none for `:memory:`), which keeps a sync's memory flat
   * however big its tables grow; when an operation needs more, the limit is lifted for the rest of the
   * session and the transaction retried (see `transaction`). An explicit limit is a hard limit.
   */
  memoryLimit?: string;
  /** DuckDB `threads` (default: one per core). */
  threads?: number;
}

const DEFAULT_CHECKPOINT_THRESHOLD = '256MB';
const DEFAULT_MEMORY_LIMIT = '64MB';

function duckTx(conn: DuckDBConnection): DuckTx {
  return {
    conn,
    async run(sql) {
      return { rowsChanged: Number((await conn.run(sql)).rowsChanged) };
    },
    async query(sql) {
      return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    },
  };
}

export class DuckDbConnection implements DialectConnection<DuckTx> {
  private readonly mutex = new Mutex();
  private db: OpenedDuckDb | undefined;
  private tx: DuckTx | undefined;
  private loc: TableLocation | undefined;
  private closed = false;
  /** Whether the default memory limit was lifted after DuckDB ran out of it (see `transaction`). */
  private memoryLimitLifted = false;

  constructor(
    private readonly path: string,
    private readonly namespace: string,
    private readonly description: string,
    private readonly tuning: DuckDbTuning,
    private readonly stager: Stager,
  ) {}

  /** Where the namespace's tables live (known once open). */
  location(): TableLocation {
    if (this.loc === undefined) throw this.notOpen();
    return this.loc;
  }

  async open(setup: (tx: DuckTx) => Promise<void>): Promise<void> {
    if (this.closed)
      throw new DestinationError('TRB_DEST_OPEN', `${this.description} was closed; create a new destination`);
    if (this.tx) return;
    const config: Record<string, string> = {
      checkpoint_threshold: this.tuning.checkpointThreshold ?? DEFAULT_CHECKPOINT_THRESHOLD,
      // Nothing tributary reads depends on the order rows were inserted in; without it DuckDB can stream
      // inserts with less memory.
      preserve_insertion_order: 'false',
    };
    const memoryLimit =
      this.tuning.memoryLimit ?? (this.path === ':memory:' ? undefined : DEFAULT_MEMORY_LIMIT);
    if (memoryLimit !== undefined) config.memory_limit = memoryLimit;
    if (this.tuning.threads !== undefined) config.threads = String(this.tuning.threads);
    const db = await openDuckDb(this.path, config);
    try {
      const conn = await db.instance.connect();
      // Timestamps without an offset mean UTC, and TIMESTAMPTZ text comes back in UTC.
      await conn.run(`SET TimeZone = 'UTC'`);
      const catalog = String((await conn.runAndReadAll('SELECT current_database()')).getRows()[0]![0]);
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(catalog)}.${quoteIdent(this.namespace)}`);
      await this.stager.prepare(conn);
      this.loc = { catalog, schema: await storedSchemaName(conn, catalog, this.namespace) };
      await setup(duckTx(conn));
      this.db = db;
      this.tx = duckTx(conn);
    } catch (err) {
      this.loc = undefined;
      db.close();
      if (err instanceof ConfigError) throw err;
      throw new DestinationError(
        'TRB_DEST_OPEN',
        `Cannot open DuckDB file ${this.path}: ${err instanceof Error ? err.message : String(err)}`,
        { details: { path: this.path, namespace: this.namespace }, cause: err },
      );
    }
  }

  /** Run `fn` alone on the connection, outside any transaction (reads for tests and the CLI). */
  serial<T>(fn: (tx: DuckTx) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (this.tx === undefined) throw this.notOpen();
      return fn(this.tx);
    });
  }

  /**
   * One DuckDB transaction: everything `fn` does commits together, or nothing does. When DuckDB runs out
   * of the default memory limit, the transaction is rolled back and run once more without the limit (the
   * limit stays lifted for this destination): the default is a target for the common case, not a ceiling
   * that may fail a sync. A limit set explicitly (`DuckDbTuning.memoryLimit`) is never lifted.
   */
  transaction<T>(
    what: string,
    stream: string | undefined,
    fn: (tx: DuckTx, attempt: number) => Promise<T>,
  ): Promise<T> {
    return this.serial(async (tx) => {
      try {
        try {
          return await attempt(tx, (t) => fn(t, 1));
        } catch (err) {
          if (!isOutOfMemory(err) || this.tuning.memoryLimit !== undefined || this.memoryLimitLifted)
            throw err;
          this.memoryLimitLifted = true;
          // DuckDB's own default. (`RESET memory_limit` changes the setting but not the buffer pool's limit.)
          await tx.conn.run(`SET memory_limit = '${liftedMemoryLimitMb()}MB'`);
          return await attempt(tx, (t) => fn(t, 2));
        }
      } catch (err) {
        if (err instanceof DestinationError || err instanceof ConfigError) throw err;
        const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
        throw new DestinationError(
          'TRB_DEST_WRITE',
          `DuckDB ${what} in ${this.description} failed: ${reason}`,
          {
            details: stream === undefined ? {} : { stream },
            cause: err,
          },
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued work finish first; its errors belong to its callers.
    await this.mutex.run(async () => undefined);
    try {
      this.tx?.conn.closeSync();
    } finally {
      this.tx = undefined;
      this.db?.close();
      this.db = undefined;
    }
  }

  private notOpen(): DestinationError {
    return new DestinationError(
      'TRB_DEST_CONNECTION',
      `${this.description} is ${this.closed ? 'closed' : 'not open'}; call open() first`,
    );
  }
}

async function attempt<T>(tx: DuckTx, fn: (tx: DuckTx) => Promise<T>): Promise<T> {
  await tx.conn.run('BEGIN TRANSACTION');
  try {
    const result = await fn(tx);
    await tx.conn.run('COMMIT');
    return result;
  } catch (err) {
    try {
      await tx.conn.run('ROLLBACK');
    } catch {
      // A failed COMMIT has already rolled back; there is nothing left to undo.
    }
    throw err;
  }
}

/** DuckDB's default memory limit: 80% of the memory this process may use (a cgroup's limit, else RAM). */
function liftedMemoryLimitMb(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
  return Math.max(256, Math.floor((total * 0.8) / 2 ** 20));
}

/** Whether DuckDB gave up for lack of memory under its memory_limit (worded differently by where it happened). */
function isOutOfMemory(err: unknown): boolean {
  return (
    err instanceof Error &&
    /Out of Memory Error|could not allocate block|failed to (allocate|pin)|[\d.]+ [KMGT]?i?B used\)/i.test(
      err.message,
    )
  );
}

/** The schema's name as DuckDB stores it (DuckDB matches names case-insensitively, so it may differ). */
async function storedSchemaName(conn: DuckDBConnection, catalog: string, schema: string): Promise<string> {
  const reader = await conn.runAndReadAll(
    'SELECT schema_name FROM duckdb_schemas() WHERE database_name = $1',
    [catalog],
  );
  const want = foldIdent(schema);
  const found = reader.getRowObjectsJS().find((r) => foldIdent(String(r.schema_name)) === want);
  return found === undefined ? schema : String(found.schema_name);
}
