/**
 * The Redis every Redis test uses: `TRIBUTARY_TEST_REDIS_URL`, default the local server. Like the PostgreSQL
 * tests (helpers/postgres.ts), a test file skips with a visible notice when it is unreachable, and fails
 * instead under CI=true. Every test writes under its own key prefix, so files run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_TEST_URL = process.env.TRIBUTARY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers PING at `url`. */
export async function redisReachable(url = REDIS_TEST_URL): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** A key prefix no other test (or test run) uses. */
export function uniquePrefix(name: string): string {
  return `trbtest:${name}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** A plain client for looking at what a test wrote; `quit()` it. */
export function inspector(url = REDIS_TEST_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** Every key under `prefix` (SCAN, not KEYS, so a shared server is not blocked). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
