#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=4
/**
 * The `tributary` command line. Exit codes come from one table, EXIT_CODES in src/errors.ts: 0 success, 1 the sync
 * failed (worth retrying), 2 bad config or usage, 3 the destination is locked or busy (try later).
 */
import { Command, CommanderError } from 'commander';
import { EXIT_MEANINGS, exitCodeFor, isTributaryError } from '../errors.js';
import { globalRedactor } from '../util/redact.js';
import { registerAirbyte } from './airbyte-command.js';
import { registerConnections } from './connections-command.js';
import { registerConnectorCommands } from './connector-commands.js';
import { registerDemo } from './demo-command.js';
import { registerDemoCluster } from './demo-cluster-command.js';
import { registerInit } from './init-command.js';
import { registerLoad } from './load-command.js';
import { registerManifestSchema } from './manifest-schema-command.js';
import { registerRead } from './read-command.js';
import { registerSimulate } from './simulate-command.js';
import { registerSql } from './sql-command.js';
import { registerRuns } from './runs-command.js';
import { registerState } from './state-command.js';
import { registerStatus } from './status-command.js';
import { registerSync } from './sync-command.js';
import { registerQueueCommands } from './queue-commands.js';
import { registerServe } from './serve-command.js';
import { registerWorker } from './worker-command.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tributary')
    .description('Declarative REST connectors and an exactly-once sync engine into DuckDB and PostgreSQL')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `\nExit codes (README "Exit codes" lists each error code):\n${Object.entries(EXIT_MEANINGS)
        .map(([code, meaning]) => `  ${code}  ${meaning}`)
        .join('\n')}`,
    );
  registerConnectorCommands(program);
  registerInit(program);
  registerSync(program);
  registerRead(program);
  registerConnections(program);
  registerState(program);
  registerRuns(program);
  registerStatus(program);
  registerSql(program);
  registerSimulate(program);
  registerDemo(program);
  registerDemoCluster(program);
  registerManifestSchema(program);
  registerAirbyte(program);
  registerLoad(program);
  registerWorker(program);
  registerServe(program);
  registerQueueCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; anything else commander rejects is usage (TRB_USAGE).
      return err.exitCode === 0 ? 0 : exitCodeFor('TRB_USAGE');
    }
    if (isTributaryError(err)) {
      process.stderr.write(`error [${err.code}]: ${globalRedactor.redact(err.message)}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`error [TRB_INTERNAL]: ${globalRedactor.redact(e?.stack ?? String(err))}\n`);
    return exitCodeFor('TRB_INTERNAL');
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`fatal: ${globalRedactor.redact(String(err))}\n`);
    process.exitCode = 1;
  },
);
