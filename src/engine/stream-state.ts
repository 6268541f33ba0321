/**
 * The state tributary stores per stream (in the destination, next to the data). It wraps the source's own
 * resume token with what the engine needs: the sync mode, the full-refresh pass being built, and what a
 * resume depends on (the paging configuration's fingerprint), so a resume under a different configuration
 * restarts cleanly instead of skipping records.
 */
import type { StreamState } from '../destinations/destination.js';
import type { SyncMode } from './source.js';

export interface StoredStreamState {
  version: 1;
  mode: SyncMode;
  /** The source's checkpoint (cursor, page, skip…). Never holds a secret. */
  source: Record<string, unknown>;
  /** Full refresh: the id every row of the current pass is stamped with. */
  pass?: string;
  /** True once the pass (or incremental read) reached the end of the stream, proven complete. */
  complete: boolean;
  /** Write mode of the pass in progress. */
  writeMode?: 'upsert' | 'replace';
  /**
   * What the checkpoint in `source` was taken under (absent in states written before it existed; those
   * resume as before). A resume under a different fingerprint restarts the pass.
   */
  resume?: ResumeKey;
  /**
   * Incremental: the source state of the last read that was proven complete, carried through an
   * unfinished read so that a read which fails its proof can fall back to it (never to a cursor moved past
   * records that were not read).
   */
  lastComplete?: Record<string, unknown>;
  /**
   * Set when the last pass failed its proof (TRB_SOURCE_CONTRACT): the next run starts a fresh pass (new
   * pass id; incremental reads go back to `lastComplete`) instead of resuming this one.
   */
  restart?: { reason: string };
  /**
   * Full refresh that has read its last page: the API's count of the pass, still to be proven against the
   * rows stamped with it (kept so a crash between the last page and the proof does not skip the proof).
   */
  expectedCount?: number;
}

/** What a resume depends on. */
export interface ResumeKey {
  /** Hash of the stream's paging configuration, the connector version and the write mode. */
  fingerprint: string;
  /** The page size the pass was read with, when the source pages by size. */
  pageSize?: number;
  /** The connector version (a hash of its manifest for declarative connectors). */
  connectorVersion?: string;
  /** The incremental cursor field the checkpoint's cursor belongs to. */
  cursorField?: string;
}

export function parseStoredState(raw: StreamState | undefined): StoredStreamState | undefined {
  if (raw?.version !== 1 || typeof raw.source !== 'object' || raw.source === null) return undefined;
  return raw as unknown as StoredStreamState;
}

export function toStreamState(s: StoredStreamState): StreamState {
  return s as unknown as StreamState;
}
