/**
 * `tributary worker`: a BullMQ Worker on the sync queue, running sync-job.ts for each job, plus a
 * subscription to the cancel channel. Stall recovery is BullMQ's: a worker that dies (SIGKILL) stops
 * renewing its job lock; after at most `lockDuration` the lock is gone, and the next stalled-job check (every
 * `stalledInterval`, run by every worker) moves the job back to wait, where any worker picks it up and
 * resumes from the last committed checkpoint. So a killed worker's job resumes within lockDuration +
 * stalledInterval (+ the time to pick it up), defaults 30 s + 30 s.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import type { Logger } from '../util/log.js';
import type { SyncJobData, SyncJobResult } from './job-data.js';
import { ClusterKeys, QUEUE } from './keys.js';
import { openRedis, type RedisTarget } from './redis-connection.js';
import { syncProcessor } from './sync-job.js';

export interface WorkerOptions {
  target: RedisTarget;
  /** The connections file (the worker resolves each job's connection and secrets from it). */
  file: string;
  concurrency: number;
  /** BullMQ lockDuration (ms): how long a job's lock lasts without renewal. */
  lockDurationMs: number;
  /** BullMQ stalledInterval (ms): how often workers look for jobs whose lock lapsed. */
  stalledIntervalMs: number;
  /** How many times a job may stall (its worker die) and be recovered before it fails. */
  maxStalledCount: number;
  lockedDelayMs: number;
  /** The longest a sync waits for its shared rate budget before its job is parked (delayed). */
  budgetMaxWaitMs: number;
  /** Rows per destination transaction (default: the engine's). */
  batchRows?: number;
  name?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

export const WORKER_DEFAULTS = {
  concurrency: 1,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 3,
  lockedDelayMs: 5_000,
  budgetMaxWaitMs: 60_000,
};

export interface RunningWorker {
  readonly name: string;
  readonly worker: Worker<SyncJobData, SyncJobResult>;
  /** Stop taking jobs, let the running ones finish, disconnect. */
  close(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const keys = new ClusterKeys(opts.target.prefix);
  const redis = openRedis(opts.target);
  const subscriber = openRedis(opts.target);
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const logger = opts.logger.child({ worker: name });
  const running = new Map<string, { jobId: string }>();
  const worker = new Worker<SyncJobData, SyncJobResult>(
    QUEUE,
    syncProcessor({
      redis,
      keys,
      file: opts.file,
      env: opts.env ?? process.env,
      worker: name,
      leaseMs: opts.lockDurationMs,
      lockedDelayMs: opts.lockedDelayMs,
      target: opts.target,
      budgetMaxWaitMs: opts.budgetMaxWaitMs,
      batchRows: opts.batchRows,
      logger,
      running,
    }),
    {
      connection: redis,
      prefix: keys.bullPrefix,
      name,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs,
      stalledInterval: opts.stalledIntervalMs,
      maxStalledCount: opts.maxStalledCount,
      // Short long-polls, so a worker notices a closed or restarted Redis quickly.
      drainDelay: 1,
    },
  );
  worker.on('error', (err) => logger.warn({ err: err.message }, 'queue connection error (reconnecting)'));
  worker.on('stalled', (jobId) =>
    logger.warn({ jobId }, 'job stalled (its worker stopped renewing); requeued'),
  );
  worker.on('failed', (job, err) =>
    logger.info({ jobId: job?.id, err: err.message, attemptsMade: job?.attemptsMade }, 'job failed'),
  );
  await subscriber.subscribe(keys.cancelChannel);
  subscriber.on('message', (_channel, connection: string) => {
    const job = running.get(connection);
    if (!job) return;
    logger.warn({ connection, jobId: job.jobId }, 'cancel requested');
    worker.cancelJob(job.jobId, 'cancelled with tributary cancel');
  });
  await worker.waitUntilReady();
  logger.info({ concurrency: opts.concurrency, lockDurationMs: opts.lockDurationMs }, 'worker ready');
  return {
    name,
    worker,
    close: async () => {
      await worker.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
