/**
 * Where the day-two commands (`runs`, `status`, `state show|reset`) look: the destination from
 * `--destination`, else the `destination:` of `--config`, else the default file; the schema from
 * `--namespace`, else the config's `destination.schema`, else the connector name (all tributary schemas
 * when no connector is named). They read through a DestinationReader, which never creates anything.
 */
import type { Command } from 'commander';
import {
  DEFAULT_CONNECTIONS_FILE,
  findConnection,
  loadConnectionsFile,
  resolveDestination,
} from '../connections/connections-file.js';
import { loadConnector } from '../connectors/registry.js';
import type { LoadedConnector } from '../declarative/declarative-source.js';
import {
  DEFAULT_DESTINATION,
  type DestinationSpec,
  openDestinationReader,
} from '../destinations/create-destination.js';
import type { DestinationReader } from '../destinations/destination.js';
import { ConfigError, DestinationError } from '../errors.js';
import { globalRedactor } from '../util/redact.js';
import {
  CONNECTOR_FLAG,
  connectorRef,
  givenBesidesConnection,
  prepareConnector,
  safePassword,
} from './common.js';

export interface InspectOptions {
  /** The connector as a flag (`--connector PATH`), instead of the argument. */
  connector?: string;
  /** A connection of the connections file: its connector, destination and namespace. */
  connection?: string;
  file?: string;
  config?: string;
  destination?: string;
  namespace?: string;
}

/** Adds the options that say where a day-two command looks (`--config`, `--destination`, `--namespace`). */
export function withInspectOptions(command: Command): Command {
  return command
    .option(...CONNECTOR_FLAG)
    .option(
      '-c, --config <file>',
      'the connector config the syncs use; its destination: block says where to look',
    )
    .option(
      '-d, --destination <url>',
      `duckdb:PATH or postgres://user@host:port/db (default: the config's destination, else ${DEFAULT_DESTINATION})`,
    )
    .option(
      '--namespace <schema>',
      "destination schema (default: the config's destination.schema, else the connector name)",
    );
}

/** Adds `--connection NAME` and `--file PATH`: look where a connection of the connections file syncs to. */
export function withConnectionOptions(command: Command): Command {
  return command
    .option(
      '--connection <name>',
      'the connection of the connections file to look at, instead of a connector',
    )
    .option('--file <path>', `the connections file, with --connection (default ${DEFAULT_CONNECTIONS_FILE})`);
}

export interface InspectTarget {
  spec: DestinationSpec;
  /** The bundled connector; undefined for a connection of another writer (`load --from-airbyte`'s "airbyte"). */
  connector?: LoadedConnector;
  /** Why `connector` is missing although a name was given: the unknown-connector message. */
  unknownConnector?: string;
  connectorName?: string;
  /** The connection name, with --connection: the namespace's recorded owner. */
  connection?: string;
  /** The schema to look at; undefined means every schema holding tributary bookkeeping. */
  namespace?: string;
}

export async function resolveInspectTarget(
  connectorArg: string | undefined,
  o: InspectOptions,
  command: string,
): Promise<InspectTarget> {
  const connectorName = connectorRef(connectorArg, o.connector);
  if (o.connection !== undefined) return connectionTarget(connectorName, o, command);
  if (o.file !== undefined) {
    throw new ConfigError('--file only applies with --connection NAME', { code: 'TRB_USAGE' });
  }
  if (connectorName === undefined && command.startsWith('state ')) {
    throw new ConfigError(`tributary ${command} needs a connector, or --connection NAME`, {
      code: 'TRB_USAGE',
    });
  }
  if (o.config && !connectorName) {
    throw new ConfigError(
      `--config needs the connector it configures: tributary ${command} CONNECTOR --config FILE`,
      { code: 'TRB_USAGE' },
    );
  }
  const connector = connectorName ? await loadKnown(connectorName, o.config) : undefined;
  // The whole config is validated, as `sync` would, so a config that cannot sync is not silently read.
  const fromConfig =
    connectorName && o.config ? (await prepareConnector(connectorName, o.config)).destination : undefined;
  const url = o.destination ?? fromConfig?.url ?? DEFAULT_DESTINATION;
  if (o.destination) globalRedactor.add(safePassword(o.destination));
  // A connector folder is known by its manifest's name (the namespace `sync` wrote), not by its path.
  const name = connector && !(connector instanceof Error) ? connector.manifest.name : connectorName;
  return {
    spec: { url, password: fromConfig?.password },
    connector: connector instanceof Error ? undefined : connector,
    unknownConnector: connector instanceof Error ? connector.message : undefined,
    connectorName: name,
    namespace: o.namespace ?? fromConfig?.schema ?? name,
  };
}

/**
 * Where a connection of the connections file syncs to. Its API secrets are not needed to look (the file
 * is loaded without them); only its destination's `${ENV}` references are resolved.
 */
