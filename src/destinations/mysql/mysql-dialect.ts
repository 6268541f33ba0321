/**
 * The MySQL/MariaDB dialect: what the one write protocol (sql/sql-destination.ts) needs from MySQL, one
 * role per file (session, SQL text, names, tables, staging), assembled here. `MysqlDestination` is the
 * protocol on top of it.
 */
import { DestinationError } from '../../errors.js';
import type { DestinationOptions } from '../destination.js';
import type { Dialect, DialectNames, IdentifierKind } from '../sql/dialect.js';
import { SqlDestination } from '../sql/sql-destination.js';
import { type ConnectionSettings, connectionSettings } from './mysql-connection.js';
import { foldName, mysqlIdentifier } from './mysql-names.js';
import { MysqlSession, type MysqlTx } from './mysql-session.js';
import { MysqlSql } from './mysql-sql.js';
import { type BulkMethod, MysqlStaging } from './mysql-staging.js';
import { MysqlTables } from './mysql-tables.js';

export interface MysqlDestinationOptions extends DestinationOptions {
  /** Password, kept out of the URL in config; wins over one in the URL. */
  password?: string;
  /** The bulk path. Default `load-data` (faster, bench/mysql-bulk.ts); `insert` when the server refuses it. */
  bulkMethod?: BulkMethod;
  /** How long open() waits for another sync of the same namespace. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** Attempts per transaction after a lost connection, deadlock or lock wait timeout. Default 3. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. Default 250 ms. */
  retryDelayMs?: number;
  /** Write connections (streams write concurrently). Default 4. */
  poolSize?: number;
  connectTimeoutMs?: number;
}

const names: DialectNames = {
  identifier: (original: string, kind: IdentifierKind) => mysqlIdentifier(original, kind),
  fold: foldName,
  mapsNames: true,
};

export function mysqlDialect(url: string, opts: MysqlDestinationOptions): Dialect<MysqlTx> {
  let settings: ConnectionSettings;
  try {
    const schema = mysqlIdentifier(opts.namespace, 'schema').name;
    settings = connectionSettings(url, {
      schema,
      password: opts.password,
      connectTimeoutMs: opts.connectTimeoutMs,
    });
  } catch (err) {
    const message = err instanceof DestinationError ? err.message : 'invalid MySQL destination settings';
    return failing(new DestinationError('TRB_DEST_OPEN', message));
  }
  const schema = settings.target.schema;
  const session = new MysqlSession(settings, {
    poolSize: Math.max(1, opts.poolSize ?? 4),
    lockTimeoutMs: opts.lockTimeoutMs ?? 5000,
    maxAttempts: Math.max(1, opts.maxAttempts ?? 3),
    retryDelayMs: opts.retryDelayMs ?? 250,
  });
  const sql = new MysqlSql(schema);
  const tableOptions = () =>
    `ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE ${session.traits.collation}`;
  const method = (): BulkMethod =>
    (opts.bulkMethod ?? 'load-data') === 'load-data' && session.traits.localInfile ? 'load-data' : 'insert';
  return {
    description: settings.target.description,
    product: 'MySQL',
    capabilities: { transactionalDdl: false, storesNul: true, cacheShapes: false },
    connection: session,
    sql,
    names,
    tables: new MysqlTables(schema, sql, tableOptions),
    staging: new MysqlStaging(
      (t) => sql.qualify(t),
      method,
      () => session.traits.maxPacketBytes,
      tableOptions,
    ),
    upsert: sql,
    redact: (text) => settings.redactor.redact(text),
  };
}

/** A dialect whose open() reports a bad URL or namespace: the caller expects errors from open(). */
function failing(error: DestinationError): Dialect<MysqlTx> {
  const fail = async (): Promise<never> => {
    throw error;
  };
  const sql = new MysqlSql('');
  return {
    description: 'mysql://(invalid destination URL)',
    product: 'MySQL',
    capabilities: { transactionalDdl: false, storesNul: true, cacheShapes: false },
    connection: { open: fail, transaction: fail, close: async () => undefined },
    sql,
    names,
    tables: new MysqlTables('', sql, () => ''),
    staging: new MysqlStaging(
      () => '',
      () => 'insert',
      () => 0,
      () => '',
    ),
    upsert: sql,
    redact: (text) => text,
  };
}

/** The MySQL/MariaDB destination: the write protocol on the MySQL dialect. */
export class MysqlDestination extends SqlDestination<MysqlTx> {
  constructor(url: string, opts: MysqlDestinationOptions) {
    super(mysqlDialect(url, opts), opts);
  }
}
