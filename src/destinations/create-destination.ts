/**
 * Turning a destination address into a Destination: `duckdb:PATH` (or a bare path ending in .duckdb/.db) for
 * the embedded default, `postgres://…` / `postgresql://…` for PostgreSQL, `mysql://…` / `mariadb://…` for
 * MySQL and MariaDB. Drivers load lazily so a DuckDB
 * user never loads pg, and vice versa.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors.js';
import type { Destination, DestinationOptions, DestinationReader } from './destination.js';

export const DEFAULT_DESTINATION = 'duckdb:./tributary.duckdb';

/** MySQL and MariaDB speak the same protocol: either scheme selects the MySQL destination. */
const MYSQL_URL = /^(mysql|mariadb):\/\//i;

export interface DestinationSpec {
  /** `duckdb:PATH`, `postgres://user@host:port/db` or `mysql://user@host:port/db`. */
  url: string;
  /** Schema (namespace) override. */
  schema?: string;
  /** PostgreSQL or MySQL password, kept out of the URL so it is never printed. */
  password?: string;
}

/** Which database an address names, or a ConfigError naming the address (password masked). */
function classify(url: string): { kind: 'postgres' } | { kind: 'mysql' } | { kind: 'duckdb'; path: string } {
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres' };
  if (MYSQL_URL.test(url)) return { kind: 'mysql' };
  if (url.startsWith('duckdb:') || /\.(duckdb|db)$/i.test(url)) {
    const path = url.startsWith('duckdb:') ? url.slice('duckdb:'.length) : url;
    if (path === '')
      throw new ConfigError('destination duckdb: needs a file path, e.g. duckdb:./tributary.duckdb', {
        details: { field: 'destination' },
      });
    return { kind: 'duckdb', path };
  }
  throw new ConfigError(
    `destination ${JSON.stringify(url.replace(/:\/\/[^@/]*@/, '://***@'))} is not understood: use duckdb:PATH or postgres://user@host:port/database, or mysql://user@host:port/database`,
    { details: { field: 'destination' } },
  );
}

export async function createDestination(
  spec: DestinationSpec,
  opts: DestinationOptions,
): Promise<Destination> {
  const url = spec.url.trim();
  const namespace = spec.schema ?? opts.namespace;
  if (!/^[^\u0000]{1,200}$/.test(namespace)) {
    throw new ConfigError(`destination schema name ${JSON.stringify(namespace)} is empty or too long`, {
      details: { field: 'schema' },
    });
  }
  const target = classify(url);
  if (target.kind === 'postgres') {
    const { PostgresDestination } = await import('./postgres/postgres-destination.js');
    return new PostgresDestination(url, { ...opts, namespace, schema: namespace, password: spec.password });
  }
  if (target.kind === 'mysql') {
    const { MysqlDestination } = await import('./mysql/mysql-dialect.js');
    return new MysqlDestination(url, { ...opts, namespace, password: spec.password });
  }
  const { DuckDbDestination } = await import('./duckdb/duckdb-destination.js');
  // Leave a core to the engine's own thread (parsing and transforming pages): on 2 cores, one DuckDB
  // thread measured ~15% faster and ~20% less CPU than two (bench notes in docs/destinations/duckdb.md).
  return new DuckDbDestination(
    target.path,
    { ...opts, namespace },
    { threads: Math.max(1, availableParallelism() - 1) },
  );
}

/**
 * A read-only view of the database a destination address points at (see DestinationReader). Never creates
 * a DuckDB file or a PostgreSQL schema: a missing one is a TRB_DEST_OPEN error (exit 2).
 */
export async function openDestinationReader(
  spec: Pick<DestinationSpec, 'url' | 'password'>,
): Promise<DestinationReader> {
  const url = spec.url.trim();
  const target = classify(url);
  if (target.kind === 'postgres') {
    const { PostgresReader } = await import('./postgres/postgres-reader.js');
    return PostgresReader.open(url, spec.password);
  }
  if (target.kind === 'mysql') {
    const { MysqlReader } = await import('./mysql/mysql-reader.js');
    return MysqlReader.open(url, spec.password);
  }
  const { DuckDbReader } = await import('./duckdb/duckdb-reader.js');
  return DuckDbReader.open(target.path);
}
