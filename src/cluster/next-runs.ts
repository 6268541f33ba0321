/** When each scheduled connection runs next (the same computation as the scheduler's: schedule.ts). */
import type { Connection } from '../connections/connections-file.js';

export interface NextRun {
  connection: string;
  /** Undefined: manual runs only. */
  at?: Date;
  /** The schedule in words: "every 15 minutes", "manual only". */
  schedule: string;
}

export function nextRuns(_connections: readonly Connection[], _now: Date = new Date()): NextRun[] {
  throw new Error('not implemented');
}
