/**
 * Fencing tokens: each sync that starts takes the next number of its connection's counter; the destination
 * stores the highest number it has seen and refuses, inside the transaction that would commit rows and
 * state, any write carrying a lower one (TRB_FENCED). A worker that lost its lease but still runs (a GC
 * pause, a network split) therefore cannot commit after the worker that took over has started.
 *
 * Redis here runs without persistence, so a restart forgets the counter. A forgotten counter restarts from
 * Redis's clock in microseconds rather than from 1: it is then above every token handed out before (those
 * were at most the old start plus one per sync, and far fewer syncs than microseconds have passed), so the
 * destination never refuses a legitimate sync after a restart. Lua, because "set if absent, from the server's
 * clock, then increment" must be one step.
 */
import type { Redis } from 'ioredis';

const NEXT_FENCE = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[1], tonumber(t[1]) * 1000000 + tonumber(t[2]))
end
return redis.call('INCR', KEYS[1])`;

/** The next fencing token of a connection (strictly greater than every earlier one). */
export async function nextFence(redis: Redis, key: string): Promise<number> {
  const token = Number(await redis.eval(NEXT_FENCE, 1, key));
  if (!Number.isSafeInteger(token) || token <= 0) throw new Error(`bad fencing token ${token} from Redis`);
  return token;
}
