/**
 * `tributary demo-cluster` (`npm run demo:cluster`), quick form, as a user runs it (the built CLI): it ends
 * with exit 0 after a worker was SIGKILLed and its jobs taken over, the shared key stayed under its limit with
 * no 429, every connection is an exact copy of its simulator, and nothing is left behind (Redis keys under its
 * prefix, PostgreSQL schemas). With Redis or PostgreSQL down it fails, naming the address. Skipped without
 * Redis or PostgreSQL (fails instead when CI=true).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PG_TEST_URL, postgresTestsRun } from '../helpers/postgres.js';
import { freePort, inspector, keysUnder, REDIS_TEST_URL, redisReachable } from '../helpers/redis.js';

const redisUp = await redisReachable();
if (!redisUp && process.env.CI !== 'true')
  console.warn('cluster demo test skipped: no Redis at TRIBUTARY_TEST_REDIS_URL');
const runs = (redisUp || process.env.CI === 'true') && (await postgresTestsRun('cluster demo'));

describe('demo-cluster: services unreachable', () => {
  it('fails with exit 1 naming the Redis address it could not reach', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const r = await runCli(['demo-cluster', '--redis', url, '--postgres', PG_TEST_URL]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error [TRB_REDIS_UNREACHABLE]: Redis at ${url} cannot be reached`);
  });

  it.runIf(redisUp)('fails with exit 1 naming the PostgreSQL address it could not reach', async () => {
    const port = await freePort();
    const r = await runCli([
      'demo-cluster',
      '--redis',
      REDIS_TEST_URL,
      '--postgres',
      `postgres://postgres:pw-not-shown@127.0.0.1:${port}/test`,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `error [TRB_DEST_UNREACHABLE]: PostgreSQL at postgres://127.0.0.1:${port}/test cannot be reached`,
    );
    expect(r.stderr).not.toContain('pw-not-shown');
  });
});

describe.runIf(runs)('demo-cluster', () => {
  it('kills a worker mid-sync, the other takes over, the shared budget holds, every connection is an exact copy, and it cleans up', async () => {
    const r = await runCli([
      'demo-cluster',
      '--records',
      '300',
      '--rate-limit',
      '300',
      '--timeout',
      '120',
      '--redis',
      REDIS_TEST_URL,
      '--postgres',
      PG_TEST_URL,
      '--dashboard-port',
      '0',
    ]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/ /);
    expect(out).toMatch(/serve \(start\): 4 scheduled \[baton-acme, baton-globex, humaans, baton-duck\]/);
    const kill = out.match(/SIGKILL (worker-[12]) \(pid \d+\) while it runs ([a-z-]+(?: and [a-z-]+)*);/);
    expect(kill, out).not.toBeNull();
    const survivor = kill![1] === 'worker-1' ? 'worker-2' : 'worker-1';
    for (const name of kill![2]!.split(' and '))
      expect(out).toMatch(
        new RegExp(`${survivor} took over ${name} \\(job \\d+\\) [\\d.]+ s after the kill`),
      );
    const budget = out.match(/busiest 60 s window (\d+) against a limit of 300\/min; 0 refused with 429/);
    expect(budget, out).not.toBeNull();
    expect(Number(budget![1])).toBeLessThanOrEqual(300);
    for (const name of ['baton-acme', 'baton-globex', 'humaans', 'baton-duck'])
      expect(out).toMatch(
        new RegExp(`^${name} .* succeeded .* exact copy \\(\\d+ streams, \\d+ records\\)$`, 'm'),
      );
    expect(out).toContain('all four connections are exact copies');

    // Nothing left: no key under its prefix, no schema of its run.
    const prefix = out.match(/key prefix (trbdemo-[0-9a-f]+)/)![1]!;
    const redis = inspector();
    try {
      expect(await keysUnder(redis, prefix)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      const id = prefix.slice('trbdemo-'.length);
      const left = await client.query('select nspname from pg_namespace where nspname like $1', [
        `trbdemo_${id}%`,
      ]);
      expect(left.rows).toEqual([]);
    } finally {
      await client.end();
    }
  }, 150_000);
});
