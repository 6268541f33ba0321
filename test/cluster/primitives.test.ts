/**
 * The cluster's Redis primitives on the real Redis: fencing tokens only grow, even after the counter is lost
 * (a Redis restart without persistence); the lease lets one job hold a connection, lets the same job take it
 * over after a stall, and lets each holder renew or release only its own holding; failures pause after N in
 * a row and a success resets the count. Plus the pure parts: job data, triggers, schedules, Redis targets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cancelConnection } from '../../src/cluster/cancel.js';
import { enqueueRun } from '../../src/cluster/enqueue.js';
import { nextFence } from '../../src/cluster/fence.js';
import { parseJobData, runTrigger } from '../../src/cluster/job-data.js';
import { acquireLease, leaseHolder } from '../../src/cluster/lease.js';
import { pauseInfo, recordFailure, recordSuccess, resumeConnection } from '../../src/cluster/pause.js';
import { resolveRedisTarget } from '../../src/cluster/redis-connection.js';
import { repeatOptions } from '../../src/cluster/scheduler.js';
import { redisReachable, testPrefix } from '../helpers/redis.js';
import { type TestCluster, testCluster } from '../helpers/cluster.js';

const available = await redisReachable();
if (!available && process.env.CI !== 'true')
  console.warn('cluster primitive tests against Redis skipped: no Redis');
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('cluster primitives on Redis', () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('fencing tokens strictly grow, and a lost counter restarts above every token handed out before', async () => {
    c = testCluster(testPrefix('fence'));
    const key = c.keys.fence('conn');
    const first = await nextFence(c.redis, key);
    const second = await nextFence(c.redis, key);
    expect(second).toBe(first + 1);
    // Redis's clock in microseconds: far above 1, and a safe integer.
    expect(first).toBeGreaterThan(1_600_000_000_000_000);
    expect(Number.isSafeInteger(first)).toBe(true);
    await c.redis.del(key);
    expect(await nextFence(c.redis, key)).toBeGreaterThan(second);
  });

  it('one job holds a connection; the same job may take it over; each holding renews and releases only itself', async () => {
    c = testCluster(testPrefix('lease'));
    const key = c.keys.lease('conn');
    const a = await acquireLease(c.redis, key, 'job-1', 10, 5_000);
    expect('lease' in a).toBe(true);
    expect(await acquireLease(c.redis, key, 'job-2', 11, 5_000)).toEqual({ heldBy: 'job-1' });
    expect(await leaseHolder(c.redis, key)).toBe('job-1');
    // job-1 stalled and picked up again elsewhere: its second attempt takes the lease over.
    const again = await acquireLease(c.redis, key, 'job-1', 12, 5_000);
    if (!('lease' in again) || !('lease' in a)) throw new Error('expected both attempts to get the lease');
    expect(await a.lease.renew()).toBe(false);
    await a.lease.release();
    expect(await leaseHolder(c.redis, key)).toBe('job-1');
    expect(await again.lease.renew()).toBe(true);
    await again.lease.release();
    expect(await leaseHolder(c.redis, key)).toBeUndefined();
    // The TTL: a holder that stops renewing loses it.
    await acquireLease(c.redis, key, 'job-3', 13, 200);
    await new Promise((r) => setTimeout(r, 400));
    expect(await leaseHolder(c.redis, key)).toBeUndefined();
  });

  it('run is deduplicated while pending; cancel removes a pending job, after which run adds one again', async () => {
    c = testCluster(testPrefix('pending'));
    const conn = {
      name: 'conn',
      connector: 'humaans',
      config: {},
      destination: 'duckdb:./unused.duckdb',
      namespace: 'conn',
      retry: { attempts: 1, backoffMs: 1000, pauseAfter: 5 },
      fullRefresh: false,
      secretsResolved: false,
    };
    // No worker listens: the job stays pending.
    const first = await enqueueRun(c.redis, c.queue, c.keys, conn);
    expect(first.added).toBe(true);
    expect(await enqueueRun(c.redis, c.queue, c.keys, conn)).toEqual({
      added: false,
      jobId: first.jobId,
      why: 'pending',
    });
    expect(await cancelConnection(c.redis, c.queue, c.keys, 'conn')).toEqual({
      cancelled: 'pending',
      jobId: first.jobId,
    });
    expect(await c.queue.getJob(first.jobId)).toBeUndefined();
    const again = await enqueueRun(c.redis, c.queue, c.keys, conn);
    expect(again.added).toBe(true);
    expect(again.jobId).not.toBe(first.jobId);
    expect(await cancelConnection(c.redis, c.queue, c.keys, 'other')).toEqual({ cancelled: 'nothing' });
  });

  it('pauses after N failed runs in a row; a success resets the count; resume lifts the pause', async () => {
    c = testCluster(testPrefix('pause'));
    expect(await recordFailure(c.redis, c.keys, 'conn', '[TRB_SOURCE_HTTP] 500', 3)).toBeUndefined();
    await recordSuccess(c.redis, c.keys, 'conn');
    expect(await recordFailure(c.redis, c.keys, 'conn', '[TRB_SOURCE_HTTP] 500', 3)).toBeUndefined();
    expect(await recordFailure(c.redis, c.keys, 'conn', '[TRB_SOURCE_HTTP] 500', 3)).toBeUndefined();
    const paused = await recordFailure(c.redis, c.keys, 'conn', '[TRB_AUTH] rejected', 3);
    expect(paused?.reason).toBe('3 failed runs in a row; last: [TRB_AUTH] rejected');
    expect(await pauseInfo(c.redis, c.keys, 'conn')).toEqual(paused);
    expect(await resumeConnection(c.redis, c.keys, 'conn')).toBe(true);
    expect(await pauseInfo(c.redis, c.keys, 'conn')).toBeUndefined();
    expect(await resumeConnection(c.redis, c.keys, 'conn')).toBe(false);
  });
});

describe('cluster pure parts', () => {
  it('job data names a connection and a trigger, nothing else gets through', () => {
    expect(parseJobData({ connection: 'a', trigger: 'manual', force: true })).toEqual({
      connection: 'a',
      trigger: 'manual',
      force: true,
    });
    expect(parseJobData({ connection: 'a', trigger: 'schedule', config: { api_key: 'x' } })).toEqual({
      connection: 'a',
      trigger: 'schedule',
    });
    expect(() => parseJobData({ connection: 'a', trigger: 'cron' })).toThrow(/not a tributary sync job/);
    expect(() => parseJobData(null)).toThrow(/not a tributary sync job/);
  });

  it('a run row says retry from the second attempt on', () => {
    expect(runTrigger({ connection: 'a', trigger: 'schedule' }, 0)).toBe('schedule');
    expect(runTrigger({ connection: 'a', trigger: 'manual' }, 2)).toBe('retry');
  });

  it('schedules become BullMQ repeat options', () => {
    // `every` starts at the next multiple of its interval, as the connections file documents.
    expect(repeatOptions({ everyMs: 900_000 }, new Date('2026-01-01T10:07:30Z'))).toEqual({
      every: 900_000,
      startDate: Date.parse('2026-01-01T10:15:00Z'),
    });
    expect(repeatOptions({ cron: '0 7 * * 1-5', tz: 'Europe/Paris' })).toEqual({
      pattern: '0 7 * * 1-5',
      tz: 'Europe/Paris',
    });
  });

  it('the Redis address: command line, then environment, then the file, then the default; bad ones are usage errors', () => {
    const file = () => 'redis://file:6379';
    expect(
      resolveRedisTarget({ redis: 'redis://cli:1' }, file, { TRIBUTARY_REDIS_URL: 'redis://env:1' }),
    ).toEqual({
      url: 'redis://cli:1',
      prefix: 'trb',
    });
    expect(resolveRedisTarget({}, file, { TRIBUTARY_REDIS_URL: 'redis://env:1' }).url).toBe('redis://env:1');
    expect(resolveRedisTarget({}, file, {}).url).toBe('redis://file:6379');
    expect(resolveRedisTarget({}, () => undefined, { TRIBUTARY_REDIS_PREFIX: 'p1' })).toEqual({
      url: 'redis://127.0.0.1:6379',
      prefix: 'p1',
    });
    expect(() => resolveRedisTarget({ redis: 'http://x' }, file, {})).toThrow(/not a redis:\/\/ URL/);
    expect(() => resolveRedisTarget({ prefix: 'a b' }, file, {})).toThrow(/prefix/);
  });
});
