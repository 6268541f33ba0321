/**
 * The rate budget shared through Redis (src/http/redis-rate-budget.ts), against the real Redis: GCRA spacing
 * and burst, budgets on one key interleaving, child processes sharing one key without ever overspending it
 * while using nearly all of it, a pause from one process holding back the others, max-wait parking without
 * reserving, keys that hold a hash and never the credential, and a typed error when Redis is unreachable.
 * Each test writes under its own key prefix. Skipped without a reachable Redis (fails instead when CI=true).
 *
 * Timing: grants are compared with the GCRA bound plus an allowance for timer and scheduling jitter
 * (JITTER_MS), never with exact instants; loops are bounded in count and time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import { loadConnector } from '../../src/connectors/registry.js';
import { DeclarativeSource, resolveConnectorConfig } from '../../src/declarative/declarative-source.js';
import { BudgetParkError, ConfigError, RedisUnreachableError } from '../../src/errors.js';
import { gcraParameters } from '../../src/http/rate-budget.js';
import { RedisBudgets } from '../../src/http/redis-rate-budget.js';
import { ROOT } from '../helpers/cli.js';
import { inspector, keysUnder, REDIS_TEST_URL, redisReachable, uniquePrefix } from '../helpers/redis.js';

const CI = process.env.CI === 'true';
const available = await redisReachable();
if (!available && !CI) {
  console.warn(
    `[redis-rate-budget] Redis is not reachable at ${REDIS_TEST_URL}: these tests are SKIPPED. ` +
      'Set TRIBUTARY_TEST_REDIS_URL to run them (they fail instead of skipping when CI=true).',
  );
}
const describeRedis = available || CI ? describe : describe.skip;

/**
 * Timer lateness and scheduling noise a grant may show on a loaded 2-core machine (several test files and
 * other work at once): a grant is stamped when its process wakes, which can be late, so a window may
 * catch grants shifted in from just before it. Still far below what an unshared budget does (N times the rate).
 */
const JITTER_MS = 300;
const HASH = 'feedfacecafebeef';

/** The most grants any window of `windowMs` may hold: the GCRA bound, plus what jitter can squeeze in. */
function bound(limitPerMinute: number, windowMs: number): number {
  const { interval, tolerance } = gcraParameters(limitPerMinute);
  const burst = Math.round(tolerance / interval) + 1;
  return Math.floor((windowMs + JITTER_MS) / interval) + burst;
}

/** The largest number of sorted timestamps inside any half-open window [t, t + windowMs). */
function maxInWindow(sorted: number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

function budgets(prefix: string, extra: Partial<ConstructorParameters<typeof RedisBudgets>[0]> = {}) {
  return new RedisBudgets({ url: REDIS_TEST_URL, prefix, ...extra });
}

/** Run the child in helpers/budget-process.ts; resolves with its grants (epoch ms). */
function child(prefix: string, limit: number, startAt: number, durationMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'test', 'helpers', 'budget-process.ts'),
        REDIS_TEST_URL,
        prefix,
        HASH,
        String(limit),
        String(startAt),
        String(durationMs),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      err += d;
    });
    const kill = setTimeout(() => p.kill('SIGKILL'), durationMs + 30_000);
    p.on('close', (code) => {
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`budget child exited ${code}: ${err}`));
      resolve((JSON.parse(out) as { grants: number[] }).grants);
    });
  });
}

/** A loopback port nothing listens on. */
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

/** A private redis-server on `port` (never the shared one: this test stops it). Resolves once it answers. */
async function startRedis(port: number): Promise<ChildProcess> {
  const p = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisReachable(url)); i++) await new Promise((r) => setTimeout(r, 100));
  return p;
}

