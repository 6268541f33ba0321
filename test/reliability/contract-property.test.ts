/**
 * The contract property (issue 11): whatever creates, updates and deletes land between the page requests
 * of a sync, no live record is ever marked `_tributary_deleted` (checked after every sync, not only the
 * last), and one quiet sync afterwards makes the table an exact copy of the simulator's truth: every live
 * record present, with the values a clean sync of the same data writes, none marked deleted.
 *
 * fast-check draws the schedule: a few syncs, each with mutations pinned to the n-th list request of the
 * stream (the simulator's list-request hook runs them just before that request is answered). Small pages
 * (20 records) so a sync makes several requests to interleave with. DuckDB; both connectors.
 *
 * Quick (npm test): a few runs per connector. Full (npm run test:reliability): many more. A failure prints
 * fast-check's seed and shrunk schedule; TRIBUTARY_RELIABILITY_SEED replays a run.
 */
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/duckdb.js';
import {
  type Connector,
  dumpById,
  guardedSync,
  isDeleted,
  liveIds,
  MAIN_STREAM,
  rowsById,
  startSim,
  verdict,
} from '../helpers/reliability/contract.js';
import { FULL, recordFigures, SUITE_SEED } from '../helpers/reliability/env.js';
import { duckDbTarget } from '../helpers/reliability/targets.js';

const RUNS = FULL ? 25 : 4;
/** Humaans: 120 documents; Hellobaton: 116 tasks. Pages of 20: six or so requests per pass. */
const RECORDS: Record<Connector, number> = { humaans: 120, hellobaton: 400 };
const SMALL_PAGES: Record<Connector, Record<string, unknown>> = {
  humaans: { max_records_per_page: 20 },
  hellobaton: { page_size: 20 },
};

interface Mutation {
  /** Runs just before the stream's n-th list request of the sync is answered. */
  atRequest: number;
  creates: number;
  updates: number;
  deletes: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  atRequest: fc.integer({ min: 1, max: 8 }),
  creates: fc.integer({ min: 0, max: 3 }),
  updates: fc.integer({ min: 0, max: 8 }),
  deletes: fc.integer({ min: 0, max: 3 }),
});
/** One to three syncs, each with up to four mutations between its page requests. */
const schedule = fc.array(fc.array(mutation, { maxLength: 4 }), { minLength: 1, maxLength: 3 });

const figures = { propertyRuns: 0, propertyRunsPassed: 0, propertySyncsChecked: 0 };

describe(`contract property (${FULL ? 'full' : 'quick'}, seed ${SUITE_SEED})`, () => {
  let dir: string;
  let cellNo = 0;
  beforeAll(() => {
    dir = tempDir('tributary-contract-prop-');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    recordFigures('contract-property', figures);
  });

  for (const c of ['humaans', 'hellobaton'] as Connector[]) {
    it(`${c}: mutations between page reads never delete a live record; a quiet sync then copies exactly`, async () => {
      const stream = MAIN_STREAM[c];
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), schedule, async (seed, syncs) => {
          figures.propertyRuns++;
          const n = cellNo++;
          const sim = await startSim(c, seed, [], RECORDS[c]);
          const target = duckDbTarget(dir, `${c}-prop-${n}`, c);
          const reference = duckDbTarget(dir, `${c}-prop-${n}-ref`, c);
          const config = SMALL_PAGES[c];
          try {
            for (const [i, mutations] of syncs.entries()) {
              sim.onListRequest((s, k) => {
                if (s !== stream) return;
                for (const m of mutations.filter((x) => x.atRequest === k))
                  sim.mutate({ stream, creates: m.creates, updates: m.updates, deletes: m.deletes });
              });
              const sync = await guardedSync(c, sim, target, { config });
              sim.onListRequest(undefined);
              expect(
                sync.looped || sync.stalled || sync.thrown !== undefined,
                `sync ${i + 1}: looped, stalled or threw`,
              ).toBe(false);
              // After every sync, whatever its outcome: no live record marked deleted.
              const rows = await rowsById(c, target);
              const wrong = liveIds(c, sim).filter((id) => rows.has(id) && isDeleted(rows.get(id)!));
              expect(
                wrong,
                `sync ${i + 1} of ${syncs.length} (${sync.run?.status}): ${wrong.length} live records marked deleted, e.g. ${wrong.slice(0, 3).join(', ')}`,
              ).toEqual([]);
              figures.propertySyncsChecked++;
            }
            // The quiet sync: nothing moves; it must end in an exact copy.
            const quiet = await guardedSync(c, sim, target, { config });
            const clean = await guardedSync(c, sim, reference, { config });
            expect(clean.run?.status, 'the reference sync failed').toBe('succeeded');
            const want = await dumpById(c, reference);
            expect(quiet.run?.status, `the quiet sync failed: ${JSON.stringify(quiet.run?.error)}`).toBe(
              'succeeded',
            );
            await verdict({
              c,
              sim,
              target,
              sync: quiet,
              stateBefore: undefined,
              expectRow: (id, _row, line) =>
                line === want.get(id) ? undefined : `got ${line}\n    want ${want.get(id)}`,
              label: `${c} quiet sync after ${syncs.length} mutated syncs`,
            });
            figures.propertySyncsChecked++;
            figures.propertyRunsPassed++;
          } finally {
            await sim.close();
            await target.drop();
            await reference.drop();
          }
        }),
        { numRuns: RUNS, seed: SUITE_SEED, endOnFailure: !FULL },
      );
    }, 600_000);
  }
});
