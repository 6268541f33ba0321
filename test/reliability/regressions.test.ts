/**
 * Regression tests for the defects the reliability suite found (docs/reliability.md, "Defects found").
 * Each test states the correct behaviour. Defects in code this work did not change are pinned with
 * `it.fails` while support/known-defects.ts marks them open: when the fix lands the test starts failing,
 * which is the signal to close the entry there.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestination } from '../../src/destinations/create-destination.js';
import type { ColumnType, Row, TableSpec } from '../../src/destinations/destination.js';
import { mapWriteError, Redactor } from '../../src/destinations/postgres/postgres-errors.js';
import { NextLinkPaginator } from '../../src/declarative/paginators/next-link-paginator.js';
import { PageNumberPaginator } from '../../src/declarative/paginators/page-number-paginator.js';
import type { FetchedPage, PaginationContext } from '../../src/declarative/paginators/paginator.js';
import { SourceError } from '../../src/errors.js';
import { emptyMetrics, HttpClient } from '../../src/http/http-client.js';
import type { RateBudget } from '../../src/http/rate-budget.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { json, startFakeApi } from '../helpers/fake-api.js';
import { D1_DUCKDB_BIG_DOUBLE_TEXT, D2_DUCKDB_WAL_REPLAY } from '../helpers/reliability/known-defects.js';
import { closeAdmin, pgQuery, PG_URL, postgresAvailable } from '../helpers/reliability/targets.js';

const pgOk = await postgresAvailable();
let dir: string;
beforeAll(() => {
  dir = tempDir('tributary-regress-');
});
afterAll(async () => {
  await closeAdmin();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Numbers whose text form differs between "written into a text column" (JavaScript's String(n)) and a
 * database's own double → text cast: exponent thresholds, integral values of 1e15 and more, -0, tiny values.
 */
const NUMBERS = [
  1234567890123507,
  2 ** 53 - 1,
  1e15,
  1e16 + 2,
  9.5e18,
  1e20,
  123456789012345680000,
  1e21,
  1.5e22,
  -1e15,
  1e-7,
  1.5e-7,
  0.00001,
  0.000123,
  -0.000001,
  0.30000000000000004,
  123.456,
  1 / 3,
  -0,
  5e-324,
  1.7976931348623157e308,
  42,
  -7.25,
];

/**
 * Write NUMBERS straight into a text column, and through bigint/double columns that are then widened to
 * text: every value must read the same either way (a value must not depend on when its column widened).
 */
async function widenedVersusDirect(
  url: string,
  schema: string,
): Promise<{ direct: string[]; widened: string[] }> {
  const out: Record<string, string[]> = {};
  for (const path of ['direct', 'widened'] as const) {
    const namespace = `${schema}_${path}`;
    const d = await createDestination({ url }, { namespace, connector: 'regress' });
    await d.open();
    try {
      const spec = (t: ColumnType): TableSpec => ({
        stream: 'n',
        primaryKey: ['id'],
        columns: [
          { name: 'id', type: 'bigint' },
          { name: 'v', type: t },
        ],
      });
      const write = (t: ColumnType, rows: Row[]) =>
        d.write({
          runId: 'r',
          stream: 'n',
          table: spec(t),
          rows,
          state: {},
          syncedAt: new Date(),
          mode: 'upsert',
        });
      const rows: Row[] = NUMBERS.map((v, id) => ({ id, v }));
      if (path === 'direct') await write('varchar', rows);
      else {
        await write(
          'bigint',
          rows.filter((r) => Number.isSafeInteger(r.v) && !Object.is(r.v, -0)),
        );
        await write(
          'double',
          rows.filter((r) => !Number.isSafeInteger(r.v) || Object.is(r.v, -0)),
        );
        await write('varchar', [{ id: 999, v: 'text' }]);
      }
    } finally {
      await d.close();
    }
    out[path] = await readBack(url, namespace);
  }
  return { direct: out.direct!, widened: out.widened! };
}

async function readBack(url: string, namespace: string): Promise<string[]> {
  if (url.startsWith('duckdb:')) {
    const { withDuckDb } = await import('../helpers/reliability/targets.js');
    return withDuckDb(url.slice(7), async (q) =>
      (await q(`select v from "${namespace}".n where id < 999 order by id`)).map((r) => String(r.v)),
    );
  }
  const rows = await pgQuery(`select v from "${namespace}".n where id < 999 order by id`);
  await pgQuery(`drop schema "${namespace}" cascade`);
  return rows.map((r) => String(r.v));
}

