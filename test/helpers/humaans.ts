/** Run a Humaans sync in-process against a simulator, into a DuckDB file: the same engine the CLI uses. */
import { join } from 'node:path';
import { loadConnector } from '../../src/connectors/registry.js';
import { DeclarativeSource, resolveConnectorConfig } from '../../src/declarative/declarative-source.js';
import { createDestination } from '../../src/destinations/create-destination.js';
import { runSync, type SyncOptions } from '../../src/engine/sync.js';
import type { RunSummary } from '../../src/engine/summary.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';

export async function syncConnector(
  connectorName: string,
  rawConfig: Record<string, unknown>,
  destinationUrl: string,
  opts: Partial<Omit<SyncOptions, 'source' | 'destination'>> & {
    namespace?: string;
    pageConcurrency?: number;
  } = {},
): Promise<RunSummary> {
  const connector = await loadConnector(connectorName);
  const config = resolveConnectorConfig(connector, rawConfig);
  const source = new DeclarativeSource(connector, config, { pageConcurrency: opts.pageConcurrency });
  try {
    const destination = await createDestination(
      { url: destinationUrl },
      { namespace: opts.namespace ?? connectorName, connector: connectorName },
    );
    await destination.open();
    try {
      return await runSync({ source, destination, ...opts });
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

export function humaansConfig(
  sim: SimulatorHandle,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    api_token: 'sim-token',
    base_url: sim.baseUrl,
    initial_sync_days: 0,
    max_records_per_page: 100,
    retry_attempts: 3,
    ...extra,
  };
}

export function dbPath(dir: string, name = 'test.duckdb'): string {
  return join(dir, name);
}
