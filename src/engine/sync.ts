/**
 * Running a sync: plan the streams, read each one's pages, batch them (capped by rows and bytes), and commit
 * every batch together with the state that covers it (docs/architecture.md law 1). Streams run concurrently under
 * one rate budget per credential; one destination write runs at a time, and reading the next pages
 * overlaps with writing the current batch. Memory is bounded by streams × (prefetched pages + one batch).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ConfigError, toTributaryError, type TributaryError } from '../errors.js';
import type {
  Destination,
  SchemaChange,
  StreamState,
  WriteMode,
  WriteResult,
} from '../destinations/destination.js';
import { type Logger, silentLogger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import { ColumnTracker } from './column-tracker.js';
import { Mutex } from '../util/mutex.js';
import { prefetch } from './prefetch.js';
import { planStreamRead, resumeKey } from './read-plan.js';
import type { Source, StreamDescriptor, SyncMode } from './source.js';
import { parseStoredState, type StoredStreamState, toStreamState } from './stream-state.js';
import { BATCH_DEFAULTS, StreamWriter } from './stream-writer.js';
import { addWarnings, newStreamSummary, type RunSummary, type StreamSummary } from './summary.js';

export interface SyncOptions {
  source: Source;
  /** An opened destination. */
  destination: Destination;
  /** Streams to sync (default: all). Unknown names are a ConfigError. */
  streams?: string[];
  /** Ignore incremental state and re-read everything (then soft-delete what was not seen). */
  fullRefresh?: boolean;
  /** For full refresh: upsert + soft-delete sweep (default), or build and atomically swap the table. */
  writeMode?: WriteMode;
  streamConcurrency?: number;
  batchRows?: number;
  batchBytes?: number;
  prefetchPages?: number;
  logger?: Logger;
  /** Called whenever a stream's counters change (throttle in the caller). */
  onProgress?: (streams: StreamSummary[]) => void;
  signal?: AbortSignal;
  runId?: string;
  /**
   * At the end of a full-refresh pass, each row it would mark deleted (or drop, in replace mode) is looked
   * up at the API's detail endpoint first: at most this many per stream (default 10,000). Above it an
   * upsert pass fails without sweeping, and a replace pass swaps on the count's proof alone.
   */
  maxDeleteChecks?: number;
}

export const DEFAULTS = {
  streamConcurrency: 4,
  ...BATCH_DEFAULTS,
  prefetchPages: 4,
  maxDeleteChecks: 10_000,
};