describe('PostgreSQL: a value reads the same before and after its column widens', () => {
  it.skipIf(!pgOk)(
    'double → text prints numbers as they are written into text (JavaScript form)',
    async () => {
      const { direct, widened } = await widenedVersusDirect(PG_URL, `rel_regress_${process.pid}`);
      expect(direct).toEqual(NUMBERS.map((n) => String(n)));
      expect(widened).toEqual(direct);
    },
  );

  it.skipIf(!pgOk)("timestamp → text keeps the engine's ISO-8601 form with milliseconds", async () => {
    const namespace = `rel_regress_ts_${process.pid}`;
    const d = await createDestination({ url: PG_URL }, { namespace, connector: 'regress' });
    await d.open();
    const spec = (t: ColumnType): TableSpec => ({
      stream: 't',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'at', type: t },
      ],
    });
    const values = ['2024-01-15T12:34:56.000Z', '2024-01-15T12:34:56.780Z', '2024-01-15T12:34:56.123456Z'];
    try {
      await d.write({
        runId: 'r',
        stream: 't',
        table: spec('timestamp'),
        rows: values.map((at, id) => ({ id, at })),
        state: {},
        syncedAt: new Date(),
        mode: 'upsert',
      });
      await d.write({
        runId: 'r',
        stream: 't',
        table: spec('varchar'),
        rows: [{ id: 9, at: 'not a date' }],
        state: {},
        syncedAt: new Date(),
        mode: 'upsert',
      });
    } finally {
      await d.close();
    }
    const rows = await pgQuery(`select at from "${namespace}".t where id < 9 order by id`);
    await pgQuery(`drop schema "${namespace}" cascade`);
    expect(rows.map((r) => r.at)).toEqual(values);
  });

  it('a database dropped mid-sync is a lost destination (TRB_DEST_CONNECTION), not "rejected the data"', () => {
    const err = mapWriteError(
      Object.assign(new Error('database "gone" does not exist'), { code: '3D000' }),
      'writing a batch of stream "documents"',
      {
        description: 'postgres://u@h:5432/gone',
        host: 'h',
        port: 5432,
        database: 'gone',
        user: 'u',
        schema: 's',
      },
      new Redactor([]),
    );
    expect(err.code).toBe('TRB_DEST_CONNECTION');
    expect(err.message).toMatch(/database "gone" no longer exists on PostgreSQL at h:5432/);
    expect(err.message).not.toMatch(/rejected the data/);
  });
});

describe('DuckDB (src/destinations/duckdb, pinned: fixes belong to its owner)', () => {
  const d1 = D1_DUCKDB_BIG_DOUBLE_TEXT.open ? it.fails : it;
  d1(
    `D1: double → varchar widening prints integral doubles of 1e15+ as written (${D1_DUCKDB_BIG_DOUBLE_TEXT.open ? 'open' : 'fixed'})`,
    async () => {
      const { direct, widened } = await widenedVersusDirect(`duckdb:${join(dir, 'd1.duckdb')}`, 'd1');
      expect(widened).toEqual(direct);
    },
  );

  const d2 = D2_DUCKDB_WAL_REPLAY.open ? it.fails : it;
  d2(
    `D2: a file killed right after a committed type widening opens again (${D2_DUCKDB_WAL_REPLAY.open ? 'open' : 'fixed'})`,
    async () => {
      const path = join(dir, 'd2.duckdb');
      // A child commits a batch that widens a double column to varchar, then dies before any checkpoint.
      const script = `
      import { createDestination } from ${JSON.stringify(join(ROOT, 'dist', 'destinations', 'create-destination.js'))};
      const d = await createDestination({ url: ${JSON.stringify(`duckdb:${path}`)} }, { namespace: 'w', connector: 'r' });
      await d.open();
      const spec = (t) => ({ stream: 's', primaryKey: ['id'], columns: [{ name: 'id', type: 'bigint' }, { name: 'v', type: t }] });
      const w = (t, rows) => d.write({ runId: 'r', stream: 's', table: spec(t), rows, state: {}, syncedAt: new Date(), mode: 'upsert' });
      await w('double', [{ id: 1, v: 1.5 }]);
      await w('varchar', [{ id: 2, v: 'text' }]);
      process.kill(process.pid, 'SIGKILL');
    `;
      expect(CLI).toContain('dist');
      await new Promise<void>((resolve) => {
        spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' }).on('close', () =>
          resolve(),
        );
      });
      const d = await createDestination({ url: `duckdb:${path}` }, { namespace: 'w', connector: 'r' });
      await d.open();
      await d.close();
    },
    60_000,
  );
});

