/**
 * One sync of one connection, in this process, by the same path as `tributary sync --connection NAME`:
 * the connection prepared like a config (cli/common.ts prepareConnection: connector, validated config,
 * secrets registered for redaction), its source, its destination and namespace, then `runSync`. The worker
 * adds what only a cluster has: the fencing token the destination checks at every commit, the run's
 * trigger/attempt/worker for `_tributary_runs`, and the AbortSignal of `cancel`.
 */
import { buildSource, openDestination, prepareConnection } from '../cli/common.js';
import type { Connection } from '../connections/connections-file.js';
import type { RunContext } from '../destinations/destination.js';
import { type RunSummary, runSync, selectStreams } from '../engine/index.js';
import type { StreamSummary } from '../engine/summary.js';
import { ConfigError } from '../errors.js';
import type { BudgetRegistry } from '../http/rate-budget.js';
import type { Logger } from '../util/log.js';

export interface ConnectionRunOptions {
  logger: Logger;
  /** The connections file the connection comes from (for messages). */
  file?: string;
  signal?: AbortSignal;
  /** The sync's fencing token (fence.ts): the destination refuses commits once a higher one was seen. */
  fence?: number;
  /** Recorded with the run row. */
  run?: RunContext;
  /** Rows per destination transaction (default: the engine's). */
  batchRows?: number;
  /** Where the credential's rate budget lives (a worker: Redis, shared by every worker). */
  budgets?: BudgetRegistry;
  /** The run's id (a worker makes it first, to file the run's log lines under it). */
  runId?: string;
  /** The engine's progress events (a worker publishes them as live progress). */
  onProgress?: (streams: StreamSummary[]) => void;
  /** Read only these streams (a job's `--streams`); each must be one of the connection's. */
  streams?: string[];
  /** Re-read from the start (a job's `--full-refresh`), whatever the connection's `full_refresh` says. */
  fullRefresh?: boolean;
}

export async function runConnection(connection: Connection, opts: ConnectionRunOptions): Promise<RunSummary> {
  if (!connection.secretsResolved) throw new Error(`connection "${connection.name}": secrets not resolved`);
  const prepared = await prepareConnection(connection, opts.file ?? 'tributary.yaml');
  const streams = jobStreams(connection, opts.streams);
  const source = buildSource(prepared, opts.logger, opts.budgets ? { budgets: opts.budgets } : {});
  try {
    // Unknown streams fail before the destination is opened, so a typo changes nothing.
    selectStreams(source, streams);
    const destination = await openDestination(
      undefined,
      prepared.destination,
      connection.connector,
      undefined,
      {
        streams: source.streams().map((s) => s.name),
        connection: connection.name,
        ...(opts.fence !== undefined ? { fence: opts.fence } : {}),
        ...(opts.run !== undefined ? { run: opts.run } : {}),
      },
    );
    try {
      return await runSync({
        source,
        destination,
        streams,
        fullRefresh: connection.fullRefresh || opts.fullRefresh === true,
        logger: opts.logger,
        signal: opts.signal,
        batchRows: opts.batchRows,
        ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
        ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
      });
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

/**
 * The streams a job reads: the ones it names (each one of the connection's `streams`, when the connection
 * lists them: a job cannot widen a connection), else the connection's.
 */
export function jobStreams(connection: Connection, requested: string[] | undefined): string[] | undefined {
  if (requested === undefined) return connection.streams;
  const allowed = connection.streams;
  const outside = allowed ? requested.filter((s) => !allowed.includes(s)) : [];
  if (outside.length > 0) {
    throw new ConfigError(
      `connection "${connection.name}" does not sync ${outside.map((s) => `"${s}"`).join(', ')} (its streams: ${allowed!.join(', ')})`,
      { code: 'TRB_UNKNOWN_STREAM', details: { unknown: outside } },
    );
  }
  return requested;
}
