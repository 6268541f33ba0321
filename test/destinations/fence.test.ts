/**
 * Fencing tokens in the write protocol (DestinationOptions.fence): a sync opened with a token lower than one
 * the namespace has seen is refused at open, and a sync that a newer one overtook while it was running is
 * refused at its next commit, inside the transaction, with nothing of that commit visible (TRB_FENCED).
 * The run row records the cluster's trigger, attempt, worker and duration. DuckDB and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination, openDestinationReader } from '../../src/destinations/create-destination.js';
import { advisoryLockKey } from '../../src/destinations/postgres/postgres-sql.js';
import type {
  Destination,
  DestinationOptions,
  TableSpec,
  WriteBatch,
} from '../../src/destinations/destination.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { PG_TEST_URL, pgReachable } from '../helpers/postgres.js';

const table: TableSpec = {
  stream: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'name', type: 'varchar' },
  ],
};

function batch(ids: number[], cursor: number): WriteBatch {
  return {
    runId: `run-${cursor}`,
    stream: 'items',
    table,
    rows: ids.map((id) => ({ id, name: `item ${id}` })),
    state: { cursor },
    syncedAt: new Date('2026-01-01T00:00:00Z'),
    mode: 'upsert',
  };
}

async function open(
  url: string,
  namespace: string,
  extra: Partial<DestinationOptions>,
): Promise<Destination> {
  const d = await createDestination({ url }, { namespace, connector: 'test', ...extra });
  await d.open();
  return d;
}

describe('fencing tokens: DuckDB', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('tributary-fence-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a token lower than the namespace has seen is refused at open; equal or higher ones proceed; unfenced syncs are unaffected', async () => {
    const path = join(dir, 'fence.duckdb');
    const url = `duckdb:${path}`;
    const a = await open(url, 'ns', { fence: 5 });
    await a.write(batch([1, 2], 1));
    await a.close();
    const b = await open(url, 'ns', { fence: 6 });
    await b.write(batch([3], 2));
    await b.close();
    await expect(open(url, 'ns', { fence: 5 })).rejects.toMatchObject({ code: 'TRB_FENCED' });
    const again = await open(url, 'ns', { fence: 6 });
    await again.write(batch([4], 3));
    await again.close();
    // A plain `tributary sync` (no fence) neither checks nor moves the token.
    const plain = await open(url, 'ns', {});
    await plain.write(batch([5], 4));
    await plain.close();
    expect(await queryDuckDb(path, 'select token::int as t from ns._tributary_fence')).toEqual([{ t: 6 }]);
    expect(await queryDuckDb(path, 'select id::int as id from ns.items order by id')).toEqual(
      [1, 2, 3, 4, 5].map((id) => ({ id })),
    );
  });

  it('a run table from before the cluster columns gets them at open, keeping its rows', async () => {
    const path = join(dir, 'old-runs.duckdb');
    const d = await open(`duckdb:${path}`, 'ns', {});
    await d.recordRun({ runId: 'old', connector: 'test', startedAt: new Date(), status: 'succeeded' });
    await d.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    for (const c of ['trigger', 'attempt', 'worker', 'duration_ms'])
      await conn.run(`ALTER TABLE ns._tributary_runs DROP COLUMN ${c}`);
    conn.closeSync();
    db.closeSync();
    const again = await open(`duckdb:${path}`, 'ns', { run: { trigger: 'manual', attempt: 1, worker: 'w' } });
    await again.recordRun({ runId: 'new', connector: 'test', startedAt: new Date(), status: 'running' });
    await again.close();
    expect(
      await queryDuckDb(
        path,
        'select run_id, trigger, attempt::int as attempt, worker from ns._tributary_runs order by run_id',
      ),
    ).toEqual([
      { run_id: 'new', trigger: 'manual', attempt: 1, worker: 'w' },
      { run_id: 'old', trigger: null, attempt: null, worker: null },
    ]);
  });

  it('the run row records trigger, attempt, worker and duration', async () => {
    const path = join(dir, 'runs.duckdb');
    const d = await open(`duckdb:${path}`, 'ns', {
      fence: 1,
      run: { trigger: 'retry', attempt: 2, worker: 'w1:42' },
    });
    const startedAt = new Date('2026-01-01T00:00:00Z');
    await d.recordRun({ runId: 'r1', connector: 'test', startedAt, status: 'running' });
    await d.recordRun({
      runId: 'r1',
      connector: 'test',
      startedAt,
      endedAt: new Date(startedAt.getTime() + 1234),
      status: 'succeeded',
    });
    await d.close();
    expect(
      await queryDuckDb(
        path,
        'select trigger, attempt::int as attempt, worker, duration_ms::int as ms from ns._tributary_runs',
      ),
    ).toEqual([{ trigger: 'retry', attempt: 2, worker: 'w1:42', ms: 1234 }]);
    // `tributary runs` and `status` read them back.
    const reader = await openDestinationReader({ url: `duckdb:${path}` });
    try {
      expect(await reader.readRuns('ns', 10)).toMatchObject([
        { runId: 'r1', status: 'succeeded', trigger: 'retry', attempt: 2, worker: 'w1:42' },
      ]);
    } finally {
      await reader.close();
    }
  });
});

const pgAvailable = await pgReachable();
if (!pgAvailable && process.env.CI !== 'true')
  console.warn('[fence tests] PostgreSQL part SKIPPED: not reachable');
const describePg = pgAvailable || process.env.CI === 'true' ? describe : describe.skip;

describePg('fencing tokens: PostgreSQL', () => {
  let admin: pg.Client;
  const schema = `trb_fence_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it('a zombie whose lock session died, overtaken by a newer sync, is refused at its next commit and commits nothing of it', async () => {
    const zombie = await open(PG_TEST_URL, schema, { fence: 10 });
    await zombie.write(batch([1, 2], 1));
    // A network split: the server ends the zombie's lock session (the zombie does not know yet).
    // Only this schema's lock session: other test files run in parallel on the same server.
    const key = advisoryLockKey(schema);
    const held = await admin.query(
      "select pid from pg_locks where locktype = 'advisory' and granted and classid = $1 and objid = $2 and objsubid = 1",
      [key.classid, key.objid],
    );
    expect(held.rows).toHaveLength(1);
    for (const r of held.rows) await admin.query('select pg_terminate_backend($1)', [r.pid]);
    // The takeover gets the namespace, claims token 11 and commits.
    const successor = await open(PG_TEST_URL, schema, { fence: 11 });
    await successor.write(batch([3], 2));
    await successor.close();
    // The zombie wakes up: it re-takes the lock (free again) but its commit carries 10 < 11.
    await expect(zombie.write(batch([99], 3))).rejects.toMatchObject({ code: 'TRB_FENCED' });
    await expect(zombie.commitState('items', { cursor: 4 })).rejects.toMatchObject({ code: 'TRB_FENCED' });
    await zombie.close().catch(() => undefined);
    const rows = await admin.query(`select id::int from "${schema}".items order by id`);
    expect(rows.rows.map((r) => r.id)).toEqual([1, 2, 3]);
    const state = await admin.query(`select state from "${schema}"._tributary_state where stream = 'items'`);
    expect(state.rows[0].state).toEqual({ cursor: 2 });
  });
});
