/**
 * The loader into PostgreSQL: the same Destination.write path, so the same guarantees. A Humaans read piped
 * into PostgreSQL lands what the simulator holds; a load cut mid-line commits only what its last STATE covers,
 * and a resume from the committed state completes it exactly (full refresh into append mode, so duplicates
 * would show). Skipped without a reachable PostgreSQL (fails instead when CI=true), like the destination tests.
 */
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import {
  configure,
  type Msg,
  protocolLines,
  runCliInput,
  runPipeline,
  writeJson,
} from '../helpers/airbyte.js';
import { pgReachable } from '../helpers/postgres.js';

const PG_URL = process.env.TRIBUTARY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CI = process.env.CI === 'true';

const reachable = () => pgReachable(PG_URL);

const available = await reachable();
const describePg = available || CI ? describe : describe.skip;

describePg('load --from-airbyte into PostgreSQL', () => {
  const schema = `airbyte_load_${process.pid}`;
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  let catalogMsg: Msg;
  let client: pg.Client;

  const query = async (sql: string) => (await client.query(sql)).rows as Record<string, unknown>[];
  const loadArgs = (catalog: string) => [
    'load',
    '--from-airbyte',
    '--destination',
    PG_URL,
    '--namespace',
    schema,
    '--catalog',
    catalog,
  ];

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 61, records: 150 });
    dir = tempDir('tributary-airbyte-pg-');
    config = writeJson(dir, 'config.json', {
      api_token: 'sim-token',
      base_url: sim.baseUrl,
      initial_sync_days: 0,
      max_records_per_page: 10,
    });
    catalogMsg = protocolLines(
      (await runCli(['airbyte', 'humaans', 'discover', '--config', config])).stdout,
    )[0]!;
    client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
  });
  afterAll(async () => {
    await client?.query(`drop schema if exists "${schema}" cascade`);
    await client?.end();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a read piped into PostgreSQL lands every record, deduplicated by primary key', async () => {
    const catalog = writeJson(
      dir,
      'dedup.json',
      configure(catalogMsg, (s) => (s.name === 'people' || s.name === 'documents' ? {} : undefined)),
    );
    const { source, load } = await runPipeline(
      ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog],
      loadArgs(catalog),
    );
    expect(source.code, source.stderr).toBe(0);
    expect(load.code, load.stderr).toBe(0);
    for (const stream of ['people', 'documents']) {
      const ids = (await query(`select id from "${schema}"."${stream}" order by id`)).map((r) =>
        String(r.id),
      );
      expect(ids, stream).toEqual(
        sim
          .records(stream)
          .map((r) => String(r.id))
          .sort(),
      );
    }
  });

  it('a load cut mid-line, then resumed from the committed state, is exact', async () => {
    const catalog = writeJson(
      dir,
      'append.json',
      configure(catalogMsg, (s) =>
        s.name === 'time_away' ? { sync_mode: 'full_refresh', destination_sync_mode: 'append' } : undefined,
      ),
    );
    const full = await runCli(['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog]);
    const emitted = protocolLines(full.stdout).filter((m) => m.type === 'RECORD').length;
    const cut = await runCliInput(
      loadArgs(catalog),
      full.stdout.slice(0, Math.floor(full.stdout.length / 2)),
    );
    expect(cut.code).toBe(1);
    const committed = Number((await query(`select count(*) as n from "${schema}".time_away`))[0]!.n);
    expect(committed).toBeLessThan(emitted);
    const state = await runCli([
      'load',
      '--from-airbyte',
      '--destination',
      PG_URL,
      '--namespace',
      schema,
      '--committed-state',
    ]);
    const statePath = writeJson(dir, 'state.json', JSON.parse(state.stdout));
    const { load } = await runPipeline(
      ['airbyte', 'humaans', 'read', '--config', config, '--catalog', catalog, '--state', statePath],
      loadArgs(catalog),
    );
    expect(load.code, load.stderr).toBe(0);
    const rows = await query(`select id from "${schema}".time_away`);
    expect(rows).toHaveLength(emitted);
    expect(new Set(rows.map((r) => String(r.id)))).toEqual(
      new Set(sim.records('time_away').map((r) => String(r.id))),
    );
  });
});
