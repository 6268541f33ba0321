/**
 * `tributary sync --redis URL` (or TRIBUTARY_REDIS_URL): the credential's rate budget lives in Redis, shared
 * with every other process using it. A Redis that does not answer fails the run before anything is read or
 * written, naming the URL without its password. Runs the built CLI; needs the shared Redis for the success
 * path (skipped with a notice without it, failing instead when CI=true).
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/duckdb.js';
import { inspector, REDIS_TEST_URL, redisReachable } from '../helpers/redis.js';

const CI = process.env.CI === 'true';
const available = await redisReachable();
if (!available && !CI) {
  console.warn(
    `[sync-redis] Redis is not reachable at ${REDIS_TEST_URL}: the shared-budget sync is SKIPPED.`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('sync --redis', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let config: string;
  // Unique per run: the key it hashes to is unique too, so runs on the shared Redis never meet.
  const TOKEN = `redis-cli-secret-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 9, records: 120, token: TOKEN });
    dir = tempDir('tributary-sync-redis-');
    config = join(dir, 'humaans.yaml');
    writeFileSync(
      config,
      `api_token: \${HUMAANS_TOKEN}\nbase_url: ${sim.baseUrl}\ninitial_sync_days: "0"\nrequests_per_minute: "6000"\n`,
    );
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Redis unreachable: exit 1, TRB_REDIS_UNREACHABLE naming the URL without its password, nothing written', async () => {
    const port = await freePort();
    const db = join(dir, 'never.duckdb');
    const r = await runCli(
      [
        'sync',
        'humaans',
        '--config',
        config,
        '--destination',
        `duckdb:${db}`,
        '--redis',
        `redis://:pw-hunter2@127.0.0.1:${port}`,
      ],
      { HUMAANS_TOKEN: TOKEN },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('TRB_REDIS_UNREACHABLE');
    expect(r.stderr).toContain(`redis://127.0.0.1:${port}`);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(existsSync(db)).toBe(false);
  });

  it.skipIf(!available && !CI)(
    'TRIBUTARY_REDIS_URL shares the budget through Redis, under a hash of the credential',
    async () => {
      const db = join(dir, 'ok.duckdb');
      const r = await runCli(['sync', 'humaans', '--config', config, '--destination', `duckdb:${db}`], {
        HUMAANS_TOKEN: TOKEN,
        TRIBUTARY_REDIS_URL: REDIS_TEST_URL,
      });
      expect(r.code, r.stderr).toBe(0);
      const hash = createHash('sha256')
        .update(`${new URL(sim.baseUrl).origin}\u0000${TOKEN}`)
        .digest('hex')
        .slice(0, 16);
      const peek = inspector();
      try {
        const key = `trb:budget:${hash}`;
        const state = await peek.hgetall(key);
        expect(Number(state.tat)).toBeGreaterThan(0);
        expect(JSON.stringify(state)).not.toContain(TOKEN);
        await peek.del(key);
      } finally {
        await peek.quit();
      }
    },
  );
});
