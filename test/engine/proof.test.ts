/**
 * Deletes only on proof, and state that makes resumes exact (issue 11, parts 2 and 3): the engine against a
 * scripted fake Source and a real DuckDB file. The fake API holds the truth (what its detail endpoint
 * serves) and, per run, what its list returns and what count it claims, so a test can make the list drift
 * or fall short the way real APIs do. Every case runs on DuckDB and, when it is reachable, PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Destination, WriteMode } from '../../src/destinations/destination.js';
import { DuckDbDestination } from '../../src/destinations/duckdb/duckdb-destination.js';
import { PostgresDestination } from '../../src/destinations/postgres/postgres-destination.js';
import type {
  Page,
  ReadOptions,
  Source,
  SourceRecord,
  StreamDescriptor,
  StreamMetrics,
} from '../../src/engine/source.js';
import { parseStoredState, type StoredStreamState } from '../../src/engine/stream-state.js';
import { runSync } from '../../src/engine/sync.js';
import { SourceError } from '../../src/errors.js';
import { createLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/duckdb.js';
import { PG_TEST_URL, pgReachable } from '../helpers/postgres.js';
import pg from 'pg';

interface Item {
  id: number;
  v: string;
  updated: string;
}

/** A scripted API with one stream, `items`. */
class FakeApi implements Source {
  readonly name = 'fake';
  readonly version = 'v1';
  /** What exists: the detail endpoint serves these. */
  readonly truth = new Map<number, Item>();
  pageSize = 3;
  /** What the list returns this run (default: the truth, by id). */
  listed: (() => Item[]) | undefined;
  /** The count the last page claims (default: none). */
  expectedCount: (() => number | undefined) | undefined;
  /** Fail with this error after yielding this many pages (a crash, or a contract failure mid-pass). */
  failAfter: { pages: number; error: Error } | undefined;
  detail = true;
  incremental = false;
  readonly fetched: Record<string, unknown>[] = [];
  readonly reads: (Record<string, unknown> | undefined)[] = [];

  constructor(n: number, gen = 'g1') {
    for (let id = 1; id <= n; id++) this.put(id, gen);
  }

  put(id: number, gen: string): void {
    this.truth.set(id, {
      id,
      v: `${gen}-${id}`,
      updated: `2026-01-01T00:00:${String(id).padStart(2, '0')}Z`,
    });
  }

  streams(): StreamDescriptor[] {
    return [
      {
        name: 'items',
        primaryKey: ['id'],
        jsonSchema: {},
        declaredColumns: { id: 'bigint', v: 'varchar', updated: 'varchar' },
        supportedSyncModes: this.incremental ? ['full_refresh', 'incremental'] : ['full_refresh'],
        ...(this.incremental ? { cursorField: 'updated' } : {}),
        resumable: true,
        paging: { pageSize: this.pageSize, fingerprint: 'items-paging' },
        detail: this.detail,
      },
    ];
  }

  async check(): Promise<void> {}

  async *read(_stream: string, opts: ReadOptions): AsyncGenerator<Page> {
    this.reads.push(opts.state ? { ...opts.state } : undefined);
    let list = (this.listed?.() ?? [...this.truth.values()]).map((r) => ({ ...r }));
    list.sort((a, b) => a.id - b.id);
    const cursor = typeof opts.state?.cursor === 'string' ? opts.state.cursor : undefined;
    if (opts.syncMode === 'incremental' && cursor !== undefined)
      list = list.filter((r) => r.updated > cursor);
    const resumeAt = opts.state?.in_progress === true ? Number(opts.state.page) : 0;
    const pages = Math.max(1, Math.ceil(list.length / this.pageSize));
    let maxCursor = cursor;
    for (let p = resumeAt; p < pages; p++) {
      if (this.failAfter && p - resumeAt === this.failAfter.pages) throw this.failAfter.error;
      const records = list.slice(p * this.pageSize, (p + 1) * this.pageSize);
      for (const r of records) if (maxCursor === undefined || r.updated > maxCursor) maxCursor = r.updated;
      const last = p === pages - 1;
      const expected = last ? this.expectedCount?.() : undefined;
      yield {
        records: records as unknown as SourceRecord[],
        checkpoint: last
          ? { in_progress: false, ...(maxCursor !== undefined ? { cursor: maxCursor } : {}) }
          : { page: p + 1, in_progress: true, ...(maxCursor !== undefined ? { cursor: maxCursor } : {}) },
        bytes: 100,
        ...(expected !== undefined ? { expectedCount: expected } : {}),
      };
    }
  }

