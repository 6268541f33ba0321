/**
 * PostgreSQL destination: one schema per connection, one table per stream, bookkeeping next to the
 * data. Every batch (DDL, rows, state) is one transaction; a transaction lost to a dropped connection
 * is replayed on a fresh one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
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
import { type ConnectionSettings, connectionSettings } from './postgres-connection.js';
import { type CopyFormat, type CopyStats, copyRows, emptyStats, ORDINAL_COLUMN } from './postgres-copy.js';
import {
  isTransientError,
  mapOpenError,
  mapWriteError,
  type Redactor,
  type Target,
} from './postgres-errors.js';
import { SchemaLock } from './postgres-lock.js';
import {
  derivedIdentifier,
  type PgIdentifier,
  pgIdentifier,
  qualify,
  quoteIdent,
  quoteLiteral,
} from './postgres-sql.js';
import { introspectTable, markerComment, planTable, readMarker, type TablePlan } from './postgres-table.js';
import { ownValue, PG_TYPE } from './postgres-types.js';

/** Something the destination changed in the data to store it; reported, never silent. */
export interface DestinationWarning {
  code: 'TRB_DEST_NUL_STRIPPED' | 'TRB_DEST_INVALID_UTF16';
  message: string;
  stream: string;
  details: Record<string, unknown>;
}

/** WriteResult plus what had to change in the values to store them. */
export interface PostgresWriteResult extends WriteResult {
  /** String values that contained NUL characters, which were removed. */
  nulValuesStripped: number;
  /** String values with unpaired surrogates, replaced by U+FFFD. */
  invalidUtf16Values: number;
  warnings: DestinationWarning[];
}

export interface PostgresDestinationOptions extends DestinationOptions {
  /** The schema to write into; defaults to `namespace`. */
  schema?: string;
  /** Password, kept out of the URL in config; wins over a password in the URL. */
  password?: string;
  /** COPY encoding for the bulk path. Default `binary` (faster in bench/postgres-write.ts). */
  copyFormat?: CopyFormat;
  /** How long open() waits for another sync of the same schema. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** Attempts per transaction when the connection drops (or a deadlock hits). Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. Default 250 ms. */
  retryDelayMs?: number;
  /** Write connections (streams write concurrently). Default 4. */
  poolSize?: number;
  /** Connect timeout. Default 10000 ms. */
  connectTimeoutMs?: number;
  /** `application_name` of the sessions (the lock session appends `:lock`). Default `tributary`. */
  applicationName?: string;
  /** Called for each warning after its batch committed. Default: `process.emitWarning`. */
  onWarning?: (warning: DestinationWarning) => void;
}

const STAGE_TABLE = 'pg_temp."_tributary_stage"';
const NAMES_TABLE = '_tributary_names';

function defaultWarning(w: DestinationWarning): void {
  process.emitWarning(w.message, { code: w.code, detail: JSON.stringify(w.details) });
}

