/**
 * ARCHITECTURE law 1, tested the hard way: a real `tributary sync` child process is killed with SIGKILL at a
 * random moment, then re-run to completion. The tables must equal an uninterrupted sync's exactly: no row
 * lost, none duplicated, every value the same, and the state consistent with the data.
 * TRIBUTARY_KILL_TRIALS raises the trial count (default 6 in `npm test`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';

const TRIALS = Number(process.env.TRIBUTARY_KILL_TRIALS ?? 6);

describe('kill -9 at a random moment, then re-run: an exact copy', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  let reference: Record<string, string[]>;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 99, records: 6000, latencyMs: 2 });
    dir = tempDir('tributary-kill-');
    config = join(dir, 'humaans.json');
    writeFileSync(
      config,
      JSON.stringify({
        api_token: 'sim-token',
        base_url: sim.baseUrl,
        initial_sync_days: 0,
        max_records_per_page: 50,
      }),
    );
    const ref = join(dir, 'reference.duckdb');
    const r = await runCli([
      'sync',
      'humaans',
      '--config',
      config,
      '--destination',
      `duckdb:${ref}`,
      '--batch-rows',
      '100',
      '--no-progress',
    ]);
    expect(r.code, r.stderr).toBe(0);
    reference = await dumpDuckDb(ref, 'humaans');
    expect(reference.documents!.length).toBe(6000);
  }, 120_000);

  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`survives ${TRIALS} random SIGKILLs`, async () => {
    let killedMidway = 0;
    for (let t = 0; t < TRIALS; t++) {
      const db = join(dir, `trial-${t}.duckdb`);
      const args = [
        'sync',
        'humaans',
        '--config',
        config,
        '--destination',
        `duckdb:${db}`,
        '--batch-rows',
        '100',
        '--no-progress',
      ];
      const { child, done } = startCli(args);
      // Kill somewhere between start-up and the end of a typical run (about 1–3 s here).
      const delay = 150 + Math.floor(Math.random() * 1500);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const first = await done;
      clearTimeout(timer);
      if (first.signal === 'SIGKILL') killedMidway++;
      const second = await runCli(args);
      expect(second.code, `trial ${t} (killed after ${delay} ms): ${second.stderr.slice(-2000)}`).toBe(0);
      const got = await dumpDuckDb(db, 'humaans');
      expect(Object.keys(got).sort()).toEqual(Object.keys(reference).sort());
      for (const table of Object.keys(reference)) {
        expect(got[table]!.length, `trial ${t} ${table} row count`).toBe(reference[table]!.length);
        expect(got[table], `trial ${t} ${table} rows`).toEqual(reference[table]);
      }
      const states = await queryDuckDb(
        db,
        'select stream, state from humaans._tributary_state order by stream',
      );
      expect(states.length).toBe(Object.keys(reference).length);
      for (const s of states)
        expect(JSON.parse(String(s.state)), String(s.stream)).toMatchObject({ complete: true });
    }
    // The trials only mean something if most of them really killed a running sync.
    expect(killedMidway).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
  }, 600_000);
});
