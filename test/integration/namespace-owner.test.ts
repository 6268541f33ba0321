/**
 * One namespace belongs to one connection, on DuckDB and on PostgreSQL: a connector pointed at another
 * connector's schema is refused (TRB_NAMESPACE_OWNED, exit 2) before it reads or writes anything of it; an
 * unowned namespace is claimed by the first connector, unless it holds another connector's runs or streams.
 * Real simulators over HTTP, real databases.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import { ConfigError, type TributaryError } from '../../src/errors.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { humaansConfig, syncConnector } from '../helpers/humaans.js';
import { PG_TEST_URL, pgReachable } from '../helpers/postgres.js';

const CI = process.env.CI === 'true';
const pgAvailable = await pgReachable();
if (!pgAvailable && !CI) {
  console.warn(
    '[namespace-owner tests] PostgreSQL cases SKIPPED: PostgreSQL is not reachable (fail under CI=true).',
  );
}

const HUMAANS_STREAMS = ['companies', 'documents', 'job_roles', 'people', 'locations', 'time_away'];

interface Target {
  name: string;
  url: () => string;
  query: (namespace: string, sql: string) => Promise<Record<string, unknown>[]>;
  cleanup: (namespace: string) => Promise<void>;
}

let dir: string;
const duckdbTarget: Target = {
  name: 'duckdb',
  url: () => `duckdb:${join(dir, 'owned.duckdb')}`,
  query: async (_ns, sql) => {
    // Read-write: some cases rewrite the bookkeeping the way an older namespace looks.
    const instance = await DuckDBInstance.create(join(dir, 'owned.duckdb'));
    try {
      const conn = await instance.connect();
      const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
      conn.closeSync();
      return rows;
    } finally {
      instance.closeSync();
    }
  },
  cleanup: async () => undefined,
};
const postgresTarget: Target = {
  name: 'postgres',
  url: () => PG_TEST_URL,
  query: async (_ns, sql) => {
    const client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  },
  cleanup: async (namespace) => {
    await postgresTarget.query(namespace, `DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
  },
};
const targets = [duckdbTarget, ...(pgAvailable || CI ? [postgresTarget] : [])];

let humaans: SimulatorHandle;
let baton: SimulatorHandle;
const batonConfig = () => ({ api_key: 'sim-key', company: 'acme', base_url: baton.baseUrl });

beforeAll(async () => {
  dir = tempDir('tributary-owner-');
  humaans = await startHumaansSimulator({ seed: 41, records: 30 });
  baton = await startHellobatonSimulator({ seed: 41, records: 30, rateLimitPerMinute: 0 });
});
afterAll(async () => {
  await humaans.close();
  await baton.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refused(p: Promise<unknown>): Promise<TributaryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const e = err as TributaryError;
  expect(e.code).toBe('TRB_NAMESPACE_OWNED');
  expect(e.exitCode).toBe(2);
  expect(e.message).toMatch(/Nothing was read or written/);
  return e;
}

describe.each(targets)('namespace ownership on $name', (t) => {
  const ns = (tag: string) => `trb_owner_${tag}_${process.pid}`;

  /** Everything in the namespace that another connection must not touch. */
  async function snapshot(namespace: string) {
    const q = (sql: string) => t.query(namespace, sql);
    return {
      people: await q(`SELECT id, _tributary_synced_at::VARCHAR AS s FROM "${namespace}".people ORDER BY id`),
      state: await q(
        `SELECT stream, state::VARCHAR AS state FROM "${namespace}"._tributary_state ORDER BY stream`,
      ),
      runs: await q(`SELECT run_id, connector, status FROM "${namespace}"._tributary_runs ORDER BY run_id`),
      owner: await q(`SELECT connector, connection FROM "${namespace}"._tributary_owner`),
    };
  }

  it('the first connector owns the namespace; another connector is refused and changes nothing', async () => {
    const namespace = ns('a');
    await t.cleanup(namespace);
    try {
      const first = await syncConnector('humaans', humaansConfig(humaans), t.url(), { namespace });
      expect(first.status).toBe('succeeded');
      const before = await snapshot(namespace);
      expect(before.owner).toEqual([{ connector: 'humaans', connection: null }]);
      expect(before.people.length).toBeGreaterThan(0);

      const err = await refused(
        syncConnector('hellobaton', batonConfig(), t.url(), { namespace, streams: ['companies'] }),
      );
      expect(err.message).toContain(`namespace "${namespace}"`);
      expect(err.message).toContain('owned by connector "humaans", not connector "hellobaton"');
      expect(await snapshot(namespace)).toEqual(before);

      // The owner itself carries on.
      const again = await syncConnector('humaans', humaansConfig(humaans), t.url(), { namespace });
      expect(again.status).toBe('succeeded');
    } finally {
      await t.cleanup(namespace);
    }
  });

  it('an unowned namespace is claimed by its own connector, never by one whose runs or streams it lacks', async () => {
    const namespace = ns('b');
    await t.cleanup(namespace);
    try {
      await syncConnector('humaans', humaansConfig(humaans), t.url(), { namespace });
      // As a namespace written before owners were recorded looks.
      await t.query(namespace, `DELETE FROM "${namespace}"._tributary_owner`);
      const legacy = await snapshot(namespace);

      const byRuns = await refused(
        syncConnector('hellobaton', batonConfig(), t.url(), { namespace, streams: ['companies'] }),
      );
      expect(byRuns.message).toContain('it holds runs of connector "humaans"');
      expect(await snapshot(namespace)).toEqual(legacy);

      // Without runs, its stream tables and state still say whose it is.
      await t.query(namespace, `DELETE FROM "${namespace}"._tributary_runs`);
      const destination = await createDestination(
        { url: t.url() },
        { namespace, connector: 'hellobaton', streams: ['companies', 'projects', 'tasks', 'users'] },
      );
      const byStreams = await refused(destination.open());
      await destination.close();
      expect(byStreams.message).toContain(
        'it holds tables or state of streams "documents", "job_roles", "locations", "people", "time_away"',
      );
      expect((await snapshot(namespace)).owner).toEqual([]);

      // Its own connector claims it, and its data is intact.
      const own = await createDestination(
        { url: t.url() },
        { namespace, connector: 'humaans', streams: HUMAANS_STREAMS },
      );
      await own.open();
      await own.close();
      const claimed = await snapshot(namespace);
      expect(claimed.owner).toEqual([{ connector: 'humaans', connection: null }]);
      expect(claimed.people).toEqual(legacy.people);
      expect(claimed.state).toEqual(legacy.state);
    } finally {
      await t.cleanup(namespace);
    }
  });

  it('a connection name, once recorded, must match; an unnamed owner takes the first name given', async () => {
    const namespace = ns('c');
    await t.cleanup(namespace);
    const open = async (connection?: string) => {
      const d = await createDestination(
        { url: t.url() },
        { namespace, connector: 'humaans', ...(connection === undefined ? {} : { connection }) },
      );
      try {
        await d.open();
      } finally {
        await d.close();
      }
    };
    const owner = () =>
      t.query(namespace, `SELECT connector, connection FROM "${namespace}"._tributary_owner`);
    try {
      await open();
      expect(await owner()).toEqual([{ connector: 'humaans', connection: null }]);
      await open('prod');
      expect(await owner()).toEqual([{ connector: 'humaans', connection: 'prod' }]);
      await open('prod');
      const other = await refused(open('staging'));
      expect(other.message).toContain(
        'owned by connector "humaans" (connection "prod"), not connector "humaans" (connection "staging")',
      );
      await refused(open());
      expect(await owner()).toEqual([{ connector: 'humaans', connection: 'prod' }]);
    } finally {
      await t.cleanup(namespace);
    }
  });
});

