/** The simulator kit: what connector simulators are built from, and the handle tests drive them with. */
export { startHellobatonSimulator } from '../connectors/hellobaton/simulator/index.js';
export { startHumaansSimulator } from '../connectors/humaans/simulator/index.js';
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
export { simulators } from './registry.js';
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
  SimulatorFactory,
  SimulatorHandle,
  SimulatorOptions,
} from './types.js';