/** Validate stream names against the source before anything is opened or written. */
export function selectStreams(source: Source, names: string[] | undefined): StreamDescriptor[] {
  const all = source.streams();
  if (!names || names.length === 0) return all;
  const byName = new Map(all.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown stream${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} for ${source.name} (streams: ${all.map((s) => s.name).join(', ')})`,
      {
        code: 'TRB_UNKNOWN_STREAM',
        details: { unknown },
      },
    );
  }
  return names.map((n) => byName.get(n)!);
}

export async function runSync(opts: SyncOptions): Promise<RunSummary> {
  const { source, destination } = opts;
  const selected = selectStreams(source, opts.streams);
  const runId = opts.runId ?? randomUUID();
  // Every line of the run says which run and connector; each stream's lines (its source's retry warnings
  // included, through ReadOptions.logger) also say which stream.
  const logger = (opts.logger ?? silentLogger).child({ runId, connector: source.name });
  const startedAt = new Date();
  const states = await destination.readStates();
  const writeLock = new Mutex();
  const abort = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
  // Every in-flight request and budget wait listens on this signal; dozens at once are expected.
  setMaxListeners(0, signal);
  const summaries = selected.map((s) =>
    newStreamSummary(
      s.name,
      opts.fullRefresh || !s.supportedSyncModes.includes('incremental') ? 'full_refresh' : 'incremental',
    ),
  );
  const progress = () => opts.onProgress?.(summaries);

  await destination.recordRun({ runId, connector: source.name, startedAt, status: 'running' });
  logger.info(
    {
      destination: destination.description,
      streams: selected.map((s) => s.name),
    },
    'sync started',
  );

  let fatal: TributaryError | undefined;
  const queue = selected.map((s, i) => ({ stream: s, summary: summaries[i]! }));
  const workers = Array.from(
    { length: Math.min(opts.streamConcurrency ?? DEFAULTS.streamConcurrency, queue.length) },
    async () => {
      for (;;) {
        const job = queue.shift();
        if (!job) return;
        if (signal.aborted) {
          job.summary.status = 'skipped';
          continue;
        }
        const streamLog = logger.child({ stream: job.stream.name });
        try {
          await syncStream(job.stream, job.summary, states[job.stream.name], streamLog);
          job.summary.status = 'succeeded';
        } catch (err) {
          const e = toTributaryError(err);
          job.summary.status = 'failed';
          job.summary.error = { code: e.code, message: globalRedactor.redact(e.message) };
          streamLog.error({ code: e.code, err: globalRedactor.redact(e.message) }, 'stream failed');
          // Config and destination failures doom every stream: stop the rest at once. Not a rejected
          // credential (TRB_AUTH): each stream's own first request proves its own access (a token may lack
          // one endpoint's scope) and its error quotes its own URL, not the first stream's to fail.
          if (!e.code.startsWith('TRB_SOURCE_') && e.code !== 'TRB_RATE_LIMITED' && e.code !== 'TRB_AUTH') {
            fatal ??= e;
            abort.abort(e);
          }
        } finally {
          job.summary.endedAt = Date.now();
          job.summary.metrics = { ...source.metrics(job.stream.name) };
          progress();
        }
      }
    },
  );
  await Promise.all(workers);

  const endedAt = new Date();
  const failed = summaries.filter((s) => s.status === 'failed');
  const firstError = fatal
    ? { code: fatal.code, message: globalRedactor.redact(fatal.message) }
    : failed[0]?.error;
  const run: RunSummary = {
    runId,
    connector: source.name,
    destination: destination.description,
    status: failed.length === 0 && !fatal ? 'succeeded' : 'failed',
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    durationMs: endedAt.getTime() - startedAt.getTime(),
    streams: summaries,
    error: firstError,
  };
  try {
    await destination.recordRun({
      runId,
      connector: source.name,
      startedAt,
      endedAt,
      status: run.status,
      recordsWritten: summaries.reduce((a, s) => a + s.upserts, 0),
      recordsDeleted: summaries.reduce((a, s) => a + s.softDeletes, 0),
      error: run.error ? `[${run.error.code}] ${run.error.message}` : undefined,
      summary: summaries.map((s) => ({
        stream: s.stream,
        status: s.status,
        upserts: s.upserts,
        soft_deletes: s.softDeletes,
        pages: s.pages,
        requests: s.metrics.requests,
        ...(s.warnings.length > 0 ? { warnings: s.warnings } : {}),
        // Per stream, so `tributary status` can say which stream a failed run's error belongs to.
        ...(s.error ? { error: globalRedactor.redact(`[${s.error.code}] ${s.error.message}`) } : {}),
      })),
    });
  } catch (err) {
    logger.warn({ err: globalRedactor.redact(String(err)) }, 'could not record the run in _tributary_runs');
  }
  logger.info({ status: run.status, durationMs: run.durationMs }, 'sync finished');
  return run;

  async function syncStream(
    stream: StreamDescriptor,
    summary: StreamSummary,
    rawState: StreamState | undefined,
    logger: Logger,
  ): Promise<void> {
    const onContract: { restart?: (e: TributaryError) => Promise<void> } = {};
    try {
      await runStream(stream, summary, rawState, logger, onContract);
    } catch (err) {
      const e = toTributaryError(err);
      // A pass that failed its proof must not be resumed half-way: a resume would never re-read what the
      // drift made it skip. The next run starts a fresh pass (incremental: from the last proven cursor).
      if (e.code === 'TRB_SOURCE_CONTRACT') await onContract.restart?.(e);
      throw err;
    }
  }

  /** Read one stream, then (full refresh) prove, sweep or swap. `onContract` learns how to restart it. */
  async function runStream(
    stream: StreamDescriptor,
    summary: StreamSummary,
    rawState: StreamState | undefined,
    logger: Logger,
    onContract: { restart?: (e: TributaryError) => Promise<void> },
  ): Promise<void> {
    summary.status = 'running';
    summary.startedAt = Date.now();
    const mode = summary.mode as SyncMode;
    const writeMode: WriteMode = mode === 'full_refresh' ? (opts.writeMode ?? 'upsert') : 'upsert';
    const stored = parseStoredState(rawState);
    const resume = resumeKey(source, stream, writeMode);
    const { resuming, sourceState, alreadyRead, restartReason, lastComplete } = planStreamRead(
      stored,
      mode,
      writeMode,
      resume,
    );
    summary.resumed = resuming;
    if (restartReason !== undefined)
      logger.info({ reason: restartReason }, 'starting a fresh pass instead of resuming');
    const pass =
      mode === 'full_refresh' ? (resuming && stored?.pass ? stored.pass : randomUUID()) : undefined;
    const tracker = new ColumnTracker(stream.name, stream.primaryKey, stream.declaredColumns, {
      infer: stream.inferSchema === true,
    });
    // The API's count of the pass, from its last page: still to be proven against the rows stamped.
    let expectedCount = alreadyRead ? stored?.expectedCount : undefined;
    const stateFor = (source: Record<string, unknown>, complete: boolean): StoredStreamState => ({
      version: 1,
      mode,
      source,
      pass,
      complete,
      writeMode,
      resume,
      ...(mode === 'incremental' && !complete && lastComplete !== undefined ? { lastComplete } : {}),
      ...(!complete && expectedCount !== undefined ? { expectedCount } : {}),
    });
    onContract.restart = commitRestart;
    logger.info({ mode, writeMode, resumed: resuming }, 'stream started');

    let lastCheckpoint: Record<string, unknown> | undefined = resuming ? stored?.source : undefined;
    // One write in flight per stream, overlapping with reading the next batch: commits stay in order (each
    // waits for the one before), and memory stays at two batches per stream.
    const writer = new StreamWriter({
      destination,
      runId,
      stream: stream.name,
      table: () => tracker.spec(),
      mode: writeMode,
      passId: pass,
      skipUnchangedBy: mode === 'full_refresh' && writeMode === 'upsert' ? stream.unchangedField : undefined,
      batchRows: opts.batchRows,
      batchBytes: opts.batchBytes,
      overlap: true,
      lock: writeLock,
      logger,
      onCommit: ({ result, repair }) => {
        summary.upserts += result.rowsWritten;
        countSchemaChanges(summary, result.schemaChanges);
        noteWarnings(summary, result, logger);
        if (repair) return;
        summary.unchanged += result.rowsUnchanged ?? 0;
        summary.batches++;
        progress();
      },
    });

    try {
      if (!alreadyRead) {
        const pages = source.read(stream.name, { syncMode: mode, state: sourceState, signal, logger });
        for await (const page of prefetch(pages, opts.prefetchPages ?? DEFAULTS.prefetchPages)) {
          const rows = page.records.map((r) => tracker.toRow(r));
          summary.records += page.records.length;
          summary.pages++;
          summary.metrics = { ...source.metrics(stream.name) };
          lastCheckpoint = page.checkpoint;
          const last = page.checkpoint.in_progress === false;
          if (last && page.expectedCount !== undefined) expectedCount = page.expectedCount;
          writer.add(
            rows,
            page.bytes,
            toStreamState(stateFor(page.checkpoint, mode === 'incremental' && last)),
          );
          if (writer.full || last) await writer.commit();
          else progress();
        }
        if (writer.bufferedRows > 0 || writer.batches === 0)
          await writer.commit(toStreamState(stateFor(lastCheckpoint ?? {}, mode === 'incremental')));
      }
      await writer.settle();
    } finally {
      // Never leave a write running behind a failed read: the run's bookkeeping and close come after it.
      await writer.settle().catch(() => undefined);
    }

    if (mode === 'full_refresh') await finishPass();
    logger.info(
      {
        records: summary.records,
        pages: summary.pages,
        softDeletes: summary.softDeletes,
      },
      'stream finished',
    );

    /**
     * The end of a full-refresh pass: prove it complete (the API's count; each row it would remove confirmed
     * at the detail endpoint, repairing the ones that still exist), then sweep or swap. See docs/reliability.md.
     */
    async function finishPass(): Promise<void> {
      const readState = { ...(lastCheckpoint ?? {}), in_progress: false };
      // Repairs come after the count is proven: a crash from there on resumes at the deletion check, not at
      // the count (repairs add rows to the pass that the API's count does not know about).
      const { expectedCount: _proven, ...repairState } = stateFor(readState, false);
      const fetchOne = source.fetchOne?.bind(source);
      const lookup = { signal, logger };
      summary.softDeletes += await writer.finish({
        state: toStreamState(stateFor(readState, true)),
        proof: {
          expectedCount,
          lookup: fetchOne && stream.detail ? (key) => fetchOne(stream.name, key, lookup) : undefined,
          toRow: (rec) => tracker.toRow(rec),
          maxChecks: opts.maxDeleteChecks ?? DEFAULTS.maxDeleteChecks,
          repairState: toStreamState(repairState),
        },
      });
    }

    async function commitRestart(e: TributaryError): Promise<void> {
      const reason = `${e.code}: ${globalRedactor.redact(e.message)}`;
      // An unfinished state like any checkpoint's, at the start: the last proven cursor (incremental) or
      // the top of the list, without the failed pass's count (the fresh pass proves its own).
      const { expectedCount: _failedCount, ...unfinished } = stateFor(
        mode === 'incremental' ? (lastComplete ?? {}) : { in_progress: false },
        false,
      );
      const state: StoredStreamState = { ...unfinished, restart: { reason } };
      try {
        await writeLock.run(() => destination.commitState(stream.name, toStreamState(state)));
      } catch (err) {
        logger.error(
          { err: globalRedactor.redact(String(err)) },
          'could not record that the next sync must start a fresh pass',
        );
      }
    }
  }
}

/**
 * A write's schema changes in the summary, for batches and repairs alike. A table's creation is reported on
 * its own: on a first run it is not a change of anything.
 */
function countSchemaChanges(summary: StreamSummary, changes: readonly SchemaChange[]): void {
  let created = 0;
  for (const c of changes) if (c.kind === 'create_table') created++;
  summary.tablesCreated += created;
  summary.schemaChanges += changes.length - created;
}

/** A write's warnings: counted in the stream's summary (and so in `_tributary_runs`), and logged once each. */
function noteWarnings(summary: StreamSummary, result: WriteResult, logger: Logger): void {
  for (const w of addWarnings(summary, result.warnings))
    logger.warn({ code: w.code, ...w.details }, globalRedactor.redact(w.message));
}
