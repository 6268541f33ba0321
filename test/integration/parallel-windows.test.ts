/**
 * Parallel keyset windows end to end: the Humaans simulator over HTTP, the real engine, real DuckDB files.
 * A windowed first sync lands exactly what a sequential one lands (also with tied timestamps at every window
 * boundary), and a sync stopped mid-way with several windows open resumes to the same table.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { dbPath, humaansConfig, syncConnector } from '../helpers/humaans.js';

const STREAMS = ['documents'];

async function stateOf(db: string): Promise<Record<string, unknown>> {
  const dest = await createDestination(
    { url: `duckdb:${db}` },
    { namespace: 'humaans', connector: 'humaans' },
  );
  await dest.open();
  try {
    return (await dest.readStates()).documents as Record<string, unknown>;
  } finally {
    await dest.close();
  }
}

describe('parallel windows over HTTP', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('tributary-windows-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const data of [[], ['tied-timestamps']] as const) {
    const label = data.length ? ' (tied timestamps)' : '';
    it(`a windowed first sync lands the same table as a sequential one${label}`, async () => {
      const sim: SimulatorHandle = await startHumaansSimulator({
        seed: 11,
        records: 2500,
        latencyMs: 3,
        ...(data.length ? { contract: [...data] } : {}),
      });
      try {
        const seq = dbPath(dir, `seq${data.length}.duckdb`);
        const par = dbPath(dir, `par${data.length}.duckdb`);
        const a = await syncConnector('humaans', humaansConfig(sim, { max_windows: 1 }), `duckdb:${seq}`, {
          streams: STREAMS,
        });
        const before = sim.requests().length;
        const b = await syncConnector('humaans', humaansConfig(sim, { max_windows: 8 }), `duckdb:${par}`, {
          streams: STREAMS,
        });
        expect(a.status).toBe('succeeded');
        expect(b.status, JSON.stringify(b.error)).toBe('succeeded');
        // Windows were used: the windowed read asked with an upper bound.
        const bounded = sim
          .requests()
          .slice(before)
          .some((r) => r.stream === 'documents' && 'updatedAt[$lt]' in r.query);
        expect(bounded).toBe(true);
        const [x, y] = [await dumpDuckDb(seq, 'humaans'), await dumpDuckDb(par, 'humaans')];
        expect(y.documents!.length).toBe(sim.records('documents').length);
        expect(y).toEqual(x);
        // The cursor completes at the newest updatedAt, as the sequential one does.
        expect(await stateOf(par)).toMatchObject({ complete: true, source: (await stateOf(seq)).source });
      } finally {
        await sim.close();
      }
    });
  }

  it('a windowed sync stopped with windows open resumes to the same table', async () => {
    // 25 ms a request: several windows are always waiting on an answer when the test stops a run.
    const sim = await startHumaansSimulator({ seed: 12, records: 4000, latencyMs: 25 });
    try {
      const ref = dbPath(dir, 'ref.duckdb');
      const db = dbPath(dir, 'stopped.duckdb');
      await syncConnector('humaans', humaansConfig(sim), `duckdb:${ref}`, { streams: STREAMS });
      const cfg = humaansConfig(sim, { max_windows: 8 });
      // Stop each run once it committed two batches (a page each), until one completes.
      let sawWindows = false;
      let runs = 0;
      for (; runs < 60; runs++) {
        const stop = new AbortController();
        const run = await syncConnector('humaans', cfg, `duckdb:${db}`, {
          streams: STREAMS,
          batchRows: 100,
          signal: stop.signal,
          onProgress: (s) => {
            if (s[0]!.batches >= 2) stop.abort(new Error('stopped by the test'));
          },
        });
        const state = await stateOf(db);
        const source = state.source as Record<string, unknown>;
        if (Array.isArray(source.windows) && source.windows.length > 1) sawWindows = true;
        if (run.status === 'succeeded') break;
      }
      expect(runs).toBeGreaterThan(1);
      expect(sawWindows).toBe(true);
      expect(await dumpDuckDb(db, 'humaans')).toEqual(await dumpDuckDb(ref, 'humaans'));
      const [dup] = await queryDuckDb(db, 'select count(*) - count(distinct id) as d from humaans.documents');
      expect(Number(dup!.d)).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
