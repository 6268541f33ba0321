/**
 * The loader's crash test (docs/architecture.md law 1 through the Airbyte protocol). Full refresh into append mode
 * makes every duplicate or lost record visible as an extra or missing row. A load is broken at a random
 * point, by cutting the input mid-stream or by SIGKILL; then, like an orchestrator, the harness asks the
 * destination for the committed state (`load --committed-state`), re-runs the source from it for the
 * streams not yet complete, and pipes that into the loader. The tables must equal an unbroken load's,
 * row for row. TRIBUTARY_AIRBYTE_CRASH_TRIALS sets the trial count (default 4 per kind).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import {
  configure,
  type Msg,
  protocolLines,
  runCliInput,
  runPipeline,
  writeJson,
} from '../helpers/airbyte.js';

const TRIALS = Number(process.env.TRIBUTARY_AIRBYTE_CRASH_TRIALS ?? 4);
const STREAMS = ['documents', 'people', 'time_away'];
const VOLATILE = new Set(['_tributary_synced_at', '_tributary_pass', '_airbyte_key', 'timestamp']);

async function dump(db: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of STREAMS) {
    const cols = (
      await queryDuckDb(
        db,
        `select column_name from information_schema.columns where table_schema = 'hr' and table_name = '${t}' order by 1`,
      )
    )
      .map((r) => String(r.column_name))
      .filter((c) => !VOLATILE.has(c));
    const rows = await queryDuckDb(db, `select ${cols.map((c) => `"${c}"`).join(', ')} from hr."${t}"`);
    out[t] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

describe('loader crash test: broken loads resumed from the committed state land an exact copy', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  let catalogMsg: Msg;
  let fullCatalog: string;
  let fullOutput: string;
  let reference: Record<string, string[]>;

  const loadArgs = (db: string, catalog: string) => [
    'load',
    '--from-airbyte',
    '--destination',
    `duckdb:${db}`,
    '--namespace',
    'hr',
    '--catalog',
    catalog,
    '--batch-rows',
    '15',
  ];

  /** Re-run the source from the destination's committed state, for the streams not complete yet. */
  async function resume(db: string, trial: string): Promise<void> {
    const committed = await runCli([
      'load',
      '--from-airbyte',
      '--destination',
      `duckdb:${db}`,
      '--namespace',
      'hr',
      '--committed-state',
    ]);
    expect(committed.code, committed.stderr).toBe(0);
    const states = JSON.parse(committed.stdout) as Msg[];
    const done = new Set(
      states
        .filter((s) => s.stream.stream_state?.complete === true)
        .map((s) => s.stream.stream_descriptor.name),
    );
    const todo = configure(catalogMsg, (s) =>
      STREAMS.includes(s.name) && !done.has(s.name)
        ? { sync_mode: 'full_refresh', destination_sync_mode: 'append' }
        : undefined,
    );
    if (todo.streams.length === 0) return;
    const statePath = writeJson(dir, `${trial}-state.json`, states);
    const catalog = writeJson(dir, `${trial}-catalog.json`, todo);
    const { source, load } = await runPipeline(
      ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog, '--state', statePath],
      loadArgs(db, catalog),
    );
    expect(source.code, `${trial} source: ${source.stderr}`).toBe(0);
    expect(load.code, `${trial} load: ${load.stderr.slice(-1500)}`).toBe(0);
  }

  async function expectExact(db: string, trial: string): Promise<void> {
    const got = await dump(db);
    for (const t of STREAMS) {
      expect(got[t]!.length, `${trial} ${t} row count`).toBe(reference[t]!.length);
      expect(got[t], `${trial} ${t}`).toEqual(reference[t]);
    }
  }

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 51, records: 500 });
    dir = tempDir('tributary-airbyte-crash-');
    config = writeJson(dir, 'config.json', {
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
    });
    const d = await runCli(['airbyte', 'humaans', 'discover', '--config', config]);
    catalogMsg = protocolLines(d.stdout)[0]!;
    fullCatalog = writeJson(
      dir,
      'full.json',
      configure(catalogMsg, (s) =>
        STREAMS.includes(s.name) ? { sync_mode: 'full_refresh', destination_sync_mode: 'append' } : undefined,
      ),
    );
    const read = await runCli(['airbyte', 'humaans', 'read', '--config', config, '--catalog', fullCatalog]);
    expect(read.code, read.stderr).toBe(0);
    fullOutput = read.stdout;
    writeFileSync(join(dir, 'full.jsonl'), fullOutput);
    const ref = join(dir, 'reference.duckdb');
    const r = await runCliInput(loadArgs(ref, fullCatalog), fullOutput);
    expect(r.code, r.stderr).toBe(0);
    reference = await dump(ref);
    expect(reference.documents!.length).toBeGreaterThan(400);
  }, 120_000);

  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`input cut at ${TRIALS} random points (mid-line), then resumed`, async () => {
    for (let t = 0; t < TRIALS; t++) {
      const db = join(dir, `cut-${t}.duckdb`);
      const at = Math.floor(fullOutput.length * (0.1 + 0.8 * Math.random()));
      const first = await runCliInput(loadArgs(db, fullCatalog), fullOutput.slice(0, at));
      expect(first.code, `cut at ${at}: ${first.stderr.slice(-500)}`).toBe(1);
      await resume(db, `cut-${t}`);
      await expectExact(db, `cut-${t} at ${at}`);
    }
  }, 300_000);

  it(`loader killed with SIGKILL ${TRIALS} times at random moments, then resumed`, async () => {
    const input = readFileSync(join(dir, 'full.jsonl'));
    let killedMidway = 0;
    for (let t = 0; t < TRIALS; t++) {
      const db = join(dir, `kill-${t}.duckdb`);
      const child = spawn(process.execPath, [CLI, ...loadArgs(db, fullCatalog)], {
        cwd: ROOT,
        env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' },
        stdio: 'pipe',
      });
      const killAfter = 1 + Math.floor(Math.random() * 20);
      let echoed = 0;
      child.stdout.on('data', (d: Buffer) => {
        echoed += d.toString().split('\n').length - 1;
        if (echoed >= killAfter) child.kill('SIGKILL');
      });
      child.stderr.resume();
      child.stdin.on('error', () => {});
      const closed = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_c, s) => r(s)));
      // Feed the input in small slices so the kill lands in the middle of the load.
      for (let i = 0; i < input.length && child.exitCode === null && child.signalCode === null; i += 4096) {
        child.stdin.write(input.subarray(i, i + 4096));
        await new Promise((r) => setTimeout(r, 3));
      }
      child.stdin.end();
      if ((await closed) === 'SIGKILL') killedMidway++;
      await resume(db, `kill-${t}`);
      await expectExact(db, `kill-${t} after ${killAfter} echoes`);
    }
    expect(killedMidway).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
  }, 300_000);
});
