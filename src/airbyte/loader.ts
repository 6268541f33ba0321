/**
 * `tributary load --from-airbyte`: Airbyte messages in, rows out, exactly once. RECORDs are buffered per
 * stream; a STATE makes the records before it committable, and they are written through `Destination.write`
 * together with that state in ONE transaction (docs/architecture.md law 1), in batches capped by rows and
 * bytes: the engine's `StreamWriter`, the batcher `runSync` uses. Each STATE is echoed only after its
 * transaction committed. Records no STATE covers are never committed: when the input breaks (bad line, cut
 * off, early end) everything covered is written and the rest is dropped, so a re-run of the source from the
 * committed state yields an exact copy.
 *
 * State scopes: a STREAM state covers its own stream. GLOBAL and LEGACY states cover every stream; each
 * stream with rows is written with the state, one transaction per stream (see docs/airbyte.md for the
 * cross-stream caveat). A stream's completion (TRACE STREAM_STATUS COMPLETE) makes its trailing records
 * final and, for overwrite, swaps the side table in.
 */
import { randomUUID } from 'node:crypto';
import { SourceError, TributaryError, toTributaryError } from '../errors.js';
import type { Destination } from '../destinations/destination.js';
import { schemaInfo } from '../declarative/stream-schema.js';
import {
  addWarnings,
  type Commit,
  parseStoredState,
  type StoredStreamState,
  StreamWriter,
  type StreamWarning,
  toStreamState,
} from '../engine/index.js';
import { type Logger, silentLogger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import type { InputLine } from './line-reader.js';
import { parseInputLine } from './message-parser.js';
import type { AirbyteMessage, AirbyteStateMessage, ConfiguredAirbyteCatalog } from './protocol.js';
import { type LoaderCheckpoint, type LoadMode, StreamLoad, type StreamLoadSpec } from './stream-load.js';

export interface LoaderOptions {
  destination: Destination;
  catalog?: ConfiguredAirbyteCatalog;
  /** Mode for streams without a catalog entry. Default append_dedup. */
  defaultMode?: LoadMode;
  batchRows?: number;
  batchBytes?: number;
  /** Uncommitted + unwritten records kept in memory, across streams, before the load fails. */
  maxBufferBytes?: number;
  /** Treat the end of the input as the end of every stream (for sources that never checkpoint). */
  commitAtEof?: boolean;
  /** Called with each STATE message once it is committed (to echo it). */
  onStateCommitted?: (message: AirbyteMessage) => void | Promise<void>;
  logger?: Logger;
  runId?: string;
  /** Recorded in `_tributary_runs`. Default "airbyte". */
  connector?: string;
}

export interface LoadStreamSummary {
  stream: string;
  mode: LoadMode;
  records: number;
  rowsWritten: number;
  states: number;
  discarded: number;
  complete: boolean;
  /** What the destination changed in values to store them (as in a sync's run summary). */
  warnings?: StreamWarning[];
}

export interface LoadSummary {
  runId: string;
  status: 'succeeded' | 'failed';
  streams: LoadStreamSummary[];
  /** Lines skipped with a warning (unknown message types). */
  skipped: number;
  warnings: string[];
  error?: { code: string; message: string };
}

export const LOADER_DEFAULTS = { maxBufferBytes: 256 * 1024 * 1024 };

const SUPPORTED: LoadMode[] = ['append', 'overwrite', 'append_dedup'];

export async function loadAirbyte(
  lines: AsyncIterable<InputLine>,
  opts: LoaderOptions,
): Promise<LoadSummary> {
  const { destination } = opts;
  const logger = opts.logger ?? silentLogger;
  const runId = opts.runId ?? randomUUID();
  const connector = opts.connector ?? 'airbyte';
  const maxBuffer = opts.maxBufferBytes ?? LOADER_DEFAULTS.maxBufferBytes;
  const defaultMode = opts.defaultMode ?? 'append_dedup';
  const specs = catalogSpecs(opts.catalog);
  const startedAt = new Date();
  const stored = await destination.readStates();
  const streams = new Map<string, StreamLoad>();
  const warnings: string[] = [];
  let skipped = 0;
  let buffered = 0;
  /** Order of GLOBAL/LEGACY states across loads, so the newest committed one can be exported. */
  let globalSeq = Math.max(
    0,
    ...Object.values(stored).map((s) => Number(parseStoredState(s)?.source.airbyte_seq ?? 0) || 0),
  );
  let lastTouched: StreamLoad | undefined;

  const warn = (msg: string, fields: Record<string, unknown> = {}) => {
    warnings.push(msg);
    logger.warn(fields, msg);
  };

  await destination.recordRun({ runId, connector, startedAt, status: 'running' });
  let failure: TributaryError | undefined;
  try {
    for await (const line of lines) await handle(line);
    await endOfInput();
  } catch (err) {
    failure = toTributaryError(err);
    // Commit what a STATE covers; what none covers is dropped (never committed past the last STATE).
    try {
      for (const s of streams.values()) await flush(s);
    } catch (flushErr) {
      logger.error(
        { err: globalRedactor.redact(String(flushErr)) },
        'could not commit the records the last STATE covers',
      );
    }
    for (const s of streams.values()) {
      const n = discard(s);
      if (n > 0)
        logger.warn({ stream: s.name, records: n }, 'records after the last STATE were not committed');
    }
  }

  const summaries: LoadStreamSummary[] = [...streams.values()].map((s) => ({
    stream: s.name,
    mode: s.mode,
    records: s.records,
    rowsWritten: s.rowsWritten,
    states: s.states,
    discarded: s.discarded,
    complete: s.complete,
    ...(s.warnings.length > 0 ? { warnings: s.warnings } : {}),
  }));
  const summary: LoadSummary = {
    runId,
    status: failure ? 'failed' : 'succeeded',
    streams: summaries,
    skipped,
    warnings,
    error: failure ? { code: failure.code, message: globalRedactor.redact(failure.message) } : undefined,
  };
  try {
    await destination.recordRun({
      runId,
      connector,
      startedAt,
      endedAt: new Date(),
      status: summary.status,
      recordsWritten: summaries.reduce((a, s) => a + s.rowsWritten, 0),
      error: summary.error ? `[${summary.error.code}] ${summary.error.message}` : undefined,
      summary: summaries,
    });
  } catch (err) {
    logger.warn({ err: globalRedactor.redact(String(err)) }, 'could not record the run in _tributary_runs');
  }
  if (failure) throw failure;
  return summary;

  async function handle(line: InputLine): Promise<void> {
    const msg = parseInputLine(line);
    if (msg === undefined) return;
    switch (msg.type) {
      case 'RECORD': {
        const r = msg.record;
        const s = streamFor(r.stream, r.namespace, line.number, 'RECORD');
        s.add(r.data, line.text.length, line.number);
        lastTouched = s;
        buffered += line.text.length;
        if (buffered > maxBuffer) await relieve(s);
        return;
      }
      case 'STATE':
        return onState(msg.state, msg as AirbyteMessage, line.number);
      case 'TRACE': {
        const t = msg.trace;
        if (t.type === 'STREAM_STATUS' && t.stream_status) {
          const { stream_descriptor: d, status } = t.stream_status;
          if (typeof d?.name !== 'string') {
            warn(`input line ${line.number}: STREAM_STATUS without stream_descriptor.name skipped`);
            return;
          }
          // A status for a stream the catalog does not configure has nothing to act on.
          if (opts.catalog && !streams.has(d.name) && !specs.has(d.name)) return;
          if (status === 'COMPLETE')
            await completeStream(streamFor(d.name, d.namespace, line.number, 'TRACE'));
          else if (status === 'INCOMPLETE') {
            const s = streams.get(d.name);
            const n = s ? discard(s) : 0;
            warn(
              `stream "${d.name}": the source reported it INCOMPLETE${n > 0 ? `; ${n} records after its last STATE were dropped` : ''}`,
              { stream: d.name },
            );
          }
        } else if (t.type === 'ERROR' && t.error) {
          logger.error(
            { failure_type: t.error.failure_type, stream: t.error.stream_descriptor?.name },
            `source error: ${t.error.message}`,
          );
        }
        return;
      }
      case 'LOG': {
        const level = String(msg.log.level ?? 'INFO').toLowerCase();
        const fn = level === 'fatal' || level === 'error' ? 'error' : level === 'warn' ? 'warn' : 'debug';
        logger[fn]({ source_level: msg.log.level }, `source: ${msg.log.message}`);
        return;
      }
      case 'UNKNOWN':
        skipped++;
        warn(
          `input line ${line.number}: unknown message type ${JSON.stringify(msg.unknownType)} skipped (not in Airbyte protocol v0)`,
          { line: line.number },
        );
        return;
      default:
        // SPEC, CONNECTION_STATUS, CATALOG, CONTROL, DESTINATION_CATALOG: nothing to load.
        logger.debug({ line: line.number, type: msg.type }, 'message ignored by the loader');
        return;
    }
  }

  async function onState(state: AirbyteStateMessage, message: AirbyteMessage, lineNo: number): Promise<void> {
    const type = state.type ?? 'LEGACY';
    const blob = stripStats(state);
    if (type === 'STREAM') {
      const d = state.stream?.stream_descriptor;
      if (!d || typeof d.name !== 'string') {
        throw new SourceError(
          'TRB_SOURCE_BAD_RESPONSE',
          `input line ${lineNo}: STATE of type STREAM without stream.stream_descriptor.name`,
          { details: { line: lineNo } },
        );
      }
      const s = streamFor(d.name, d.namespace, lineNo, 'STATE');
      s.cover({ airbyte: blob }, message);
      if (s.writer.full) await flush(s);
      return;
    }
    // GLOBAL / LEGACY: covers every stream. Write each stream that has rows, then echo once.
    const checkpoint: LoaderCheckpoint = { airbyte: blob, airbyte_seq: ++globalSeq };
    const touched = [...streams.values()].filter((s) => s.pending.length > 0 || s.writer.bufferedRows > 0);
    const targets = touched.length > 0 ? touched : lastTouched ? [lastTouched] : defaultTargets();
    if (targets.length === 0) {
      warn(
        `input line ${lineNo}: a ${type} STATE arrived before any record and no catalog names a stream to keep it with; it was skipped (not committed, not echoed)`,
        { line: lineNo },
      );
      return;
    }
    const covered = targets.reduce((a, s) => a + s.sinceState, 0);
    for (const s of targets) {
      s.cover(checkpoint);
      await flush(s);
    }
    await echo(message, covered);
  }

  function defaultTargets(): StreamLoad[] {
    const first = specs.values().next().value as StreamLoadSpec | undefined;
    return first ? [streamFor(first.name, first.namespace, 0, 'STATE')] : [];
  }

  /** The stream a message names: from the catalog, or (without one) created on first sight. */
  function streamFor(name: string, namespace: string | undefined, lineNo: number, what: string): StreamLoad {
    const existing = streams.get(name);
    if (existing) {
      if (namespace !== undefined && existing.namespace !== undefined && namespace !== existing.namespace) {
        throw new SourceError(
          'TRB_SOURCE_RECORD',
          `input line ${lineNo}: stream "${name}" arrives in namespaces "${existing.namespace}" and "${namespace}"; both would land in one table`,
          { details: { line: lineNo, stream: name } },
        );
      }
      return existing;
    }
    let spec: StreamLoadSpec | undefined;
    if (opts.catalog) {
      spec = specs.get(name);
      if (
        !spec ||
        (namespace !== undefined && spec.namespace !== undefined && spec.namespace !== namespace)
      ) {
        const shown = namespace === undefined ? `"${name}"` : `"${namespace}.${name}"`;
        throw new SourceError(
          'TRB_SOURCE_RECORD',
          `input line ${lineNo}: ${what} for stream ${shown}, which is not in the catalog (catalog streams: ${[...specs.keys()].join(', ') || 'none'})`,
          { details: { line: lineNo, stream: name } },
        );
      }
    } else {
      spec = {
        name,
        namespace,
        mode: defaultMode,
        syncMode: 'incremental',
        primaryKey: [],
        declaredColumns: {},
        configured: false,
      };
    }
    const s: StreamLoad = new StreamLoad(
      spec,
      runId,
      parseStoredState(stored[name]),
      () => randomUUID(),
      ({ table, mode, passId }) =>
        new StreamWriter({
          destination,
          runId,
          stream: name,
          table,
          mode,
          passId,
          batchRows: opts.batchRows,
          batchBytes: opts.batchBytes,
          logger,
          onCommit: (c) => committed(s, c),
        }),
    );
    if (s.key.kind === 'content' && opts.catalog)
      warn(
        `stream "${name}": append_dedup without a primary key; deduplicating on a hash of each record (_airbyte_key)`,
        { stream: name },
      );
    streams.set(name, s);
    return s;
  }

  /** Commit the stream's covered rows with their state in one transaction (the echoes follow in `committed`). */
  async function flush(s: StreamLoad, complete = false): Promise<void> {
    await s.writer.commit(complete ? toStreamState(s.storedState(s.writeMode !== 'replace')) : undefined);
  }

  /** A batch is committed: the states it covers may be echoed now. */
  async function committed(s: StreamLoad, c: Commit): Promise<void> {
    buffered -= c.bytes;
    s.rowsWritten += c.result.rowsWritten;
    for (const w of addWarnings(s, c.result.warnings))
      logger.warn({ stream: s.name, code: w.code, ...w.details }, globalRedactor.redact(w.message));
    s.committed = parseStoredState(c.state);
    s.readyCheckpoint = undefined;
    const echoes = s.echo;
    s.echo = [];
    for (const e of echoes) await echo(e.message, e.records);
  }

  async function echo(message: AirbyteMessage, records: number): Promise<void> {
    if (!opts.onStateCommitted || message.type !== 'STATE') return;
    await opts.onStateCommitted({
      type: 'STATE',
      state: { ...message.state, destinationStats: { recordCount: records } },
    });
  }

  function discard(s: StreamLoad): number {
    buffered -= s.pendingBytes;
    return s.discardPending();
  }

  /** Trailing records are final; the table is complete (and swapped in, for overwrite). */
  async function completeStream(s: StreamLoad): Promise<void> {
    s.promotePending();
    s.sinceState = 0;
    s.complete = true;
    await flush(s, true);
    if (s.writeMode === 'replace') {
      const final: StoredStreamState = { ...s.storedState(true) };
      await s.writer.finish({ state: toStreamState(final) });
      s.committed = final;
    }
  }

  /** Over the memory cap: write what STATEs cover; if uncovered records alone exceed it, fail clearly. */
  async function relieve(current: StreamLoad): Promise<void> {
    for (const s of streams.values()) if (s.writer.bufferedRows > 0) await flush(s);
    if (buffered > maxBuffer) {
      throw new TributaryError(
        'TRB_SOURCE_BAD_RESPONSE',
        `stream "${current.name}": ${mb(buffered)} MB of records arrived without a STATE to commit them with; the loader holds uncommitted records in memory up to ${mb(maxBuffer)} MB (--max-buffer-mb). Raise it, or have the source checkpoint more often.`,
        { details: { stream: current.name, bufferedBytes: buffered } },
      );
    }
  }

  async function endOfInput(): Promise<void> {
    for (const s of streams.values()) {
      if (opts.commitAtEof && !s.complete) await completeStream(s);
      else await flush(s);
    }
    const uncovered = [...streams.values()].filter((s) => s.pending.length > 0);
    const staged = [...streams.values()].filter((s) => s.writeMode === 'replace' && !s.complete);
    for (const s of staged)
      warn(
        `stream "${s.name}" (overwrite): the input ended before the source reported the stream COMPLETE; its rows stay staged and the table was not replaced`,
        { stream: s.name },
      );
    if (uncovered.length > 0) {
      const total = uncovered.reduce((a, s) => a + s.pending.length, 0);
      const detail = uncovered.map((s) => `${s.name}: ${s.pending.length}`).join(', ');
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `the input ended with ${total} records after the last STATE (${detail}); no STATE covers them, so they were not committed. The source probably stopped early: re-run it from the committed state (tributary load --committed-state), or pass --commit-at-eof for a source that never checkpoints`,
        { details: { streams: Object.fromEntries(uncovered.map((s) => [s.name, s.pending.length])) } },
      );
    }
  }
}

