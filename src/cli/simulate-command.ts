/** `tributary simulate <connector>`: run a connector's bundled API simulator on loopback until interrupted. */
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { parseIntOption } from './common.js';

interface SimulateOptions {
  port?: number;
  host?: string;
  seed?: number;
  records?: number;
  token?: string;
  apiKey?: string;
  latency?: number;
  rateLimit?: number;
  faultRate?: string;
  contract?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description("run a connector's API simulator (a real HTTP server) on 127.0.0.1")
    .argument('<connector>', 'connector name (see `tributary connectors`)')
    .option('--port <n>', 'port (0 = any free port)', parseIntOption('--port', 0, 65535), 0)
    .option('--host <host>', 'bind address', '127.0.0.1')
    .option('--seed <n>', 'data seed', parseIntOption('--seed', 0, 2 ** 31), 42)
    .option(
      '--records <n>',
      "dataset size: the main stream's records; other streams scale with it (default: 1000)",
      parseIntOption('--records', 0, 50_000_000),
    )
    .option(
      '--token <token>',
      'the credential the simulator accepts, bearer token or API key (default: sim-token for humaans, sim-key for hellobaton)',
    )
    .option('--api-key <key>', 'alias of --token, for API-key connectors such as hellobaton')
    .option('--latency <ms>', 'delay every response (default: 0)', parseIntOption('--latency', 0, 600_000))
    .option(
      '--rate-limit <n>',
      'requests per minute per credential before 429, 0 = off (default: 0)',
      parseIntOption('--rate-limit', 0, 10_000_000),
    )
    .option('--fault-rate <r>', 'share of list requests that fail, 0–1 (default: 0)')
    .option(
      '--contract <modes>',
      'comma-separated contract deviations, e.g. cap-page-size,count-low (see docs/reliability.md)',
    )
    .action(async (connector: string, o: SimulateOptions) => {
      const { serveSimulator } = await import('../simulator/serve.js');
      const { parseContractModes } = await import('../simulator/contract.js');
      let contract: ReturnType<typeof parseContractModes> | undefined;
      try {
        contract = o.contract === undefined ? undefined : parseContractModes(o.contract);
      } catch (err) {
        throw new ConfigError(`--contract: ${(err as Error).message}`, { code: 'TRB_USAGE' });
      }
      const faultRate = o.faultRate === undefined ? undefined : Number(o.faultRate);
      if (faultRate !== undefined && !(faultRate >= 0 && faultRate <= 1)) {
        throw new ConfigError(`--fault-rate must be between 0 and 1, got ${o.faultRate}`, {
          code: 'TRB_USAGE',
        });
      }
      const handle = await serveSimulator(connector, {
        port: o.port,
        host: o.host,
        seed: o.seed,
        records: o.records,
        token: o.token ?? o.apiKey,
        latencyMs: o.latency,
        rateLimitPerMinute: o.rateLimit,
        faults: faultRate ? { rate: faultRate } : undefined,
        contract,
      });
      const stop = async () => {
        await handle.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
