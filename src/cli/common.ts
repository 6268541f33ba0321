/** Shared CLI plumbing: loading a connector and its config, building the source, the destination and the logger. */
import { Option } from 'commander';
import { ConfigError } from '../errors.js';
import { loadConfigFile, type RawConfig } from '../config/load-config.js';
import { type ResolvedConfig, secretKeys } from '../declarative/config-spec.js';
import {
  DeclarativeSource,
  type LoadedConnector,
  resolveConnectorConfig,
  type SourceOptions,
} from '../declarative/declarative-source.js';
import type { Connection } from '../connections/connections-file.js';
import { loadConnector } from '../connectors/registry.js';
import {
  createDestination,
  DEFAULT_DESTINATION,
  type DestinationSpec,
} from '../destinations/create-destination.js';
import type { Destination, DestinationOptions } from '../destinations/destination.js';
import { createLogger, type Logger } from '../util/log.js';
import { globalRedactor } from '../util/redact.js';

export interface GlobalOptions {
  logLevel?: string;
}

export function makeLogger(opts: {
  logLevel?: string;
  quiet?: boolean;
  destination?: NodeJS.WritableStream;
}): Logger {
  return createLogger({
    level: opts.quiet ? 'silent' : (opts.logLevel ?? process.env.TRIBUTARY_LOG_LEVEL ?? 'info'),
    destination: opts.destination,
  });
}

export interface PreparedConnector {
  connector: LoadedConnector;
  config: ResolvedConfig;
  /** A `destination:` block from the config file, if any. */
  destination?: DestinationSpec;
}

/** Load a connector and validate a config file against its spec. Secrets are registered for redaction first. */
export async function prepareConnector(
  name: string,
  configPath: string | undefined,
): Promise<PreparedConnector> {
  const connector = await loadConnector(name);
  if (!configPath) throw new ConfigError(`${name}: --config <file> is required`, { code: 'TRB_USAGE' });
  const raw: RawConfig = loadConfigFile(configPath);
  registerSecrets(connector, raw);
  const { destination, ...connectorRaw } = raw;
  const destSpec = parseDestinationBlock(destination, configPath);
  const config = resolveConnectorConfig(connector, connectorRaw);
  return { connector, config, destination: destSpec };
}

/**
 * A connection of a connections file (its secrets resolved) prepared like `--config`: the connector loaded,
 * its config validated against the connector's spec, the destination and namespace the connection's own.
 * A config error is prefixed with the file and the connection, as the loader's own errors are.
 */
export async function prepareConnection(connection: Connection, file: string): Promise<PreparedConnector> {
  const connector = await loadConnector(connection.connector);
  registerSecrets(connector, connection.config);
  globalRedactor.add(safePassword(connection.destination));
  let config: ResolvedConfig;
  try {
    config = resolveConnectorConfig(connector, connection.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      const message = `${file}: connection "${connection.name}": config: ${err.message}`;
      throw new ConfigError(message, {
        code: 'TRB_CONNECTIONS_INVALID',
        details: { ...err.details, path: file, connection: connection.name, errors: [message] },
        cause: err,
      });
    }
    throw err;
  }
  return { connector, config, destination: { url: connection.destination, schema: connection.namespace } };
}

/** Register every secret-looking value before validation, so even an error message cannot leak one. */
function registerSecrets(connector: LoadedConnector, raw: Record<string, unknown>): void {
  for (const key of secretKeys(connector.manifest.spec)) globalRedactor.add(raw[key]);
}

