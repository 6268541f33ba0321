/**
 * `tributary load --from-airbyte`: land the output of any Airbyte source (on stdin) in a destination,
 * exactly once, and echo each committed STATE on stdout as an Airbyte destination does. Logs go to stderr.
 * Exit codes: 0 loaded, 1 the input broke or a write failed (what a STATE covers is committed, nothing
 * after it), 2 bad options or catalog.
 */
import type { Command } from 'commander';
import { loadConfiguredCatalog } from '../airbyte/catalog.js';
import { committedAirbyteState } from '../airbyte/committed-state.js';
import { readLines } from '../airbyte/line-reader.js';
import { loadAirbyte } from '../airbyte/loader.js';
import { MessageWriter } from '../airbyte/message-writer.js';
import type { LoadMode } from '../airbyte/stream-load.js';
import { ConfigError } from '../errors.js';
import { makeLogger, openDestination, parseIntOption } from './common.js';

interface LoadCliOptions {
  fromAirbyte?: boolean;
  destination?: string;
  namespace?: string;
  catalog?: string;
  destinationSyncMode?: string;
  batchRows?: number;
  maxBufferMb?: number;
  commitAtEof?: boolean;
  committedState?: boolean;
  logLevel?: string;
}

const MODES: LoadMode[] = ['append', 'overwrite', 'append_dedup'];
export const DEFAULT_LOAD_NAMESPACE = 'airbyte';

export function registerLoad(program: Command): void {
  program
    .command('load')
    .description('load Airbyte protocol messages from stdin into a destination, exactly once')
    .option('--from-airbyte', 'stdin carries Airbyte protocol v0 messages (the one input format today)')
    .option(
      '-d, --destination <url>',
      'duckdb:PATH or postgres://user@host:port/db (default duckdb:./tributary.duckdb)',
    )
    .option(
      '--namespace <schema>',
      `destination schema (default: the catalog's namespace, else ${DEFAULT_LOAD_NAMESPACE})`,
    )
    .option(
      '--catalog <file>',
      'ConfiguredAirbyteCatalog JSON: stream schemas, primary keys, destination_sync_mode',
    )
    .option(
      '--destination-sync-mode <mode>',
      `for streams no catalog configures: ${MODES.join(', ')} (default append_dedup)`,
    )
    .option(
      '--batch-rows <n>',
      'rows per destination transaction (default: 10000)',
      parseIntOption('--batch-rows', 1, 1_000_000),
    )
    .option(
      '--max-buffer-mb <n>',
      'records held in memory while no STATE covers them (default 256)',
      parseIntOption('--max-buffer-mb', 1, 65_536),
    )
    .option(
      '--commit-at-eof',
      'treat the end of stdin as the end of every stream (sources that never checkpoint)',
    )
    .option('--committed-state', 'print the committed state as an Airbyte state file and exit (no stdin)')
    .option(
      '--log-level <level>',
      'log level on stderr: debug, info, warn, error, silent (default: info; env TRIBUTARY_LOG_LEVEL)',
    )
    .action(async (o: LoadCliOptions) => {
      process.exitCode = await loadCommand(o);
    });
}

export async function loadCommand(o: LoadCliOptions): Promise<number> {
  if (!o.fromAirbyte) {
    throw new ConfigError(
      'load: say where the input comes from: --from-airbyte (the one input format today)',
      {
        code: 'TRB_USAGE',
      },
    );
  }
  if (o.committedState) {
    // --committed-state only reads the stored state: options about loading input would be ignored.
    const ignored = [
      o.batchRows !== undefined && '--batch-rows',
      o.maxBufferMb !== undefined && '--max-buffer-mb',
      o.commitAtEof && '--commit-at-eof',
      o.destinationSyncMode !== undefined && '--destination-sync-mode',
    ].filter(Boolean);
    if (ignored.length > 0) {
      throw new ConfigError(
        `load --committed-state reads no input, so ${ignored.join(', ')} would have no effect: drop ${ignored.length > 1 ? 'them' : 'it'}`,
        { code: 'TRB_USAGE' },
      );
    }
  }
  const mode = (o.destinationSyncMode ?? 'append_dedup') as LoadMode;
  if (!MODES.includes(mode)) {
    throw new ConfigError(
      `load: --destination-sync-mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(o.destinationSyncMode)}`,
      { code: 'TRB_USAGE' },
    );
  }
  const catalog = o.catalog ? loadConfiguredCatalog(o.catalog) : undefined;
  const logger = makeLogger({ logLevel: o.logLevel });
  const namespaces = [...new Set(catalog?.streams.map((s) => s.stream.namespace).filter(Boolean) ?? [])];
  const namespace = o.namespace ?? (namespaces.length === 1 ? namespaces[0] : DEFAULT_LOAD_NAMESPACE);
  if (!o.committedState && process.stdin.isTTY) {
    throw new ConfigError('load --from-airbyte reads Airbyte messages from stdin: pipe a source into it', {
      code: 'TRB_USAGE',
    });
  }
  const destination = await openDestination(o.destination, undefined, 'airbyte', namespace);
  try {
    if (o.committedState) {
      process.stdout.write(`${JSON.stringify(committedAirbyteState(await destination.readStates()))}\n`);
      return 0;
    }
    const writer = new MessageWriter(process.stdout);
    const summary = await loadAirbyte(readLines(process.stdin), {
      destination,
      catalog,
      defaultMode: mode,
      batchRows: o.batchRows,
      maxBufferBytes: o.maxBufferMb === undefined ? undefined : o.maxBufferMb * 1024 * 1024,
      commitAtEof: o.commitAtEof,
      logger,
      onStateCommitted: async (message) => {
        writer.write(message);
        await writer.drain();
      },
    });
    logger.info(
      { runId: summary.runId, streams: summary.streams, skipped: summary.skipped },
      'airbyte load finished',
    );
    return 0;
  } finally {
    await destination.close();
  }
}
