/**
 * What a sync job carries: the connection's NAME and why it runs, never its config or a secret. The worker
 * loads the connection from its own connections file and resolves secrets from its own environment.
 */

export type Trigger = 'schedule' | 'manual' | 'retry';

export interface SyncJobData {
  connection: string;
  /** Why the job exists. A retry of a job keeps its data; the run row says `retry` from the 2nd attempt on. */
  trigger: 'schedule' | 'manual';
  /** `run --force`: run even when the connection is paused (and un-pause it). */
  force?: boolean;
  /** `run --full-refresh`: re-read the streams from the start (every stream, or `streams`). */
  fullRefresh?: boolean;
  /** `run --reset-state`: forget the state of `streams` (under the connection's lease), then end: no sync. */
  resetState?: boolean;
  /** `run --streams a,b`: the streams this job reads or resets (names only; checked by the worker). */
  streams?: string[];
}

/** What a processed job returns (kept by BullMQ with the completed job). */
export type SyncJobResult =
  | { outcome: 'succeeded'; runId: string; durationMs: number; records: number }
  | { outcome: 'skipped'; reason: string };

/** The trigger a run row records: `retry` for any attempt after the first. */
export function runTrigger(data: SyncJobData, attemptsMade: number): Trigger {
  return attemptsMade > 0 ? 'retry' : data.trigger;
}

/** The job's data, checked: a job written by something else is refused rather than half-run. */
export function parseJobData(raw: unknown): SyncJobData {
  const d = raw as Partial<SyncJobData> | null;
  if (
    !d ||
    typeof d.connection !== 'string' ||
    (d.trigger !== 'schedule' && d.trigger !== 'manual') ||
    (d.force !== undefined && typeof d.force !== 'boolean') ||
    (d.fullRefresh !== undefined && typeof d.fullRefresh !== 'boolean') ||
    (d.resetState !== undefined && typeof d.resetState !== 'boolean') ||
    (d.streams !== undefined && !isStreamList(d.streams)) ||
    (d.resetState && (d.fullRefresh || d.streams === undefined))
  ) {
    throw new Error(`not a tributary sync job: ${JSON.stringify(raw)?.slice(0, 200)}`);
  }
  return {
    connection: d.connection,
    trigger: d.trigger,
    ...(d.force ? { force: true } : {}),
    ...(d.fullRefresh ? { fullRefresh: true } : {}),
    ...(d.resetState ? { resetState: true } : {}),
    ...(d.streams !== undefined ? { streams: [...d.streams] } : {}),
  };
}

/** Stream names as a job carries them: a non-empty list of short names without control characters. */
function isStreamList(v: unknown): v is string[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.length <= 1000 &&
    v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 200 && !/[\u0000-\u001f]/.test(s))
  );
}
