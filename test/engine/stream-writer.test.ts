/**
 * The engine's one batcher (`StreamWriter`), which `runSync` and the Airbyte loader share: caps by rows and by
 * bytes, every batch committed with its state in one write, a state alone, overlap, and the end of a pass
 * (sweep, swap, and the proof before either). Against a real DuckDB file; the destination is only wrapped to
 * see each call (and, in one case, to fail one).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  Destination,
  Row,
  StreamState,
  TableSpec,
  WriteBatch,
  WriteMode,
} from '../../src/destinations/destination.js';
import { DuckDbDestination } from '../../src/destinations/duckdb/duckdb-destination.js';
import { type Commit, StreamWriter, type StreamWriterOptions } from '../../src/engine/index.js';
import { isTributaryError } from '../../src/errors.js';
import { tempDir } from '../helpers/duckdb.js';

const TABLE: TableSpec = {
  stream: 'items',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: 'bigint' },
    { name: 'v', type: 'varchar' },
  ],
};

interface Harness {
  dest: DuckDbDestination;
  /** Every write as the destination received it. */
  writes: WriteBatch[];
  commits: Commit[];
  /** Make the next write fail before it reaches the database. */
  failNext: () => void;
  writer: (o?: Partial<StreamWriterOptions>) => StreamWriter;
  rows: () => Promise<Record<string, unknown>[]>;
  state: () => Promise<StreamState | undefined>;
}

