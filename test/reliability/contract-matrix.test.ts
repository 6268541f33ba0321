/**
 * The contract matrix (issue 11): every contract-deviation mode of the simulators × both connectors × both
 * destinations. A cell seeds the destination with a complete, well-behaved sync (so a wrong sweep would
 * show), changes the data (updates, creates, deletes), switches the mode on and syncs again; the sync must
 * end in an exact copy or a clear failure that deleted nothing and did not mark the state complete (see
 * support/contract.ts for the verdict). Data modes (big ids, huge numbers, colliding names) are in the data
 * from the start, so there every sync is judged, against the simulator's exact values.
 *
 * Quick (npm test): a representative subset on small datasets. Full (npm run test:reliability): every cell.
 */
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/engine/summary.js';
import { ALL_CONTRACT_MODES, type ContractBehaviour, type ContractData } from '../../src/simulator/index.js';
import { tempDir } from '../helpers/duckdb.js';
import {
  type Connector,
  dumpById,
  guardedSync,
  liveIds,
  MAIN_STREAM,
  mainState,
  type Outcome,
  type Row,
  sameNumber,
  startSim,
  verdict,
} from '../helpers/reliability/contract.js';
import { FULL, recordFigures } from '../helpers/reliability/env.js';
import {
  closeAdmin,
  type DestKind,
  duckDbTarget,
  mysqlAvailable,
  mysqlTarget,
  postgresAvailable,
  postgresTarget,
  type Target,
} from '../helpers/reliability/targets.js';

const SEED = 1111;

interface Cell {
  behaviours: ContractBehaviour[];
  data?: ContractData[];
  connectors: Connector[];
  /** A variant: connector settings, or the atomic-swap full refresh (`--full-refresh --replace`). */
  variant?: { name: string; config?: Record<string, unknown>; fullRefresh?: boolean; writeMode?: 'replace' };
  /** In the quick form, for these connector → destination pairs. */
  quick?: Array<`${Connector}:${DestKind}`>;
}

const BOTH: Connector[] = ['humaans', 'hellobaton'];
const CELLS: Cell[] = [
  {
    behaviours: ['cap-page-size'],
    connectors: BOTH,
    quick: ['hellobaton:duckdb', 'humaans:duckdb', 'hellobaton:postgres'],
  },
  // The issue saw the same loss with pages fetched one at a time; and a replace pass must not swap in a short table.
  {
    behaviours: ['cap-page-size'],
    connectors: ['hellobaton'],
    variant: { name: 'page_concurrency 1', config: { page_concurrency: 1 } },
  },
  {
    behaviours: ['cap-page-size'],
    connectors: ['hellobaton'],
    variant: { name: 'full refresh, replace', writeMode: 'replace' },
    quick: ['hellobaton:duckdb'],
  },
  {
    behaviours: ['drift-delete'],
    connectors: ['hellobaton'],
    variant: { name: 'page_concurrency 1', config: { page_concurrency: 1 } },
  },
  // Humaans' full refresh sweeps like Hellobaton's: a short pass must not mark live documents deleted.
  {
    behaviours: ['cap-page-size'],
    connectors: ['humaans'],
    variant: { name: 'full refresh', fullRefresh: true },
  },
  {
    behaviours: ['drift-delete'],
    connectors: ['humaans'],
    variant: { name: 'full refresh', fullRefresh: true },
  },
  { behaviours: ['count-low'], connectors: BOTH },
  { behaviours: ['count-high'], connectors: BOTH },
  { behaviours: ['empty-page'], connectors: BOTH, quick: ['hellobaton:duckdb'] },
  // Humaans ties need tied stamps in the data; Hellobaton reorders blocks of its id order.
  {
    behaviours: ['unstable-sort'],
    data: ['tied-timestamps'],
    connectors: ['humaans'],
    quick: ['humaans:duckdb'],
  },
  { behaviours: ['unstable-sort'], connectors: ['hellobaton'] },
  { behaviours: ['ignore-sort'], connectors: ['humaans'] },
  { behaviours: ['ignore-filter'], connectors: ['humaans'], quick: ['humaans:duckdb'] },
  { behaviours: ['drift-insert'], connectors: BOTH },
  { behaviours: ['drift-delete'], connectors: BOTH, quick: ['hellobaton:duckdb'] },
  { behaviours: ['drift-balanced'], connectors: BOTH },
  { behaviours: [], data: ['big-ids'], connectors: BOTH, quick: ['hellobaton:duckdb'] },
  { behaviours: [], data: ['huge-numbers'], connectors: BOTH },
  { behaviours: [], data: ['colliding-names'], connectors: BOTH, quick: ['humaans:postgres'] },
  // Parallel keyset windows (Humaans `max_windows`): every misbehaviour again on windowed reads, incremental
  // and full refresh; each window must prove itself or fail the read, and a failure sweeps nothing.
  ...windowed([
    { behaviours: ['cap-page-size'], quick: ['humaans:duckdb'] },
    { behaviours: ['count-low'] },
    { behaviours: ['count-high'] },
    { behaviours: ['empty-page'] },
    { behaviours: ['unstable-sort'], data: ['tied-timestamps'], quick: ['humaans:duckdb'] },
    { behaviours: ['ignore-sort'] },
    { behaviours: ['ignore-filter'], quick: ['humaans:duckdb'] },
    { behaviours: ['drift-insert'] },
    { behaviours: ['drift-delete'] },
    { behaviours: ['drift-balanced'] },
    { behaviours: ['cap-page-size'], fullRefresh: true },
    { behaviours: ['drift-delete'], fullRefresh: true },
  ]),
  // Without the cursor Humaans' full refresh pages by plain offsets: up to 8 planned from the total at once.
  ...offsetPlanned([
    { behaviours: ['cap-page-size'], quick: ['humaans:duckdb'] },
    { behaviours: ['count-low'] },
    { behaviours: ['count-high'] },
    { behaviours: ['empty-page'] },
    { behaviours: ['drift-insert'] },
    { behaviours: ['drift-delete'] },
  ]),
];

