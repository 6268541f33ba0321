/** `tributary state show|reset <connector>`: inspect or clear the per-stream state stored in the destination. */
import type { Command } from 'commander';
import { openDestination, parseList } from './common.js';

interface StateOptions {
  destination?: string;
  namespace?: string;
  streams?: string;
}

export function registerState(program: Command): void {
  const state = program
    .command('state')
    .description('show or reset the per-stream state kept in the destination');
  state
    .command('show')
    .argument('<connector>')
    .option('-d, --destination <url>', 'duckdb:PATH or postgres://… (default duckdb:./tributary.duckdb)')
    .option('--namespace <schema>', 'destination schema (default: the connector name)')
    .action(async (connector: string, o: StateOptions) => {
      const dest = await openDestination(o.destination, undefined, connector, o.namespace);
      try {
        process.stdout.write(`${JSON.stringify(await dest.readStates(), null, 2)}\n`);
      } finally {
        await dest.close();
      }
    });
  state
    .command('reset')
    .argument('<connector>')
    .option('-d, --destination <url>', 'duckdb:PATH or postgres://…')
    .option('--namespace <schema>', 'destination schema (default: the connector name)')
    .option('--streams <list>', 'only these streams (default: all)')
    .action(async (connector: string, o: StateOptions) => {
      const dest = await openDestination(o.destination, undefined, connector, o.namespace);
      try {
        const streams = parseList(o.streams);
        await dest.resetState(streams);
        process.stdout.write(
          `state reset for ${streams ? streams.join(', ') : 'every stream'} of ${connector}; the next sync reads from the start\n`,
        );
      } finally {
        await dest.close();
      }
    });
}
