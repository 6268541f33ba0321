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
}

export async function runConnection(connection: Connection, opts: ConnectionRunOptions): Promise<RunSummary> {
  if (!connection.secretsResolved) throw new Error(`connection "${connection.name}": secrets not resolved`);
  const prepared = await prepareConnection(connection, opts.file ?? 'tributary.yaml');
  const source = buildSource(prepared, opts.logger, opts.budgets ? { budgets: opts.budgets } : {});
  try {
    // Unknown streams fail before the destination is opened, so a typo changes nothing.
    selectStreams(source, connection.streams);
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
        streams: connection.streams,
        fullRefresh: connection.fullRefresh,
        logger: opts.logger,
        signal: opts.signal,
        batchRows: opts.batchRows,
      });
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}
