/**
 * One sync per connection at a time: a lease in Redis naming the job that holds the connection, with a TTL
 * the holder renews while it runs. It decides who may START; the fencing token (fence.ts), checked by the
 * destination, decides who may still COMMIT. The value is `jobId fence`: the same job taken over after a
 * stall (BullMQ re-runs it under the same id) may take the lease from its dead or stalled first attempt, and
 * each attempt renews or releases only its own holding.
 */
import type { Redis } from 'ioredis';

const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held == false or string.match(held, '^(%S+) ') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
  return 'ok'
end
return held`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Lease {
  /** Keep holding it (false once it was lost: expired or taken). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Take a connection's lease for `jobId` (an earlier attempt of the same job may hold it), or learn which
 * other job holds it.
 */
export async function acquireLease(
  redis: Redis,
  key: string,
  jobId: string,
  fence: number,
  ttlMs: number,
): Promise<{ lease: Lease } | { heldBy: string }> {
  const answer = String(await redis.eval(ACQUIRE, 1, key, jobId, String(fence), String(ttlMs)));
  if (answer !== 'ok') return { heldBy: answer.split(' ')[0]! };
  const value = `${jobId} ${fence}`;
  return {
    lease: {
      renew: async () => Number(await redis.eval(RENEW, 1, key, value, String(ttlMs))) === 1,
      release: async () => {
        await redis.eval(RELEASE, 1, key, value);
      },
    },
  };
}

/** The job id holding a connection, if any. */
export async function leaseHolder(redis: Redis, key: string): Promise<string | undefined> {
  const held = await redis.get(key);
  return held === null ? undefined : held.split(' ')[0];
}