/** Humaans cells with incremental sync off (every sync a plain-offset full refresh), 8 pages at once. */
function offsetPlanned(cells: Array<Pick<Cell, 'behaviours' | 'data' | 'quick'>>): Cell[] {
  return cells.map((c) => ({
    ...c,
    connectors: ['humaans'],
    variant: { name: 'offsets 8', config: { max_windows: 8, enable_incremental_sync: false } },
  }));
}

/** Humaans cells read in up to 8 parallel keyset windows. */
function windowed(
  cells: Array<Pick<Cell, 'behaviours' | 'data' | 'quick'> & { fullRefresh?: boolean }>,
): Cell[] {
  return cells.map(({ fullRefresh, ...c }) => ({
    ...c,
    connectors: ['humaans'],
    variant: {
      name: fullRefresh ? 'windows 8, full refresh' : 'windows 8',
      config: { max_windows: 8 },
      ...(fullRefresh ? { fullRefresh: true } : {}),
    },
  }));
}

const pgOk = await postgresAvailable();
const mysqlOk = await mysqlAvailable();
const figures = { contractCells: 0, contractCellsPassed: 0, contractExact: 0, contractFailedCleanly: 0 };
const results: string[] = [];

function cellName(cell: Cell): string {
  const modes = [...cell.behaviours, ...(cell.data ?? [])].join('+');
  return cell.variant ? `${modes} (${cell.variant.name})` : modes;
}

/** Under data modes, each live record's row must hold the simulator's exact values. */
function dataExpectation(
  cell: Cell,
  records: Map<string, Row>,
): (id: string, row: Row) => string | undefined {
  return (id, row) => {
    const r = records.get(id)!;
    const data = cell.data ?? [];
    // Humaans' manifest snake_cases column names; Hellobaton's keeps the API's names.
    const legacy = row.legacy_number ?? row.legacyNumber;
    if (data.includes('big-ids') && !sameNumber(legacy, String(r.legacyNumber)))
      return `legacy number ${String(legacy)}, want ${String(r.legacyNumber)}`;
    if (data.includes('huge-numbers') && !sameNumber(row.magnitude, String(r.magnitude)))
      return `magnitude ${String(row.magnitude)}, want ${String(r.magnitude)}`;
    if (data.includes('colliding-names')) {
      // Hellobaton's manifest does not flatten, so `a: {b}` lands whole, as JSON text in column `a`: its
      // leaves count as present too.
      const values = new Set<string>();
      const collect = (v: unknown): void => {
        if (v !== null && typeof v === 'object') for (const x of Object.values(v)) collect(x);
        else values.add(String(v));
      };
      for (const v of Object.values(row)) {
        collect(v);
        if (typeof v === 'string' && v.startsWith('{')) {
          try {
            collect(JSON.parse(v));
          } catch {}
        }
      }
      const want = [r.fooBar, r.foo_bar, (r.a as Row).b, r.a_b].map(String);
      const lost = want.filter((w) => !values.has(w));
      if (lost.length > 0) return `lost ${lost.join(', ')} (of fooBar/foo_bar/a.b/a_b)`;
    }
    return undefined;
  };
}