/** Writes streams into one PostgreSQL schema. */
export class PostgresDestination implements Destination {
  readonly description: string;
  private readonly settings: ConnectionSettings | undefined;
  private readonly setupError: DestinationError | undefined;
  private readonly schema: PgIdentifier | undefined;
  private readonly copyFormat: CopyFormat;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly onWarning: (w: DestinationWarning) => void;
  private lock: SchemaLock | undefined;
  private pool: pg.Pool | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';
  /** Per-stream queue: writes, sweeps and swaps of one stream never overlap. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    url: string,
    private readonly opts: PostgresDestinationOptions,
  ) {
    this.copyFormat = opts.copyFormat ?? 'binary';
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
    this.retryDelayMs = opts.retryDelayMs ?? 250;
    this.onWarning = opts.onWarning ?? defaultWarning;
    const schemaName = opts.schema ?? opts.namespace;
    // A bad URL or schema name surfaces from open(), where the caller expects errors.
    let settings: ConnectionSettings | undefined;
    let setupError: DestinationError | undefined;
    let schema: PgIdentifier | undefined;
    try {
      schema = pgIdentifier(schemaName, 'schema');
      settings = connectionSettings(url, {
        schema: schema.name,
        password: opts.password,
        applicationName: opts.applicationName ?? 'tributary',
        connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      });
    } catch (err) {
      setupError =
        err instanceof DestinationError
          ? new DestinationError('TRB_DEST_OPEN', err.message, { details: err.details })
          : new DestinationError('TRB_DEST_OPEN', 'invalid PostgreSQL destination settings');
    }
    this.settings = settings;
    this.setupError = setupError;
    this.schema = schema;
    this.description = settings?.target.description ?? 'postgres://(invalid destination URL)';
  }

  async open(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') {
      throw new DestinationError('TRB_DEST_OPEN', `${this.description} was closed; create a new destination`);
    }
    if (this.setupError !== undefined || this.settings === undefined) throw this.setupError;
    const { client, target, redactor } = this.settings;
    const lock = new SchemaLock({ client, target, redactor, timeoutMs: this.opts.lockTimeoutMs ?? 5000 });
    await lock.acquire();
    const pool = new pg.Pool({ ...client, max: Math.max(1, this.opts.poolSize ?? 4) });
    // Errors on idle or checked-out connections are handled where the next query fails;
    // without listeners they would crash the process.
    pool.on('error', () => undefined);
    pool.on('connect', (c) => c.on('error', () => undefined));
    this.lock = lock;
    this.pool = pool;
    try {
      await this.prepareSchema();
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

  async readStates(): Promise<Record<string, StreamState>> {
    return this.transaction('reading stream states', async (client) => {
      const res = await client.query<{ stream: string; state: StreamState }>(
        `SELECT stream, state FROM ${this.bookkeeping('state')} ORDER BY stream`,
      );
      const states: Record<string, StreamState> = {};
      for (const row of res.rows) states[row.stream] = row.state;
      return states;
    });
  }

  async write(batch: WriteBatch): Promise<PostgresWriteResult> {
    this.assertOpen();
    checkRows(batch.table, batch.rows);
    return this.serialize(batch.stream, async () => {
      let stats = emptyStats();
      const result = await this.transaction(`writing a batch of stream "${batch.stream}"`, async (client) => {
        const out = await this.writeBatch(client, batch);
        stats = out.stats;
        return out.result;
      });
      const warnings = this.warningsFor(batch.stream, stats);
      for (const w of warnings) this.onWarning(w);
      return {
        ...result,
        nulValuesStripped: stats.nulValues,
        invalidUtf16Values: stats.invalidUtf16Values,
        warnings,
      };
    });
  }

  async sweepDeleted(stream: string, passId: string, state: StreamState): Promise<number> {
    this.assertOpen();
    return this.serialize(stream, () =>
      this.transaction(`sweeping deleted rows of stream "${stream}"`, async (client) => {
        const table = streamTable(stream);
        let swept = 0;
        if ((await introspectTable(client, this.schemaName, table.name)) !== undefined) {
          const deleted = quoteIdent(SYSTEM_COLUMNS.deleted);
          const res = await client.query(
            `UPDATE ${qualify(this.schemaName, table.name)} SET ${deleted} = true
              WHERE ${quoteIdent(SYSTEM_COLUMNS.pass)} IS DISTINCT FROM $1 AND NOT ${deleted}`,
            [passId],
          );
          swept = res.rowCount ?? 0;
        }
        await this.saveState(client, stream, state);
        return swept;
      }),
    );
  }

  async finishReplace(stream: string, table: TableSpec, state: StreamState): Promise<void> {
    this.assertOpen();
    await this.serialize(stream, () =>
      this.transaction(`swapping in the replaced table of stream "${stream}"`, async (client, attempt) => {
        const target = streamTable(stream);
        const side = sideTable(stream);
        let staged = await introspectTable(client, this.schemaName, side.name);
        if (staged === undefined && attempt > 1 && (await this.stateIs(client, stream, state))) {
          // The connection dropped after COMMIT reached the server: the swap already happened.
          return;
        }
        const plan = planTable({
          schema: this.schemaName,
          table: side,
          spec: table,
          rows: [],
          existing: staged,
          marker: { stream, pass: null },
        });
        await this.applyPlan(client, plan, undefined, true);
        staged = await introspectTable(client, this.schemaName, side.name);
        const current = await introspectTable(client, this.schemaName, target.name);
        if (current === undefined) {
          await logChange(client, this.bookkeeping('schemaChanges'), null, { stream, kind: 'create_table' });
        }
        if (current !== undefined && readMarker(current.comment) === undefined) {
          throw new DestinationError(
            'TRB_DEST_SCHEMA',
            `table ${qualify(this.schemaName, target.name)} was not created by tributary; replace mode would drop it. ` +
              'Drop or rename it yourself, or sync into another schema.',
          );
        }
        const qualifiedTarget = qualify(this.schemaName, target.name);
        if (current !== undefined) await client.query(`DROP TABLE ${qualifiedTarget}`);
        await client.query(
          `ALTER TABLE ${qualify(this.schemaName, side.name)} RENAME TO ${quoteIdent(target.name)}`,
        );
        const pkName = derivedIdentifier('', target.name, '_pkey', 'constraint').name;
        if (staged?.primaryKeyConstraint && staged.primaryKeyConstraint !== pkName) {
          await client.query(
            `ALTER TABLE ${qualifiedTarget} RENAME CONSTRAINT ${quoteIdent(staged.primaryKeyConstraint)} TO ${quoteIdent(pkName)}`,
          );
        }
        await client.query(
          `COMMENT ON TABLE ${qualifiedTarget} IS ${quoteLiteral(markerComment({ stream }))}`,
        );
        if (target.mapped)
          await this.recordNames(client, [{ kind: 'table', original: stream, name: target.name }]);
        await this.saveState(client, stream, state);
      }),
    );
  }

  async countPassRows(stream: string, passId: string, mode: WriteMode): Promise<number> {
    this.assertOpen();
    return this.serialize(stream, () =>
      this.transaction(`counting the rows of pass ${passId} of stream "${stream}"`, async (client) => {
        const table = mode === 'replace' ? sideTable(stream) : streamTable(stream);
        if ((await introspectTable(client, this.schemaName, table.name)) === undefined) return 0;
        const res = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${qualify(this.schemaName, table.name)} WHERE ${quoteIdent(SYSTEM_COLUMNS.pass)} = $1`,
          [passId],
        );
        return Number(res.rows[0]!.n);
      }),
    );
  }

  async deletionCandidates(
    stream: string,
    passId: string,
    mode: WriteMode,
    primaryKey: string[],
    limit: number,
  ): Promise<Row[]> {
    this.assertOpen();
    return this.serialize(stream, () =>
      this.transaction(
        `listing the rows pass ${passId} of stream "${stream}" did not see`,
        async (client) => {
          const live = streamTable(stream);
          if (primaryKey.length === 0) return [];
          const liveTable = await introspectTable(client, this.schemaName, live.name);
          if (liveTable === undefined) return [];
          const pass = quoteIdent(SYSTEM_COLUMNS.pass);
          const keys = primaryKey.map((k) => {
            const name = pgIdentifier(k, 'column').name;
            return {
              original: k,
              ident: quoteIdent(name),
              int8: liveTable.columns.get(name)?.typname === 'int8',
            };
          });
          const cols = keys.map((k, i) => `l.${k.ident} AS k${i}`).join(', ');
          let where = `NOT l.${quoteIdent(SYSTEM_COLUMNS.deleted)}`;
          const params: unknown[] = [Math.max(0, Math.floor(limit))];
          if (mode === 'upsert') {
            params.push(passId);
            where += ` AND l.${pass} IS DISTINCT FROM $2`;
          } else {
            const side = sideTable(stream);
            if ((await introspectTable(client, this.schemaName, side.name)) !== undefined) {
              // Compared as text: a key column may have been widened differently in the two tables.
              const same = keys.map((k) => `s.${k.ident}::text = l.${k.ident}::text`).join(' AND ');
              params.push(passId);
              where += ` AND NOT EXISTS (SELECT 1 FROM ${qualify(this.schemaName, side.name)} s WHERE s.${pass} = $2 AND ${same})`;
            }
          }
          const res = await client.query<Record<string, Value>>(
            `SELECT ${cols} FROM ${qualify(this.schemaName, live.name)} l WHERE ${where} LIMIT $1`,
            params,
          );
          return res.rows.map((r) => {
            const row: Row = {};
            keys.forEach((k, i) => {
              const v = r[`k${i}`] ?? null;
              // pg returns BIGINT as text: a number where that is exact, as the DuckDB destination returns it.
              row[k.original] =
                k.int8 && typeof v === 'string' && Number.isSafeInteger(Number(v)) ? Number(v) : v;
            });
            return row;
          });
        },
      ),
    );
  }

  async commitState(stream: string, state: StreamState): Promise<void> {
    this.assertOpen();
    await this.serialize(stream, () =>
      this.transaction(`committing the state of stream "${stream}"`, async (client) => {
        await this.saveState(client, stream, state);
      }),
    );
  }

  async resetState(streams?: string[]): Promise<void> {
    await this.transaction('resetting stream state', async (client) => {
      if (streams === undefined) await client.query(`DELETE FROM ${this.bookkeeping('state')}`);
      else
        await client.query(`DELETE FROM ${this.bookkeeping('state')} WHERE stream = ANY($1::text[])`, [
          streams,
        ]);
    });
  }

  async recordRun(run: RunRecord): Promise<void> {
    const redactor = this.settings!.redactor;
    await this.transaction(`recording run ${run.runId}`, async (client) => {
      await client.query(
        `INSERT INTO ${this.bookkeeping('runs')}
           (run_id, connector, started_at, ended_at, status, records_written, records_deleted, error, summary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
         ON CONFLICT (run_id) DO UPDATE SET
           connector = EXCLUDED.connector,
           started_at = EXCLUDED.started_at,
           ended_at = coalesce(EXCLUDED.ended_at, ${this.bookkeeping('runs')}.ended_at),
           status = EXCLUDED.status,
           records_written = coalesce(EXCLUDED.records_written, ${this.bookkeeping('runs')}.records_written),
           records_deleted = coalesce(EXCLUDED.records_deleted, ${this.bookkeeping('runs')}.records_deleted),
           error = coalesce(EXCLUDED.error, ${this.bookkeeping('runs')}.error),
           summary = coalesce(EXCLUDED.summary, ${this.bookkeeping('runs')}.summary)`,
        [
          run.runId,
          run.connector,
          run.startedAt.toISOString(),
          run.endedAt?.toISOString() ?? null,
          run.status,
          run.recordsWritten ?? null,
          run.recordsDeleted ?? null,
          run.error === undefined ? null : redactor.redact(run.error).replaceAll('\0', ''),
          run.summary === undefined ? null : redactor.redact(JSON.stringify(run.summary)),
        ],
      );
    });
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

  /** Backend pid of the lock session, for tests that simulate a lost connection. */
  get lockSessionPid(): number | undefined {
    return this.lock?.pid;
  }

