/**
 * The round trip: `tributary airbyte <c> read | tributary load --from-airbyte` lands exactly what
 * `tributary sync <c>` lands, for both connectors, against their simulators, into DuckDB. Tables are
 * compared row by row and column by column, ignoring only per-run columns (sync time, pass id, `timestamp`).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { dumpDuckDb } from '../helpers/compare.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';
import { configure, protocolLines, runPipeline, writeJson } from '../helpers/airbyte.js';

const CASES = [
  {
    connector: 'humaans',
    start: () => startHumaansSimulator({ seed: 21, records: 300 }),
    config: (sim: SimulatorHandle) => ({
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 25,
    }),
  },
  {
    connector: 'hellobaton',
    start: () => startHellobatonSimulator({ seed: 22, records: 400, rateLimitPerMinute: 0 }),
    config: (sim: SimulatorHandle) => ({
      api_key: 'sim-key',
      company: 'acme',
      base_url: sim.baseUrl,
      page_size: 25,
      requests_per_minute: 100_000,
    }),
  },
];

describe.each(CASES)('round trip: airbyte $connector read | load --from-airbyte', (c) => {
  let sim: SimulatorHandle;
  let dir: string;

  beforeAll(async () => {
    sim = await c.start();
    dir = tempDir(`tributary-airbyte-${c.connector}-`);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands exactly what tributary sync lands', async () => {
    const config = writeJson(dir, 'config.json', c.config(sim));
    const discovered = await runCli(['airbyte', c.connector, 'discover', '--config', config]);
    expect(discovered.code, discovered.stderr).toBe(0);
    const [catalogMsg] = protocolLines(discovered.stdout);
    // Incremental where supported (deduplicated by primary key), full refresh replacing the table otherwise:
    // what `tributary sync` does on a first run.
    const catalog = writeJson(
      dir,
      'catalog.json',
      configure(catalogMsg!, (s) =>
        (s.supported_sync_modes as string[]).includes('incremental')
          ? { destination_sync_mode: 'append_dedup' }
          : { destination_sync_mode: 'overwrite' },
      ),
    );

    const viaAirbyte = join(dir, 'airbyte.duckdb');
    const { source, load } = await runPipeline(
      ['airbyte', c.connector, 'read', '--config', config, '--catalog', catalog],
      [
        'load',
        '--from-airbyte',
        '--destination',
        `duckdb:${viaAirbyte}`,
        '--namespace',
        c.connector,
        '--catalog',
        catalog,
      ],
    );
    expect(source.code, source.stderr).toBe(0);
    expect(load.code, load.stderr).toBe(0);
    // The loader echoed one committed STATE per STATE the source emitted.
    const echoed = protocolLines(load.stdout);
    expect(echoed.length).toBeGreaterThan(0);
    expect(echoed.every((m) => m.type === 'STATE' && m.state.destinationStats)).toBe(true);

    const viaSync = join(dir, 'sync.duckdb');
    const synced = await runCli([
      'sync',
      c.connector,
      '--config',
      config,
      '--destination',
      `duckdb:${viaSync}`,
      '--no-progress',
    ]);
    expect(synced.code, synced.stderr).toBe(0);

    const a = await dumpDuckDb(viaAirbyte, c.connector);
    const b = await dumpDuckDb(viaSync, c.connector);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    for (const table of Object.keys(b)) {
      expect(a[table]!.length, `${table} rows`).toBe(b[table]!.length);
      expect(a[table], table).toEqual(b[table]);
    }
    // Column types match too (the catalog's json_schema declares them as the schema files do).
    const types = (db: string) =>
      queryDuckDb(
        db,
        `select table_name, column_name, data_type from information_schema.columns where table_schema = '${c.connector}' and table_name not like '\\_tributary%' escape '\\' and column_name <> '_tributary_pass' order by 1, 2`,
      );
    expect(await types(viaAirbyte)).toEqual(await types(viaSync));
    // Every stream table holds the simulator's records.
    for (const stream of Object.keys(b)) expect(b[stream]!.length).toBeGreaterThan(0);
  });
});
