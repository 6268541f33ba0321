/**
 * Assembles the SimulatorHandle: the server supplies the common controls (log, faults, close), the vendor
 * its data (mutations, records, stream names).
 */
import type { SimulatorServer } from './server.js';
import type { ContractPlan } from './contract.js';
import type { MutationRequest, MutationResult, SimulatorHandle } from './types.js';

export interface VendorParts {
  baseUrl: string;
  contract: ContractPlan;
  mutate(m: MutationRequest): MutationResult;
  records(stream: string): Record<string, unknown>[];
  streams(): string[];
}

export function makeHandle(server: SimulatorServer, vendor: VendorParts): SimulatorHandle {
  return {
    baseUrl: vendor.baseUrl,
    port: server.port,
    close: () => server.close(),
    requests: () => server.log.entries(),
    requestCount: (stream) => server.log.listCount(stream),
    resetStats: () => server.log.reset(),
    setFaults: (f) => server.faults.set(f),
    failNext: (n, kind) => server.faults.failNext(n, kind),
    setContract: (c) => vendor.contract.set(c),
    contract: () => vendor.contract.modes(),
    onListRequest: (hook) => server.setListHook(hook),
    mutate: (m) => vendor.mutate(m),
    records: (stream) => vendor.records(stream),
    streams: () => vendor.streams(),
  };
}