  // ---- internals ----------------------------------------------------------------------------

  private get schemaName(): string {
    return this.schema!.name;
  }

  private get target(): Target {
    return this.settings!.target;
  }

  private get redactor(): Redactor {
    return this.settings!.redactor;
  }

  private bookkeeping(table: keyof typeof BOOKKEEPING_TABLES): string {
    return qualify(this.schemaName, BOOKKEEPING_TABLES[table]);
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new DestinationError(
        'TRB_DEST_CONNECTION',
        `${this.description} is ${this.state === 'new' ? 'not open yet (call open() first)' : 'closed'}`,
      );
    }
  }

  /** Create the schema and bookkeeping tables that are missing. Existence is checked first because
   * `CREATE ... IF NOT EXISTS` demands CREATE privilege even when the object exists. */
  private async prepareSchema(): Promise<void> {
    const client = await this.pool!.connect();
    try {
      await client.query('BEGIN');
      const schema = this.schemaName;
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      const tables = await client.query<{ relname: string }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`,
        [schema, [...Object.values(BOOKKEEPING_TABLES), NAMES_TABLE]],
      );
      const present = new Set(tables.rows.map((r) => r.relname));
      const ddl: Record<string, string> = {
        [BOOKKEEPING_TABLES.state]:
          'stream text PRIMARY KEY, state jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now()',
        [BOOKKEEPING_TABLES.runs]:
          'run_id text PRIMARY KEY, connector text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz, ' +
          'status text NOT NULL, records_written bigint, records_deleted bigint, error text, summary jsonb',
        [BOOKKEEPING_TABLES.schemaChanges]:
          'run_id text, stream text NOT NULL, kind text NOT NULL, column_name text, from_type text, to_type text, ' +
          'changed_at timestamptz NOT NULL DEFAULT now(), source_path text',
        [BOOKKEEPING_TABLES.owner]:
          'connector text NOT NULL, connection text, claimed_at timestamptz NOT NULL DEFAULT now()',
        [NAMES_TABLE]:
          'kind text NOT NULL, original text NOT NULL, truncated text NOT NULL, PRIMARY KEY (kind, original)',
      };
      for (const [table, columns] of Object.entries(ddl)) {
        if (!present.has(table)) await client.query(`CREATE TABLE ${qualify(schema, table)} (${columns})`);
      }
      if (present.has(BOOKKEEPING_TABLES.schemaChanges)) {
        // Tables created before rename_collision had no source_path.
        await client.query(
          `ALTER TABLE ${qualify(schema, BOOKKEEPING_TABLES.schemaChanges)} ADD COLUMN IF NOT EXISTS source_path text`,
        );
      }
      if (this.schema!.mapped) {
        await this.recordNames(client, [{ kind: 'schema', original: this.schema!.original, name: schema }]);
      }
      await this.claimNamespace(client);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(true);
      throw err;
    }
  }

  /**
   * One namespace, one connection (namespace-owner.ts): refuse another connection's, claim an unowned one.
   * Runs inside prepareSchema's transaction, under the schema's lock, so two connections cannot both claim.
   */
  private async claimNamespace(client: pg.PoolClient): Promise<void> {
    const owners = await client.query<{ connector: string; connection: string | null }>(
      `SELECT connector, connection FROM ${this.bookkeeping('owner')} LIMIT 1`,
    );
    const runs = await client.query<{ connector: string }>(
      `SELECT DISTINCT connector FROM ${this.bookkeeping('runs')}`,
    );
    const states = await client.query<{ stream: string }>(`SELECT stream FROM ${this.bookkeeping('state')}`);
    const tables = await client.query<{ comment: string | null }>(
      `SELECT obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
      [this.schemaName],
    );
    const action = decideOwnership(
      {
        owner: owners.rows[0],
        runConnectors: runs.rows.map((r) => r.connector),
        streams: [
          ...states.rows.map((r) => r.stream),
          ...tables.rows.flatMap((t) => readMarker(t.comment)?.stream ?? []),
        ],
      },
      { connector: this.opts.connector, connection: this.opts.connection, streams: this.opts.streams },
      `namespace "${this.schemaName}" in ${this.description}`,
    );
    if (action === 'claim') {
      await client.query(`INSERT INTO ${this.bookkeeping('owner')} (connector, connection) VALUES ($1, $2)`, [
        this.opts.connector,
        this.opts.connection ?? null,
      ]);
    } else if (action === 'name') {
      await client.query(`UPDATE ${this.bookkeeping('owner')} SET connection = $1`, [this.opts.connection]);
    }
  }

  /**
   * Run `fn` in one transaction on a pooled connection. A transient failure (lost connection, deadlock)
   * rolls back everything `fn` did, so the whole transaction is replayed on a fresh connection.
   */
  private async transaction<T>(
    what: string,
    fn: (client: pg.PoolClient, attempt: number) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.assertOpen();
      let client: pg.PoolClient | undefined;
      try {
        await this.lock!.ensureHeld();
        client = await this.pool!.connect();
        await client.query('BEGIN');
        await this.lock!.verify(client);
        const result = await fn(client, attempt);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        if (client !== undefined) {
          await client.query('ROLLBACK').catch(() => undefined);
          // Never reuse a session whose transaction failed mid-way (it may be mid-COPY or dead).
          client.release(true);
        }
        if (!(err instanceof DestinationError) && isTransientError(err) && attempt < this.maxAttempts) {
          await sleep(this.retryDelayMs * 2 ** (attempt - 1));
          continue;
        }
        const mapped = mapWriteError(err, what, this.target, this.redactor);
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

  private async writeBatch(
    client: pg.PoolClient,
    batch: WriteBatch,
  ): Promise<{ result: WriteResult; stats: CopyStats }> {
    const replace = batch.mode === 'replace';
    const table = replace ? sideTable(batch.stream) : streamTable(batch.stream);
    const qualified = qualify(this.schemaName, table.name);
    let existing = await introspectTable(client, this.schemaName, table.name);
    if (replace && existing !== undefined) {
      const marker = readMarker(existing.comment);
      if (marker === undefined) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `table ${qualified} exists but was not created by tributary; it is the name tributary uses to stage ` +
            `replace-mode stream "${batch.stream}". Drop or rename it.`,
        );
      }
      if (batch.passId !== undefined && marker.pass !== batch.passId) {
        // Rows of an earlier, unfinished pass must not be swapped in with this one.
        await client.query(`DROP TABLE ${qualified}`);
        existing = undefined;
      }
    }
    const plan = planTable({
      schema: this.schemaName,
      table,
      spec: batch.table,
      rows: batch.rows,
      existing,
      marker: replace ? { stream: batch.stream, pass: batch.passId ?? null } : { stream: batch.stream },
    });
    await this.applyPlan(client, plan, batch.runId, replace);

    let stats = emptyStats();
    let rowsWritten = 0;
    let rowsUnchanged: number | undefined;
    if (batch.rows.length > 0) {
      const stage = [
        `${quoteIdent(ORDINAL_COLUMN)} bigint`,
        ...plan.columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPE[c.type]}`),
      ];
      await client.query(`CREATE TEMP TABLE ${STAGE_TABLE} (${stage.join(', ')}) ON COMMIT DROP`);
      stats = await copyRows(client, STAGE_TABLE, plan.columns, batch.rows, this.copyFormat);
      const unchangedBy = replace ? undefined : plan.columns.find((c) => c.source === batch.skipUnchangedBy);
      if (unchangedBy && plan.primaryKey.length > 0) {
        const touched = await client.query(touchUnchangedSql(qualified, plan, unchangedBy.name), [
          batch.passId ?? null,
        ]);
        rowsUnchanged = touched.rowCount ?? 0;
      }
      const res = await client.query(upsertSql(qualified, plan, unchangedBy?.name), [
        batch.syncedAt.toISOString(),
        batch.passId ?? null,
      ]);
      rowsWritten = res.rowCount ?? 0;
    }
    await this.saveState(client, batch.stream, batch.state);
    const schemaChanges = replace ? plan.changes.filter((c) => c.kind !== 'create_table') : plan.changes;
    return {
      result: { rowsWritten, ...(rowsUnchanged === undefined ? {} : { rowsUnchanged }), schemaChanges },
      stats,
    };
  }

  /** Run a plan's DDL and record its name mappings and schema changes. */
  private async applyPlan(
    client: pg.PoolClient,
    plan: TablePlan,
    runId: string | undefined,
    replace: boolean,
  ): Promise<void> {
    for (const statement of plan.statements) await client.query(statement);
    if (plan.mappedNames.length > 0) await this.recordNames(client, plan.mappedNames);
    for (const change of plan.changes) {
      if (replace && change.kind === 'create_table') continue;
      await logChange(client, this.bookkeeping('schemaChanges'), runId ?? null, change);
    }
  }

  private async recordNames(
    client: pg.PoolClient,
    names: ReadonlyArray<{ kind: string; original: string; name: string }>,
  ): Promise<void> {
    await client.query(
      `INSERT INTO ${qualify(this.schemaName, NAMES_TABLE)} (kind, original, truncated)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (kind, original) DO NOTHING`,
      [names.map((n) => n.kind), names.map((n) => n.original), names.map((n) => n.name)],
    );
  }

  private async saveState(client: pg.PoolClient, stream: string, state: StreamState): Promise<void> {
    await client.query(
      `INSERT INTO ${this.bookkeeping('state')} (stream, state, updated_at) VALUES ($1, $2::jsonb, now())
       ON CONFLICT (stream) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [stream, JSON.stringify(state)],
    );
  }

  private async stateIs(client: pg.PoolClient, stream: string, state: StreamState): Promise<boolean> {
    const res = await client.query<{ same: boolean }>(
      `SELECT state = $2::jsonb AS same FROM ${this.bookkeeping('state')} WHERE stream = $1`,
      [stream, JSON.stringify(state)],
    );
    return res.rows[0]?.same === true;
  }

  private warningsFor(stream: string, stats: CopyStats): DestinationWarning[] {
    const warnings: DestinationWarning[] = [];
    const columns = [...stats.columns];
    if (stats.nulValues > 0) {
      warnings.push({
        code: 'TRB_DEST_NUL_STRIPPED',
        stream,
        message:
          `stream "${stream}": removed NUL characters (U+0000) from ${stats.nulValues} value(s) in column(s) ` +
          `${columns.join(', ')}; PostgreSQL text cannot store them`,
        details: { values: stats.nulValues, columns, destination: this.description },
      });
    }
    if (stats.invalidUtf16Values > 0) {
      warnings.push({
        code: 'TRB_DEST_INVALID_UTF16',
        stream,
        message:
          `stream "${stream}": replaced unpaired UTF-16 surrogates with U+FFFD in ${stats.invalidUtf16Values} ` +
          `value(s) in column(s) ${columns.join(', ')}; they have no UTF-8 form`,
        details: { values: stats.invalidUtf16Values, columns, destination: this.description },
      });
    }
    return warnings;
  }
}