function catalogSpecs(catalog: ConfiguredAirbyteCatalog | undefined): Map<string, StreamLoadSpec> {
  const specs = new Map<string, StreamLoadSpec>();
  for (const c of catalog?.streams ?? []) {
    const mode = c.destination_sync_mode as LoadMode;
    if (!SUPPORTED.includes(mode)) {
      throw new TributaryError(
        'TRB_CONFIG_INVALID',
        `catalog: stream "${c.stream.name}" asks for destination_sync_mode ${c.destination_sync_mode}; the loader supports ${SUPPORTED.join(', ')}`,
        { details: { stream: c.stream.name, field: 'destination_sync_mode' } },
      );
    }
    if (specs.has(c.stream.name)) {
      throw new TributaryError(
        'TRB_CONFIG_INVALID',
        `catalog: stream "${c.stream.name}" appears in two namespaces; both would land in one table`,
        { details: { stream: c.stream.name } },
      );
    }
    const pk =
      c.primary_key && c.primary_key.length > 0 ? c.primary_key : (c.stream.source_defined_primary_key ?? []);
    specs.set(c.stream.name, {
      name: c.stream.name,
      namespace: c.stream.namespace,
      mode,
      syncMode: c.sync_mode,
      primaryKey: pk,
      declaredColumns: schemaInfo(c.stream.json_schema ?? {}).declaredColumns,
      configured: true,
    });
  }
  return specs;
}

function stripStats(state: AirbyteStateMessage): Record<string, unknown> {
  const { sourceStats: _s, destinationStats: _d, ...rest } = state;
  return rest as Record<string, unknown>;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0);
}
