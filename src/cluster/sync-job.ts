/**
 * What a worker does with one sync job:
 * 1. check the job names a connection of this worker's connections file, resolve its secrets from this
 *    process's environment, and skip it when the connection is paused (unless `run --force`);
 * 2. take the next fencing token, then the connection's lease: another job holding it means a sync of the
 *    connection is already running, and this trigger is dropped (deduplicated);
 * 3. run the sync with the token (checked by the destination at every commit) and the cancel signal;
 * 4. decide what a failure means: a locked DuckDB file delays the job (moveToDelayed + DelayedError, not a
 *    failure); a cancel or a refused zombie ends it; config and auth errors (exit 2) are UnrecoverableError,
 *    never retried; anything else is thrown for BullMQ to retry with the connection's backoff. Every failed
 *    run counts toward the connection's pause; the one that pauses it also stops its retries.
 */
import { randomUUID } from 'node:crypto';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type Connection,
  findConnection,
  loadConnectionsFile,
  resolveConnection,
} from '../connections/connections-file.js';
import type { RunSummary } from '../engine/index.js';

import { prepareConnection } from '../cli/common.js';
import { checkStreamNames } from '../cli/inspect.js';
import { type ErrorCode, exitCodeFor, TributaryError, toTributaryError } from '../errors.js';
import type { Logger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import { nextFence } from './fence.js';
import { parseJobData, runTrigger, type SyncJobData, type SyncJobResult } from './job-data.js';
import type { ClusterKeys } from './keys.js';
import { acquireLease, type Lease } from './lease.js';
import { pauseInfo, recordFailure, recordSuccess, resumeConnection } from './pause.js';
import { RedisBudgets } from '../http/redis-rate-budget.js';
import { LivePublisher } from './live-progress.js';
import type { RedisTarget } from './redis-connection.js';
import { jobStreams, runConnection } from './run-connection.js';
import { appendRun, type RunRecord, summaryRows, toRunError } from './run-history.js';
import { RunLogSink, teeLogger } from './run-log.js';
import { resetStreamState, streamsWithState } from './reset-state.js';
import { type DestinationSnapshot, recordStreamStatus } from './stream-status.js';
import { openDestinationReader } from '../destinations/create-destination.js';

export interface SyncJobDeps {
  redis: Redis;
  keys: ClusterKeys;
  /** The connections file this worker reads (the job only names a connection). */
  file: string;
  env: NodeJS.ProcessEnv;
  worker: string;
  /** The lease's TTL: the worker's lockDuration (a stalled sync's lease lapses with its job lock). */
  leaseMs: number;
  /** Rows per destination transaction (default: the engine's). */
  batchRows?: number;
  /** How long a job whose DuckDB file is locked waits before it is tried again. */
  lockedDelayMs: number;
  logger: Logger;
  /** The Redis the shared rate budgets live in (the queue's, under the same prefix). */
  target: RedisTarget;
  /**
   * The longest a sync waits for its shared rate budget; a longer wait parks the job (delayed until the
   * budget has a slot) instead of holding a worker slot.
   */
  budgetMaxWaitMs: number;
  /** The jobs running in this process, by connection (for `cancel`). */
  running: Map<string, { jobId: string }>;
}

/** The last run of a connection, as `status` shows it. */
export interface LastRun {
  runId?: string;
  jobId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  trigger: string;
  attempt: number;
  worker: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  records?: number;
  error?: string;
}

export function syncProcessor(deps: SyncJobDeps) {
  return async (job: Job<SyncJobData, SyncJobResult>, token?: string, signal?: AbortSignal) => {
    let data: SyncJobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    // Made before the run starts: the run's log lines are filed under it from the first one.
    const runId = randomUUID();
    const logSink = new RunLogSink(deps.redis, deps.keys, runId);
    const log = teeLogger(deps.logger, logSink).child({
      job: job.id,
      connection: data.connection,
      attempt: job.attemptsMade + 1,
    });
    let connection: Connection;
    try {
      const file = loadConnectionsFile(deps.file, deps.env, { resolveSecrets: false });
      connection = resolveConnection(findConnection(file, data.connection), deps.env, deps.file);
    } catch (err) {
      const e = toTributaryError(err);
      log.error({ code: e.code, err: globalRedactor.redact(e.message) }, 'cannot run the connection');
      await logSink.flush();
      // In the history too: a connection that cannot even start (a missing variable) is what a person
      // looking at the dashboard most needs to see.
      const now = new Date().toISOString();
      await appendRun(deps.redis, deps.keys, {
        connection: data.connection,
        runId,
        kind: data.resetState ? 'reset-state' : 'sync',
        jobId: job.id!,
        status: 'failed',
        trigger: runTrigger(data, job.attemptsMade),
        attempt: job.attemptsMade + 1,
        worker: deps.worker,
        startedAt: now,
        endedAt: now,
        durationMs: 0,
        records: 0,
        streams: [],
        error: toRunError(e),
      }).catch(() => undefined);
      throw new UnrecoverableError(`[${e.code}] ${globalRedactor.redact(e.message)}`);
    }
    // A state reset is not a sync: it runs on a paused connection (often the fix) and lifts no pause.
    const paused = data.resetState ? undefined : await pauseInfo(deps.redis, deps.keys, connection.name);
    if (paused && !data.force) {
      log.warn({ reason: paused.reason }, 'connection is paused; job skipped');
      // Not a run: nothing of it is kept in the history, nor a log no run points at.
      logSink.discard();
      return { outcome: 'skipped' as const, reason: `paused: ${paused.reason}` };
    }
    if (paused) await resumeConnection(deps.redis, deps.keys, connection.name);

    const fence = await nextFence(deps.redis, deps.keys.fence(connection.name));
    const got = await acquireLease(
      deps.redis,
      deps.keys.lease(connection.name),
      job.id!,
      fence,
      deps.leaseMs,
    );
    if ('heldBy' in got) {
      if (data.resetState || data.fullRefresh) {
        // An explicit reset or full refresh waits its turn behind the running job (never merged into it).
        log.info(
          { heldBy: got.heldBy, delayMs: deps.lockedDelayMs },
          'another job holds the connection; waiting',
        );
        logSink.discard();
        await job.moveToDelayed(Date.now() + deps.lockedDelayMs, token);
        throw new DelayedError();
      }
      log.info({ heldBy: got.heldBy }, 'a sync of this connection is already running; trigger dropped');
      logSink.discard();
      return { outcome: 'skipped' as const, reason: `already running as job ${got.heldBy}` };
    }
    const attempt = job.attemptsMade + 1;
    const trigger = runTrigger(data, job.attemptsMade);
    const startedAt = new Date();
    const cancel = new AbortController();
    const onAbort = () =>
      cancel.abort(
        new TributaryError('TRB_CANCELLED', `the sync of connection "${connection.name}" was cancelled`),
      );
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    deps.running.set(connection.name, { jobId: job.id! });
    await deps.redis.hset(
      deps.keys.running,
      connection.name,
      JSON.stringify({
        jobId: job.id,
        worker: deps.worker,
        since: startedAt.toISOString(),
        attempt,
        trigger,
        fence,
      }),
    );
    const stopRenewing = renewWhileRunning(got.lease, deps.leaseMs, log);
    const kind: RunRecord['kind'] = data.resetState ? 'reset-state' : 'sync';
    const live = new LivePublisher(deps.redis, deps.keys, {
      connection: connection.name,
      jobId: job.id!,
      runId,
      worker: deps.worker,
      startedAt: startedAt.toISOString(),
    });
    await live.start();
    let run: RunSummary | undefined;
    let failure: TributaryError | undefined;
    let snapshot: DestinationSnapshot | undefined;
    // One registry per job: its lastPark is this job's. It names the connection beside the budget's metrics.
    const budgets = new RedisBudgets({
      url: deps.target.url,
      prefix: deps.target.prefix,
      maxWaitMs: deps.budgetMaxWaitMs,
      connection: connection.name,
    });
    try {
      if (data.resetState) {
        await resetState(connection, data.streams ?? [], fence, deps.file, log);
      } else {
        run = await runConnection(connection, {
          budgets,
          logger: log,
          signal: cancel.signal,
          fence,
          run: { trigger, attempt, worker: deps.worker },
          batchRows: deps.batchRows,
          file: deps.file,
          runId,
          onProgress: (streams) => live.update(streams),
          ...(data.streams ? { streams: data.streams } : {}),
          ...(data.fullRefresh ? { fullRefresh: true } : {}),
        });
        if (run.status !== 'succeeded') {
          failure = new TributaryError(
            (run.error?.code ?? 'TRB_INTERNAL') as ErrorCode,
            run.error?.message ?? 'the sync failed',
          );
        }
      }
    } catch (err) {
      failure = toTributaryError(err);
    } finally {
      stopRenewing();
      await budgets.close().catch(() => undefined);
      signal?.removeEventListener('abort', onAbort);
      // Still under the lease: where the streams stand now, for the dashboard (skipped when the destination
      // cannot be read: another process holds the DuckDB file, or it is unreachable).
      if (failure?.code !== 'TRB_DEST_LOCKED' && failure?.code !== 'TRB_FENCED')
        snapshot = await readSnapshot(connection).catch(() => undefined);
      deps.running.delete(connection.name);
      await forgetRunning(deps, connection.name, fence).catch(() => undefined);
      await got.lease.release().catch(() => undefined);
    }
    if (cancel.signal.aborted) failure = cancel.signal.reason as TributaryError;
    if (failure?.code !== 'TRB_FENCED' && !(await holdsJobLock(deps.redis, job, token))) {
      // A zombie that was not fenced: its job lock lapsed (a loaded machine) and the job went to another
      // attempt, which could not open the destination this one held (a DuckDB file: one process at a time), so
      // nothing refused this one's commits. They stand (the other attempt resumes after them), but the
      // outcome is the other attempt's to record: a `last-run` from here would say the connection is done
      // while its job is still to run (and to open the destination again). BullMQ refuses this attempt's
      // completion anyway (its lock is gone).
      const message = 'this attempt lost its job lock to another attempt; its outcome is not recorded';
      log.warn({ outcome: failure?.code ?? 'succeeded' }, message);
      await logSink.flush();
      throw new UnrecoverableError(message);
    }
    const endedAt = new Date();
    /** What the run's record in the history and its last-run entry both say of it. */
    const ended = (status: LastRun['status']) => ({
      runId,
      jobId: job.id!,
      status,
      trigger,
      attempt,
      worker: deps.worker,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: endedAt.getTime() - startedAt.getTime(),
    });
    /** The run's record in the history, its live snapshot's end, its log's last lines. */
    const finish = async (status: LastRun['status'] | 'delayed', error?: TributaryError) => {
      await live.end(status === 'delayed' ? 'delayed' : status, run?.streams).catch(() => undefined);
      if (status === 'delayed') {
        // Not a run's end: the job comes back as a new run (with its own log). A file locked for an hour
        // would otherwise leave hundreds of logs no run points at.
        logSink.discard();
        return;
      }
      await logSink.flush();
      const record: RunRecord = {
        connection: connection.name,
        kind,
        ...ended(status),
        ...summaryRows(run),
        ...(data.fullRefresh ? { fullRefresh: true } : {}),
        ...(data.streams ? { requestedStreams: data.streams } : {}),
        ...(error ? { error: toRunError(error) } : {}),
      };
      await appendRun(deps.redis, deps.keys, record).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'could not record the run in Redis'),
      );
      await recordStreamStatus(deps.redis, deps.keys, record, snapshot).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'could not record the streams in Redis'),
      );
    };
    const last = (status: LastRun['status'], error?: TributaryError): LastRun => ({
      ...(run ? { records: run.streams.reduce((a, s) => a + s.upserts, 0) } : {}),
      ...ended(status),
      ...(error ? { error: `[${error.code}] ${globalRedactor.redact(error.message)}` } : {}),
    });
    const remember = (l: LastRun) => deps.redis.hset(deps.keys.lastRun, connection.name, JSON.stringify(l));

    if (!failure) {
      await recordSuccess(deps.redis, deps.keys, connection.name);
      const l = last('succeeded');
      log.info(
        { durationMs: l.durationMs, records: l.records },
        kind === 'sync' ? 'sync job succeeded' : `state reset for ${(data.streams ?? []).join(', ')}`,
      );
      // The history first, `last-run` last: whoever waits for `last-run` finds the history written, and the
      // job completes right after it (as before the history existed).
      await finish('succeeded');
      await remember(l);
      return {
        outcome: 'succeeded' as const,
        runId,
        durationMs: l.durationMs,
        records: l.records ?? 0,
      };
    }
    const message = `[${failure.code}] ${globalRedactor.redact(failure.message)}`;
    if (failure.code === 'TRB_DEST_LOCKED') {
      // DuckDB is single-writer: another process holds the file. Wait for it; this is not a failure.
      log.info({ delayMs: deps.lockedDelayMs }, 'destination locked by another process; job delayed');
      await finish('delayed');
      await job.moveToDelayed(Date.now() + deps.lockedDelayMs, token);
      throw new DelayedError();
    }
    if (failure.code === 'TRB_BUDGET_PARKED') {
      // The shared budget has no slot for a while (other workers spend it): give the slot back to the
      // queue and come back when the budget has one. Committed batches stay; the resume starts there.
      const resumeAt = budgets.lastPark?.resumeAt ?? Date.now() + deps.budgetMaxWaitMs;
      log.info({ resumeAt: new Date(resumeAt).toISOString() }, 'rate budget busy; job parked');
      await finish('delayed');
      await job.moveToDelayed(resumeAt, token);
      throw new DelayedError();
    }
    if (failure.code === 'TRB_FENCED') {
      // A zombie: another worker took this job over; its result is the one that counts (and `status`
      // shows it, so the zombie's outcome is only logged).
      log.warn(
        { err: message },
        'a newer sync of this connection took over; this one committed nothing more',
      );
      // The live snapshot and the history are the newer sync's now: only this attempt's log is kept.
      await logSink.flush();
      throw new UnrecoverableError(message);
    }
    if (failure.code === 'TRB_CANCELLED') {
      log.warn('sync cancelled');
      await finish('cancelled', failure);
      await remember(last('cancelled', failure));
      throw new UnrecoverableError(message);
    }
    const pausedNow = await recordFailure(
      deps.redis,
      deps.keys,
      connection.name,
      message,
      connection.retry.pauseAfter,
    );
    if (pausedNow) log.error({ reason: pausedNow.reason }, 'connection paused');
    log.error({ code: failure.code, err: message }, 'sync job failed');
    await finish('failed', failure);
    await remember(last('failed', failure));
    // Exit code 2 (config, auth, usage): retrying unchanged fails the same way.
    if (pausedNow || exitCodeFor(failure.code) === 2) throw new UnrecoverableError(message);
    throw new Error(message);
  };
}

