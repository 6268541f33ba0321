/**
 * Everything the dashboard reads and does, in one import: the read functions over what the workers record
 * in Redis (live progress, run history and logs, stream status, budget metrics, connection status), the next
 * scheduled runs, and the actions, which are the same functions the CLI commands call.
 */
export { type CancelResult, cancelConnection } from './cancel.js';
export { type ConnectionStatus, clusterStatus } from './cluster-status.js';
export { type BudgetMinute, type BudgetSeries, readBudgets } from './budget-metrics.js';
export { type EnqueueResult, enqueueRun, type RunRequest } from './enqueue.js';
export { ClusterKeys } from './keys.js';
export { type LiveRun, readLive, type StreamProgress, subscribeLive } from './live-progress.js';
export { type NextRun, nextRuns } from './next-runs.js';
export { allPaused, type PauseInfo, pauseConnection, pauseInfo, resumeConnection } from './pause.js';
export {
  readRun,
  readRunLog,
  readRuns,
  type RunError,
  type RunKind,
  type RunLogLine,
  type RunRecord,
  type RunStreamRow,
} from './run-history.js';
export { readStreamStatus, type StreamStatus } from './stream-status.js';
export { openQueue, type SyncQueue } from './sync-queue.js';
export type { LastRun } from './sync-job.js';
