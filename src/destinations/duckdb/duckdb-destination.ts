/**
 * The embedded default destination: one DuckDB file, one schema per connection, the stream tables and the
 * bookkeeping tables side by side. Every method that changes data is one DuckDB transaction, so rows,
 * schema changes and state commit together or not at all (docs/architecture.md law 1).
 */
import { totalmem } from 'node:os';
import type { DuckDBConnection } from '@duckdb/node-api';
import { Mutex } from '../../util/mutex.js';
import { ConfigError, DestinationError } from '../../errors.js';
import {
  BOOKKEEPING_TABLES,
  type Destination,
  type DestinationOptions,
  type Row,
  type RunRecord,
  type SchemaChange,
  type StreamState,
  SYSTEM_COLUMNS,
  type TableSpec,
  type Value,
  type WriteBatch,
  type WriteMode,
  type WriteResult,
} from '../destination.js';
import { decideOwnership } from '../namespace-owner.js';
import { type OpenedDuckDb, openDuckDb } from './duckdb-open.js';
import { type PreparedRows, prepareRows } from './duckdb-rows.js';
import {
  bookkeepingDdl,
  commentSql,
  foldIdent,
  touchUnchangedSql,
  qualify,
  quoteIdent,
  quoteLiteral,
  readMarker,
  replaceTableName,
  sqlValue,
  upsertSql,
  upsertStateSql,
} from './duckdb-sql.js';
import { createStager, type StageColumn, type Stager, type StagingMethod } from './duckdb-staging.js';
import {
  checkSpec,
  evolveTable,
  isSystemColumn,
  readTable,
  type TableLocation,
  type TableShape,
} from './duckdb-table.js';

/** Knobs for benchmarks and unusual deployments; the defaults are what the measurements chose. */
export interface DuckDbTuning {
  /** How rows reach the staging table (default `appender`, the fastest measured; see duckdb-staging.ts). */
  staging?: StagingMethod;
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

export class DuckDbDestination implements Destination {
  readonly description: string;
  private readonly stager: Stager;
  private readonly mutex = new Mutex();
  /** Table shapes as of the last commit, keyed by folded table name. Cleared when a transaction fails. */
  private readonly shapes = new Map<string, TableShape>();
  /** Shapes the running transaction created or changed (undefined: forget), made current when it commits. */
  private readonly pending = new Map<string, TableShape | undefined>();
  private db: OpenedDuckDb | undefined;
  private conn: DuckDBConnection | undefined;
  private loc: TableLocation | undefined;
  private closed = false;
  /** Whether the default memory limit was lifted after DuckDB ran out of it (see `transaction`). */
  private memoryLimitLifted = false;
  private opening: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly opts: DestinationOptions,
    private readonly tuning: DuckDbTuning = {},
  ) {
    this.description = `duckdb:${path}`;
    this.stager = createStager(tuning.staging ?? 'appender');
  }

  async open(): Promise<void> {
    if (this.closed)
      throw new DestinationError('TRB_DEST_OPEN', `${this.description} was closed; create a new destination`);
    if (this.conn) return;
    // Concurrent calls share one attempt; a failed attempt can be retried.
    this.opening ??= this.openOnce().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async openOnce(): Promise<void> {
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
      for (const sql of bookkeepingDdl(catalog, this.opts.namespace)) await conn.run(sql);
      await this.stager.prepare(conn);
      this.loc = { catalog, schema: await storedSchemaName(conn, catalog, this.opts.namespace) };
      await this.claimNamespace(conn);
      this.db = db;
      this.conn = conn;
    } catch (err) {
      db.close();
      if (err instanceof ConfigError) throw err;
      throw new DestinationError(
        'TRB_DEST_OPEN',
        `Cannot open DuckDB file ${this.path}: ${err instanceof Error ? err.message : String(err)}`,
        { details: { path: this.path, namespace: this.opts.namespace }, cause: err },
      );
    }
  }