const open: DuckDbDestination[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

async function harness(): Promise<Harness> {
  const dest = new DuckDbDestination(join(tempDir(), 'writer.duckdb'), {
    namespace: 'fake',
    connector: 'fake',
  });
  await dest.open();
  open.push(dest);
  const writes: WriteBatch[] = [];
  const commits: Commit[] = [];
  let fail = false;
  const write = async (batch: WriteBatch) => {
    writes.push(batch);
    if (fail) {
      fail = false;
      throw new Error('injected write failure');
    }
    return dest.write(batch);
  };
  const seen = new Proxy(dest, {
    get(target, prop) {
      if (prop === 'write') return write;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Destination;
  return {
    dest,
    writes,
    commits,
    failNext: () => {
      fail = true;
    },
    writer: (o = {}) =>
      new StreamWriter({
        destination: seen,
        runId: 'run-1',
        stream: 'items',
        table: () => TABLE,
        mode: 'upsert',
        onCommit: (c) => {
          commits.push(c);
        },
        ...o,
      }),
    rows: () =>
      dest.query(
        'SELECT CAST(id AS INTEGER) AS id, v, _tributary_deleted AS deleted, _tributary_pass AS pass FROM fake.items ORDER BY id',
      ),
    state: async () => (await dest.readStates()).items,
  };
}

const rows = (...ids: number[]): Row[] => ids.map((id) => ({ id, v: `v${id}` }));
const st = (n: number, extra: Record<string, unknown> = {}): StreamState => ({
  version: 1,
  page: n,
  ...extra,
});

describe('StreamWriter: batches', () => {
  it('is full at the row cap, and a commit writes the rows with the newest state in one write', async () => {
    const h = await harness();
    const w = h.writer({ batchRows: 3 });
    w.add(rows(1), 10, st(1));
    w.add(rows(2), 10, st(2));
    expect(w.full).toBe(false);
    w.add(rows(3), 10, st(3));
    expect(w.full).toBe(true);
    expect(w.bufferedRows).toBe(3);
    await w.commit();
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(h.writes[0]!.state).toEqual(st(3));
    expect(w.bufferedRows).toBe(0);
    expect(w.full).toBe(false);
    expect(w.batches).toBe(1);
    expect((await h.rows()).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(await h.state()).toEqual(st(3));
    expect(h.commits).toMatchObject([{ rows: 3, bytes: 30, state: st(3), repair: false }]);
    expect(h.commits[0]!.result.rowsWritten).toBe(3);
  });

  it('is full at the byte cap, whatever the row count', async () => {
    const h = await harness();
    const w = h.writer({ batchRows: 1000, batchBytes: 100 });
    w.add(rows(1), 60, st(1));
    expect(w.full).toBe(false);
    expect(w.bufferedBytes).toBe(60);
    w.add(rows(2), 40, st(2));
    expect(w.full).toBe(true);
    await w.commit();
    expect(w.bufferedBytes).toBe(0);
    expect(h.commits).toMatchObject([{ rows: 2, bytes: 100, state: st(2) }]);
  });

  it('commits nothing when nothing was added, and a state alone when one is given', async () => {
    const h = await harness();
    const w = h.writer();
    await w.commit();
    expect(h.writes).toHaveLength(0);
    expect(w.batches).toBe(0);
    await w.commit(st(7));
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.rows).toEqual([]);
    expect(await h.state()).toEqual(st(7));
    // A state added with no rows (an Airbyte STATE for an empty stream) is committed the same way.
    w.add([], 0, st(8));
    await w.commit();
    expect(await h.state()).toEqual(st(8));
  });

  it('a given state replaces the newest added one for that commit (a stream made complete)', async () => {
    const h = await harness();
    const w = h.writer();
    w.add(rows(1, 2), 20, st(1));
    await w.commit(st(1, { complete: true }));
    expect(h.writes[0]!.rows).toHaveLength(2);
    expect(await h.state()).toEqual(st(1, { complete: true }));
  });

  it('without overlap, a failed write commits neither rows nor state and stays buffered for a retry', async () => {
    const h = await harness();
    const w = h.writer();
    w.add(rows(1), 10, st(1));
    await w.commit();
    w.add(rows(2, 3), 20, st(2));
    h.failNext();
    await expect(w.commit()).rejects.toThrow('injected write failure');
    expect((await h.rows()).map((r) => r.id)).toEqual([1]);
    expect(await h.state()).toEqual(st(1));
    expect(w.bufferedRows).toBe(2);
    expect(h.commits).toHaveLength(1);
    await w.commit();
    expect((await h.rows()).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(await h.state()).toEqual(st(2));
    expect(h.commits.map((c) => c.rows)).toEqual([1, 2]);
  });

  it('with overlap, commits return before their write is done, land in order, and a failure surfaces at settle', async () => {
    const h = await harness();
    const w = h.writer({ overlap: true });
    w.add(rows(1), 10, st(1));
    await w.commit();
    // The write is in flight: the caller reads the next batch meanwhile.
    expect(h.commits).toHaveLength(0);
    w.add(rows(2), 10, st(2));
    expect(w.bufferedRows).toBe(1);
    await w.commit();
    await w.settle();
    expect(h.commits.map((c) => c.state)).toEqual([st(1), st(2)]);
    expect(await h.state()).toEqual(st(2));

    w.add(rows(3), 10, st(3));
    h.failNext();
    await w.commit();
    await expect(w.settle()).rejects.toThrow('injected write failure');
    expect(await h.state()).toEqual(st(2));
  });
});

describe('StreamWriter: the end of a pass', () => {
  async function pass(h: Harness, passId: string, mode: WriteMode, ids: number[], extra = {}) {
    const w = h.writer({ passId, mode, ...extra });
    if (ids.length > 0) w.add(rows(...ids), 10 * ids.length, st(1, { pass: passId }));
    await w.commit(ids.length > 0 ? undefined : st(1, { pass: passId }));
    return w;
  }

  it('upsert: the sweep marks the rows the pass did not see as deleted, with the final state', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'upsert', [1, 2, 3])).finish({ state: st(9, { pass: 'A' }) });
    const w = await pass(h, 'B', 'upsert', [1, 3]);
    expect(await w.finish({ state: st(9, { pass: 'B', complete: true }) })).toBe(1);
    expect(await h.rows()).toMatchObject([
      { id: 1, deleted: false, pass: 'B' },
      { id: 2, deleted: true, pass: 'A' },
      { id: 3, deleted: false, pass: 'B' },
    ]);
    expect(await h.state()).toEqual(st(9, { pass: 'B', complete: true }));
  });

  it('an empty pass commits its state and sweeps every row of the passes before', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'upsert', [1, 2])).finish({ state: st(9) });
    const w = await pass(h, 'B', 'upsert', []);
    expect(h.writes.at(-1)!.rows).toEqual([]);
    expect(await w.finish({ state: st(10) })).toBe(2);
    expect((await h.rows()).map((r) => r.deleted)).toEqual([true, true]);
    expect(await h.state()).toEqual(st(10));
  });

  it('replace: rows are staged, and only the finish swaps them in (no sweep, nothing marked deleted)', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'replace', [1, 2, 3])).finish({ state: st(9) });
    expect((await h.rows()).map((r) => r.id)).toEqual([1, 2, 3]);
    const w = await pass(h, 'B', 'replace', [1, 3]);
    // Staged: the live table is untouched until the swap.
    expect((await h.rows()).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(await w.finish({ state: st(10, { complete: true }) })).toBe(0);
    expect(await h.rows()).toMatchObject([
      { id: 1, deleted: false, pass: 'B' },
      { id: 3, deleted: false, pass: 'B' },
    ]);
    expect(await h.state()).toEqual(st(10, { complete: true }));
  });

  it('the proof: a count that does not match fails the pass and sweeps nothing', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'upsert', [1, 2, 3])).finish({ state: st(9) });
    const w = await pass(h, 'B', 'upsert', [1, 3]);
    const err = await w
      .finish({
        state: st(10),
        proof: { expectedCount: 3, maxChecks: 10, toRow: (r) => r as Row, repairState: st(11) },
      })
      .catch((e: unknown) => e);
    expect(isTributaryError(err) && err.code).toBe('TRB_SOURCE_CONTRACT');
    expect((await h.rows()).map((r) => r.deleted)).toEqual([false, false, false]);
    expect(await h.state()).toEqual(st(1, { pass: 'B' }));
  });

  it('the proof: a row that still exists at the detail endpoint is repaired into the pass, the rest swept', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'upsert', [1, 2, 3, 4])).finish({ state: st(9) });
    const w = await pass(h, 'B', 'upsert', [1, 4]);
    const looked: Row[] = [];
    const deleted = await w.finish({
      state: st(10),
      proof: {
        expectedCount: 2,
        // Row 2 still exists (the list moved under the pass); row 3 is gone.
        lookup: async (key) => {
          looked.push(key);
          return key.id === 2 ? { id: 2, v: 'fresh' } : null;
        },
        toRow: (r) => r as Row,
        maxChecks: 10,
        repairState: st(11),
      },
    });
    expect(looked.map((k) => k.id).sort()).toEqual([2, 3]);
    expect(deleted).toBe(1);
    expect(await h.rows()).toMatchObject([
      { id: 1, deleted: false },
      { id: 2, v: 'fresh', deleted: false, pass: 'B' },
      { id: 3, deleted: true },
      { id: 4, deleted: false },
    ]);
    const repair = h.commits.at(-1)!;
    expect(repair).toMatchObject({ repair: true, rows: 1, bytes: 0, state: st(11) });
    // Repairs are not batches: they never skip unchanged rows.
    expect(h.writes.at(-1)!.skipUnchangedBy).toBeUndefined();
    expect(await h.state()).toEqual(st(10));
  });

  it('the proof: more candidates than it may check fails an upsert pass without sweeping', async () => {
    const h = await harness();
    await (await pass(h, 'A', 'upsert', [1, 2, 3, 4])).finish({ state: st(9) });
    const w = await pass(h, 'B', 'upsert', [1]);
    const err = await w
      .finish({
        state: st(10),
        proof: { lookup: async () => null, maxChecks: 2, toRow: (r) => r as Row, repairState: st(11) },
      })
      .catch((e: unknown) => e);
    expect(isTributaryError(err) && err.code).toBe('TRB_SOURCE_CONTRACT');
    expect((await h.rows()).filter((r) => r.deleted)).toEqual([]);
  });
});