  async fetchOne(_stream: string, key: Record<string, unknown>): Promise<SourceRecord | null> {
    this.fetched.push({ ...key });
    const r = this.truth.get(Number(key.id));
    return r ? ({ ...r } as unknown as SourceRecord) : null;
  }

  metrics(): StreamMetrics {
    return { requests: 0, retries: 0, http429: 0, budgetWaitMs: 0, bytes: 0 };
  }

  async close(): Promise<void> {}
}

/** A destination of either kind, with plain SQL over the same database. */
interface Harness {
  dest: Destination;
  /** `"schema"."items"`. */
  table: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

const PG_AVAILABLE = await pgReachable();
if (!PG_AVAILABLE && process.env.CI !== 'true')
  console.warn('[proof tests] PostgreSQL not reachable: the PostgreSQL variant is skipped');

const kinds: { name: string; make: () => Promise<Harness> }[] = [
  {
    name: 'duckdb',
    make: async () => {
      const dest = new DuckDbDestination(join(tempDir(), 'proof.duckdb'), {
        namespace: 'fake',
        connector: 'fake',
      });
      await dest.open();
      return { dest, table: 'fake.items', query: (sql) => dest.query(sql), cleanup: async () => undefined };
    },
  },
  ...(PG_AVAILABLE || process.env.CI === 'true'
    ? [
        {
          name: 'postgres',
          make: async (): Promise<Harness> => {
            const namespace = `proof_${randomBytes(4).toString('hex')}`;
            const dest = new PostgresDestination(PG_TEST_URL, {
              namespace,
              connector: 'fake',
              lockTimeoutMs: 2000,
              onWarning: () => undefined,
            });
            await dest.open();
            const admin = new pg.Pool({ connectionString: PG_TEST_URL, max: 1 });
            return {
              dest,
              table: `"${namespace}".items`,
              query: async (sql) => (await admin.query(sql)).rows,
              cleanup: async () => {
                await admin.query(`DROP SCHEMA IF EXISTS "${namespace}" CASCADE`);
                await admin.end();
              },
            };
          },
        },
      ]
    : []),
];

const current: Harness[] = [];
afterEach(async () => {
  for (const h of current.splice(0)) {
    await h.dest.close();
    await h.cleanup();
  }
});

function logs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger({ destination: stream, level: 'info' }) };
}

async function sync(
  api: FakeApi,
  h: Harness,
  opts: { writeMode?: WriteMode; fullRefresh?: boolean; maxDeleteChecks?: number } = {},
) {
  const { lines, logger } = logs();
  const run = await runSync({
    source: api,
    destination: h.dest,
    fullRefresh: opts.fullRefresh ?? true,
    writeMode: opts.writeMode,
    maxDeleteChecks: opts.maxDeleteChecks,
    // One batch per page: a failure after a page leaves that page committed, as a crash would.
    batchRows: 1,
    logger,
  });
  return { run, stream: run.streams[0]!, lines };
}

/** id → [v, deleted, pass] for every row of the table. */
async function rows(h: Harness): Promise<Record<string, [string, boolean, string]>> {
  const got = await h.query(
    `SELECT id, v, _tributary_deleted AS d, _tributary_pass AS p FROM ${h.table} ORDER BY id`,
  );
  return Object.fromEntries(got.map((r) => [String(r.id), [String(r.v), r.d === true, String(r.p)]]));
}

async function state(h: Harness): Promise<StoredStreamState> {
  return parseStoredState((await h.dest.readStates()).items)!;
}

function deletedIds(table: Record<string, [string, boolean, string]>): string[] {
  return Object.entries(table)
    .filter(([, r]) => r[1])
    .map(([id]) => id);
}