  async readStates(): Promise<Record<string, StreamState>> {
    return this.serial(async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT stream, CAST(state AS VARCHAR) AS state FROM ${this.bookkeeping('state')} ORDER BY stream`,
      );
      const states: Record<string, StreamState> = {};
      for (const r of reader.getRowObjectsJS())
        states[String(r.stream)] = JSON.parse(String(r.state)) as StreamState;
      return states;
    });
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    const stream = batch.stream;
    checkSpec(stream, batch.table);
    // Validation, normalization and dedupe need no database, so they run before the lock is taken.
    const prepared = prepareRows(batch.table, batch.rows);
    const state = stateText(stream, batch.state);
    const replace = batch.mode === 'replace';
    const tableName = replace ? replaceTableName(stream) : stream;
    return this.writeRows(batch, prepared, state, tableName);
  }

  /** The batch's transaction: evolve the table, stage and merge the rows, commit the state. */
  private writeRows(
    batch: WriteBatch,
    prepared: PreparedRows,
    state: string,
    tableName: string,
  ): Promise<WriteResult> {
    const stream = batch.stream;
    const replace = batch.mode === 'replace';
    return this.transaction(`writing stream "${stream}"`, stream, async (conn, loc) => {
      let existing = await this.shape(conn, tableName);
      if (replace && existing !== undefined) {
        const marker = readMarker(existing.comment);
        if (marker === undefined) throw notOurs(this.qualified(existing.name), stream);
        if (batch.passId !== undefined && marker.pass !== batch.passId) {
          // Rows of an earlier, unfinished pass must not be swapped in with this one.
          await conn.run(`DROP TABLE ${this.qualified(existing.name)}`);
          existing = undefined;
        }
      }
      const marker = replace ? { stream, pass: batch.passId ?? null } : { stream };
      // A table this transaction creates holds no keys yet: its rows need no matching.
      const plainInsert = existing === undefined;
      const { shape, changes } = await evolveTable(conn, loc, tableName, batch.table, existing, marker);
      this.pending.set(foldIdent(tableName), shape);

      let rowsWritten = 0;
      let rowsUnchanged: number | undefined;
      if (prepared.rows.length > 0) {
        const types = new Map(shape.columns.map((c) => [foldIdent(c.name), c.type]));
        const columns: StageColumn[] = batch.table.columns.map((c) => ({
          name: c.name,
          type: types.get(foldIdent(c.name)) ?? c.type,
        }));
        const carried = new Set(columns.map((c) => foldIdent(c.name)));
        const source = await this.stager.stage(conn, columns, prepared);
        const unchangedBy =
          !replace &&
          !plainInsert &&
          batch.table.primaryKey.length > 0 &&
          carried.has(foldIdent(batch.skipUnchangedBy ?? ''))
            ? batch.skipUnchangedBy
            : undefined;
        if (unchangedBy) {
          const touched = await conn.run(
            touchUnchangedSql({
              target: this.qualified(shape.name),
              source,
              primaryKey: batch.table.primaryKey,
              unchangedBy,
              passId: batch.passId ?? null,
            }),
          );
          rowsUnchanged = Number(touched.rowsChanged);
        }
        const upsert = upsertSql({
          target: this.qualified(shape.name),
          source,
          columns: columns.map((c) => c.name),
          absentColumns: shape.columns
            .filter((c) => !carried.has(foldIdent(c.name)) && !isSystemColumn(c.name))
            .map((c) => c.name),
          primaryKey: batch.table.primaryKey,
          syncedAt: batch.syncedAt,
          passId: batch.passId ?? null,
          insertOnly: plainInsert,
          unchangedBy,
        });
        if (upsert.remove !== undefined) await conn.run(upsert.remove);
        const result = await conn.run(upsert.insert);
        rowsWritten = Number(result.rowsChanged);
        await this.stager.clear(conn);
      }
      // The side table's creation is an implementation detail of replace mode, not a change users see.
      const visible = replace ? changes.filter((c) => c.kind !== 'create_table') : changes;
      await this.logChanges(conn, batch.runId, visible);
      await conn.run(upsertStateSql(this.bookkeeping('state'), stream, state));
      return {
        rowsWritten,
        ...(rowsUnchanged === undefined ? {} : { rowsUnchanged }),
        schemaChanges: visible,
      };
    });
  }

  async sweepDeleted(stream: string, passId: string, state: StreamState): Promise<number> {
    const text = stateText(stream, state);
    return this.transaction(`sweeping deleted rows of stream "${stream}"`, stream, async (conn) => {
      let swept = 0;
      const table = await this.shape(conn, stream);
      if (table !== undefined) {
        const deleted = quoteIdent(SYSTEM_COLUMNS.deleted);
        const result = await conn.run(
          `UPDATE ${this.qualified(table.name)} SET ${deleted} = true ` +
            `WHERE ${quoteIdent(SYSTEM_COLUMNS.pass)} IS DISTINCT FROM ${quoteLiteral(passId)} AND NOT ${deleted}`,
        );
        swept = Number(result.rowsChanged);
      }
      await conn.run(upsertStateSql(this.bookkeeping('state'), stream, text));
      return swept;
    });
  }

  async finishReplace(stream: string, table: TableSpec, state: StreamState): Promise<void> {
    checkSpec(stream, table);
    const text = stateText(stream, state);
    await this.transaction(
      `swapping in the replaced table of stream "${stream}"`,
      stream,
      async (conn, loc) => {
        const sideName = replaceTableName(stream);
        const side = await this.shape(conn, sideName);
        if (side !== undefined && readMarker(side.comment) === undefined)
          throw notOurs(this.qualified(side.name), stream);
        // An empty pass never wrote a batch: its result is an empty table.
        const { shape: staged, changes } = await evolveTable(conn, loc, sideName, table, side, {
          stream,
          pass: null,
        });
        await this.logChanges(
          conn,
          null,
          changes.filter((c) => c.kind !== 'create_table'),
        );
        const current = await this.shape(conn, stream);
        if (current !== undefined) {
          if (readMarker(current.comment) === undefined) {
            throw new DestinationError(
              'TRB_DEST_SCHEMA',
              `table ${this.qualified(current.name)} was not created by tributary; replace mode would drop it. ` +
                'Drop or rename it yourself, or sync into another schema.',
              { details: { stream } },
            );
          }
          await conn.run(`DROP TABLE ${this.qualified(current.name)}`);
        }
        await conn.run(`ALTER TABLE ${this.qualified(staged.name)} RENAME TO ${quoteIdent(stream)}`);
        await conn.run(commentSql(this.qualified(stream), { stream, primaryKey: [...table.primaryKey] }));
        // Both names changed meaning: forget them, so the next use reads the catalog.
        this.pending.set(foldIdent(sideName), undefined);
        this.pending.set(foldIdent(stream), undefined);
        await conn.run(upsertStateSql(this.bookkeeping('state'), stream, text));
      },
    );
  }

  async countPassRows(stream: string, passId: string, mode: WriteMode): Promise<number> {
    return this.serial(async (conn) => {
      const table = await this.shape(conn, mode === 'replace' ? replaceTableName(stream) : stream);
      if (table === undefined) return 0;
      const reader = await conn.runAndReadAll(
        `SELECT count(*) AS n FROM ${this.qualified(table.name)} WHERE ${quoteIdent(SYSTEM_COLUMNS.pass)} = ${quoteLiteral(passId)}`,
      );
      return Number(reader.getRowObjectsJS()[0]!.n);
    });
  }

  async deletionCandidates(
    stream: string,
    passId: string,
    mode: WriteMode,
    primaryKey: string[],
    limit: number,
  ): Promise<Row[]> {
    return this.serial(async (conn) => {
      const live = await this.shape(conn, stream);
      if (live === undefined || primaryKey.length === 0) return [];
      const pass = quoteIdent(SYSTEM_COLUMNS.pass);
      const cols = primaryKey.map((k) => `l.${quoteIdent(k)} AS ${quoteIdent(k)}`).join(', ');
      let where = `NOT l.${quoteIdent(SYSTEM_COLUMNS.deleted)}`;
      if (mode === 'upsert') {
        where += ` AND l.${pass} IS DISTINCT FROM ${quoteLiteral(passId)}`;
      } else {
        const staged = await this.shape(conn, replaceTableName(stream));
        if (staged !== undefined) {
          // Compared as text: a key column may have been widened differently in the two tables.
          const same = primaryKey
            .map((k) => `CAST(s.${quoteIdent(k)} AS VARCHAR) = CAST(l.${quoteIdent(k)} AS VARCHAR)`)
            .join(' AND ');
          where += ` AND NOT EXISTS (SELECT 1 FROM ${this.qualified(staged.name)} s WHERE s.${pass} = ${quoteLiteral(passId)} AND ${same})`;
        }
      }
      const reader = await conn.runAndReadAll(
        `SELECT ${cols} FROM ${this.qualified(live.name)} l WHERE ${where} LIMIT ${Math.max(0, Math.floor(limit))}`,
      );
      return reader.getRowObjectsJS().map((r) => {
        const row: Row = {};
        for (const k of primaryKey) row[k] = keyValue(r[k]);
        return row;
      });
    });
  }

  async commitState(stream: string, state: StreamState): Promise<void> {
    const text = stateText(stream, state);
    await this.transaction(`committing the state of stream "${stream}"`, stream, async (conn) => {
      await conn.run(upsertStateSql(this.bookkeeping('state'), stream, text));
    });
  }

  async resetState(streams?: string[]): Promise<void> {
    await this.transaction('resetting stream state', undefined, async (conn) => {
      const where =
        streams === undefined
          ? ''
          : ` WHERE stream IN (${streams.length === 0 ? 'NULL' : streams.map(quoteLiteral).join(', ')})`;
      await conn.run(`DELETE FROM ${this.bookkeeping('state')}${where}`);
    });
  }

  async recordRun(run: RunRecord): Promise<void> {
    const runs = this.bookkeeping('runs');
    const summary = run.summary === undefined ? undefined : JSON.stringify(run.summary);
    await this.transaction(`recording run ${run.runId}`, undefined, async (conn) => {
      // A later call that leaves a field out keeps what an earlier call recorded.
      const keep = (c: string) => `${c} = coalesce(EXCLUDED.${c}, ${runs}.${c})`;
      await conn.run(
        `INSERT INTO ${runs} (run_id, connector, started_at, ended_at, status, records_written, records_deleted, error, summary)
         VALUES (${[
           sqlValue(run.runId),
           sqlValue(run.connector),
           sqlValue(run.startedAt),
           sqlValue(run.endedAt),
           sqlValue(run.status),
           sqlValue(run.recordsWritten),
           sqlValue(run.recordsDeleted),
           sqlValue(run.error),
           summary === undefined ? 'NULL' : `${quoteLiteral(summary)}::JSON`,
         ].join(', ')})
         ON CONFLICT (run_id) DO UPDATE SET connector = EXCLUDED.connector, started_at = EXCLUDED.started_at,
           status = EXCLUDED.status, ${['ended_at', 'records_written', 'records_deleted', 'error', 'summary'].map(keep).join(', ')}`,
      );
    });
  }

  /**
   * Run a read-only query on this destination's connection and return plain JS rows (BIGINT as bigint,
   * TIMESTAMPTZ as Date). For tests and the CLI: DuckDB lets only this process open the file while it is open.
   */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.serial(
      async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[],
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening?.catch(() => undefined);
    // Let queued work finish first; its errors belong to its callers.
    await this.mutex.run(async () => undefined);
    try {
      this.conn?.closeSync();
    } finally {
      this.conn = undefined;
      this.db?.close();
      this.db = undefined;
    }
  }

  private async shape(conn: DuckDBConnection, table: string): Promise<TableShape | undefined> {
    const key = foldIdent(table);
    if (this.pending.has(key)) return this.pending.get(key);
    const cached = this.shapes.get(key);
    if (cached !== undefined) return cached;
    const shape = await readTable(conn, this.loc!, table);
    if (shape !== undefined) this.shapes.set(key, shape);
    return shape;
  }

  private serial<T>(fn: (conn: DuckDBConnection, loc: TableLocation) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      if (this.conn === undefined || this.loc === undefined) {
        throw new DestinationError(
          'TRB_DEST_CONNECTION',
          `${this.description} is ${this.closed ? 'closed' : 'not open'}; call open() first`,
        );
      }
      return fn(this.conn, this.loc);
    });
  }

  /**
   * One DuckDB transaction: everything `fn` does commits together, or nothing does. When DuckDB runs out
   * of the default memory limit, the transaction is rolled back and run once more without the limit (the
   * limit stays lifted for this destination): the default is a target for the common case, not a ceiling
   * that may fail a sync. A limit set explicitly (`DuckDbTuning.memoryLimit`) is never lifted.
   */
  private transaction<T>(
    what: string,
    stream: string | undefined,
    fn: (conn: DuckDBConnection, loc: TableLocation) => Promise<T>,
  ): Promise<T> {
    return this.serial(async (conn, loc) => {
      try {
        try {
          return await this.attempt(conn, loc, fn);
        } catch (err) {
          if (!isOutOfMemory(err) || this.tuning.memoryLimit !== undefined || this.memoryLimitLifted)
            throw err;
          this.memoryLimitLifted = true;
          // DuckDB's own default. (`RESET memory_limit` changes the setting but not the buffer pool's limit.)
          await conn.run(`SET memory_limit = '${liftedMemoryLimitMb()}MB'`);
          return await this.attempt(conn, loc, fn);
        }
      } catch (err) {
        if (err instanceof DestinationError) throw err;
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

  private async attempt<T>(
    conn: DuckDBConnection,
    loc: TableLocation,
    fn: (conn: DuckDBConnection, loc: TableLocation) => Promise<T>,
  ): Promise<T> {
    this.pending.clear();
    await conn.run('BEGIN TRANSACTION');
    try {
      const result = await fn(conn, loc);
      await conn.run('COMMIT');
      for (const [key, shape] of this.pending) {
        if (shape === undefined) this.shapes.delete(key);
        else this.shapes.set(key, shape);
      }
      return result;
    } catch (err) {
      try {
        await conn.run('ROLLBACK');
      } catch {
        // A failed COMMIT has already rolled back; there is nothing left to undo.
      }
      this.shapes.clear();
      throw err;
    } finally {
      this.pending.clear();
    }
  }

  /** One namespace, one connection (namespace-owner.ts): refuse another connection's, claim an unowned one. */
  private async claimNamespace(conn: DuckDBConnection): Promise<void> {
    const rows = async (sql: string, params?: string[]) =>
      (await conn.runAndReadAll(sql, params)).getRowObjectsJS();
    const owners = await rows(`SELECT connector, connection FROM ${this.bookkeeping('owner')} LIMIT 1`);
    const runs = await rows(`SELECT DISTINCT connector FROM ${this.bookkeeping('runs')}`);
    const states = await rows(`SELECT stream FROM ${this.bookkeeping('state')}`);
    const tables = await rows(
      'SELECT comment FROM duckdb_tables() WHERE database_name = $1 AND schema_name = $2',
      [this.loc!.catalog, this.loc!.schema],
    );
    const owner = owners[0];
    const action = decideOwnership(
      {
        owner:
          owner === undefined
            ? undefined
            : {
                connector: String(owner.connector),
                connection: owner.connection === null ? null : String(owner.connection),
              },
        runConnectors: runs.map((r) => String(r.connector)),
        streams: [
          ...states.map((r) => String(r.stream)),
          ...tables.flatMap((t) => readMarker(t.comment as string | null)?.stream ?? []),
        ],
      },
      { connector: this.opts.connector, connection: this.opts.connection, streams: this.opts.streams },
      `namespace "${this.opts.namespace}" in ${this.description}`,
    );
    if (action === 'claim') {
      await conn.run(
        `INSERT INTO ${this.bookkeeping('owner')} (connector, connection, claimed_at)
         VALUES (${sqlValue(this.opts.connector)}, ${sqlValue(this.opts.connection)}, now())`,
      );
    } else if (action === 'name') {
      await conn.run(
        `UPDATE ${this.bookkeeping('owner')} SET connection = ${sqlValue(this.opts.connection)}`,
      );
    }
  }

  private qualified(table: string): string {
    return qualify(this.loc!.catalog, this.loc!.schema, table);
  }

  private bookkeeping(table: keyof typeof BOOKKEEPING_TABLES): string {
    return this.qualified(BOOKKEEPING_TABLES[table]);
  }

  private async logChanges(
    conn: DuckDBConnection,
    runId: string | null,
    changes: readonly SchemaChange[],
  ): Promise<void> {
    if (changes.length === 0) return;
    const rows = changes.map(
      (c) =>
        `(${[runId, c.stream, c.kind, c.column, c.fromType, c.toType, c.sourcePath].map((v) => sqlValue(v)).join(', ')}, now())`,
    );
    await conn.run(
      `INSERT INTO ${this.bookkeeping('schemaChanges')} (run_id, stream, kind, column_name, from_type, to_type, source_path, changed_at) VALUES ${rows.join(', ')}`,
    );
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

function notOurs(qualified: string, stream: string): DestinationError {
  return new DestinationError(
    'TRB_DEST_SCHEMA',
    `table ${qualified} exists but was not created by tributary; it is the name tributary stages ` +
      `replace-mode stream "${stream}" in. Drop or rename it.`,
    { details: { stream } },
  );
}

/** A primary-key value as read back: BIGINT arrives as bigint; beyond 2^53 it stays exact as text. */
function keyValue(v: unknown): Value {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return v instanceof Date ? v.toISOString() : String(v);
}

/** State as JSON text; a state that cannot be serialized is refused before the transaction starts. */
function stateText(stream: string, state: StreamState): string {
  try {
    const text = JSON.stringify(state);
    if (typeof text !== 'string') throw new Error('state is not a JSON object');
    return text;
  } catch (err) {
    throw new DestinationError(
      'TRB_DEST_WRITE',
      `stream "${stream}": state cannot be stored as JSON: ${err instanceof Error ? err.message : String(err)}`,
      { details: { stream }, cause: err },
    );
  }
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
