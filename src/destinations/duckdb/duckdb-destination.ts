/**
 * The embedded default destination: one DuckDB file, one schema per connection, the stream tables and the
 * bookkeeping tables side by side. The write protocol is sql/sql-destination.ts; this file assembles
 * DuckDB's dialect from its roles (connection, SQL text, tables, staging).
 */
import type { DestinationOptions } from '../destination.js';
import type { Dialect } from '../sql/dialect.js';
import { SqlDestination } from '../sql/sql-destination.js';
import { DuckDbConnection, type DuckDbTuning } from './duckdb-connection.js';
import { duckDbSql, duckDbUpsert, foldIdent } from './duckdb-sql.js';
import { createStager } from './duckdb-staging.js';
import { type DuckTx, duckDbTables } from './duckdb-table.js';

export type { DuckDbTuning } from './duckdb-connection.js';

/** DuckDB's identifier rules: no length limit; ASCII letters compare case-insensitively. */
const duckDbNames: Dialect['names'] = {
  identifier(original) {
    return { original, name: original, mapped: false };
  },
  fold: foldIdent,
  mapsNames: false,
};

/** DuckDB's dialect for one file and namespace, and its connection (which also serves `query`). */
export function duckDbDialect(
  path: string,
  namespace: string,
  tuning: DuckDbTuning = {},
): Dialect<DuckTx> & { connection: DuckDbConnection } {
  const description = `duckdb:${path}`;
  const stager = createStager(tuning.staging ?? 'appender');
  const connection = new DuckDbConnection(path, namespace, description, tuning, stager);
  const location = () => connection.location();
  return {
    description,
    product: 'DuckDB',
    // DuckDB holds its file exclusively: nothing else changes the tables while it is open.
    capabilities: { transactionalDdl: true, storesNul: true, cacheShapes: true },
    connection,
    sql: duckDbSql(location),
    names: duckDbNames,
    tables: duckDbTables(location),
    staging: {
      stage: (tx, columns, rows) => stager.stage(tx.conn, columns, rows),
      clear: (tx) => stager.clear(tx.conn),
    },
    upsert: duckDbUpsert,
    redact: (text) => text,
  };
}

export class DuckDbDestination extends SqlDestination<DuckTx> {
  private readonly duck: DuckDbConnection;

  constructor(path: string, opts: DestinationOptions, tuning: DuckDbTuning = {}) {
    const dialect = duckDbDialect(path, opts.namespace, tuning);
    super(dialect, opts);
    this.duck = dialect.connection;
  }

  /**
   * Run a read-only query on this destination's connection and return plain JS rows (BIGINT as bigint,
   * TIMESTAMPTZ as Date). For tests and the CLI: DuckDB lets only this process open the file while it is open.
   */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.duck.serial((tx) => tx.query(sql));
  }
}
