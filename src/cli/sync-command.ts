/** `tributary sync <connector>`: read the selected streams and load them, exactly once, into the destination. */
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { DEFAULT_DESTINATION } from '../destinations/create-destination.js';
import type { LoadedConnector } from '../declarative/declarative-source.js';
import { ConfigError, exitCodeFor } from '../errors.js';
import { DEFAULTS, runSync, selectStreams } from '../engine/sync.js';
import { formatSummary, type RunSummary } from '../engine/summary.js';
import { RedisBudgets } from '../http/redis-rate-budget.js';
import {
  DEFAULT_CONNECTIONS_FILE,
  type Connection,
  findConnection,
  loadConnectionsFile,
  resolveConnection,
} from '../connections/connections-file.js';
import {
  buildSource,
  CONNECTOR_ARG_HELP,
  CONNECTOR_FLAG,
  connectorRef,
  givenBesidesConnection,
  makeLogger,
  openDestination,
  intOption,
  parseList,
  prepareConnection,
  prepareConnector,
} from './common.js';
import { humanLogLine } from './human-log.js';
import { ProgressDisplay } from './progress.js';

export interface SyncCliOptions {
  /** The connector as a flag (`--connector PATH`), instead of the argument. */
  connector?: string;
  /** A connection of the connections file (`--file`), instead of a connector and its flags. */
  connection?: string;
  file?: string;
  config?: string;
  destination?: string;
  namespace?: string;
  streams?: string;
  fullRefresh?: boolean;
  replace?: boolean;
  concurrency?: number;
  pageConcurrency?: number;
  /** Parallel keyset windows per incremental stream (overrides the connector's `max_windows`). */
  windows?: number;
  batchRows?: number;
  /** Cap of one batch's page bytes, in MB. */
  batchMb?: number;
  json?: boolean;
  logLevel?: string;
  progress?: boolean;
  /** Share each credential's rate budget through this Redis with every other process using it. */
  redis?: string;
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync a connector into a destination (DuckDB by default), exactly once')
    .argument('[connector]', `${CONNECTOR_ARG_HELP}; omit with --connection`)
    .option(...CONNECTOR_FLAG)
    .option(
      '--connection <name>',
      'sync this connection of the connections file (see `tributary connections`)',
    )
    .option('--file <path>', `the connections file, with --connection (default ${DEFAULT_CONNECTIONS_FILE})`)
    .option('-c, --config <file>', 'connector config (JSON or YAML, with $' + '{ENV} interpolation)')
    .option(
      '-d, --destination <url>',
      `duckdb:PATH or postgres://user@host:port/db (default: the config's destination, else ${DEFAULT_DESTINATION})`,
    )
    .option('--namespace <schema>', 'destination schema for this connection (default: the connector name)')
    .option('--streams <list>', 'comma-separated streams to sync (default: all)')
    .option('--full-refresh', 'ignore cursors, re-read everything and soft-delete rows not seen', false)
    .option(
      '--replace',
      'with --full-refresh: build each table aside and swap it in atomically instead of soft deletes',
      false,
    )
    .addOption(intOption('--concurrency <n>', 'streams synced at once', 1, 64, DEFAULTS.streamConcurrency))
    .addOption(
      intOption(
        '--page-concurrency <n>',
        "pages fetched at once per stream where the API allows it (default: the connector's setting)",
        1,
        64,
      ),
    )
    .addOption(
      intOption(
        '--windows <n>',
        "parallel updatedAt windows per stream for large keyset reads, under the one rate budget; 1 = sequential (default: the connector's max_windows)",
        1,
        32,
      ),
    )
    .addOption(
      intOption('--batch-rows <n>', 'rows per destination transaction', 1, 1_000_000, DEFAULTS.batchRows),
    )
    .addOption(
      intOption(
        '--batch-mb <n>',
        'response megabytes per destination transaction (whichever of rows and megabytes comes first)',
        1,
        1024,
        DEFAULTS.batchBytes / 2 ** 20,
      ),
    )
    .option(
      '--redis <url>',
      'share the rate budget of each API key with every process using the same Redis (env TRIBUTARY_REDIS_URL)',
    )
    .option('--json', 'print the run summary as JSON on stdout (no live display)', false)
    .option('--no-progress', 'no live progress display even on a terminal')
    .option(
      '--log-level <level>',
      'log level: debug, info, warn, error, silent (default: warn on a terminal, info otherwise; env TRIBUTARY_LOG_LEVEL)',
    )
    .action(async (connector: string | undefined, o: SyncCliOptions) => {
      // The environment is read here, for the command only: `demo` (which reuses syncCommand) stays in-process.
      const run = await syncCommand(connector, { ...o, redis: o.redis ?? process.env.TRIBUTARY_REDIS_URL });
      // A failed run exits with its error's code from the one table (src/errors.ts), like a thrown error.
      process.exitCode = run.status === 'succeeded' ? 0 : exitCodeFor(run.error?.code);
    });
}

