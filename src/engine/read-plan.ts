/**
 * Where a stream's read starts, given its stored state: resume an interrupted pass from its checkpoint, or
 * start afresh when what the checkpoint depends on changed (see `ResumeKey`). One plan for `runSync` and the
 * Airbyte source runner, so a resume works from either side.
 */
import { createHash } from 'node:crypto';
import type { WriteMode } from '../destinations/destination.js';
import type { Source, StreamDescriptor, SyncMode } from './source.js';
import type { ResumeKey, StoredStreamState } from './stream-state.js';

export interface StreamReadPlan {
  /** The stored pass (or incremental read) was interrupted and continues from its checkpoint. */
  resuming: boolean;
  /** The state handed to `Source.read`. */
  sourceState: Record<string, unknown> | undefined;
  /** A full-refresh pass that had read everything but crashed before its sweep only needs the sweep. */
  alreadyRead: boolean;
  /** Why an interrupted pass is not resumed but started afresh (for the log), when that is the case. */
  restartReason?: string;
  /** Incremental: the source state of the last proven-complete read, to fall back to if this one fails. */
  lastComplete?: Record<string, unknown>;
}

export function planStreamRead(
  stored: StoredStreamState | undefined,
  mode: SyncMode,
  writeMode: WriteMode,
  current?: ResumeKey,
): StreamReadPlan {
  const interrupted =
    !!stored && !stored.complete && stored.mode === mode && (stored.writeMode ?? 'upsert') === writeMode;
  let restartReason: string | undefined;
  if (interrupted && stored.restart) {
    restartReason = `the last pass could not be proven complete (${stored.restart.reason})`;
  } else if (interrupted && current && stored.resume && stored.resume.fingerprint !== current.fingerprint) {
    // States written before the fingerprint existed carry none: they resume as they always did.
    restartReason = describeChange(stored.resume, current);
  }
  const resuming = interrupted && restartReason === undefined;
  const lastComplete =
    mode !== 'incremental' || !stored || stored.mode !== 'incremental'
      ? undefined
      : stored.complete
        ? stored.source
        : stored.lastComplete;
  let sourceState: Record<string, unknown> | undefined;
  if (resuming) sourceState = stored?.source;
  else if (mode === 'incremental') {
    // Incremental reads keep the committed cursor; a read that must restart goes back to the last proven
    // one (a cursor of another cursor field means nothing: then from the start).
    if (restartReason === undefined) sourceState = stored?.source;
    else sourceState = stored?.resume?.cursorField === current?.cursorField ? (lastComplete ?? {}) : {};
  } else {
    // A full refresh starts over unless it is resuming.
    sourceState = stored ? { ...stored.source, in_progress: false } : undefined;
  }
  const alreadyRead = resuming && mode === 'full_refresh' && stored?.source.in_progress === false;
  return {
    resuming,
    sourceState,
    alreadyRead,
    ...(restartReason !== undefined ? { restartReason } : {}),
    ...(lastComplete !== undefined ? { lastComplete } : {}),
  };
}

/**
 * What a resume of `stream` depends on, as stored with its state: the paging configuration's fingerprint
 * (from the source), the page size, the connector version, the primary key, the cursor field and the write
 * mode, hashed into one fingerprint.
 */
export function resumeKey(source: Source, stream: StreamDescriptor, writeMode: WriteMode): ResumeKey {
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        stream.paging?.fingerprint ?? null,
        stream.paging?.pageSize ?? null,
        source.version ?? null,
        stream.primaryKey,
        stream.cursorField ?? null,
        writeMode,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  return {
    fingerprint,
    ...(stream.paging?.pageSize !== undefined ? { pageSize: stream.paging.pageSize } : {}),
    ...(source.version !== undefined ? { connectorVersion: source.version } : {}),
    ...(stream.cursorField !== undefined ? { cursorField: stream.cursorField } : {}),
  };
}

function describeChange(was: ResumeKey, now: ResumeKey): string {
  if (was.pageSize !== now.pageSize)
    return `the page size changed from ${was.pageSize ?? 'unset'} to ${now.pageSize ?? 'unset'} since the interrupted pass`;
  if (was.connectorVersion !== now.connectorVersion)
    return `the connector changed (version ${was.connectorVersion ?? 'unset'} → ${now.connectorVersion ?? 'unset'}) since the interrupted pass`;
  if (was.cursorField !== now.cursorField)
    return `the cursor field changed from ${was.cursorField ?? 'unset'} to ${now.cursorField ?? 'unset'} since the interrupted pass`;
  return "the stream's paging configuration changed since the interrupted pass";
}