function parseDestinationBlock(block: unknown, where: string): DestinationSpec | undefined {
  if (block === undefined) return undefined;
  if (typeof block === 'string') return { url: block };
  if (block && typeof block === 'object' && !Array.isArray(block)) {
    const b = block as Record<string, unknown>;
    const unknown = Object.keys(b).filter((k) => !['url', 'schema', 'password'].includes(k));
    if (unknown.length)
      throw new ConfigError(
        `config ${where}: destination has unknown key "${unknown[0]}" (allowed: url, schema, password)`,
      );
    if (typeof b.url !== 'string')
      throw new ConfigError(
        `config ${where}: destination.url must be a string such as postgres://user@host:5432/db`,
      );
    if (b.password !== undefined && typeof b.password !== 'string')
      throw new ConfigError(`config ${where}: destination.password must be a string`);
    if (b.schema !== undefined && typeof b.schema !== 'string')
      throw new ConfigError(`config ${where}: destination.schema must be a string`);
    globalRedactor.add(b.password);
    return { url: b.url, schema: b.schema as string | undefined, password: b.password as string | undefined };
  }
  throw new ConfigError(
    `config ${where}: destination must be a URL string or a mapping with url, schema and password`,
  );
}

export function buildSource(
  p: PreparedConnector,
  logger: Logger,
  opts: SourceOptions = {},
): DeclarativeSource {
  return new DeclarativeSource(p.connector, p.config, { logger, ...opts });
}

export async function openDestination(
  cliValue: string | undefined,
  fromConfig: DestinationSpec | undefined,
  connector: string,
  namespace: string | undefined,
  /**
   * The connector's streams and the connection name, for the namespace's owner check (namespace-owner.ts);
   * from a cluster worker also the sync's fencing token and run context.
   */
  owner: Pick<DestinationOptions, 'streams' | 'connection' | 'fence' | 'run'> = {},
): Promise<Destination> {
  const spec: DestinationSpec = cliValue
    ? { url: cliValue, schema: fromConfig?.schema, password: fromConfig?.password }
    : (fromConfig ?? { url: DEFAULT_DESTINATION });
  if (cliValue) globalRedactor.add(safePassword(cliValue));
  const dest = await createDestination(namespace ? { ...spec, schema: namespace } : spec, {
    namespace: spec.schema ?? connector,
    connector,
    ...owner,
  });
  await dest.open();
  return dest;
}

/** The password in a destination URL, if any (to register it for redaction). */
export function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The connector argument's help text: a bundled name or a folder path. */
export const CONNECTOR_ARG_HELP =
  'bundled connector name (see `tributary connectors`) or connector folder path (./my-api)';

/** `--connector PATH`, the flag form of the connector argument, for scripts that prefer flags. */
export const CONNECTOR_FLAG = [
  '--connector <name-or-path>',
  'the connector, as a flag instead of an argument',
] as const;

/** The connector named by the argument or by `--connector`; both at once is a usage error. */
export function connectorRef(argument: string | undefined, flag: string | undefined): string | undefined {
  if (argument !== undefined && flag !== undefined && argument !== flag) {
    throw new ConfigError(
      `give the connector once: as an argument ("${argument}") or with --connector ("${flag}"), not both`,
      { code: 'TRB_USAGE' },
    );
  }
  return argument ?? flag;
}

export function parseList(v: string | undefined): string[] | undefined {
  if (!v) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * What a command line gives besides `--connection`, which defines it already: a connector argument, and each
 * of `flags` (flag -> value) that is set, named as typed.
 */
export function givenBesidesConnection(
  connectorName: string | undefined,
  flags: Record<string, unknown>,
): string[] {
  return [
    ...(connectorName !== undefined ? [`a connector ("${connectorName}")`] : []),
    ...Object.entries(flags)
      .filter(([, value]) => value !== undefined)
      .map(([flag]) => flag),
  ];
}

export function parseIntOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`option ${name} must be an integer ${min}–${max}, got ${JSON.stringify(v)}`, {
        code: 'TRB_USAGE',
      });
    }
    return n;
  };
}

/**
 * An integer option bounded to [min, max], as `command.addOption(...)`: the flag's long name (from `flags`)
 * is the one its error message names, so the two cannot drift apart.
 */
export function intOption(
  flags: string,
  description: string,
  min: number,
  max: number,
  defaultValue?: number,
): Option {
  const name = /--[\w-]+/.exec(flags)?.[0] ?? flags;
  return new Option(flags, description).argParser(parseIntOption(name, min, max)).default(defaultValue);
}
