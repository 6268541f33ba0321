/**
 * `tributary demo` owns its data: its own file in the working directory (never ./tributary.duckdb), only
 * schemas it created, and wording that matches what it does (record counts, "run N", tables created shown
 * apart from schema changes). Runs the built CLI in a temporary working directory.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { queryDuckDb, tempDir } from '../helpers/duckdb.js';

/**
 * Per connector section of the demo's output: its header count, its "run N" line, and a summary TOTAL cell
 * by column name (numbers are right-aligned under their header, so a cell ends where its header ends).
 */
function sections(stdout: string) {
  const out: Record<
    string,
    { count: number; streams: number; runLine: string; total: (column: string) => number }
  > = {};
  for (const part of stdout.split(/\n(?=\S*== )/).slice(1)) {
    const name = /== (\w+): simulator/.exec(part)![1]!;
    const count = /\(([\d,]+) records in (\d+) streams, seed 42\)/.exec(part);
    const lines = part.split('\n');
    const header = lines.find((l) => /^stream\s+mode\s+status/.test(l))!;
    const total = lines.find((l) => l.startsWith('TOTAL'))!;
    out[name] = {
      count: count ? Number(count[1]!.replace(/,/g, '')) : Number.NaN,
      streams: count ? Number(count[2]) : Number.NaN,
      runLine: lines.find((l) => /^run \d+: /.test(l)) ?? '',
      total: (column) => {
        const end = header.indexOf(column) + column.length;
        return Number(total.slice(0, end).trim().split(/\s+/).pop());
      },
    };
  }
  return out;
}

describe('tributary demo', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir('tributary-demo-test-');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its own file, counts what it syncs, and numbers its runs', async () => {
    const first = await runCli(['demo', '--records', '40'], {}, dir);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(dir, 'tributary-demo.duckdb'))).toBe(true);
    expect(existsSync(join(dir, 'tributary.duckdb'))).toBe(false);
    const one = sections(first.stdout);
    expect(Object.keys(one).sort()).toEqual(['hellobaton', 'humaans']);
    for (const [name, s] of Object.entries(one)) {
      expect(s.runLine, name).toMatch(/^run 1: /);
      expect(s.runLine, name).toContain(`all ${s.count.toLocaleString('en-US')} records`);
      // TOTAL: upserts equal the header's count; every table was created, none widened. The one schema change
      // on a first run is Humaans documents' `fileId` and `file.id`, which both flatten to `file_id`: the
      // second lands in `file_id__2` (a rename_collision), never dropped.
      expect(s.total('upserts'), name).toBe(s.count);
      expect(s.total('new table'), name).toBe(s.streams);
      expect(s.total('schema chg'), name).toBe(name === 'humaans' ? 1 : 0);
    }
    expect(first.stdout).not.toMatch(/second run/);

    const second = await runCli(['demo', '--records', '40'], {}, dir);
    expect(second.code, second.stderr).toBe(0);
    const two = sections(second.stdout);
    for (const [name, s] of Object.entries(two)) {
      expect(s.runLine, name).toMatch(/^run 2: mutated /);
      expect(s.total('new table'), name).toBe(0);
    }
    // Hellobaton re-reads everything: its upserts are the header's count, after the mutation.
    const hb = two.hellobaton!;
    expect(hb.total('upserts')).toBe(hb.count);
    expect(hb.count).toBe(one.hellobaton!.count + 5 - 3);
    const third = await runCli(['demo', '--records', '40'], {}, dir);
    expect(third.stdout).toMatch(/^run 3: mutated /m);
    expect(third.stdout).not.toMatch(/second run|run 2:/);
  });

  it('refuses a schema it did not create, says how to point it elsewhere, and changes nothing', async () => {
    const sim: SimulatorHandle = await startHumaansSimulator({ seed: 3, records: 30, token: 'real-token' });
    try {
      const db = join(dir, 'real.duckdb');
      const config = join(dir, 'real.yaml');
      writeFileSync(config, `api_token: real-token\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\n`);
      expect(
        (await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${db}`])).code,
      ).toBe(0);
      const before = await queryDuckDb(
        db,
        'select count(*) as n, max(_tributary_synced_at) as t from humaans.documents',
      );
      const r = await runCli(['demo', '--records', '40', '--destination', `duckdb:${db}`], {}, dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /TRB_NAMESPACE_OWNED.*schema "humaans" in duckdb:.*real\.duckdb was not created by the demo.*--destination duckdb:/,
      );
      expect(
        await queryDuckDb(db, 'select count(*) as n, max(_tributary_synced_at) as t from humaans.documents'),
      ).toEqual(before);
      // Refused before anything was written: no demo schema appeared either.
      expect(
        await queryDuckDb(
          db,
          `select schema_name from information_schema.schemata where schema_name = 'hellobaton'`,
        ),
      ).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('refuses a MySQL destination with a usage error that says how to load into MySQL, creating nothing', async () => {
    const r = await runCli(
      ['demo', '--records', '40', '--destination', 'mysql://root@127.0.0.1:1/test'],
      {},
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /TRB_USAGE.*demo writes into DuckDB or PostgreSQL.*tributary sync with --destination mysql:/,
    );
  });
});
