/**
 * A tributary source as an Airbyte source: `spec`, `check`, `discover` and `read` over the one Source
 * interface the engine uses (docs/architecture.md: the adapter wraps it, it does not fork it). `read` starts each
 * stream where its incoming state says, with the same plan `runSync` uses (`planStreamRead`), and emits
 * after every page the page's RECORDs and then a STATE whose `stream_state` is a StoredStreamState: the
 * very blob `tributary sync` keeps in `_tributary_state`, so a resume works from either side.
 */
import { ConfigError, type TributaryError, toTributaryError } from '../errors.js';
import {
  planStreamRead,
  resumeKey,
  type Source,
  type StoredStreamState,
  type StreamDescriptor,
  type SyncMode,
  selectStreams,
  toStreamState,
} from '../engine/index.js';
import type { RateBudget } from '../http/rate-budget.js';
import type { Logger } from '../util/log.js';
import { defaultConfiguredCatalog, toAirbyteStream } from './catalog.js';
import {
  catalogMessage,
  connectionStatusMessage,
  descriptor,
  errorTraceMessage,
  RecordEncoder,
  streamStateMessage,
  streamStatusMessage,
} from './messages.js';
import type { MessageWriter } from './message-writer.js';
import type { ConfiguredAirbyteCatalog, StreamDescriptorMsg } from './protocol.js';
import { type IncomingState, toStoredState } from './state-input.js';

/** `check`: CONNECTION_STATUS SUCCEEDED, or FAILED with the reason. Any failure is reported, never thrown. */
export async function airbyteCheck(open: () => Promise<Source>, writer: MessageWriter): Promise<void> {
  let source: Source | undefined;
  try {
    source = await open();
    await source.check();
    writer.write(connectionStatusMessage(true));
  } catch (err) {
    const e = toTributaryError(err);
    writer.write(connectionStatusMessage(false, `${e.message} [${e.code}]`));
  } finally {
    await source?.close();
  }
}

export function airbyteDiscover(source: Source, writer: MessageWriter): void {
  writer.write(catalogMessage(source.streams().map((s) => toAirbyteStream(s))));
}