async function stopRedis(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

describeRedis('RedisRateBudget (shared through Redis)', () => {
  it('reaches Redis (fails in CI when the server is missing)', () => {
    expect(available).toBe(true);
  });

  it('lets the burst through at once, then spaces grants by the GCRA interval', async () => {
    const reg = budgets(uniquePrefix('spacing'));
    try {
      const limit = 600; // interval 102 ms, burst 6
      const { interval } = gcraParameters(limit);
      const budget = reg.forCredential(HASH, limit);
      const t0 = Date.now();
      const grants = (
        await Promise.all(Array.from({ length: 14 }, () => budget.acquire().then(() => Date.now())))
      )
        .map((t) => t - t0)
        .sort((a, b) => a - b);
      // The burst of 6 is granted at once (no interval to wait), the rest one interval apart.
      expect(grants[5]!).toBeLessThan(interval * 0.9);
      for (let k = 6; k < grants.length; k++) {
        expect(grants[k]!, `grant ${k}`).toBeGreaterThanOrEqual((k - 5) * interval - 5);
        expect(grants[k]!, `grant ${k}`).toBeLessThan((k - 5) * interval + JITTER_MS + 400);
      }
      expect(budget.stats().acquired).toBe(14);
    } finally {
      await reg.close();
    }
  });

  it('two budgets on one key (two connections) interleave: together they keep the rate, each gets its share', async () => {
    const prefix = uniquePrefix('interleave');
    const a = budgets(prefix);
    const b = budgets(prefix);
    try {
      const limit = 1200; // interval 51 ms, burst 12
      const { interval } = gcraParameters(limit);
      const end = Date.now() + 2500;
      const grants: { who: string; at: number }[] = [];
      const loop = async (who: string, reg: RedisBudgets) => {
        const budget = reg.forCredential(HASH, limit);
        for (let i = 0; i < 500 && Date.now() < end; i++) {
          await budget.acquire();
          grants.push({ who, at: Date.now() });
        }
      };
      await Promise.all([loop('a', a), loop('b', b), loop('a', a), loop('b', b)]);
      const times = grants.map((g) => g.at).sort((x, y) => x - y);
      expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(bound(limit, 1000));
      expect(times.length).toBeLessThanOrEqual(bound(limit, 2500 + interval));
      expect(times.length).toBeGreaterThanOrEqual(Math.floor((0.9 * 2500) / interval));
      const fromA = grants.filter((g) => g.who === 'a').length;
      expect(fromA / grants.length).toBeGreaterThan(0.3);
      expect(fromA / grants.length).toBeLessThan(0.7);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('four processes sharing one key never overspend it in any window, and use at least 90% of it', async () => {
    const prefix = uniquePrefix('processes');
    const limit = 600;
    const durationMs = 6000;
    const { interval } = gcraParameters(limit);
    // Children take a moment to start (tsx): all begin together, on the clock they share with us.
    const startAt = Date.now() + 3000;
    const all = await Promise.all([1, 2, 3, 4].map(() => child(prefix, limit, startAt, durationMs)));
    for (const grants of all) expect(grants.length).toBeGreaterThan(0);
    const union = all.flat().sort((x, y) => x - y);
    // No window, of any of these lengths, holds more than the budget allows (the 60 s guarantee, scaled).
    for (const windowMs of [1000, 3000, durationMs])
      expect(maxInWindow(union, windowMs), `${windowMs} ms window`).toBeLessThanOrEqual(
        bound(limit, windowMs),
      );
    // Used: at least 90% of what the limit allows over the run (4 unshared budgets would take ~4x).
    const inRun = union.filter((t) => t < startAt + durationMs).length;
    expect(inRun).toBeGreaterThanOrEqual(Math.floor((0.9 * durationMs * limit) / 60_000));
    expect(inRun).toBeLessThanOrEqual(Math.ceil(durationMs / interval) + bound(limit, 0));
  });

  it('a pause from one process holds back the budget of the others', async () => {
    const prefix = uniquePrefix('pause');
    const limit = 1200;
    const startAt = Date.now() + 3000;
    const runs = [1, 2].map(() => child(prefix, limit, startAt, 4000));
    const reg = budgets(prefix);
    let pausedAt: number;
    try {
      await reg.connect();
      await new Promise((r) => setTimeout(r, startAt + 1500 - Date.now()));
      pausedAt = Date.now();
      reg.forCredential(HASH, limit).pause(1500);
      // The pause reaches Redis before this process's next acquire; wait for it the same way.
      await reg.forCredential(HASH, limit).acquire();
      expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(1400);
    } finally {
      await reg.close();
    }
    const union = (await Promise.all(runs)).flat().sort((x, y) => x - y);
    expect(union.filter((t) => t < pausedAt).length).toBeGreaterThan(10);
    expect(union.filter((t) => t > pausedAt + 1500).length).toBeGreaterThan(10);
    // Nothing granted inside the pause, but what was already on its way when it was set (woken late at worst).
    const inside = union.filter((t) => t > pausedAt + JITTER_MS && t < pausedAt + 1500 - 20);
    expect(inside).toEqual([]);
  });

  it('max-wait rejects with BudgetParkError and reserves nothing', async () => {
    const prefix = uniquePrefix('park');
    const reg = budgets(prefix);
    const peek = inspector();
    try {
      const limit = 60; // interval 1020 ms, burst 1
      const { interval } = gcraParameters(limit);
      const budget = reg.forCredential(HASH, limit);
      await budget.acquire();
      const key = `${prefix}:budget:${HASH}`;
      const before = await peek.hgetall(key);
      const err = await budget.acquire(undefined, { maxWaitMs: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BudgetParkError);
      const park = err as BudgetParkError;
      expect(park.code).toBe('TRB_BUDGET_PARKED');
      expect(park.waitMs).toBeGreaterThan(interval / 2);
      expect(park.waitMs).toBeLessThanOrEqual(Math.ceil(interval) + 1);
      expect(park.resumeAt).toBeGreaterThan(Date.now() + 100);
      expect(park.exitCode).toBe(1);
      expect(reg.lastPark).toBe(park);
      // Nothing reserved: the state is as it was, and the next caller gets the slot the parked one left.
      expect(await peek.hgetall(key)).toEqual(before);
      const t = Date.now();
      await budget.acquire();
      expect(Date.now() - t).toBeLessThan(interval + JITTER_MS);
      // A registry-wide max-wait applies to every acquire (a worker sets it once).
      const strict = budgets(prefix, { maxWaitMs: 50 });
      try {
        await expect(strict.forCredential(HASH, limit).acquire()).rejects.toBeInstanceOf(BudgetParkError);
      } finally {
        await strict.close();
      }
    } finally {
      await Promise.all([reg.close(), peek.quit()]);
    }
  });

  it('keys hold a hash of the credential, never the credential', async () => {
    const prefix = uniquePrefix('keys');
    const secret = `sk-live-${Math.random().toString(36).slice(2)}`;
    const sim = await startHellobatonSimulator({
      seed: 5,
      records: 20,
      rateLimitPerMinute: 0,
      token: secret,
    });
    const reg = budgets(prefix);
    const peek = inspector();
    try {
      const connector = await loadConnector('hellobaton');
      const config = resolveConnectorConfig(connector, {
        api_key: secret,
        company: 'acme',
        base_url: sim.baseUrl,
      });
      const source = new DeclarativeSource(connector, config, { budgets: reg });
      try {
        const first = source.streams()[0]!.name;
        for await (const page of source.read(first, { syncMode: 'full_refresh', state: undefined }))
          expect(page.records.length).toBeGreaterThanOrEqual(0);
      } finally {
        await source.close();
      }
      await reg.flushMetrics();
      const keys = await keysUnder(peek, prefix);
      const expected = createHash('sha256')
        .update(`${new URL(sim.baseUrl).origin}\u0000${secret}`)
        .digest('hex')
        .slice(0, 16);
      // The budget's state, and its per-minute metrics for the dashboard (src/cluster/budget-metrics.ts).
      expect(keys.sort()).toEqual([
        `${prefix}:budget-index`,
        expect.stringMatching(new RegExp(`^${prefix}:budget-minute:${expected}:\\d+$`)),
        `${prefix}:budget:${expected}`,
      ]);
      for (const key of keys) {
        const values =
          (await peek.type(key)) === 'zset'
            ? JSON.stringify(await peek.zrange(key, '0', '-1'))
            : JSON.stringify(await peek.hgetall(key));
        for (const text of [key, values]) {
          expect(text).not.toContain(secret);
          expect(text).not.toContain(secret.slice(8));
        }
      }
      expect(() => reg.forCredential(secret, 600)).toThrow(TypeError);
    } finally {
      await Promise.all([reg.close(), peek.quit(), sim.close()]);
    }
  });

  it('Redis unreachable: a typed error naming the URL without its password, no fallback', async () => {
    const port = await freePort();
    const reg = new RedisBudgets({ url: `redis://:hunter2-secret@127.0.0.1:${port}`, graceMs: 300 });
    try {
      const err = await reg.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnreachableError);
      const e = err as RedisUnreachableError;
      expect(e.code).toBe('TRB_REDIS_UNREACHABLE');
      expect(e.exitCode).toBe(1);
      expect(e.message).toContain(`redis://127.0.0.1:${port}`);
      expect(e.message).not.toContain('hunter2');
      expect(JSON.stringify(e.toJSON())).not.toContain('hunter2');
      // An acquire does not fall back to an unshared budget: it fails the same way.
      await expect(reg.forCredential(HASH, 600).acquire()).rejects.toBeInstanceOf(RedisUnreachableError);
    } finally {
      await reg.close();
    }
    // Not a Redis URL at all: a config error (exit 2) that does not echo the value.
    for (const bad of ['localhost:6379', 'http://:pw-hunter2@127.0.0.1:6379', 'nonsense']) {
      const thrown = (() => {
        try {
          new RedisBudgets({ url: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(thrown, bad).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).exitCode).toBe(2);
      expect((thrown as ConfigError).message).not.toContain('hunter2');
    }
  });

  it('rides out a Redis restart within its grace period, then fails typed once Redis stays away', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const reg = new RedisBudgets({ url: `redis://127.0.0.1:${port}`, graceMs: 4000 });
    try {
      const budget = reg.forCredential(HASH, 6000);
      await budget.acquire();
      await stopRedis(server);
      // Redis comes back while the acquire is retrying: it succeeds, no error reaches the caller.
      const during = budget.acquire();
      await new Promise((r) => setTimeout(r, 500));
      server = await startRedis(port);
      await during;
      await budget.acquire();
      expect(budget.stats().acquired).toBe(3);
      // Gone for longer than the grace: a typed error, not a silent unshared budget.
      await stopRedis(server);
      const t = Date.now();
      await expect(budget.acquire()).rejects.toBeInstanceOf(RedisUnreachableError);
      expect(Date.now() - t).toBeGreaterThanOrEqual(3900);
    } finally {
      await reg.close();
      await stopRedis(server);
    }
  });
});
