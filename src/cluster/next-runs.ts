/** When each connection runs next: the same computation the scheduler and `connections` use (schedule.ts). */
import type { Connection } from '../connections/connections-file.js';
import { describeSchedule, nextRun } from '../connections/schedule.js';

export interface NextRun {
  connection: string;
  /** Undefined: manual runs only. */
  at?: Date;
  /** The schedule in words: "every 15 minutes", "manual only". */
  schedule: string;
}

/**
 * Next scheduled time per connection, in the file's order. A paused connection still has one here: its job
 * is enqueued at that time and skipped by the worker; the caller shows the pause beside it.
 */
export function nextRuns(
  connections: readonly Pick<Connection, 'name' | 'schedule'>[],
  now: Date = new Date(),
): NextRun[] {
  return connections.map((c) => ({
    connection: c.name,
    ...(c.schedule ? { at: nextRun(c.schedule, now) } : {}),
    schedule: describeSchedule(c.schedule),
  }));
}