/** Refuse a flag that would have no effect in the mode given, instead of silently ignoring it. */
export function checkSyncFlags(o: SyncCliOptions): void {
  if (o.replace && !o.fullRefresh) {
    throw new ConfigError(
      '--replace only applies to a full refresh: add --full-refresh, or drop --replace for an incremental sync',
      { code: 'TRB_USAGE' },
    );
  }
}

/** `--page-concurrency` only changes streams whose pages are numbered (fetched in parallel); refuse it otherwise. */
function checkPageConcurrency(connector: LoadedConnector, name: string, streams: string[]): void {
  const { manifest } = connector;
  const types = streams.map(
    (s) => (manifest.streams.find((d) => d.name === s)?.paginator ?? manifest.paginator)?.type,
  );
  if (!types.includes('page_number')) {
    throw new ConfigError(
      `--page-concurrency has no effect on ${name}: ${streams.length === 1 ? 'its stream pages' : 'the streams synced page'} ` +
        `by ${[...new Set(types.map((t) => t ?? 'none'))].join(', ')}, one page after another. Drop --page-concurrency.`,
      { code: 'TRB_USAGE' },
    );
  }
}

/** `--windows` only changes streams paged by offset (keyset windows, or offset pages planned from a total); refuse it otherwise. */
function checkWindows(connector: LoadedConnector, name: string, streams: string[]): void {
  const { manifest } = connector;
  const windowed = streams.some((s) => {
    const def = manifest.streams.find((d) => d.name === s);
    const inc = def?.incremental === null ? undefined : (def?.incremental ?? manifest.incremental);
    const p = def?.paginator ?? manifest.paginator;
    // Keyset windows need the cursor's upper filter; parallel offset pages need the API's total.
    return p?.type === 'offset' && (inc?.upper_filter_param !== undefined || p.total_path !== undefined);
  });
  if (!windowed) {
    throw new ConfigError(
      `--windows has no effect on ${name}: none of the streams synced is paged by offset with a cursor's upper filter (upper_filter_param) or a total (total_path), so none can be read in parallel windows. Drop --windows.`,
      { code: 'TRB_USAGE' },
    );
  }
}

/**
 * The connection `--connection` names, loaded with its secrets from this process's environment; undefined
 * without `--connection`. What the connection defines cannot also be given on the command line.
 */