describe('link-following paginators', () => {
  const page = (
    body: unknown,
    url: string,
    records: Record<string, unknown>[] = [{ id: 1 }, { id: 2 }],
  ): FetchedPage => ({
    records,
    body,
    bytes: 10,
    url: new URL(url),
    endOfStream: false,
  });
  const ctx = (fetch: (u: URL) => Promise<FetchedPage>): PaginationContext => ({
    baseUrl: new URL('http://api.test/api/users/'),
    fetch,
    state: undefined,
  });
  async function drain(gen: AsyncGenerator<unknown>, max = 50): Promise<number> {
    let n = 0;
    for await (const _ of gen) if (++n > max) throw new Error('runs forever');
    return n;
  }

  it('page numbers: a next link back to a page already read is a clear error, not an endless sync', async () => {
    const p = new PageNumberPaginator({
      pageParam: 'page',
      pageSize: 2,
      startPage: 1,
      nextPath: ['next'],
      concurrency: 1,
    });
    const err = await drain(
      p.pages(
        ctx(async (u) => page({ next: 'http://api.test/api/users/?page=1&page_size=2' }, u.toString())),
      ),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect((err as SourceError).message).toMatch(/go round in a circle/);
  });

  it('next links: a link to itself is a clear error', async () => {
    const p = new NextLinkPaginator({ nextPath: ['next'], secretParam: 'api_key' });
    const err = await drain(
      p.pages(ctx(async (u) => page({ next: `${u.origin}${u.pathname}?api_key=k-12345` }, u.toString()))),
    ).catch((e: unknown) => e);
    expect((err as SourceError).message).toMatch(/go round in a circle/);
  });

  it.each([
    [
      'page numbers',
      () =>
        new PageNumberPaginator({
          pageParam: 'page',
          pageSize: 2,
          startPage: 1,
          nextPath: ['next'],
          concurrency: 1,
        }),
    ],
    ['next links', () => new NextLinkPaginator({ nextPath: ['next'] })],
  ])(
    '%s: a next link that is not a URL is a bad response naming it (not TRB_INTERNAL), key redacted',
    async (_n, make) => {
      const { globalRedactor } = await import('../../src/util/redact.js');
      globalRedactor.add('k-redact-me-123');
      const err = await drain(
        make().pages(ctx(async (u) => page({ next: 'http://[::1?api_key=k-redact-me-123' }, u.toString()))),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).code).toBe('TRB_SOURCE_BAD_RESPONSE');
      expect((err as SourceError).message).toMatch(/"next" link that is not a URL/);
      expect((err as SourceError).message).not.toContain('k-redact-me-123');
    },
  );
});

describe('HttpClient: 429 without Retry-After', () => {
  it("pauses the budget by this request's own backoff step, not by every 429 the stream ever met", async () => {
    let n = 0;
    // Every third request is a 429 without Retry-After; the retry succeeds.
    const api = await startFakeApi((_req, res) =>
      ++n % 3 === 0 ? json(res, 429, {}) : json(res, 200, { ok: true }),
    );
    const pauses: number[] = [];
    const budget: RateBudget = {
      acquire: async () => 0,
      pause: (ms: number) => {
        pauses.push(ms);
      },
    } as unknown as RateBudget;
    const http = new HttpClient({
      timeoutMs: 5000,
      maxRetries: 3,
      backoff: { baseMs: 40, maxMs: 60_000 },
      budget,
      allowedOrigins: [api.origin],
    });
    const metrics = emptyMetrics();
    try {
      for (let i = 0; i < 15; i++) await http.getJson(new URL(`${api.url}x`), metrics);
    } finally {
      await http.close();
      await api.close();
    }
    expect(metrics.http429).toBeGreaterThanOrEqual(5);
    // First-try 429s pause one base step (20–40 ms) each; before the fix the fifth paused 320–640 ms.
    expect(Math.max(...pauses)).toBeLessThanOrEqual(40);
  });
});