export interface AirbyteReadOptions {
  source: Source;
  writer: MessageWriter;
  /** Default: every stream, incremental where supported. */
  catalog?: ConfiguredAirbyteCatalog;
  state?: IncomingState;
  /** The source's rate budget: a wait of at least `rateLimitedAfterMs` is reported as RATE_LIMITED. */
  budget?: RateBudget;
  rateLimitedAfterMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

interface PlannedStream {
  stream: StreamDescriptor;
  mode: SyncMode;
  desc: StreamDescriptorMsg;
}

/**
 * `read`: the configured streams one after another. Returns the exit code: 0, or the exit code of the first
 * error (after a TRACE ERROR and STREAM_STATUS INCOMPLETE). A source error fails its stream only; a
 * credential, config or internal error stops the read, like `runSync`.
 */
export async function airbyteRead(o: AirbyteReadOptions): Promise<number> {
  const { source, writer } = o;
  const planned = planStreams(source, o.catalog ?? defaultConfiguredCatalog(source.streams()), o.logger);
  const threshold = o.rateLimitedAfterMs ?? 1000;
  let current: StreamDescriptorMsg | undefined;
  let reportedUntil = 0;
  let rateLimited = false;
  const unsubscribe = o.budget?.observeWaits?.((resumeAt) => {
    if (current === undefined || resumeAt - Date.now() < threshold || resumeAt <= reportedUntil) return;
    reportedUntil = resumeAt;
    rateLimited = true;
    writer.write(streamStatusMessage(current, 'RUNNING', resumeAt));
  });
  let failure: TributaryError | undefined;
  try {
    for (const p of planned) {
      current = p.desc;
      try {
        await readStream(p);
      } catch (err) {
        const e = toTributaryError(err);
        failure ??= e;
        o.logger?.error({ stream: p.stream.name, code: e.code }, 'stream failed');
        writer.write(errorTraceMessage(e, p.desc));
        writer.write(streamStatusMessage(p.desc, 'INCOMPLETE'));
        await writer.drain();
        if (!e.code.startsWith('TRB_SOURCE_') && e.code !== 'TRB_RATE_LIMITED') break;
      }
    }
  } finally {
    current = undefined;
    unsubscribe?.();
  }
  return failure ? failure.exitCode : 0;

  async function readStream({ stream, mode, desc }: PlannedStream): Promise<void> {
    writer.write(streamStatusMessage(desc, 'STARTED'));
    const stored = toStoredState(o.state?.get(stream.name), mode);
    const resume = resumeKey(source, stream, 'upsert');
    const plan = planStreamRead(stored, mode, 'upsert', resume);
    if (plan.restartReason !== undefined)
      o.logger?.info(
        { stream: stream.name, reason: plan.restartReason },
        'starting a fresh pass instead of resuming',
      );
    const lastComplete = mode === 'incremental' ? plan.lastComplete : undefined;
    const stateFor = (source: Record<string, unknown>, complete: boolean) => {
      const s: StoredStreamState = {
        version: 1,
        mode,
        source,
        complete,
        writeMode: 'upsert',
        resume,
        ...(!complete && lastComplete !== undefined ? { lastComplete } : {}),
      };
      return toStreamState(s);
    };
    let last: Record<string, unknown> | undefined = plan.resuming ? stored?.source : undefined;
    const encoder = new RecordEncoder(stream.name, desc.namespace);
    let running = false;
    let final = false;
    if (!plan.alreadyRead) {
      const pages = source.read(stream.name, {
        syncMode: mode,
        state: plan.sourceState,
        signal: o.signal,
      });
      // A read that failed its proof must not be resumed half-way (it would never re-read what it skipped):
      // a last STATE points the next read at a fresh pass, or at the last proven incremental cursor.
      const restartOnContract = async (err: unknown) => {
        const e = toTributaryError(err);
        if (e.code === 'TRB_SOURCE_CONTRACT') {
          const restart: StoredStreamState = {
            version: 1,
            mode,
            source: mode === 'incremental' ? (lastComplete ?? {}) : { in_progress: false },
            complete: false,
            writeMode: 'upsert',
            resume,
            ...(lastComplete !== undefined ? { lastComplete } : {}),
            restart: { reason: `${e.code}: ${e.message}` },
          };
          writer.write(streamStateMessage(desc, toStreamState(restart), 0));
          await writer.drain();
        }
        throw err;
      };
      for await (const page of withRestart(pages, restartOnContract)) {
        if (!running || rateLimited) {
          // First data, or data flowing again after a rate-limited wait.
          writer.write(streamStatusMessage(desc, 'RUNNING'));
          running = true;
          rateLimited = false;
        }
        if (page.records.length > 0) {
          const chunk = encoder.encode(page.records, Date.now());
          writer.writeRaw(chunk, writer.ownsChunksUntilWritten ? () => encoder.release(chunk) : undefined);
        }
        last = page.checkpoint;
        // The last page of a read completes it: an incremental cursor is final, a full refresh is done.
        final = page.checkpoint.in_progress === false;
        writer.write(streamStateMessage(desc, stateFor(last, final), page.records.length));
        await writer.drain();
      }
    }
    if (!final) {
      // An empty read, or a resumed pass that had read everything: close it with a completed state.
      const source =
        mode === 'full_refresh' ? { ...(last ?? {}), in_progress: false } : (last ?? stored?.source ?? {});
      writer.write(streamStateMessage(desc, stateFor(source, true), 0));
    }
    writer.write(streamStatusMessage(desc, 'COMPLETE'));
    await writer.drain();
  }
}

/** Pass `pages` through; when reading them fails, `onError` runs (and rethrows) before the failure surfaces. */
async function* withRestart<T>(
  pages: AsyncIterable<T>,
  onError: (err: unknown) => Promise<never>,
): AsyncGenerator<T> {
  try {
    yield* pages;
  } catch (err) {
    await onError(err);
  }
}

/** Match a configured catalog to the source's streams. Every mismatch is a ConfigError before any read. */
function planStreams(source: Source, catalog: ConfiguredAirbyteCatalog, logger?: Logger): PlannedStream[] {
  const streams = selectStreams(
    source,
    catalog.streams.map((c) => c.stream.name),
  );
  return catalog.streams.map((c, i) => {
    const stream = streams[i]!;
    const mode = c.sync_mode;
    if (!stream.supportedSyncModes.includes(mode)) {
      throw new ConfigError(
        `catalog: stream "${stream.name}" of ${source.name} does not support sync_mode ${mode} (supported: ${stream.supportedSyncModes.join(', ')})`,
        { details: { stream: stream.name, field: 'sync_mode' } },
      );
    }
    const asked = c.cursor_field;
    if (mode === 'incremental' && asked && asked.length > 0 && asked.join('.') !== stream.cursorField) {
      // The protocol: with source_defined_cursor, other cursor field inputs are ignored. Say so.
      logger?.warn(
        { stream: stream.name, cursor_field: asked, used: stream.cursorField },
        `stream "${stream.name}" has a source-defined cursor (${stream.cursorField}); the catalog's cursor_field ${JSON.stringify(asked)} is ignored`,
      );
    }
    return { stream, mode, desc: descriptor(stream.name, c.stream.namespace) };
  });
}