for (const kind of kinds) {
  const destination = async (): Promise<Harness> => {
    const h = await kind.make();
    current.push(h);
    return h;
  };

  describe(`${kind.name}: deletes only on proof`, () => {
    it('a clean pass asks no detail request; a true delete is swept only after the detail endpoint says 404', async () => {
      const dest = await destination();
      const api = new FakeApi(5);
      api.expectedCount = () => api.truth.size;
      const first = await sync(api, dest);
      expect(first.run.status).toBe('succeeded');
      expect(api.fetched).toEqual([]);

      api.truth.delete(3);
      const second = await sync(api, dest);
      expect(second.run.status).toBe('succeeded');
      expect(api.fetched).toEqual([{ id: 3 }]);
      expect(second.stream.softDeletes).toBe(1);
      const table = await rows(dest);
      expect(deletedIds(table)).toEqual(['3']);
      expect((await state(dest)).complete).toBe(true);

      // The next clean pass has no new candidate (3 is already deleted): no request.
      await sync(api, dest);
      expect(api.fetched).toEqual([{ id: 3 }]);
    });

    it('a record the list skipped while paging but the detail endpoint still serves is repaired, not deleted', async () => {
      const dest = await destination();
      const api = new FakeApi(6);
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);

      // Offset drift: record 2 is deleted after the first page was read, so record 4 slides back over the
      // page boundary and is never listed; an insert after the offset keeps the count unchanged.
      const before = [...api.truth.values()];
      api.truth.delete(2);
      api.put(4, 'g2');
      api.put(7, 'g2');
      api.listed = () => [...before.filter((r) => r.id !== 4), api.truth.get(7)!];
      const second = await sync(api, dest);
      expect(second.run.status).toBe('succeeded');
      expect(api.fetched).toEqual([{ id: 4 }]);
      expect(second.stream.softDeletes).toBe(0);
      const table = await rows(dest);
      expect(deletedIds(table)).toEqual([]);
      // The fresh record, stamped with this pass.
      expect(table['4']![0]).toBe('g2-4');
      expect(table['4']![2]).toBe(table['7']![2]);
      const warn = second.lines.find((l) => l.level === 'warn');
      expect(warn).toMatchObject({
        stream: 'items',
        repaired: 1,
        msg: 'list changed while paging; repaired 1 records',
      });
      expect((await state(dest)).complete).toBe(true);

      // The next quiet pass sees the true delete of 2 and confirms it.
      api.listed = undefined;
      const third = await sync(api, dest);
      expect(third.stream.softDeletes).toBe(1);
      expect(api.fetched).toEqual([{ id: 4 }, { id: 2 }]);
      expect(deletedIds(await rows(dest))).toEqual(['2']);
    });

    it('a count mismatch sweeps nothing, leaves the state not complete, and the next run starts a fresh pass', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);

      // The server skips a page while claiming all 10.
      api.listed = () => [...api.truth.values()].filter((r) => r.id < 4 || r.id > 6);
      const failed = await sync(api, dest);
      expect(failed.run.status).toBe('failed');
      expect(failed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      expect(failed.stream.error?.message).toMatch(/stream "items".*counts 10 records.*read 7 distinct/);
      expect(failed.stream.softDeletes).toBe(0);
      expect(api.fetched).toEqual([]);
      expect(deletedIds(await rows(dest))).toEqual([]);
      const st = await state(dest);
      expect(st.complete).toBe(false);
      expect(st.restart?.reason).toMatch(/TRB_SOURCE_CONTRACT/);
      const failedPass = st.pass;

      api.listed = undefined;
      const next = await sync(api, dest);
      expect(next.run.status).toBe('succeeded');
      expect(next.stream.resumed).toBe(false);
      expect(api.reads.at(-1)?.in_progress).toBe(false);
      expect(next.lines.find((l) => l.msg === 'starting a fresh pass instead of resuming')?.reason).toMatch(
        /could not be proven complete/,
      );
      const table = await rows(dest);
      expect(deletedIds(table)).toEqual([]);
      const passes = new Set(Object.values(table).map((r) => r[2]));
      expect(passes.size).toBe(1);
      expect(passes.has(failedPass!)).toBe(false);
      expect((await state(dest)).complete).toBe(true);
    });

    it('a contract failure raised mid-pass by the paginator commits a restart, never a half-way resume', async () => {
      const dest = await destination();
      const api = new FakeApi(9);
      await sync(api, dest);
      api.failAfter = {
        pages: 1,
        error: new SourceError('TRB_SOURCE_CONTRACT', 'stream "items": the server capped the page size'),
      };
      const failed = await sync(api, dest);
      expect(failed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      expect(deletedIds(await rows(dest))).toEqual([]);
      expect((await state(dest)).restart).toBeDefined();
      api.failAfter = undefined;
      const next = await sync(api, dest);
      expect(next.stream.resumed).toBe(false);
      expect(api.reads.at(-1)?.in_progress).toBe(false);
      expect(Object.keys(await rows(dest))).toHaveLength(9);
    });

    it('replace mode refuses to swap on a count mismatch, and checks each dropped row before a swap', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);

      for (const id of api.truth.keys()) api.put(id, 'g2');
      api.listed = () => [...api.truth.values()].slice(0, 5);
      const failed = await sync(api, dest, { writeMode: 'replace' });
      expect(failed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      const kept = await rows(dest);
      expect(Object.keys(kept)).toHaveLength(10);
      expect(Object.values(kept).every((r) => r[0].startsWith('g1-') && !r[1])).toBe(true);
      expect((await state(dest)).complete).toBe(false);

      // A true delete and a skipped record: 7 is gone (404), 8 was missed by the list but still exists.
      api.truth.delete(7);
      api.listed = () => [...api.truth.values()].filter((r) => r.id !== 8);
      api.expectedCount = () => api.truth.size - 1;
      const swapped = await sync(api, dest, { writeMode: 'replace' });
      expect(swapped.run.status).toBe('succeeded');
      expect(api.fetched.map((k) => k.id).sort()).toEqual([7, 8]);
      const table = await rows(dest);
      expect(Object.keys(table)).toEqual(['1', '2', '3', '4', '5', '6', '8', '9', '10']);
      expect(Object.values(table).every((r) => r[0].startsWith('g2-') && !r[1])).toBe(true);
      expect((await state(dest)).complete).toBe(true);
    });

    it('more candidates than maxDeleteChecks: an upsert pass fails without sweeping, a replace pass swaps on the count', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);
      for (const id of [2, 4, 6]) api.truth.delete(id);

      const failed = await sync(api, dest, { maxDeleteChecks: 2 });
      expect(failed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      expect(failed.stream.error?.message).toMatch(/more than 2 rows.*--full-refresh --replace/);
      expect(api.fetched).toEqual([]);
      expect(deletedIds(await rows(dest))).toEqual([]);
      expect((await state(dest)).complete).toBe(false);

      const replaced = await sync(api, dest, { writeMode: 'replace', maxDeleteChecks: 2 });
      expect(replaced.run.status).toBe('succeeded');
      expect(api.fetched).toEqual([]);
      expect(Object.keys(await rows(dest))).toEqual(['1', '3', '5', '7', '8', '9', '10']);

      // Within the bound, the same deletions are confirmed and swept.
      api.truth.delete(9);
      api.truth.delete(10);
      const swept = await sync(api, dest, { maxDeleteChecks: 2 });
      expect(swept.run.status).toBe('succeeded');
      expect(deletedIds(await rows(dest))).toEqual(['9', '10']);
    });

    it('a stream without a detail endpoint sweeps on the count alone', async () => {
      const dest = await destination();
      const api = new FakeApi(4);
      api.detail = false;
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);
      api.truth.delete(1);
      const second = await sync(api, dest);
      expect(second.stream.softDeletes).toBe(1);
      expect(api.fetched).toEqual([]);
    });

    it('a crash between the last page and the proof still proves the pass on resume', async () => {
      const dest = await destination();
      const api = new FakeApi(6);
      api.expectedCount = () => api.truth.size;
      await sync(api, dest);
      // The stored state of a pass that read its last page (claiming 9 records) but never got to its sweep.
      await dest.dest.commitState('items', {
        ...(await state(dest)),
        pass: 'crashed',
        complete: false,
        source: { in_progress: false },
        expectedCount: 9,
      });
      const resumed = await sync(api, dest);
      expect(resumed.stream.resumed).toBe(true);
      expect(resumed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      expect(resumed.stream.error?.message).toMatch(
        /counts 9 records in the list but this pass read 0 distinct/,
      );
      expect(deletedIds(await rows(dest))).toEqual([]);
    });
  });

  describe(`${kind.name}: state carries what a resume depends on`, () => {
    const crash = () => new SourceError('TRB_SOURCE_HTTP', 'connection reset', { retryable: true });

    it('resumes an interrupted pass under the same configuration', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.failAfter = { pages: 2, error: crash() };
      expect((await sync(api, dest)).stream.error?.code).toBe('TRB_SOURCE_HTTP');
      const st = await state(dest);
      expect(st.resume).toMatchObject({ pageSize: 3, connectorVersion: 'v1' });
      expect(st.source).toMatchObject({ page: 2, in_progress: true });

      api.failAfter = undefined;
      const next = await sync(api, dest);
      expect(next.stream.resumed).toBe(true);
      expect(api.reads.at(-1)).toMatchObject({ page: 2, in_progress: true });
      expect(Object.keys(await rows(dest))).toHaveLength(10);
    });

    it('a resume under a changed page size restarts the pass cleanly, logged with the reason', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.failAfter = { pages: 2, error: crash() };
      await sync(api, dest);
      const interrupted = (await state(dest)).pass;

      api.failAfter = undefined;
      api.pageSize = 4;
      const next = await sync(api, dest);
      expect(next.run.status).toBe('succeeded');
      expect(next.stream.resumed).toBe(false);
      expect(api.reads.at(-1)?.in_progress).toBe(false);
      const info = next.lines.find((l) => l.msg === 'starting a fresh pass instead of resuming');
      expect(info).toMatchObject({ level: 'info', stream: 'items' });
      expect(String(info?.reason)).toMatch(/page size changed from 3 to 4/);
      const table = await rows(dest);
      expect(Object.keys(table)).toHaveLength(10);
      expect(deletedIds(table)).toEqual([]);
      const passes = new Set(Object.values(table).map((r) => r[2]));
      expect([...passes]).toEqual([(await state(dest)).pass]);
      expect(passes.has(interrupted!)).toBe(false);
    });

    it('a resume under another connector version restarts the pass', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      api.failAfter = { pages: 1, error: crash() };
      await sync(api, dest);
      api.failAfter = undefined;
      Object.defineProperty(api, 'version', { value: 'v2' });
      const next = await sync(api, dest);
      expect(next.stream.resumed).toBe(false);
      expect(
        String(next.lines.find((l) => l.msg === 'starting a fresh pass instead of resuming')?.reason),
      ).toMatch(/connector changed \(version v1 → v2\)/);
    });

    it('an old state without a fingerprint keeps resuming as before', async () => {
      const dest = await destination();
      const api = new FakeApi(10);
      await dest.dest.commitState('items', {
        version: 1,
        mode: 'full_refresh',
        source: { page: 2, in_progress: true },
        pass: 'old-pass',
        complete: false,
        writeMode: 'upsert',
      });
      const next = await sync(api, dest);
      expect(next.stream.resumed).toBe(true);
      expect(api.reads.at(-1)).toMatchObject({ page: 2, in_progress: true });
      expect(Object.keys(await rows(dest))).toEqual(['7', '8', '9', '10']);
    });

    it('incremental: a read that fails its proof falls back to the last proven cursor, never past unread records', async () => {
      const dest = await destination();
      const api = new FakeApi(6);
      api.incremental = true;
      const first = await sync(api, dest, { fullRefresh: false });
      expect(first.run.status).toBe('succeeded');
      const proven = (await state(dest)).source.cursor;
      expect(proven).toBe('2026-01-01T00:00:06Z');

      for (const id of [7, 8, 9, 10, 11, 12, 13]) api.put(id, 'g2');
      api.failAfter = {
        pages: 1,
        error: new SourceError('TRB_SOURCE_CONTRACT', 'stream "items": records out of order'),
      };
      const failed = await sync(api, dest, { fullRefresh: false });
      expect(failed.stream.error?.code).toBe('TRB_SOURCE_CONTRACT');
      const st = await state(dest);
      expect(st.complete).toBe(false);
      expect(st.source.cursor).toBe(proven);
      expect(st.lastComplete?.cursor).toBe(proven);

      api.failAfter = undefined;
      const next = await sync(api, dest, { fullRefresh: false });
      expect(next.run.status).toBe('succeeded');
      expect(next.stream.resumed).toBe(false);
      expect(api.reads.at(-1)?.cursor).toBe(proven);
      expect(Object.keys(await rows(dest))).toHaveLength(13);
      const done = await state(dest);
      expect(done.complete).toBe(true);
      expect(done.source.cursor).toBe('2026-01-01T00:00:13Z');
    });
  });
}
