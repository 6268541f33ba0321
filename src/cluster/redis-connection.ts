/**
 * Redis for the cluster commands: one address (`--redis`, else TRIBUTARY_REDIS_URL, else the connections
 * file's `redis:`, else the local default), one key prefix (`--prefix`, else TRIBUTARY_REDIS_PREFIX, else
 * `trb`), and a reachability check that turns "Redis is not there" into TRB_REDIS_UNREACHABLE (exit 1)
 * before any BullMQ object starts retrying in the background.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError, RedisUnreachableError } from '../errors.js';
import { globalRedactor } from '../util/redact.js';
import { displayUrl } from '../util/display-url.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_PREFIX = 'trb';

export interface RedisTarget {
  url: string;
  /** Every key tributary writes starts with `${prefix}:` (BullMQ's own keys included). */
  prefix: string;
}

/** Where the cluster's Redis is: the command line wins, then the environment, then the connections file. */
export function resolveRedisTarget(
  cli: { redis?: string; prefix?: string },
  /** The connections file's `redis:`, resolved only when neither the command line nor the environment gives one. */
  fromFile: () => string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RedisTarget {
  const url = cli.redis ?? env.TRIBUTARY_REDIS_URL ?? fromFile() ?? DEFAULT_REDIS_URL;
  if (!/^rediss?:\/\//i.test(url)) {
    throw new ConfigError(
      `redis address ${JSON.stringify(displayUrl(url, globalRedactor))} is not a redis:// URL`,
      {
        code: 'TRB_USAGE',
      },
    );
  }
  const prefix = cli.prefix ?? env.TRIBUTARY_REDIS_PREFIX ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError(`redis key prefix ${JSON.stringify(prefix)} must be 1-64 of A-Z a-z 0-9 _ . -`, {
      code: 'TRB_USAGE',
    });
  }
  try {
    globalRedactor.add(decodeURIComponent(new URL(url).password) || undefined);
  } catch {
    // An unparsable URL fails at connect with its own message; nothing to redact.
  }
  return { url, prefix };
}

/**
 * A connection for BullMQ and tributary's own keys. `maxRetriesPerRequest: null` is what BullMQ requires of
 * a worker's connection: commands wait through a Redis restart instead of failing, and ioredis reconnects.
 */
export function openRedis(target: RedisTarget, opts: RedisOptions = {}): Redis {
  const redis = new Redis(target.url, {
    maxRetriesPerRequest: null,
    // Reconnect quickly at first, then at most every 2 s: a restarted Redis is back within seconds.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    ...opts,
  });
  // ioredis reports each failed reconnect as an 'error' event; without a listener Node would crash on it.
  redis.on('error', () => undefined);
  return redis;
}

/** Connect and PING within `timeoutMs`, or fail with TRB_REDIS_UNREACHABLE naming the address (no password). */
export async function checkRedis(target: RedisTarget, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(target.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  let last: unknown;
  probe.on('error', (err) => {
    last = err;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    // ioredis rejects with "Connection is closed."; the socket's own error says why (ECONNREFUSED, ...).
    const cause = last ?? err;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new RedisUnreachableError(
      globalRedactor.redact(
        `Redis at ${displayUrl(target.url, globalRedactor)} cannot be reached (${reason}); start it, or give --redis URL or TRIBUTARY_REDIS_URL`,
      ),
      { details: { redis: displayUrl(target.url, globalRedactor) }, cause: err },
    );
  } finally {
    probe.disconnect();
  }
}
