/**
 * The BullMQ queue of sync jobs and the job options a connection's retry settings give. Transient failures
 * are retried by BullMQ with exponential backoff from `retry.backoff`; errors that retrying cannot fix are
 * thrown as UnrecoverableError by the worker (sync-job.ts) and never retried.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Connection } from '../connections/connections-file.js';
import type { SyncJobData, SyncJobResult } from './job-data.js';
import { type ClusterKeys, QUEUE } from './keys.js';

/** Finished jobs kept for `status` and debugging; older ones are dropped by BullMQ as new ones finish. */
const KEEP_FINISHED = { count: 200 };

export type SyncQueue = Queue<SyncJobData, SyncJobResult>;

export function openQueue(redis: Redis, keys: ClusterKeys): SyncQueue {
  return new Queue<SyncJobData, SyncJobResult>(QUEUE, { connection: redis, prefix: keys.bullPrefix });
}

/** Attempts and backoff of a connection's jobs (manual and scheduled alike). */
export function jobOptions(connection: Pick<Connection, 'retry'>) {
  return {
    attempts: Math.max(1, connection.retry.attempts),
    backoff: { type: 'exponential' as const, delay: connection.retry.backoffMs },
    removeOnComplete: KEEP_FINISHED,
    removeOnFail: KEEP_FINISHED,
  };
}
