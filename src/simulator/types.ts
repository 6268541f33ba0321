/**
 * The public contract of every simulator: how it is started, and the handle tests, the demo and the
 * benchmarks drive it through.
 */

import type { ContractMode, ContractOptions } from './contract.js';

export type { ContractBehaviour, ContractData, ContractMode, ContractOptions } from './contract.js';

/** One way a list request can go wrong on purpose. */
export type FaultKind =
  | '500'
  | '502'
  | '503'
  | '429'
  | '429-no-retry-after'
  | 'reset'
  | 'hang'
  | 'truncated'
  | 'malformed'
  | 'slow'
  | 'html';

export interface FaultOptions {
  /** Probability (0..1) that a list request gets a fault. */
  rate?: number;
  /** Kinds drawn from when `rate` fires. Default: every kind that answers quickly (all but hang and slow). */
  kinds?: FaultKind[];
  /** Retry-After sent with a '429' fault. Default 1. */
  retryAfterSeconds?: number;
  /** How long a 'hang' keeps the socket open before dropping it. Default 60000. */
  hangMs?: number;
  /** Drip speed of a 'slow' body. Default 4096. */
  slowBytesPerSecond?: number;
  /** Seed of the fault draw; defaults to the simulator's seed. */
  seed?: number;
}

export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: a simulator is never meant to be reachable from another machine. */
  host?: string;
  /** Default 42. Same seed, same options: byte-identical data. */
  seed?: number;
  /** Dataset size knob; each simulator documents how it spreads it over streams. */
  records?: number;
  /** The credential the simulator accepts (a bearer token or an api key). */
  token?: string;
  /** Delay added to every response. */
  latencyMs?: number;
  faults?: FaultOptions;
  /** Enforced per credential: 429 + Retry-After past it. 0 or undefined = off (Hellobaton defaults to 1000). */
  rateLimitPerMinute?: number;
  /** Contract deviations (see contract.ts): mode names, or modes with a seed. Default: none, well behaved. */
  contract?: ContractOptions | ContractMode[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  /** Query parameters after decoding; a repeated parameter keeps its last value. */
  query: Record<string, string>;
  /** 0 when no response was sent (reset, hang, or the connection closed first). */
  status: number;
  stream?: string;
  /** Arrival time, ms since the epoch. */
  at: number;
}

/** What a mutation asks for. Counts are clamped to what exists. */
export interface MutationRequest {
  creates?: number;
  updates?: number;
  deletes?: number;
  /** Default: the simulator's main stream (humaans: documents, hellobaton: tasks). */
  stream?: string;
  /** Picks which records change; defaults to a sequence derived from the simulator seed. */
  seed?: number;
}

/** The primary keys touched by a mutation, in the order they were touched. */
export interface MutationResult {
  created: string[] | number[];
  updated: string[] | number[];
  deleted: string[] | number[];
}

export interface SimulatorHandle {
  /** humaans: 'http://127.0.0.1:PORT/api'; hellobaton: 'http://127.0.0.1:PORT/api/'. */
  baseUrl: string;
  port: number;
  /** Stops listening and destroys every open socket, hanging ones included. */
  close(): Promise<void>;
  /** The most recent requests (at most 100k), oldest first. */
  requests(): RequestLogEntry[];
  /**
   * List requests since the last reset, optionally for one stream; never trimmed. Refused ones (401,
   * 429, faults) count; redirects do not, as they never reach the list endpoint.
   */
  requestCount(stream?: string): number;
  resetStats(): void;
  setFaults(f: FaultOptions | undefined): void;
  /** The next n list requests get this fault, before any drawn by rate. */
  failNext(n: number, kind: FaultKind): void;
  /**
   * Replace the contract's behaviour modes (undefined or [] = well behaved again) and restart the request
   * counters they key on. Data modes are fixed at start: they stay, and naming another is an error.
   */
  setContract(c: ContractOptions | ContractMode[] | undefined): void;
  /** The contract modes in force. */
  contract(): ContractMode[];
  /**
   * Run `hook` before each list request is answered (after rate limit and fault draw), e.g. to mutate
   * the data between page requests. `n` counts the stream's list requests since the hook was set.
   * undefined removes it.
   */
  onListRequest(hook: ((stream: string, n: number) => void) | undefined): void;
  mutate(m: MutationRequest): MutationResult;
  /** The live dataset of a stream in API shape and default order. Materialises: meant for small datasets. */
  records(stream: string): Record<string, unknown>[];
  streams(): string[];
}

export type SimulatorFactory = (opts?: SimulatorOptions) => Promise<SimulatorHandle>;

/** How `tributary demo` syncs a connector against its simulator (the simulator module's `demo` export). */
export interface SimulatorDemo {
  /** The credential the demo starts the simulator with and puts in the config. */
  token: string;
  /** The connector config that points the connector at the simulator listening at `baseUrl`. */
  config(baseUrl: string): Record<string, unknown>;
  /** The stream the demo changes before a second run. Default: the first of `streams()`. */
  mutateStream?: string;
  /**
   * How an incremental read follows changes (e.g. 'updatedAt, 5-minute lookback'), when it does; without
   * it the demo says the connector re-reads everything.
   */
  incremental?: string;
}
