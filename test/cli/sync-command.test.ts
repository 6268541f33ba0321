/**
 * `tributary sync` batch caps as the command line sets them: `--batch-mb` caps a batch by the response bytes
 * it holds, `--batch-rows` by rows, whichever is reached first (the built CLI against the Humaans simulator).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { humaansConfig } from '../helpers/humaans.js';

const RECORDS = 3000;
let sim: SimulatorHandle;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startHumaansSimulator({ seed: 7, records: RECORDS });
  dir = mkdtempSync(join(tmpdir(), 'trb-sync-cli-'));
  config = join(dir, 'humaans.json');
  writeFileSync(config, JSON.stringify(humaansConfig(sim, { max_records_per_page: 250 })));
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function syncDocuments(name: string, caps: string[]) {
  const r = await runCli([
    'sync',
    'humaans',
    '--config',
    config,
    '--destination',
    `duckdb:${join(dir, `${name}.duckdb`)}`,
    '--streams',
    'documents',
    '--json',
    ...caps,
  ]);
  expect(r.code, r.stderr).toBe(0);
  const stream = JSON.parse(r.stdout).streams[0];
  expect(stream.records).toBe(RECORDS);
  return stream as { batches: number; pages: number; metrics: { bytes?: number } };
}

describe('sync batch caps', () => {
  it('--batch-mb closes a batch once its pages hold that many megabytes, before --batch-rows is reached', async () => {
    const rowsOnly = await syncDocuments('rows', ['--batch-rows', '100000', '--batch-mb', '1024']);
    const byBytes = await syncDocuments('bytes', ['--batch-rows', '100000', '--batch-mb', '1']);
    expect(rowsOnly.batches).toBe(1);
    // 3000 documents are a few MB of JSON: a 1 MB cap needs several batches, each at least one page.
    expect(byBytes.batches).toBeGreaterThan(1);
    expect(byBytes.batches).toBeLessThanOrEqual(byBytes.pages);
  });

  it('refuses a --batch-mb that is not a positive whole number (usage, exit 2)', async () => {
    const r = await runCli(['sync', 'humaans', '--config', config, '--batch-mb', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--batch-mb');
  });
});