async function connectionTarget(
  connectorName: string | undefined,
  o: InspectOptions,
  command: string,
): Promise<InspectTarget> {
  const given = givenBesidesConnection(connectorName, {
    '--config': o.config,
    '--destination': o.destination,
    '--namespace': o.namespace,
  });
  if (given.length > 0) {
    throw new ConfigError(
      `tributary ${command} --connection ${o.connection} takes the connector, destination and namespace from the connections file; drop ${given.join(', ')}`,
      { code: 'TRB_USAGE' },
    );
  }
  const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
  const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
  const connection = findConnection(file, o.connection as string);
  const url = resolveDestination(connection, process.env, path);
  globalRedactor.add(safePassword(url));
  return {
    spec: { url },
    connector: await loadConnector(connection.connector),
    connectorName: connection.connector,
    connection: connection.name,
    namespace: connection.namespace,
  };
}

/**
 * The bundled connector of that name, or (without --config) the unknown-connector error as a value: a
 * connection written by `load --from-airbyte` is named "airbyte" and has state too. Its streams are then
 * the ones stored in the destination, and a missing schema says the connector is unknown as well.
 */
async function loadKnown(name: string, config: string | undefined): Promise<LoadedConnector | ConfigError> {
  try {
    return await loadConnector(name);
  } catch (err) {
    if (config === undefined && err instanceof ConfigError && err.code === 'TRB_UNKNOWN_CONNECTOR')
      return err;
    throw err;
  }
}

/** The schemas to read: the one asked for (it must exist), or all that hold tributary bookkeeping. */
export async function selectNamespaces(
  reader: DestinationReader,
  namespace: string | undefined,
  unknownConnector?: string,
): Promise<string[]> {
  const all = await reader.namespaces();
  if (unknownConnector !== undefined && (namespace === undefined || !all.includes(namespace))) {
    throw new ConfigError(
      `${unknownConnector}, and ${reader.description} has no tributary schema "${namespace}"`,
      { code: 'TRB_UNKNOWN_CONNECTOR' },
    );
  }
  if (namespace === undefined) {
    if (all.length === 0) throw nothingThere(reader, 'holds no tributary data');
    return all;
  }
  if (!all.includes(namespace)) {
    throw nothingThere(
      reader,
      `has no tributary schema "${namespace}"` +
        (all.length > 0
          ? ` (schemas with tributary data: ${all.join(', ')}; choose one with --namespace)`
          : ''),
    );
  }
  return [namespace];
}

/**
 * Opens the target's destination read-only, collects what `read` returns for each selected schema, and
 * closes it again; `description` names the destination for the command's heading.
 */
export async function readEachNamespace<T>(
  target: InspectTarget,
  read: (reader: DestinationReader, namespace: string) => Promise<T[]>,
): Promise<{ items: T[]; description: string }> {
  const reader = await openDestinationReader(target.spec);
  const items: T[] = [];
  try {
    for (const namespace of await selectNamespaces(reader, target.namespace, target.unknownConnector)) {
      items.push(...(await read(reader, namespace)));
    }
  } finally {
    await reader.close();
  }
  return { items, description: reader.description };
}

function nothingThere(reader: DestinationReader, what: string): DestinationError {
  return new DestinationError(
    'TRB_DEST_OPEN',
    `${reader.description} ${what}. Check --destination (or the destination in --config); nothing was created.`,
    {},
  );
}

/** Stream names checked against the connector's streams: an unknown one is a usage error naming them all. */
export function checkStreamNames(
  connectorName: string,
  all: string[],
  names: string[] | undefined,
): string[] | undefined {
  if (names === undefined) return undefined;
  const unknown = names.filter((n) => !all.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    const what =
      unknown.length === 0
        ? '--streams names no stream'
        : `unknown stream${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}`;
    throw new ConfigError(`${what} for ${connectorName} (streams: ${all.join(', ')})`, {
      code: 'TRB_UNKNOWN_STREAM',
      details: { unknown },
    });
  }
  return names;
}

/** Where a stream's stored state says the next sync starts. */
export function describePosition(state: Record<string, unknown> | undefined): string {
  if (state === undefined) return 'no state: the next sync starts from the beginning';
  const source = (state.source ?? {}) as Record<string, unknown>;
  const rest = Object.entries(source).filter(([k]) => k !== 'in_progress' && k !== 'cursor');
  const short = (v: unknown) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return text.length > 40 ? `${text.slice(0, 39)}…` : text;
  };
  const extra = rest.length ? ` ${rest.map(([k, v]) => `${k}=${short(v)}`).join(' ')}` : '';
  if (state.mode === 'incremental') {
    return `${source.cursor === undefined ? 'no cursor yet' : `cursor ${String(source.cursor)}`}${extra}`;
  }
  if (typeof state.pass === 'string') return `pass ${state.pass.slice(0, 8)}${extra}`;
  return `${JSON.stringify(source)}`;
}
