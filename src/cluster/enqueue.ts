/**
 * `tributary run NAME`: enqueue a sync now. Deduplicated with BullMQ's deduplication id (the connection
 * name), not a deterministic job id: a job id stays taken while the finished job is kept, so the next
 * `run` would silently add nothing, whereas a deduplication key lives exactly while its job is pending or
 * running (BullMQ removes it when the job completes or fails). A trigger while a sync of the connection
 * runs under any other job (a scheduled one) is refused here too, from the connection's lease; the worker
 * checks the lease again when the job starts, which closes the race between the two checks.
 */
import type { Redis } from 'ioredis';
import type { Connection } from '../connections/connections-file.js';
import { TributaryError } from '../errors.js';
import type { SyncJobData } from './job-data.js';
import type { ClusterKeys } from './keys.js';
import { leaseHolder } from './lease.js';
import { pauseInfo, resumeConnection } from './pause.js';
import { jobOptions, type SyncQueue } from './sync-queue.js';

export type EnqueueResult =
  | { added: true; jobId: string }
  | { added: false; jobId: string; why: 'pending' | 'running' };

/** What `tributary run` (and the dashboard's buttons) ask of a run besides the connection. */
export interface RunRequest {
  /** Run even when the connection is paused (and un-pause it). */
  force?: boolean;
  /** Re-read from the start: every stream of the connection, or `streams`. */
  fullRefresh?: boolean;
  /** Forget the state of `streams` (required), under the connection's lease; no sync follows. */
  resetState?: boolean;
  /** The streams to read or reset (default: the connection's). */
  streams?: string[];
}

/** The kinds of job that wait their turn instead of being merged into a plain sync. */
export const SPECIAL_RUNS = ['full-refresh', 'reset-state'] as const;

/** BullMQ's deduplication id of a connection's pending job: its name, with `#kind` for the special ones. */
export function deduplicationId(connection: string, special?: (typeof SPECIAL_RUNS)[number]): string {
  return special ? `${connection}#${special}` : connection;
}

export async function enqueueRun(
  redis: Redis,
  queue: SyncQueue,
  keys: ClusterKeys,
  connection: Connection,
  opts: RunRequest = {},
): Promise<EnqueueResult> {
  if (opts.resetState && !opts.streams?.length) {
    throw new TributaryError(
      'TRB_USAGE',
      '--reset-state needs --streams: name the streams whose state to forget',
    );
  }
  if (opts.resetState && opts.fullRefresh) {
    throw new TributaryError('TRB_USAGE', '--reset-state and --full-refresh do not go together: pick one');
  }
  // Resetting state is not a sync: it is allowed on a paused connection (often the fix) and lifts no pause.
  const paused = opts.resetState ? undefined : await pauseInfo(redis, keys, connection.name);
  if (paused && !opts.force) {
    throw new TributaryError(
      'TRB_CONNECTION_PAUSED',
      `connection "${connection.name}" is paused since ${paused.at}: ${paused.reason}. Fix the cause, then \`tributary resume ${connection.name}\` or \`tributary run ${connection.name} --force\``,
      { details: { connection: connection.name } },
    );
  }
  if (paused) await resumeConnection(redis, keys, connection.name);
  // A full refresh or a state reset is an explicit request that waits its turn (the worker delays it while
  // another job holds the lease) instead of being merged into a plain sync that is pending or running.
  const special = opts.resetState ? 'reset-state' : opts.fullRefresh ? 'full-refresh' : undefined;
  const dedupId = deduplicationId(connection.name, special);
  if (!special) {
    const running = await leaseHolder(redis, keys.lease(connection.name));
    if (running !== undefined) return { added: false, jobId: running, why: 'running' };
  }
  const pending = await queue.getDeduplicationJobId(dedupId);
  if (pending) return { added: false, jobId: pending, why: 'pending' };
  const data: SyncJobData = {
    connection: connection.name,
    trigger: 'manual',
    ...(opts.force ? { force: true } : {}),
    ...(opts.fullRefresh ? { fullRefresh: true } : {}),
    ...(opts.resetState ? { resetState: true } : {}),
    ...(opts.streams?.length ? { streams: [...opts.streams] } : {}),
  };
  const job = await queue.add('sync', data, {
    ...jobOptions(connection),
    deduplication: { id: dedupId },
  });
  // Two `run`s racing past the check above: BullMQ's deduplication still adds one job; both see its id.
  return { added: true, jobId: job.id! };
}
