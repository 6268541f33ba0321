/**
 * The Humaans connector end to end: the real simulator over HTTP, the real engine, a real DuckDB file.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { dbPath, humaansConfig, syncConnector } from '../helpers/humaans.js';

const SEED_COLUMNS: Record<string, string[]> = {
  companies: [
    'id',
    'name',
    'description',
    'website',
    'phone',
    'address_line1',
    'address_line2',
    'address_city',
    'address_state',
    'address_postal_code',
    'address_country',
    'created_at',
    'updated_at',
    'timestamp',
  ],
  documents: [
    'id',
    'person_id',
    'name',
    'description',
    'type',
    'filename',
    'file_size',
    'mime_type',
    'url',
    'expiry_date',
    'tags',
    'created_at',
    'updated_at',
    'timestamp',
  ],
  job_roles: [
    'id',
    'name',
    'description',
    'department',
    'location',
    'employment_type',
    'salary_range_min',
    'salary_range_max',
    'salary_currency',
    'requirements',
    'responsibilities',
    'benefits',
    'is_active',
    'created_at',
    'updated_at',
    'timestamp',
  ],
};

describe('humaans sync into DuckDB', () => {
  let sim: SimulatorHandle;
  let dir: string;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 7, records: 1200 });
    dir = tempDir();
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => sim.setFaults(undefined));

  it('lands every record of every stream, with the seed columns', async () => {
    const db = dbPath(dir, 'full.duckdb');
    const run = await syncConnector('humaans', humaansConfig(sim), `duckdb:${db}`);
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    for (const stream of sim.streams().filter((s) => !['me', 'token_info'].includes(s))) {
      const table = stream.replace(/-/g, '_');
      const expected = sim
        .records(stream)
        .map((r) => String(r.id))
        .sort();
      const rows = await queryDuckDb(db, `select id from humaans."${table}" order by id`);
      expect(
        rows.map((r) => String(r.id)),
        `stream ${table}`,
      ).toEqual(expected);
    }
    for (const [table, cols] of Object.entries(SEED_COLUMNS)) {
      const got = (
        await queryDuckDb(
          db,
          `select column_name from information_schema.columns where table_schema='humaans' and table_name='${table}'`,
        )
      ).map((r) => r.column_name);
      for (const c of cols) expect(got, `${table}.${c}`).toContain(c);
      for (const c of ['_tributary_synced_at', '_tributary_deleted']) expect(got).toContain(c);
    }
    // A company whose address is null lands with NULL address columns instead of crashing the sync.
    const nullAddress = sim.records('companies').find((c) => c.address === null);
    if (nullAddress) {
      const [row] = await queryDuckDb(
        db,
        `select address_line1, address_city from humaans.companies where id = '${nullAddress.id}'`,
      );
      expect(row).toEqual({ address_line1: null, address_city: null });
    }
    // Values survive the transforms: camelCase → snake_case, arrays as JSON text, UTC timestamps.
    const doc = sim
      .records('documents')
      .find((d) => Array.isArray(d.tags) && (d.tags as unknown[]).length > 0)!;
    const [landed] = await queryDuckDb(
      db,
      `select person_id, tags, updated_at from humaans.documents where id = '${doc.id}'`,
    );
    expect(landed!.person_id).toBe(doc.personId ?? null);
    expect(JSON.parse(String(landed!.tags))).toEqual(doc.tags);
    expect(new Date(String(landed!.updated_at)).toISOString()).toBe(
      new Date(String(doc.updatedAt)).toISOString(),
    );
    const [state] = await queryDuckDb(
      db,
      `select state from humaans._tributary_state where stream = 'documents'`,
    );
    expect(JSON.parse(String(state!.state))).toMatchObject({ mode: 'incremental', complete: true });
    const runs = await queryDuckDb(db, 'select status, records_written from humaans._tributary_runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('succeeded');
  });

  it('re-syncs incrementally: far fewer requests, and the changes land', async () => {
    const db = dbPath(dir, 'incr.duckdb');
    sim.resetStats();
    const first = await syncConnector('humaans', humaansConfig(sim), `duckdb:${db}`);
    expect(first.status).toBe('succeeded');
    const fullRequests = sim.requestCount();

    const m = sim.mutate({ stream: 'documents', creates: 3, updates: 5, deletes: 0, seed: 1 });
    sim.resetStats();
    const second = await syncConnector('humaans', humaansConfig(sim), `duckdb:${db}`);
    expect(second.status).toBe('succeeded');
    const incrementalRequests = sim.requestCount();
    expect(incrementalRequests).toBeLessThan(fullRequests / 3);
    // Every list request of the re-sync filtered on the cursor.
    const lists = sim.requests().filter((r) => r.stream);
    expect(lists.length).toBeGreaterThan(0);
    for (const r of lists) expect(r.query['updatedAt[$gte]'], r.path).toBeDefined();

    const expected = new Map(sim.records('documents').map((d) => [String(d.id), d]));
    for (const id of [...(m.created as string[]), ...(m.updated as string[])]) {
      const [row] = await queryDuckDb(
        db,
        `select name, updated_at from humaans.documents where id = '${id}'`,
      );
      expect(row, id).toBeDefined();
      expect(row!.name).toBe(expected.get(id)!.name ?? null);
      expect(new Date(String(row!.updated_at)).toISOString()).toBe(
        new Date(String(expected.get(id)!.updatedAt)).toISOString(),
      );
    }
    const [{ n }] = (await queryDuckDb(db, 'select count(*)::int as n from humaans.documents')) as [
      { n: number },
    ];
    expect(n).toBe(expected.size);
  });

  it('retries malformed JSON and 5xx, then succeeds', async () => {
    const db = dbPath(dir, 'faults.duckdb');
    sim.failNext(2, 'malformed');
    sim.failNext(1, '503');
    const run = await syncConnector('humaans', humaansConfig(sim, { retry_attempts: 5 }), `duckdb:${db}`, {
      streams: ['companies', 'locations'],
    });
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.streams.reduce((a, s) => a + s.metrics.retries, 0)).toBeGreaterThanOrEqual(3);
  });

  it('fails clearly when malformed JSON outlasts the retries, and does not advance state', async () => {
    const db = dbPath(dir, 'malformed.duckdb');
    sim.setFaults({ rate: 1, kinds: ['malformed'] });
    const run = await syncConnector('humaans', humaansConfig(sim, { retry_attempts: 1 }), `duckdb:${db}`, {
      streams: ['documents'],
    });
    expect(run.status).toBe('failed');
    expect(run.error!.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(run.error!.message).toMatch(/malformed JSON/);
    expect(run.error!.message).toMatch(/gave up after 2 attempts/);
    const states = await queryDuckDb(db, 'select * from humaans._tributary_state');
    expect(states).toHaveLength(0);
  });

  it('rejects an unknown stream before touching the destination', async () => {
    const db = dbPath(dir, 'unknown.duckdb');
    await expect(
      syncConnector('humaans', humaansConfig(sim), `duckdb:${db}`, { streams: ['documents', 'payslips'] }),
    ).rejects.toMatchObject({
      code: 'TRB_UNKNOWN_STREAM',
      exitCode: 2,
      message: expect.stringMatching(/"payslips".*streams: companies, documents/),
    });
  });

  it('names the field and the allowed range for an invalid config', async () => {
    const db = dbPath(dir, 'badconfig.duckdb');
    await expect(
      syncConnector('humaans', humaansConfig(sim, { max_records_per_page: '500' }), `duckdb:${db}`),
    ).rejects.toMatchObject({
      code: 'TRB_CONFIG_INVALID',
      exitCode: 2,
      message: expect.stringMatching(/max_records_per_page.*out of range.*500.*1–250/),
    });
    await expect(syncConnector('humaans', { base_url: sim.baseUrl }, `duckdb:${db}`)).rejects.toMatchObject({
      message: expect.stringMatching(/"api_token" is required/),
    });
  });

  it('a bad token is an auth error that does not echo the token', async () => {
    const db = dbPath(dir, 'auth.duckdb');
    const run = await syncConnector(
      'humaans',
      humaansConfig(sim, { api_token: 'wrong-token-123456' }),
      `duckdb:${db}`,
      { streams: ['companies'] },
    );
    expect(run.status).toBe('failed');
    expect(run.error!.code).toBe('TRB_AUTH');
    expect(JSON.stringify(run)).not.toContain('wrong-token-123456');
    expect(run.streams[0]!.metrics.retries).toBe(0);
  });
});
