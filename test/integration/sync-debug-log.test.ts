/** `sync --log-level debug` logs every request: method, masked URL, status and timing, one line each. */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';

describe('sync --log-level debug', () => {
  let sim: SimulatorHandle;
  let dir: string;
  const TOKEN = 'debug-log-token-626262';

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 11, records: 200, token: TOKEN });
    dir = tempDir('tributary-debug-');
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs one line per request with the masked URL, status and timing', async () => {
    const config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: ${TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: 0\nmax_records_per_page: 20\n`,
    );
    const r = await runCli([
      'sync',
      'humaans',
      '--config',
      config,
      '--streams',
      'documents',
      '--destination',
      `duckdb:${join(dir, 'd.duckdb')}`,
      '--log-level',
      'debug',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    const requests = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    // Every record in pages of 20 (the keyset re-reads a page's last timestamp, so at least this many).
    expect(requests.length).toBeGreaterThanOrEqual(Math.ceil(sim.records('documents').length / 20));
    for (const l of requests) {
      expect(l).toMatchObject({ level: 'debug', method: 'GET', status: 200, stream: 'documents' });
      expect(String(l.url)).toMatch(
        new RegExp(`^${sim.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/documents\\?\\$limit=20&`),
      );
      expect(typeof l.ms).toBe('number');
    }
  });
});
