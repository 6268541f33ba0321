/**
 * `serve`'s job: make BullMQ's Job Schedulers match the connections file. One scheduler per scheduled
 * connection, its id the connection name, its template a job naming the connection (never a secret);
 * schedulers of connections no longer in the file (or no longer scheduled) are removed. Upserting an
 * unchanged scheduler changes nothing, so running this again (at start, after a Redis restart, on a file
 * change) is safe. Only `serve` calls it: one process writes schedules.
 */
import type { Connection } from '../connections/connections-file.js';
import { nextRun, type Schedule } from '../connections/schedule.js';
import type { SyncJobData } from './job-data.js';
import { jobOptions, type SyncQueue } from './sync-queue.js';

export interface SchedulerChanges {
  upserted: string[];
  removed: string[];
}

/**
 * BullMQ's repeat options for a schedule: a cron pattern in its IANA time zone, or `every` in ms starting at
 * the next multiple of the interval. BullMQ alone would run an `every` schedule at once and then every
 * interval after the upsert; the start date keeps it on the multiples the connections file documents
 * (every 15m: :00, :15, :30, :45 UTC) and `nextRun` computes, whenever `serve` (re)starts.
 */
export function repeatOptions(
  schedule: Schedule,
  now: Date = new Date(),
): { every: number; startDate: number } | { pattern: string; tz: string } {
  return 'everyMs' in schedule
    ? { every: schedule.everyMs, startDate: nextRun(schedule, now).getTime() }
    : { pattern: schedule.cron, tz: schedule.tz };
}

export async function syncSchedulers(
  queue: SyncQueue,
  connections: readonly Connection[],
): Promise<SchedulerChanges> {
  const scheduled = connections.filter((c) => c.schedule !== undefined);
  const upserted: string[] = [];
  for (const c of scheduled) {
    const data: SyncJobData = { connection: c.name, trigger: 'schedule' };
    await queue.upsertJobScheduler(c.name, repeatOptions(c.schedule!), {
      name: 'sync',
      data,
      opts: jobOptions(c),
    });
    upserted.push(c.name);
  }
  const wanted = new Set(upserted);
  const removed: string[] = [];
  // Bounded: one page of every scheduler there is (the file's connections are the upper bound plus strays).
  for (const s of await queue.getJobSchedulers(0, -1)) {
    const id = s.id ?? s.key;
    if (!wanted.has(id)) {
      await queue.removeJobScheduler(id);
      removed.push(id);
    }
  }
  return { upserted, removed };
}
