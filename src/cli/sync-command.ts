/** `tributary sync <connector>`: read the selected streams and load them, exactly once, into the destination. */
import type { Command } from 'commander';
import { exitCodeFor } from '../errors.js';
import { runSync, selectStreams } from '../engine/sync.js';
import { formatSummary, type RunSummary } from '../engine/summary.js';
import {
  buildSource,
  makeLogger,
  openDestination,
  parseIntOption,
  parseList,
  prepareConnector,
} from './common.js';
import { ProgressDisplay } from './progress.js';

export interface SyncCliOptions {
  config?: string;
  destination?: string;
  namespace?: string;
  streams?: string;
  fullRefresh?: boolean;
  replace?: boolean;
  concurrency?: number;
  pageConcurrency?: number;
  batchRows?: number;
  json?: boolean;
  logLevel?: string;
  progress?: boolean;
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync a connector into a destination (DuckDB by default), exactly once')
    .argument('<connector>', 'connector name (see `tributary connectors`)')
    .option('-c, --config <file>', 'connector config (JSON or YAML, with $' + '{ENV} interpolation)')
    .option(
      '-d, --destination <url>',
      'duckdb:PATH or postgres://user@host:port/db (default duckdb:./tributary.duckdb)',
    )
    .option('--namespace <schema>', 'destination schema for this connection (default: the connector name)')
    .option('--streams <list>', 'comma-separated streams to sync (default: all)')
    .option('--full-refresh', 'ignore cursors, re-read everything and soft-delete rows not seen')
    .option(
      '--replace',
      'with --full-refresh: build each table aside and swap it in atomically instead of soft deletes',
    )
    .option('--concurrency <n>', 'streams synced at once', parseIntOption('--concurrency', 1, 64))
    .option(
      '--page-concurrency <n>',
      'pages fetched at once per stream where the API allows it',
      parseIntOption('--page-concurrency', 1, 64),
    )
    .option(
      '--batch-rows <n>',
      'rows per destination transaction',
      parseIntOption('--batch-rows', 1, 1_000_000),
    )
    .option('--json', 'print the run summary as JSON on stdout')
    .option('--no-progress', 'no live progress display even on a terminal')
    .option('--log-level <level>', 'log level: debug, info, warn, error, silent')
    .action(async (connector: string, o: SyncCliOptions) => {
      const run = await syncCommand(connector, o);
      // A failed run exits with its error's code from the one table (src/errors.ts), like a thrown error.
      process.exitCode = run.status === 'succeeded' ? 0 : exitCodeFor(run.error?.code);
    });
}

/** Run a sync from CLI options; prints progress and the summary. Used by `sync` and `demo`. */
export async function syncCommand(
  connectorName: string,
  o: SyncCliOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<RunSummary> {
  const tty = process.stderr.isTTY && o.progress !== false && !o.json;
  // On a TTY the progress display replaces info logs; otherwise JSON log lines go to stderr.
  const logger = makeLogger({ logLevel: o.logLevel ?? (tty ? 'warn' : undefined) });
  const prepared = await prepareConnector(connectorName, o.config);
  const source = buildSource(prepared, logger, { pageConcurrency: o.pageConcurrency });
  try {
    // Validate stream names before the destination is opened, so a typo changes nothing.
    selectStreams(source, parseList(o.streams));
    const destination = await openDestination(
      o.destination,
      prepared.destination,
      connectorName,
      o.namespace,
      { streams: source.streams().map((s) => s.name) },
    );
    const display = tty ? new ProgressDisplay() : undefined;
    try {
      const run = await runSync({
        source,
        destination,
        streams: parseList(o.streams),
        fullRefresh: o.fullRefresh,
        writeMode: o.replace ? 'replace' : 'upsert',
        streamConcurrency: o.concurrency,
        batchRows: o.batchRows,
        logger,
        onProgress: display ? (s) => display.update(s) : undefined,
      });
      display?.stop();
      out.write(o.json ? `${JSON.stringify(run)}\n` : `\n${formatSummary(run)}\n`);
      return run;
    } finally {
      display?.stop();
      await destination.close();
    }
  } finally {
    await source.close();
  }
}
