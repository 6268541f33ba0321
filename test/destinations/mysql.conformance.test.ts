/**
 * The destination conformance suite against MySQL/MariaDB (TRIBUTARY_TEST_MYSQL_URL, default the local test
 * database), once per bulk path. Each test gets its own namespace (a MySQL database), dropped afterwards.
 */
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlDestination } from '../../src/destinations/mysql/mysql-dialect.js';
import { mysqlIdentifier } from '../../src/destinations/mysql/mysql-names.js';
import { MYSQL_TEST_URL, mysqlAdmin, mysqlReachable, mysqlTestsRun } from '../helpers/mysql.js';
import { describeDestinationConformance, ident } from './conformance.js';

const available = await mysqlReachable();
const run = await mysqlTestsRun('mysql conformance');

let admin: mysql.Pool | undefined;

if (run) {
  beforeAll(() => {
    admin = mysqlAdmin();
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('reaches MySQL (fails in CI when the server is missing)', () => {
    expect(available).toBe(true);
  });

  for (const bulkMethod of ['load-data', 'insert'] as const) {
    describeDestinationConformance(`mysql (${bulkMethod})`, async (namespace) => {
      const destination = new MysqlDestination(MYSQL_TEST_URL, {
        namespace,
        connector: 'test',
        bulkMethod,
        lockTimeoutMs: 2000,
      });
      return {
        destination,
        query: async (sql) => (await admin!.query(sql))[0] as Record<string, unknown>[],
        cleanup: async () => {
          await admin!.query(`DROP DATABASE IF EXISTS ${ident(namespace)}`);
        },
        storedName: (name) => mysqlIdentifier(name, 'column').name,
      };
    });
  }
} else {
  describe.skip('mysql: destination conformance (MySQL not reachable)', () => {
    it('skipped', () => undefined);
  });
}
