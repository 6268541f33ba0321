/**
 * The destination conformance suite against PostgreSQL (TRIBUTARY_TEST_POSTGRES_URL, default the local
 * test database). Each test gets its own schema, dropped afterwards.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDestination } from '../../src/destinations/postgres/postgres-destination.js';
import { describeDestinationConformance, ident } from './conformance.js';
import { pgReachable } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CI = process.env.CI === 'true';

const reachable = () => pgReachable(PG_URL);

const available = await reachable();
if (!available && !CI) {
  console.warn(
    `[postgres tests] SKIPPED: PostgreSQL is not reachable at ${PG_URL.replace(/:[^:@/]*@/, ':***@')}. ` +
      'Set TRIBUTARY_TEST_POSTGRES_URL to run them (they fail instead of skipping when CI=true).',
  );
}

let admin: pg.Pool | undefined;

if (available || CI) {
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
    admin.on('error', () => undefined);
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('reaches PostgreSQL (fails in CI when the server is missing)', () => {
    expect(available).toBe(true);
  });

  for (const copyFormat of ['binary', 'text'] as const) {
    describeDestinationConformance(`postgres (${copyFormat} COPY)`, async (namespace) => {
      const destination = new PostgresDestination(PG_URL, {
        namespace,
        connector: 'test',
        copyFormat,
        lockTimeoutMs: 2000,
        onWarning: () => undefined,
      });
      return {
        destination,
        query: async (sql) => (await admin!.query(sql)).rows,
        cleanup: async () => {
          await admin!.query(`DROP SCHEMA IF EXISTS ${ident(namespace)} CASCADE`);
        },
      };
    });
  }
} else {
  describe.skip('postgres: destination conformance (PostgreSQL not reachable)', () => {
    it('skipped', () => undefined);
  });
}
