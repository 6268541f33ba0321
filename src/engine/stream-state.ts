/**
 * The state tributary stores per stream (in the destination, next to the data). It wraps the source's own
 * resume token with what the engine needs: the sync mode and the full-refresh pass being built.
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
  /** True once the pass (or incremental read) reached the end of the stream. */
  complete: boolean;
  /** Write mode of the pass in progress. */
  writeMode?: 'upsert' | 'replace';
}

export function parseStoredState(raw: StreamState | undefined): StoredStreamState | undefined {
  if (raw?.version !== 1 || typeof raw.source !== 'object' || raw.source === null) return undefined;
  return raw as unknown as StoredStreamState;
}

export function toStreamState(s: StoredStreamState): StreamState {
  return s as unknown as StreamState;
}
