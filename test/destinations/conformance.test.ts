/**
 * The destination conformance suite (conformance.ts), run for every destination from one place. Each entry
 * of the matrix names a destination, the service it needs (skipped with a notice when that service is not
 * reachable, failed under CI=true), and how to make one for a namespace. A new destination adds one entry.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbDestination, type DuckDbTuning } from '../../src/destinations/duckdb/duckdb-destination.js';
import type { CopyFormat } from '../../src/destinations/postgres/postgres-copy.js';
import { PostgresDestination } from '../../src/destinations/postgres/postgres-destination.js';
import { MysqlDestination } from '../../src/destinations/mysql/mysql-dialect.js';
import { mysqlIdentifier } from '../../src/destinations/mysql/mysql-names.js';
import type mysql from 'mysql2/promise';
import { tempDir } from '../helpers/duckdb.js';
import { PG_TEST_URL, pgReachable, postgresTestsRun } from '../helpers/postgres.js';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlReachable, mysqlTestsRun } from '../helpers/mysql.js';
import { describeDestinationConformance, ident, type MakeDestination } from './conformance.js';

/** A service a destination needs: whether its tests run, and whether it really answers. */
interface Service {
  name: string;
  /** Whether the tests run (reachable, or CI=true where an unreachable service fails them). */
  run(): Promise<boolean>;
  reachable(): Promise<boolean>;
}

interface MatrixEntry {
  name: string;
  /** Undefined for an embedded database. */
  service?: Service;
  make: MakeDestination;
}

const postgres: Service = {
  name: 'PostgreSQL',
  run: () => postgresTestsRun('destination conformance'),
  reachable: () => pgReachable(),
};

let pgAdmin: pg.Pool | undefined;
function pgQuery(sql: string): Promise<Record<string, unknown>[]> {
  if (pgAdmin === undefined) {
    pgAdmin = new pg.Pool({ connectionString: PG_TEST_URL, max: 2 });
    pgAdmin.on('error', () => undefined);
  }
  return pgAdmin.query(sql).then((r) => r.rows);
}
const mysqlService: Service = {
  name: 'MySQL/MariaDB',
  run: () => mysqlTestsRun('destination conformance'),
  reachable: () => mysqlReachable(),
};

let myAdmin: mysql.Pool | undefined;
async function mysqlQuery(sql: string): Promise<Record<string, unknown>[]> {
  myAdmin ??= mysqlAdmin();
  return (await myAdmin.query(sql))[0] as Record<string, unknown>[];
}

afterAll(async () => {
  await pgAdmin?.end();
  await myAdmin?.end();
});

function duckdb(tuning: DuckDbTuning): MakeDestination {
  return async (namespace) => {
    const dir = tempDir('tributary-duckdb-conf-');
    const destination = new DuckDbDestination(
      join(dir, 'test.duckdb'),
      { namespace, connector: 'test' },
      tuning,
    );
    return {
      destination,
      query: (sql) => destination.query(sql),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      // The key the destination upserts by: its PRIMARY KEY constraint if the table has one, else the
      // key recorded in the table comment (tables tributary creates have no constraint).
      primaryKey: async (namespace, table) => {
        const [t] = await destination.query(
          `select comment from duckdb_tables() where schema_name = '${namespace}' and table_name = '${table}'`,
        );
        const [pk] = await destination.query(
          `select constraint_column_names as cols from duckdb_constraints()
            where schema_name = '${namespace}' and table_name = '${table}' and constraint_type = 'PRIMARY KEY'`,
        );
        if (pk !== undefined) return (pk.cols as unknown[]).map(String);
        const comment = typeof t?.comment === 'string' ? t.comment : '';
        if (!comment.startsWith('tributary:')) return [];
        const key = (JSON.parse(comment.slice('tributary:'.length)) as { primaryKey?: string[] }).primaryKey;
        return key ?? [];
      },
    };
  };
}

function postgresWith(copyFormat: CopyFormat): MakeDestination {
  return async (namespace) => ({
    destination: new PostgresDestination(PG_TEST_URL, {
      namespace,
      connector: 'test',
      copyFormat,
      lockTimeoutMs: 2000,
    }),
    query: pgQuery,
    cleanup: async () => {
      await pgQuery(`DROP SCHEMA IF EXISTS ${ident(namespace)} CASCADE`);
    },
  });
}

/** Each test's namespace is a MySQL database of its own, dropped afterwards; once per bulk path. */
function mysqlWith(bulkMethod: 'load-data' | 'insert'): MakeDestination {
  return async (namespace) => ({
    destination: new MysqlDestination(MYSQL_TEST_URL, {
      namespace,
      connector: 'test',
      bulkMethod,
      lockTimeoutMs: 2000,
    }),
    query: mysqlQuery,
    cleanup: async () => {
      await mysqlQuery(`DROP DATABASE IF EXISTS ${ident(namespace)}`);
    },
    storedName: (name) => mysqlIdentifier(name, 'column').name,
  });
}

const MATRIX: MatrixEntry[] = [
  { name: 'duckdb', make: duckdb({}) },
  { name: 'duckdb (json staging)', make: duckdb({ staging: 'json' }) },
  { name: 'postgres (binary COPY)', service: postgres, make: postgresWith('binary') },
  { name: 'postgres (text COPY)', service: postgres, make: postgresWith('text') },
  { name: 'mysql (load-data)', service: mysqlService, make: mysqlWith('load-data') },
  { name: 'mysql (insert)', service: mysqlService, make: mysqlWith('insert') },
];

for (const entry of MATRIX) {
  const { service } = entry;
  if (service !== undefined && !(await service.run())) {
    describe.skip(`${entry.name}: destination conformance (${service.name} not reachable)`, () => {
      it('skipped', () => undefined);
    });
    continue;
  }
  if (service !== undefined) {
    it(`${entry.name}: reaches ${service.name} (fails in CI when the server is missing)`, async () => {
      expect(await service.reachable()).toBe(true);
    });
  }
  describeDestinationConformance(entry.name, entry.make);
}
