/**
 * `tributary cancel NAME`: tell the worker running the connection's sync to stop. The worker aborts the
 * sync's signal; the sync stops at its next page or request, commits nothing of the batch it was reading
 * (committed batches and their state stay: the next run resumes from them) and the job ends as cancelled,
 * without retry. A pending job of the connection (not running yet) is removed instead.
 */
import type { Redis } from 'ioredis';
import { deduplicationId, SPECIAL_RUNS } from './enqueue.js';
import type { ClusterKeys } from './keys.js';
import { leaseHolder } from './lease.js';
import type { SyncQueue } from './sync-queue.js';

export type CancelResult =
  | { cancelled: 'running'; jobId: string; workers: number }
  | { cancelled: 'pending'; jobId: string }
  | { cancelled: 'nothing' };

export async function cancelConnection(
  redis: Redis,
  queue: SyncQueue,
  keys: ClusterKeys,
  connection: string,
): Promise<CancelResult> {
  const running = await leaseHolder(redis, keys.lease(connection));
  if (running !== undefined) {
    const workers = await redis.publish(keys.cancelChannel, connection);
    return { cancelled: 'running', jobId: running, workers };
  }
  // A plain sync's pending job, else a pending full refresh or state reset (enqueue.ts gives those their own
  // deduplication ids).
  for (const id of [connection, ...SPECIAL_RUNS.map((k) => deduplicationId(connection, k))]) {
    const pending = await queue.getDeduplicationJobId(id);
    if (!pending) continue;
    const job = await queue.getJob(pending);
    if (job && ((await job.isWaiting()) || (await job.isDelayed()))) {
      await job.remove();
      return { cancelled: 'pending', jobId: pending };
    }
  }
  return { cancelled: 'nothing' };
}
