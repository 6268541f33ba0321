/**
 * One sync of one connection, in this process: the connector, its config (secrets resolved by the caller
 * from this process's environment), the destination and namespace of the connection, then `runSync`, the
 * same engine path as `tributary sync`. The worker adds what only a cluster has: the fencing token the
 * destination checks at every commit, the run's trigger/attempt/worker for `_tributary_runs`, and the
 * AbortSignal of `cancel`.
 */
import type { Connection } from '../connections/connections-file.js';
import { loadConnector } from '../connectors/registry.js';
import { secretKeys } from '../declarative/config-spec.js';
import { DeclarativeSource, resolveConnectorConfig } from '../declarative/declarative-source.js';
import { createDestination } from '../destinations/create-destination.js';
import type { RunContext } from '../destinations/destination.js';
import { type RunSummary, runSync, selectStreams } from '../engine/index.js';
import type { Logger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';
import { safePassword } from '../cli/common.js';

export interface ConnectionRunOptions {
  logger: Logger;
  signal?: AbortSignal;
  /** The sync's fencing token (fence.ts): the destination refuses commits once a higher one was seen. */
  fence?: number;
  /** Recorded with the run row. */
  run?: RunContext;
  /** Rows per destination transaction (default: the engine's). */
  batchRows?: number;
}

export async function runConnection(connection: Connection, opts: ConnectionRunOptions): Promise<RunSummary> {
  if (!connection.secretsResolved) throw new Error(`connection "${connection.name}": secrets not resolved`);
  const connector = await loadConnector(connection.connector);
  // Registered before validation, so not even an error message about the config can carry a secret.
  for (const key of secretKeys(connector.manifest.spec)) globalRedactor.add(connection.config[key]);
  globalRedactor.add(safePassword(connection.destination));
  const config = resolveConnectorConfig(connector, connection.config);
  const logger = opts.logger;
  const source = new DeclarativeSource(connector, config, { logger });
  try {
    // Unknown streams fail before the destination is opened, so a typo changes nothing.
    selectStreams(source, connection.streams);
    const destination = await createDestination(
      { url: connection.destination, schema: connection.namespace },
      {
        namespace: connection.namespace,
        connector: connection.connector,
        connection: connection.name,
        streams: source.streams().map((s) => s.name),
        ...(opts.fence !== undefined ? { fence: opts.fence } : {}),
        ...(opts.run !== undefined ? { run: opts.run } : {}),
      },
    );
    await destination.open();
    try {
      return await runSync({
        source,
        destination,
        streams: connection.streams,
        fullRefresh: connection.fullRefresh,
        logger,
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