describe(`contract matrix (${FULL ? 'full' : 'quick'})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('tributary-contract-');
  });
  afterAll(async () => {
    await closeAdmin();
    rmSync(dir, { recursive: true, force: true });
    recordFigures('contract-matrix', figures);
    // The full run prints every cell's outcome (docs/reliability.md quotes it); the quick one only a failure.
    if (FULL || results.some((r) => r.includes(': FAILED')))
      console.log(`[contract matrix]\n  ${results.join('\n  ')}`);
  });

  for (const cell of CELLS) {
    for (const c of cell.connectors) {
      for (const dest of ['duckdb', 'postgres', 'mysql'] as DestKind[]) {
        if (!FULL && !cell.quick?.includes(`${c}:${dest}`)) continue;
        const name = cellName(cell);
        const label = `${c} → ${dest}: ${name}`;
        const run = (dest === 'postgres' && !pgOk) || (dest === 'mysql' && !mysqlOk) ? it.skip : it;
        run(
          `${label}: an exact copy, or a clear failure that deleted nothing`,
          async () => {
            figures.contractCells++;
            const targets: Target[] = [];
            const newTarget = (suffix: string): Target => {
              const t =
                dest === 'duckdb'
                  ? duckDbTarget(dir, `${c}-${name.replace(/\W+/g, '_')}-${suffix}`, c)
                  : dest === 'mysql'
                    ? mysqlTarget(`ct_${suffix}`)
                    : postgresTarget(`ct_${suffix}`);
              targets.push(t);
              return t;
            };
            const sim = await startSim(c, SEED, cell.data ?? []);
            const stream = MAIN_STREAM[c];
            const outcomes: Outcome[] = [];
            try {
              const target = newTarget('cell');
              const mutate = () =>
                sim.mutate({
                  stream,
                  updates: Math.floor(sim.records(stream).length * (c === 'humaans' ? 0.75 : 0.2)),
                  creates: 10,
                  deletes: 5,
                });
              if (cell.behaviours.length === 0) {
                // Data modes: every sync is judged against the simulator's exact values.
                for (const step of ['first sync', 'after changes']) {
                  if (step === 'after changes') mutate();
                  const stateBefore = await mainState(c, target);
                  const sync = await guardedSync(c, sim, target);
                  const records = new Map(sim.records(stream).map((r) => [String(r.id), r]));
                  outcomes.push(
                    await verdict({
                      c,
                      sim,
                      target,
                      sync,
                      stateBefore,
                      expectRow: dataExpectation(cell, records),
                      label: `${label} (${step})`,
                    }),
                  );
                }
              } else {
                const seeded = await guardedSync(c, sim, target, { config: cell.variant?.config });
                expect(
                  seeded.run?.status,
                  `${label}: the well-behaved seed sync failed: ${JSON.stringify(seeded.run?.error ?? seeded.thrown)}`,
                ).toBe('succeeded');
                mutate();
                const stateBefore = await mainState(c, target);
                const existed = new Set(liveIds(c, sim));
                sim.setContract([...cell.behaviours]);
                const sync = await guardedSync(c, sim, target, {
                  config: cell.variant?.config,
                  writeMode: cell.variant?.writeMode,
                  fullRefresh:
                    cell.variant?.fullRefresh || cell.variant?.writeMode === 'replace' ? true : undefined,
                });
                sim.setContract(undefined);
                const bornDuring = new Set(liveIds(c, sim).filter((id) => !existed.has(id)));
                // The truth: a clean sync of the data as it is now, into a fresh destination.
                const reference = newTarget('ref');
                const clean = await guardedSync(c, sim, reference);
                expect(clean.run?.status, `${label}: the reference sync failed`).toBe('succeeded');
                const want = await dumpById(c, reference);
                outcomes.push(
                  await verdict({
                    c,
                    sim,
                    target,
                    sync,
                    stateBefore,
                    expectRow: (id, _row, line) =>
                      line === want.get(id) ? undefined : `got ${line}\n    want ${want.get(id)}`,
                    label,
                    bornDuring,
                  }),
                );
              }
              for (const o of outcomes) {
                if (o === 'exact') figures.contractExact++;
                else figures.contractFailedCleanly++;
              }
              figures.contractCellsPassed++;
              results.push(`${label}: ${outcomes.join(', ')}`);
            } catch (err) {
              results.push(`${label}: FAILED ${String((err as Error).message).split('\n')[0]}`);
              throw err;
            } finally {
              await sim.close();
              for (const t of targets) await t.drop().catch(() => undefined);
            }
          },
          180_000,
        );
      }
    }
  }

  it('every contract mode of the simulators has a cell', () => {
    const covered = new Set<string>(CELLS.flatMap((cell) => [...cell.behaviours, ...(cell.data ?? [])]));
    expect(ALL_CONTRACT_MODES.filter((m) => !covered.has(m))).toEqual([]);
  });
});

/** The verdict is the matrix's only judge: it must pass what it should and catch what it should. */
describe('the contract verdict itself', () => {
  it('accepts an exact copy and a clean failure; catches a wrong deletion, a missing row, a vague error, a state marked complete', async () => {
    const dir = tempDir('tributary-verdict-');
    const sim = await startSim('hellobaton', SEED, [], 200);
    try {
      const target = duckDbTarget(dir, 'verdict', 'hellobaton');
      const sync = await guardedSync('hellobaton', sim, target);
      expect(sync.run?.status).toBe('succeeded');
      const stateBefore = await mainState('hellobaton', target);
      const base = { c: 'hellobaton' as const, sim, target, stateBefore, label: 'self-test' };
      expect(await verdict({ ...base, sync })).toBe('exact');

      const failedWith = (code: string, message: string): typeof sync => {
        const error = { code, message };
        const run = sync.run as RunSummary;
        return {
          ...sync,
          run: {
            ...run,
            status: 'failed',
            error,
            streams: run.streams.map((s) => ({ ...s, status: 'failed' as const, error })),
          },
        };
      };
      const clean = failedWith('TRB_SOURCE_CONTRACT', 'tasks: the API said 58 records, the pass read 20');
      expect(await verdict({ ...base, sync: clean })).toBe('failed-cleanly');
      await expect(verdict({ ...base, sync: failedWith('TRB_INTERNAL', 'tasks: oops') })).rejects.toThrow(
        /without a clear typed error/,
      );
      await expect(
        verdict({ ...base, sync: failedWith('TRB_SOURCE_CONTRACT', 'count mismatch') }),
      ).rejects.toThrow(/does not name the stream/);
      // A failed sync whose state moved to a new complete state.
      await expect(
        verdict({ ...base, stateBefore: { complete: true, source: { page: 0 } }, sync: clean }),
      ).rejects.toThrow(/marked the state complete/);

      const write = async (sql: string) => {
        const db = await DuckDBInstance.create(target.file!);
        try {
          const conn = await db.connect();
          await conn.run(sql);
          conn.closeSync();
        } finally {
          db.closeSync();
        }
      };
      await write('update hellobaton.tasks set _tributary_deleted = true where id = 3');
      await expect(verdict({ ...base, sync })).rejects.toThrow(/1 live records marked _tributary_deleted/);
      await expect(verdict({ ...base, sync: clean })).rejects.toThrow(/marked _tributary_deleted/);
      await write('update hellobaton.tasks set _tributary_deleted = false where id = 3');
      await write("update hellobaton.tasks set title = 'changed' where id = 4");
      const lines = await dumpById('hellobaton', target);
      await write("update hellobaton.tasks set title = 'changed again' where id = 4");
      await expect(
        verdict({
          ...base,
          sync,
          expectRow: (id, _r, line) => (line === lines.get(id) ? undefined : 'differs'),
        }),
      ).rejects.toThrow(/1 of \d+ rows hold wrong values/);
      await write('delete from hellobaton.tasks where id = 5');
      await expect(verdict({ ...base, sync })).rejects.toThrow(/have no row/);
      expect(await verdict({ ...base, sync, bornDuring: new Set(['5']) })).toBe('exact');
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compares numbers by value whatever the notation, never through a double', () => {
    expect(sameNumber('1E+400', '1e400')).toBe(true);
    expect(sameNumber('1000', '1e3')).toBe(true);
    expect(sameNumber('0.50', '0.5')).toBe(true);
    expect(sameNumber('-3e999', '-3e999')).toBe(true);
    expect(sameNumber(Number.POSITIVE_INFINITY, '1e400')).toBe(false);
    expect(sameNumber('9007199254740992', '9007199254740993')).toBe(false);
    expect(sameNumber(null, '0')).toBe(false);
  });
});