function connectionOf(
  connectorName: string | undefined,
  o: SyncCliOptions,
): { connection: Connection; file: string } | undefined {
  if (o.connection === undefined) {
    if (o.file !== undefined) {
      throw new ConfigError('--file only applies with --connection NAME', { code: 'TRB_USAGE' });
    }
    if (connectorName === undefined) {
      throw new ConfigError(
        'sync needs a connector (tributary sync CONNECTOR --config FILE) or a connection (tributary sync --connection NAME)',
        { code: 'TRB_USAGE' },
      );
    }
    return undefined;
  }
  const given = givenBesidesConnection(connectorName, {
    '--config': o.config,
    '--destination': o.destination,
    '--namespace': o.namespace,
    '--streams': o.streams,
  });
  if (given.length > 0) {
    throw new ConfigError(
      `--connection ${o.connection} takes its connector, config, destination, namespace and streams from the connections file; drop ${given.join(', ')}`,
      { code: 'TRB_USAGE' },
    );
  }
  const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
  // Only this connection's secrets are needed: the others may be meant for other machines.
  const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
  return { connection: resolveConnection(findConnection(file, o.connection), process.env, path), file: path };
}

/** Run a sync from CLI options; prints progress and the summary. Used by `sync` and `demo`. */
export async function syncCommand(
  connectorArg: string | undefined,
  options: SyncCliOptions,
  out: NodeJS.WritableStream = process.stdout,
): Promise<RunSummary> {
  const ref = connectorRef(connectorArg, options.connector);
  const selected = connectionOf(ref, options);
  const conn = selected?.connection;
  // A connection's full_refresh: true is kept; --full-refresh makes one run of any connection a full refresh.
  const o: SyncCliOptions = conn
    ? { ...options, fullRefresh: options.fullRefresh || conn.fullRefresh, streams: conn.streams?.join(',') }
    : options;
  checkSyncFlags(o);
  const tty = process.stderr.isTTY && o.progress !== false && !o.json;
  // On a TTY the progress display replaces info logs, and the logs that remain are printed for a person,
  // above the display; otherwise JSON log lines go to stderr.
  const display = tty ? new ProgressDisplay(process.stderr) : undefined;
  const logger = makeLogger({
    logLevel: o.logLevel ?? (tty ? 'warn' : undefined),
    destination: display
      ? new Writable({
          write(chunk, _encoding, done) {
            display.log(humanLogLine(String(chunk)));
            done();
          },
        })
      : undefined,
  });
  const budgets = o.redis ? new RedisBudgets({ url: o.redis }) : undefined;
  try {
    // Before anything is read or opened: a Redis that does not answer fails the run with its URL named.
    await budgets?.connect();
    const prepared = selected
      ? await prepareConnection(selected.connection, selected.file)
      : await prepareConnector(ref as string, o.config);
    // A connector folder is known by its manifest's name (the namespace's default), not by its path.
    const connectorName = prepared.connector.manifest.name;
    const source = buildSource(prepared, logger, {
      pageConcurrency: o.pageConcurrency,
      ...(o.windows === undefined ? {} : { maxWindows: o.windows }),
      budgets,
    });
    try {
      // Validate stream names before the destination is opened, so a typo changes nothing.
      const selected = selectStreams(source, parseList(o.streams)).map((s) => s.name);
      if (o.pageConcurrency !== undefined) checkPageConcurrency(prepared.connector, connectorName, selected);
      if (o.windows !== undefined) checkWindows(prepared.connector, connectorName, selected);
      const destination = await openDestination(
        o.destination,
        prepared.destination,
        connectorName,
        o.namespace,
        { streams: source.streams().map((s) => s.name), connection: conn?.name },
      );
      try {
        const run = await runSync({
          source,
          destination,
          streams: parseList(o.streams),
          fullRefresh: o.fullRefresh,
          writeMode: o.replace ? 'replace' : 'upsert',
          streamConcurrency: o.concurrency,
          batchRows: o.batchRows,
          batchBytes: o.batchMb === undefined ? undefined : o.batchMb * 2 ** 20,
          logger,
          onProgress: display ? (s) => display.update(s) : undefined,
        });
        // Once, before the summary: nothing redraws over the summary and the verdict.
        display?.stop();
        out.write(o.json ? `${JSON.stringify(run)}\n` : `\n${formatSummary(run)}\n`);
        return run;
      } finally {
        await destination.close();
      }
    } finally {
      await source.close();
    }
  } finally {
    display?.stop();
    await budgets?.close();
  }
}