describe('namespace ownership through the CLI', () => {
  it('sync of another connector into an owned schema exits 2 naming the owner, on DuckDB', async () => {
    const db = join(dir, 'cli-owned.duckdb');
    const humaansCfg = join(dir, 'humaans.json');
    writeFileSync(humaansCfg, JSON.stringify(humaansConfig(humaans)));
    const batonCfg = join(dir, 'baton.json');
    writeFileSync(batonCfg, JSON.stringify(batonConfig()));
    const ok = await runCli([
      'sync',
      'humaans',
      '--config',
      humaansCfg,
      '--destination',
      `duckdb:${db}`,
      '--no-progress',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const r = await runCli([
      'sync',
      'hellobaton',
      '--config',
      batonCfg,
      '--destination',
      `duckdb:${db}`,
      '--namespace',
      'humaans',
      '--no-progress',
    ]);
    expect(r.stderr).toMatch(
      /error \[TRB_NAMESPACE_OWNED\]: namespace "humaans" in duckdb:.* belongs to another connection: it is owned by connector "humaans"/,
    );
    expect(r.code).toBe(2);
    const runs = await queryDuckDb(db, 'SELECT connector FROM humaans._tributary_runs');
    expect(runs).toEqual([{ connector: 'humaans' }]);
  });
});