/** The table of a stream. */
function streamTable(stream: string): PgIdentifier {
  if (stream.startsWith('_tributary_')) {
    throw new DestinationError(
      'TRB_DEST_SCHEMA',
      `stream name "${stream}" is reserved: names starting with _tributary_ belong to tributary's own tables`,
    );
  }
  return pgIdentifier(stream, 'table');
}

/** The side table a replace-mode pass of a stream is built in. */
function sideTable(stream: string): PgIdentifier {
  streamTable(stream);
  return derivedIdentifier('_tributary_replace_', stream, '', 'table');
}

/** Reject rows the table spec cannot hold before any transaction starts. */
function checkRows(spec: TableSpec, rows: readonly Row[]): void {
  const known = new Set(spec.columns.map((c) => c.name));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (const key in row) {
      if (!known.has(key)) {
        throw new DestinationError(
          'TRB_DEST_SCHEMA',
          `stream "${spec.stream}": row ${i} has field "${key}", which the table spec does not declare`,
          { details: { stream: spec.stream, row: i, field: key } },
        );
      }
    }
    for (const key of spec.primaryKey) {
      const v = ownValue(row, key);
      if (v === null || v === undefined) {
        throw new DestinationError(
          'TRB_DEST_WRITE',
          `stream "${spec.stream}": row ${i} has no value for primary key column "${key}"`,
          { details: { stream: spec.stream, row: i, column: key } },
        );
      }
    }
  }
}

