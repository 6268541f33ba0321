/**
 * Hellobaton's client-side incremental (`skip_unchanged`): a full pass still reads every page, but rows whose
 * `modified` is unchanged are not rewritten and count as unchanged; deletions are still soft-deleted.
 * Runs against DuckDB and, when reachable, PostgreSQL.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { syncConnector } from '../helpers/humaans.js';
import { postgresTestsRun } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const dir = tempDir();
const schema = `skip_unchanged_${process.pid}`;
const targets: Array<{
  name: string;
  url: string;
  query: (sql: string) => Promise<Record<string, unknown>[]>;
}> = [
  {
    name: 'duckdb',
    url: `duckdb:${join(dir, 'skip.duckdb')}`,
    query: (sql) => queryDuckDb(join(dir, 'skip.duckdb'), sql),
  },
];

describe('skip_unchanged (client-side incremental)', async () => {
  if (await postgresTestsRun('skip_unchanged', PG_URL)) {
    targets.push({
      name: 'postgres',
      url: PG_URL,
      query: async (sql) => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        try {
          return (await c.query(sql)).rows;
        } finally {
          await c.end();
        }
      },
    });
  }
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    } catch {}
  });

  it.each(targets.map((t) => [t.name, t] as const))(
    '%s: unchanged rows are left alone, changes and deletions land',
    async (_name, t) => {
      const sim = await startHellobatonSimulator({ seed: 21, records: 800, rateLimitPerMinute: 0 });
      try {
        const cfg = {
          api_key: 'sim-key',
          company: 'acme',
          base_url: sim.baseUrl,
          skip_unchanged: true,
          requests_per_minute: 100_000,
        };
        const first = await syncConnector('hellobaton', cfg, t.url, {
          streams: ['tasks'],
          namespace: schema,
        });
        expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
        const total = sim.records('tasks').length;
        const m = sim.mutate({ stream: 'tasks', updates: 3, deletes: 2, creates: 1, seed: 4 });
        const second = await syncConnector('hellobaton', cfg, t.url, {
          streams: ['tasks'],
          namespace: schema,
        });
        expect(second.status, JSON.stringify(second.error)).toBe('succeeded');
        const s = second.streams[0]!;
        expect(s.upserts).toBe(3 + 1);
        expect(s.unchanged).toBe(total - 3 - 2);
        expect(s.softDeletes).toBe(2);
        const live = (
          await t.query(`select id from "${schema}".tasks where not _tributary_deleted order by id`)
        ).map((r) => Number(r.id));
        expect(live).toEqual(
          sim
            .records('tasks')
            .map((r) => Number(r.id))
            .sort((a, b) => a - b),
        );
        const deleted = (
          await t.query(`select id from "${schema}".tasks where _tributary_deleted order by id`)
        ).map((r) => Number(r.id));
        expect(deleted).toEqual([...(m.deleted as number[])].sort((a, b) => a - b));
        const updated = sim.records('tasks').find((r) => r.id === (m.updated as number[])[0])!;
        const [row] = await t.query(`select title from "${schema}".tasks where id = ${updated.id}`);
        expect(row!.title).toBe(updated.title);
      } finally {
        await sim.close();
      }
    },
  );
});
