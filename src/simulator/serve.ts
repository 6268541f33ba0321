/**
 * Entry point for `tributary simulate`: start a simulator by name and announce where it listens. The
 * process stays up for as long as the server does.
 */
import { ConfigError } from '../errors.js';
import { simulators } from './registry.js';
import type { SimulatorHandle, SimulatorOptions } from './types.js';

/** Start the named simulator and print `simulator <name> listening on <baseUrl>` on stdout. */
export async function serveSimulator(name: string, opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const start = simulators[name];
  if (!start) {
    throw new ConfigError(
      `unknown simulator '${name}': choose one of ${Object.keys(simulators).sort().join(', ')}`,
      { code: 'TRB_UNKNOWN_CONNECTOR', details: { connector: name } },
    );
  }
  const handle = await start(opts);
  process.stdout.write(`simulator ${name} listening on ${handle.baseUrl}\n`);
  return handle;
}