/**
 * A `run --reset-state` job: forget the state of `streams`, by the same code as `tributary state reset`, under
 * this job's lease and fencing token. No sync follows: the next one (scheduled or `run`) reads the streams
 * from the start.
 */
async function resetState(
  connection: Connection,
  streams: string[],
  fence: number,
  file: string,
  log: Logger,
): Promise<void> {
  const prepared = await prepareConnection(connection, file);
  const declared = prepared.connector.manifest.streams.map((s) => s.name);
  checkStreamNames(connection.connector, declared, jobStreams(connection, streams));
  const spec = { url: connection.destination, schema: connection.namespace };
  const held = await streamsWithState(spec, connection.namespace, streams).catch(
    // No database or schema yet: nothing stored, nothing to reset.
    (err: unknown) => {
      if (toTributaryError(err).code === 'TRB_DEST_OPEN') return [];
      throw err;
    },
  );
  if (held.length === 0) {
    log.info({ streams }, 'no state stored for these streams; nothing to reset');
    return;
  }
  await resetStreamState(
    {
      spec,
      connector: connection.connector,
      namespace: connection.namespace,
      owner: { connection: connection.name, fence, streams: declared },
    },
    held,
  );
}

/** The destination's states and row counts of the connection's namespace, read after a run. */
async function readSnapshot(connection: Connection): Promise<DestinationSnapshot> {
  const reader = await openDestinationReader({ url: connection.destination });
  try {
    const states = await reader.readStateRows(connection.namespace);
    const counts = await reader.tableCounts(connection.namespace);
    return { states, counts };
  } finally {
    await reader.close();
  }
}

