/** tributary's public library API: build a source from a bundled connector and sync it into a destination. */
export * from './errors.js';
export type {
  Destination,
  DestinationOptions,
  TableSpec,
  Column,
  ColumnType,
  Row,
  WriteBatch,
  SchemaChange,
} from './destinations/destination.js';
export {
  createDestination,
  DEFAULT_DESTINATION,
  type DestinationSpec,
} from './destinations/create-destination.js';
export type {
  Source,
  Page,
  StreamDescriptor,
  ReadOptions,
  SyncMode,
  StreamMetrics,
} from './engine/source.js';
export { runSync, selectStreams, type SyncOptions } from './engine/sync.js';
export { formatSummary, type RunSummary, type StreamSummary } from './engine/summary.js';
export {
  DeclarativeSource,
  resolveConnectorConfig,
  type LoadedConnector,
} from './declarative/declarative-source.js';
export { registerComponent } from './declarative/registry.js';
export { manifestJsonSchema } from './declarative/manifest-schema.js';
export {
  isConnectorPath,
  listConnectors,
  loadConnector,
  parseManifest,
  resolveConnectorDir,
} from './connectors/registry.js';
export type { Manifest, StreamDef } from './declarative/manifest-schema.js';
export { HttpClient } from './http/http-client.js';
export {
  type BudgetRegistry,
  InProcessBudgets,
  TokenBucketBudget,
  UnlimitedBudget,
  type AcquireOptions,
  type RateBudget,
} from './http/rate-budget.js';
export { RedisBudgets, RedisRateBudget, type RedisBudgetsOptions } from './http/redis-rate-budget.js';
export { loadConfigFile } from './config/load-config.js';
