/**
 * The simulator kit: what connector simulators are built from (the HTTP server, data, faults, contract
 * deviations, and API-style dialects), how they are found, and the handle tests drive them with. The kit
 * imports no connector: each connector folder exports its own simulator (see registry.ts).
 */
export { ALL_FAULT_KINDS, FaultPlan, QUICK_FAULT_KINDS, faultStatus, performFault } from './faults.js';
export {
  ALL_CONTRACT_MODES,
  BIG_ID_BASE,
  CONTRACT_BEHAVIOURS,
  CONTRACT_DATA,
  ContractPlan,
  parseContractModes,
  parseExact,
} from './contract.js';
export {
  DrfCollection,
  type DrfAuth,
  type DrfDialectOptions,
  type DrfResourceDef,
  type DrfStamps,
  djangoRestDialect,
  drfError,
  ORIGIN,
  throttled,
} from './dialects/django-rest.js';
export {
  FeathersCollection,
  type FeathersDialectOptions,
  type FeathersPaginate,
  type FeathersResourceDef,
  feathersDialect,
  feathersError,
  feathersJson,
} from './dialects/feathers.js';
export { makeHandle, type VendorParts } from './handle.js';
export { jsonPage } from './json-page.js';
export { asciiJson, JsonWriter, jsonNumberText } from './json-writer.js';
export { type BaseRecords, LiveDataset } from './live-dataset.js';
export { MutationClock } from './mutation-clock.js';
export { type AppliedMutation, applyMutation, type MutationHooks } from './mutations.js';
export { OpaqueIds } from './opaque-id.js';
export { Prefetcher } from './prefetch.js';
export { hash3, hashInts, hashString, mix32, Rng, recordRng, unmix32 } from './prng.js';
export { type ParsedQuery, parseIntParam, parseQuery, splitBracketKey } from './query.js';
export { type RateDecision, SlidingWindowLimiter } from './rate-limiter.js';
export {
  findSimulators,
  type SimulatorEntry,
  type SimulatorModule,
  simulatorEntries,
  simulators,
} from './registry.js';
export { REQUEST_LOG_CAPACITY, RequestLog } from './request-log.js';
export { serveSimulator } from './serve.js';
export {
  type Dialect,
  type Routed,
  type ServerOptions,
  type SimRequest,
  type SimResponse,
  SimulatorServer,
} from './server.js';
export { type Bound, type SequenceKeys, SlotSequence } from './slot-sequence.js';
export { Timeline, type TimelineShape } from './timeline.js';
export { isoDate, isoMicros, isoMillis } from './timestamps.js';
export type {
  ContractBehaviour,
  ContractData,
  ContractMode,
  ContractOptions,
  FaultKind,
  FaultOptions,
  MutationRequest,
  MutationResult,
  RequestLogEntry,
  SimulatorDemo,
  SimulatorFactory,
  SimulatorHandle,
  SimulatorOptions,
} from './types.js';