/**
 * Whether this attempt still holds its BullMQ job lock (the key `<queue>:<job id>:lock` holds its token).
 * Without a token (not run by a BullMQ Worker) or when Redis cannot say, it is taken as held.
 */
async function holdsJobLock(redis: Redis, job: Job, token: string | undefined): Promise<boolean> {
  if (token === undefined) return true;
  const held = await redis.get(`${job.queueQualifiedName}:${job.id}:lock`).catch(() => token);
  return held === token;
}

/** Remove the connection's "running" entry if it is still this sync's (a zombie must not erase its successor's). */
async function forgetRunning(deps: SyncJobDeps, connection: string, fence: number): Promise<void> {
  const raw = await deps.redis.hget(deps.keys.running, connection);
  if (raw !== null && (JSON.parse(raw) as { fence?: number }).fence === fence)
    await deps.redis.hdel(deps.keys.running, connection);
}

/** Renew the lease at a third of its TTL until stopped; one renewal in flight at a time (Redis may be away). */
function renewWhileRunning(lease: Lease, ttlMs: number, log: Logger): () => void {
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy) return;
      busy = true;
      lease
        .renew()
        .then((held) => {
          if (!held) log.warn('lease lost (expired or taken over); the fencing token guards the commits');
        })
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    },
    Math.max(100, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
