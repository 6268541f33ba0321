/**
 * Assembles the SimulatorHandle: the server supplies the common controls (log, faults, close), the vendor
 * its data (mutations, records, stream names).
 */
import type { SimulatorServer } from './server.js';
import type { MutationRequest, MutationResult, SimulatorHandle } from './types.js';

export interface VendorParts {
  baseUrl: string;
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
    mutate: (m) => vendor.mutate(m),
    records: (stream) => vendor.records(stream),
    streams: () => vendor.streams(),
  };
}
