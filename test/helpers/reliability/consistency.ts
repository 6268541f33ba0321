/**
 * "State consistent with the data": after a sync stopped anywhere (killed, failed, disk full, database
 * gone), each stream's committed rows are exactly what its committed state says was read.
 *
 * - complete: every record of the stream;
 * - page-number paging (Hellobaton): the records of the pages before the checkpoint's page;
 * - the updatedAt keyset (Humaans): every record before the checkpoint's bound, plus (only) records at the
 *   bound, which the next read re-reads and upserts harmlessly;
 * - no state: no rows.
 */
import { expect } from 'vitest';
import type { SimulatorHandle } from '../../../src/simulator/index.js';
import type { Target } from './targets.js';

export async function checkStateMatchesRows(
  connector: 'humaans' | 'hellobaton',
  sim: SimulatorHandle,
  target: Target,
  opts: { pageSize?: number; streams?: string[] } = {},
): Promise<void> {
  const states = (await target.states()) as Record<
    string,
    { complete: boolean; source: Record<string, unknown> }
  >;
  const tables = Object.keys(await target.columnTypes());
  for (const stream of opts.streams ?? sim.streams()) {
    const rows = tables.includes(stream)
      ? (await target.query(`select id from "${target.namespace}"."${stream}"`))
          .map((r) => String(r.id))
          .sort()
      : [];
    const state = states[stream];
    const label = `${stream}: rows vs state ${JSON.stringify(state ?? null)}`;
    if (state === undefined) {
      expect(rows, label).toEqual([]);
      continue;
    }
    const records = sim.records(stream);
    if (state.complete) {
      expect(rows, label).toEqual(records.map((r) => String(r.id)).sort());
      continue;
    }
    if (connector === 'hellobaton') {
      const page = Number(state.source.page);
      expect(state.source.in_progress, label).toBe(true);
      const want = records.slice(0, (page - 1) * (opts.pageSize ?? 100)).map((r) => String(r.id));
      expect(rows, label).toEqual(want.sort());
      continue;
    }
    const bound = String(state.source.cursor);
    const cursor = (r: Record<string, unknown>) => String(r.updatedAt);
    const before = records.filter((r) => cursor(r) < bound).map((r) => String(r.id));
    const at = new Set(records.filter((r) => cursor(r) === bound).map((r) => String(r.id)));
    const extra = rows.filter((id) => !before.includes(id));
    for (const id of extra) expect(at.has(id), `${label}: row ${id} is past the committed bound`).toBe(true);
    for (const id of before)
      expect(rows.includes(id), `${label}: row ${id} before the bound is missing`).toBe(true);
  }
}
