/**
 * Crash and resume (docs/architecture.md law 1, the hard way): real `tributary sync` child processes are killed
 * with SIGKILL at random points of their progress and re-run to completion, for Humaans (incremental),
 * Hellobaton (resumable full refresh with soft deletes, sometimes replace mode) and a schema-evolving API,
 * into DuckDB, PostgreSQL and MySQL/MariaDB. See support/crash.ts for what each trial checks.
 *
 * Quick (npm test): one trial per scenario. Full (npm run test:reliability): TRIBUTARY_TRIALS in total
 * (default 88), spread over the eleven scenarios.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/duckdb.js';
import { runTrial, type Scenario } from '../helpers/reliability/crash.js';
import { FULL, recordFigures, SUITE_SEED, spread, totalTrials } from '../helpers/reliability/env.js';
import { closeAdmin, mysqlAvailable, postgresAvailable } from '../helpers/reliability/targets.js';

const SCENARIOS: Scenario[] = [
  { connector: 'humaans', dest: 'duckdb' },
  { connector: 'hellobaton', dest: 'duckdb' },
  { connector: 'evolution', dest: 'duckdb' },
  { connector: 'humaans', dest: 'postgres' },
  { connector: 'hellobaton', dest: 'postgres' },
  { connector: 'evolution', dest: 'postgres' },
  { connector: 'humaans', dest: 'mysql' },
  { connector: 'hellobaton', dest: 'mysql' },
  { connector: 'evolution', dest: 'mysql' },
  // Parallel keyset windows: a windowed first sync killed at several points, then resumed.
  { connector: 'humaans-windows', dest: 'duckdb' },
  { connector: 'humaans-windows', dest: 'postgres' },
];

// Eight trials per scenario by default, as when there were six scenarios and 48 trials.
const counts = spread(totalTrials(SCENARIOS.length, 8 * SCENARIOS.length), SCENARIOS.length);
const pgOk = await postgresAvailable();
const mysqlOk = await mysqlAvailable();
const figures = {
  trialsRun: 0,
  trialsPassed: 0,
  trialsKilledMidway: 0,
  kills: 0,
  lateKills: 0,
  knownDefectHits: 0,
};

describe(`crash and resume (${FULL ? 'full' : 'quick'}, seed ${SUITE_SEED})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('tributary-crash-');
  });
  afterAll(async () => {
    await closeAdmin();
    rmSync(dir, { recursive: true, force: true });
    recordFigures('crash-resume', figures);
  });

  SCENARIOS.forEach((scenario, si) => {
    const skip = (scenario.dest === 'postgres' && !pgOk) || (scenario.dest === 'mysql' && !mysqlOk);
    const run = skip ? it.skip : it;
    for (let t = 0; t < counts[si]!; t++) {
      run(
        `${scenario.connector} → ${scenario.dest}, trial ${t + 1}/${counts[si]}`,
        async () => {
          figures.trialsRun++;
          const seed = (SUITE_SEED + si * 10_007 + t * 131) % 2_147_483_647;
          const report = await runTrial(scenario, dir, t, seed);
          figures.trialsPassed++;
          if (process.env.TRIBUTARY_RELIABILITY_VERBOSE)
            console.log(
              `[crash] ${scenario.connector} → ${scenario.dest} trial ${t + 1}: ${report.notes.join('; ')}`,
            );
          figures.kills += report.kills;
          figures.lateKills += report.late;
          if (report.kills > 0) figures.trialsKilledMidway++;
          // Every trial plans at least one kill of a running sync; most must land.
          expect(report.kills + report.late).toBeGreaterThan(0);
        },
        240_000,
      );
    }
  });

  it('most planned kills really hit a running sync', () => {
    if (figures.trialsRun === 0) return;
    expect(figures.kills).toBeGreaterThanOrEqual(Math.ceil((figures.kills + figures.lateKills) / 2));
  });
});
