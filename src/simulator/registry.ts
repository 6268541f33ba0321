/**
 * Simulators by connector name, for the CLI (`tributary simulate <connector>`), the demo and benchmarks.
 * Imports are lazy so starting one simulator does not load the other's generators.
 */
import type { SimulatorHandle, SimulatorOptions } from './types.js';

export const simulators: Record<string, (o: SimulatorOptions) => Promise<SimulatorHandle>> = {
  humaans: async (o) => (await import('../connectors/humaans/simulator/index.js')).startHumaansSimulator(o),
  hellobaton: async (o) =>
    (await import('../connectors/hellobaton/simulator/index.js')).startHellobatonSimulator(o),
};