/** INSERT … SELECT DISTINCT ON (pk) … ON CONFLICT DO UPDATE from the staging table; the last row of a key wins. */
function upsertSql(qualifiedTable: string, plan: TablePlan, unchangedBy?: string): string {
  const cols = plan.columns.map((c) => quoteIdent(c.name));
  const system = [SYSTEM_COLUMNS.syncedAt, SYSTEM_COLUMNS.deleted, SYSTEM_COLUMNS.pass].map(quoteIdent);
  const insert = `INSERT INTO ${qualifiedTable} (${[...cols, ...system].join(', ')})`;
  const values = `${cols.join(', ')}, $1::timestamptz, false, $2::text`;
  const ord = quoteIdent(ORDINAL_COLUMN);
  if (plan.primaryKey.length === 0) return `${insert} SELECT ${values} FROM ${STAGE_TABLE} ORDER BY ${ord}`;
  const pk = plan.primaryKey.map(quoteIdent).join(', ');
  const updates = [...cols, ...system]
    .filter((c) => !plan.primaryKey.map(quoteIdent).includes(c))
    .map((c) => `${c} = EXCLUDED.${c}`);
  return (
    `${insert} SELECT DISTINCT ON (${pk}) ${values} FROM ${STAGE_TABLE} ORDER BY ${pk}, ${ord} DESC ` +
    `ON CONFLICT (${pk}) DO UPDATE SET ${updates.join(', ')}` +
    (unchangedBy
      ? ` WHERE ${qualifiedTable}.${quoteIdent(unchangedBy)} IS DISTINCT FROM EXCLUDED.${quoteIdent(unchangedBy)} OR ${qualifiedTable}.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
      : '')
  );
}

/** Mark stored rows whose `unchangedBy` value equals the staged one as seen by this pass, without rewriting them. */
function touchUnchangedSql(qualifiedTable: string, plan: TablePlan, unchangedBy: string): string {
  const pk = plan.primaryKey.map(quoteIdent);
  const by = quoteIdent(unchangedBy);
  const ord = quoteIdent(ORDINAL_COLUMN);
  const staged = `SELECT DISTINCT ON (${pk.join(', ')}) ${[...pk, by].join(', ')} FROM ${STAGE_TABLE} ORDER BY ${pk.join(', ')}, ${ord} DESC`;
  const join = pk.map((c) => `t.${c} = s.${c}`).join(' AND ');
  return (
    `UPDATE ${qualifiedTable} AS t SET ${quoteIdent(SYSTEM_COLUMNS.pass)} = $1::text FROM (${staged}) AS s ` +
    `WHERE ${join} AND t.${by} IS NOT DISTINCT FROM s.${by} AND NOT t.${quoteIdent(SYSTEM_COLUMNS.deleted)}`
  );
}

async function logChange(client: pg.PoolClient, table: string, runId: string | null, change: SchemaChange) {
  await client.query(
    `INSERT INTO ${table} (run_id, stream, kind, column_name, from_type, to_type, source_path) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      runId,
      change.stream,
      change.kind,
      change.column ?? null,
      change.fromType ?? null,
      change.toType ?? null,
      change.sourcePath ?? null,
    ],
  );
}
