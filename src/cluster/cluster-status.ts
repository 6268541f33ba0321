/**
 * `tributary status --file F`: per connection of the file, what Redis knows: its schedule and next run
 * (from its Job Scheduler), whether a sync runs now (which job, which worker, since when), a pending
 * manual run, the last run (status, trigger, attempt, worker, duration, error) and whether it is paused
 * and why. Read only; secrets are neither needed nor shown.
 */
import type { Redis } from 'ioredis';
import type { Connection } from '../connections/connections-file.js';
import { describeSchedule } from '../connections/schedule.js';
import type { ClusterKeys } from './keys.js';
import { allPaused, type PauseInfo } from './pause.js';
import type { LastRun } from './sync-job.js';
import type { SyncQueue } from './sync-queue.js';

export interface ConnectionStatus {
  connection: string;
  connector: string;
  schedule: string;
  /** ISO time of the next scheduled run (null: manual only, or `serve` has not scheduled it yet). */
  nextRun: string | null;
  running: { jobId: string; worker: string; since: string; attempt: number; trigger: string } | null;
  pendingJob: string | null;
  lastRun: LastRun | null;
  paused: PauseInfo | null;
}

export async function clusterStatus(
  redis: Redis,
  queue: SyncQueue,
  keys: ClusterKeys,
  connections: readonly Connection[],
): Promise<ConnectionStatus[]> {
  const [running, last, paused] = await Promise.all([
    redis.hgetall(keys.running),
    redis.hgetall(keys.lastRun),
    allPaused(redis, keys),
  ]);
  const out: ConnectionStatus[] = [];
  for (const c of connections) {
    const scheduler = c.schedule ? await queue.getJobScheduler(c.name) : undefined;
    const pending = await queue.getDeduplicationJobId(c.name);
    out.push({
      connection: c.name,
      connector: c.connector,
      schedule: describeSchedule(c.schedule),
      nextRun: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
      running: running[c.name] ? JSON.parse(running[c.name]!) : null,
      pendingJob: pending && !running[c.name] ? pending : null,
      lastRun: last[c.name] ? (JSON.parse(last[c.name]!) as LastRun) : null,
      paused: paused.get(c.name) ?? null,
    });
  }
  return out;
}
