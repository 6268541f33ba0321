/**
 * PostgreSQL destination: one schema per connection, one table per stream, bookkeeping next to the data.
 * The write protocol is sql/sql-destination.ts; this file assembles PostgreSQL's dialect from its roles
 * (session, SQL text, identifier rules, tables, COPY staging, upsert) and keeps the options callers use.
 */
import { DestinationError } from '../../errors.js';
import type { DestinationOptions, DestinationWarning, WriteBatch, WriteResult } from '../destination.js';
import { SqlDestination } from '../sql/sql-destination.js';
import { type ConnectionSettings, connectionSettings } from './postgres-connection.js';
import { type CopyFormat, copyRows } from './postgres-copy.js';
import { type PgTx, PostgresSession } from './postgres-session.js';
import { type PgIdentifier, pgIdentifier, postgresNames, postgresSql } from './postgres-sql.js';
import { postgresTables } from './postgres-table.js';
import { postgresUpsert, STAGE_TABLE, stageTableSql } from './postgres-upsert.js';

export type { DestinationWarning } from '../destination.js';

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
  /**
   * Also called for each warning after its batch committed. The warnings are on the WriteResult either way,
   * and the engine reports them in the run summary.
   */
  onWarning?: (warning: DestinationWarning) => void;
}

/** Writes streams into one PostgreSQL schema. */
export class PostgresDestination extends SqlDestination<PgTx> {
  private readonly session: PostgresSession;
  private readonly onWarning: ((w: DestinationWarning) => void) | undefined;

  constructor(url: string, opts: PostgresDestinationOptions) {
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
    const description = settings?.target.description ?? 'postgres://(invalid destination URL)';
    const stored = schema?.name ?? schemaName;
    const session = new PostgresSession(description, settings, setupError, stored, {
      lockTimeoutMs: opts.lockTimeoutMs ?? 5000,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 3),
      retryDelayMs: opts.retryDelayMs ?? 250,
      poolSize: opts.poolSize ?? 4,
    });
    const copyFormat = opts.copyFormat ?? 'binary';
    const redactor = settings?.redactor;
    super(
      {
        description,
        product: 'PostgreSQL',
        // Other sessions may change the schema's tables between transactions: read the catalog each time.
        capabilities: { transactionalDdl: true, storesNul: false, cacheShapes: false },
        connection: session,
        sql: postgresSql(stored),
        names: postgresNames,
        tables: postgresTables(stored),
        staging: {
          async stage(tx, columns, rows) {
            await tx.run(stageTableSql(columns));
            await copyRows(tx.client, STAGE_TABLE, columns, rows.rows, copyFormat);
            return STAGE_TABLE;
          },
          async clear(tx) {
            await tx.run(`DROP TABLE IF EXISTS ${STAGE_TABLE}`);
          },
        },
        upsert: postgresUpsert,
        redact: (text) => (redactor === undefined ? text : redactor.redact(text)),
      },
      { ...opts, namespace: schemaName },
    );
    this.session = session;
    this.onWarning = opts.onWarning;
  }

  override async write(batch: WriteBatch): Promise<PostgresWriteResult> {
    const result = await super.write(batch);
    const warnings = result.warnings ?? [];
    for (const w of warnings) this.onWarning?.(w);
    const count = (code: DestinationWarning['code']) =>
      Number(warnings.find((w) => w.code === code)?.details.values ?? 0);
    return {
      ...result,
      nulValuesStripped: count('TRB_DEST_NUL_STRIPPED'),
      invalidUtf16Values: count('TRB_DEST_INVALID_UTF16'),
      warnings,
    };
  }

  /** Backend pid of the lock session, for tests that simulate a lost connection. */
  get lockSessionPid(): number | undefined {
    return this.session.lockPid;
  }
}
