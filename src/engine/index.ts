/**
 * The engine's public surface: what the entry points (the CLI, the Airbyte adapters, the library API) may use.
 * Everything else under src/engine/ is internal to it.
 */
export { DEFAULTS, runSync, selectStreams, type SyncOptions } from './sync.js';
export {
  BATCH_DEFAULTS,
  type Commit,
  type PassEnd,
  StreamWriter,
  type StreamWriterOptions,
} from './stream-writer.js';
export type { PassProof } from './pass-proof.js';
export { planStreamRead, resumeKey, type StreamReadPlan } from './read-plan.js';
export { ColumnTracker } from './column-tracker.js';
export {
  parseStoredState,
  type ResumeKey,
  type StoredStreamState,
  toStreamState,
} from './stream-state.js';
export type {
  Page,
  ReadOptions,
  Source,
  SourceRecord,
  StreamDescriptor,
  StreamMetrics,
  SyncMode,
} from './source.js';
export {
  durationOf,
  formatSummary,
  addWarnings,
  newStreamSummary,
  type RunSummary,
  type StreamSummary,
  type StreamWarning,
} from './summary.js';
