/**
 * Loading a connections file (`tributary.yaml`) into validated connections. Every problem found is reported
 * at once, each naming the file, the connection and the field (`tributary.yaml: connection "baton-acme":
 * schedule.cron: ...`), as one ConfigError TRB_CONNECTIONS_INVALID (exit 2).
 *
 * Secrets are resolved from THIS process's environment, and only when asked: the scheduler (`serve`) lists
 * and schedules connections without the API keys, and each worker resolves them from its own environment
 * (`resolveConnection`).
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { interpolateEnv, parseMapping, type RawConfig, readConfigFile } from '../config/load-config.js';
import { isConnectorPath, listConnectors, resolveConnectorDir } from '../connectors/registry.js';
import { DEFAULT_DESTINATION } from '../destinations/create-destination.js';
import { ConfigError } from '../errors.js';
import {
  ConnectionSchema,
  ConnectionsFileSchema,
  type RawConnection,
  type RetrySchema,
} from './connections-schema.js';
import { parseDuration, type Schedule } from './schedule.js';
import { readFileSync } from 'node:fs';

export const DEFAULT_CONNECTIONS_FILE = './tributary.yaml';

export interface RetryPolicy {
  /** Tries per run, the first included. */
  attempts: number;
  /** Wait before the first retry (the base of the workers' backoff). */
  backoffMs: number;
  /** Failed runs in a row after which the connection is paused. */
  pauseAfter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 30_000, pauseAfter: 5 };

export interface Connection {
  name: string;
  connector: string;
  /**
   * The connector's config. With secrets resolved: `${ENV}` interpolated (and `config_file` read); without:
   * as written in the file, `${ENV}` references in place (and `{}` when the config is in `configFile`).
   */
  config: Record<string, unknown>;
  /** Absolute path of `config_file`, when the config lives in its own file. */
  configFile?: string;
  /** `duckdb:PATH` or `postgres://...`; as written (references in place) when secrets are not resolved. */
  destination: string;
  /** Destination schema; default the connection name. */
  namespace: string;
  streams?: string[];
  /** Undefined: manual runs only. */
  schedule?: Schedule;
  retry: RetryPolicy;
  fullRefresh: boolean;
  /** Whether `config` and `destination` hold resolved values (see resolveConnection). */
  secretsResolved: boolean;
}

export interface ConnectionsFile {
  /** The path as given, used in messages. */
  path: string;
  /** `redis:` as written. */
  redis?: string;
  /**
   * `redis:` with its `${ENV}` references resolved; undefined when it has none or one is unset (a
   * single-machine `sync --connection` needs no Redis, so that is no error here: see resolveRedisUrl).
   */
  redisUrl?: string;
  /** `dashboard:` as written (its token's `${ENV}` reference unresolved: see dashboardToken). */
  dashboard?: { token?: string };
  connections: Connection[];
}

export interface LoadOptions {
  /** Resolve `${ENV}` in each connection's config and destination, and read config files (default true). */
  resolveSecrets?: boolean;
}

/** Load, validate and (by default) resolve a connections file. Throws ConfigError listing every problem. */
export function loadConnectionsFile(
  path: string = DEFAULT_CONNECTIONS_FILE,
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadOptions = {},
): ConnectionsFile {
  const text = readText(path);
  let raw: RawConfig;
  try {
    raw = parseMapping(text, path);
  } catch (err) {
    const message = (err as Error).message.replace(/^config file /, '');
    // YAML reads `{ key: ${VAR} }` as a nested mapping: the one mistake the schema's own example invites.
    const hint =
      /flow-map/.test(message) && text.includes('${')
        ? ` (inside { }, quote \${ENV} references: "\${VAR}")`
        : '';
    throw invalid(path, [`${message}${hint}`]);
  }
  const problems: string[] = [];
  const top = ConnectionsFileSchema.safeParse(raw);
  if (!top.success) {
    problems.push(...issues(top.error, `${path}:`));
    throw invalid(path, problems);
  }
  const file = top.data;
  const redisUrl =
    file.redis !== undefined && unsetVariables(file.redis, env, 'redis').length === 0
      ? interpolateEnv(file.redis, env, path, 'redis')
      : undefined;
  const defaults = { ...DEFAULT_RETRY, ...retryPolicy(file.defaults?.retry) };
  const known = listConnectors();
  const connections: Connection[] = [];
  const seen = new Map<string, number>();
  const targets = new Map<string, string>();
  file.connections.forEach((entry, i) => {
    const label = connectionLabel(entry, i);
    const where = `${path}: ${label}:`;
    // Names are checked for duplicates first, so a bad connection still claims its name.
    const name = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).name : undefined;
    if (typeof name === 'string') {
      const before = seen.get(name);
      if (before !== undefined) {
        problems.push(
          `${where} name: "${name}" is already the name of connection #${before + 1}; names must be unique`,
        );
        return;
      }
      seen.set(name, i);
    }
    const parsed = ConnectionSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...issues(parsed.error, where));
      return;
    }
    const c = parsed.data;
    // A connector folder is named relative to the connections file's own folder.
    if (isConnectorPath(c.connector, dirname(path))) {
      try {
        c.connector = resolveConnectorDir(c.connector, dirname(path));
      } catch (err) {
        problems.push(`${where} connector: ${(err as Error).message}`);
      }
    } else if (!known.includes(c.connector)) {
      problems.push(
        `${where} connector: unknown connector "${c.connector}" (available: ${known.join(', ')})`,
      );
    }
    const connection = toConnection(c, path, defaults);
    const target = `${connection.destination}\u0000${connection.namespace}`;
    const owner = targets.get(target);
    if (owner !== undefined) {
      problems.push(
        `${where} namespace: "${connection.namespace}" in the same destination is already connection "${owner}"'s; give each connection its own namespace`,
      );
    }
    targets.set(target, connection.name);
    if (opts.resolveSecrets === false) {
      connections.push(connection);
      return;
    }
    try {
      connections.push(resolveConnection(connection, env, path));
    } catch (err) {
      if (err instanceof ConfigError && Array.isArray(err.details.errors))
        problems.push(...(err.details.errors as string[]));
      else throw err;
    }
  });
  if (problems.length) throw invalid(path, problems);
  return { path, redis: file.redis, redisUrl, dashboard: file.dashboard, connections };
}

/**
 * The file's Redis URL resolved from `env`, or undefined when the file has no `redis:`. An unset variable
 * is a ConfigError naming it: for the commands that need Redis.
 */
export function resolveRedisUrl(
  file: ConnectionsFile,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (file.redis === undefined) return undefined;
  const problems = unsetVariables(file.redis, env, 'redis').map((p) => `${file.path}: ${p}`);
  if (problems.length) throw invalid(file.path, problems);
  return interpolateEnv(file.redis, env, file.path, 'redis');
}

/**
 * The dashboard's token: env TRIBUTARY_DASHBOARD_TOKEN, else the file's `dashboard.token` with its `${ENV}`
 * references resolved (an unset variable is a ConfigError naming it), else undefined (no token).
 */
export function dashboardToken(
  file: ConnectionsFile,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (env.TRIBUTARY_DASHBOARD_TOKEN) return env.TRIBUTARY_DASHBOARD_TOKEN;
  const token = file.dashboard?.token;
  if (token === undefined) return undefined;
  const problems = unsetVariables(token, env, 'dashboard.token').map((p) => `${file.path}: ${p}`);
  if (problems.length) throw invalid(file.path, problems);
  return interpolateEnv(token, env, file.path, 'dashboard.token') || undefined;
}

/**
 * A connection with its secrets resolved from `env`: `${ENV}` in its config and destination interpolated,
 * its config file read. `path` is the connections file, for messages. Throws ConfigError listing every
 * variable that is unset (by name; values never appear).
 */
export function resolveConnection(
  connection: Connection,
  env: NodeJS.ProcessEnv = process.env,
  path = DEFAULT_CONNECTIONS_FILE,
): Connection {
  if (connection.secretsResolved) return connection;
  const where = `${path}: connection "${connection.name}":`;
  let config = connection.config;
  let configWhere = 'config';
  if (connection.configFile !== undefined) {
    try {
      config = readConfigFile(connection.configFile);
    } catch (err) {
      throw invalid(path, [`${where} config_file: ${(err as Error).message}`]);
    }
    configWhere = `config_file ${connection.configFile}`;
    if ('destination' in config) {
      throw invalid(path, [
        `${where} config_file: ${connection.configFile} has a destination; in a connections file the destination belongs to the connection`,
      ]);
    }
  }
  const problems = [
    ...unsetVariables(config, env, configWhere),
    ...unsetVariables(connection.destination, env, 'destination'),
  ].map((p) => `${where} ${p}`);
  if (problems.length) throw invalid(path, problems);
  return {
    ...connection,
    config: interpolateEnv(config, env, path),
    destination: interpolateEnv(connection.destination, env, path),
    secretsResolved: true,
  };
}

/**
 * A connection's destination with its `${ENV}` references resolved from `env`: enough to look at what it
 * wrote (`state show --connection`) without the API's secrets.
 */
export function resolveDestination(
  connection: Connection,
  env: NodeJS.ProcessEnv = process.env,
  path = DEFAULT_CONNECTIONS_FILE,
): string {
  if (connection.secretsResolved) return connection.destination;
  const problems = unsetVariables(connection.destination, env, 'destination').map(
    (p) => `${path}: connection "${connection.name}": ${p}`,
  );
  if (problems.length) throw invalid(path, problems);
  return interpolateEnv(connection.destination, env, path);
}

/** The connection of that name; an unknown name is a ConfigError naming the known ones. */
export function findConnection(file: ConnectionsFile, name: string): Connection {
  const found = file.connections.find((c) => c.name === name);
  if (found) return found;
  const names = file.connections.map((c) => c.name);
  throw new ConfigError(
    `${file.path}: no connection named "${name}" (${names.length ? `connections: ${names.join(', ')}` : 'the file has no connections'})`,
    { code: 'TRB_CONNECTIONS_INVALID', details: { path: file.path, connection: name, known: names } },
  );
}

/**
 * A hash of what a connection is, as written (secret references, never secret values): equal fingerprints
 * mean the scheduler has nothing to change. Only for a connection loaded with `resolveSecrets: false`, so
 * that no secret, even hashed, ends up where fingerprints are kept (Redis, logs).
 */
export function connectionFingerprint(connection: Connection): string {
  if (connection.secretsResolved) {
    throw new Error('connectionFingerprint takes a connection loaded with resolveSecrets: false');
  }
  const { secretsResolved: _, ...rest } = connection;
  return createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function toConnection(c: RawConnection, path: string, defaults: RetryPolicy): Connection {
  return {
    name: c.name,
    connector: c.connector,
    config: c.config ?? {},
    configFile:
      c.config_file === undefined
        ? undefined
        : isAbsolute(c.config_file)
          ? c.config_file
          : resolve(dirname(path), c.config_file),
    destination: c.destination ?? DEFAULT_DESTINATION,
    namespace: c.namespace ?? c.name,
    streams: c.streams,
    schedule: c.schedule,
    retry: { ...defaults, ...retryPolicy(c.retry) },
    fullRefresh: c.full_refresh ?? false,
    secretsResolved: false,
  };
}

function retryPolicy(r: z.infer<typeof RetrySchema> | undefined): Partial<RetryPolicy> {
  if (r === undefined) return {};
  const out: Partial<RetryPolicy> = {};
  if (r.attempts !== undefined) out.attempts = r.attempts;
  if (r.backoff !== undefined) out.backoffMs = parseDuration(r.backoff);
  if (r.pauseAfter !== undefined) out.pauseAfter = r.pauseAfter;
  return out;
}

/** How an entry is named in messages: by its name when it has a usable one, else by its position. */
function connectionLabel(entry: unknown, i: number): string {
  const name = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).name : undefined;
  return typeof name === 'string' && name !== '' ? `connection "${name}"` : `connection #${i + 1}`;
}

/** Each zod issue as `<prefix> field.path: message`. */
function issues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const field = issue.path.reduce<string>(
      (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
      '',
    );
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return field ? `${prefix} ${field}: ${message}` : `${prefix} ${message}`;
  });
}

/** `<field>: environment variable ${NAME} is not set`, for each reference without a default and no value. */
function unsetVariables(value: unknown, env: NodeJS.ProcessEnv, field: string): string[] {
  if (typeof value === 'string') {
    const out: string[] = [];
    for (const m of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) {
      if (env[m[1]!] === undefined && m[2] === undefined) {
        out.push(`${field}: environment variable \${${m[1]}} is not set`);
      }
    }
    return out;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsetVariables(v, env, `${field}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => unsetVariables(v, env, `${field}.${k}`));
  }
  return [];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `connections file ${path} cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code}); give another with --file`,
      { code: 'TRB_CONFIG_MISSING', details: { path } },
    );
  }
}

function invalid(path: string, problems: string[]): ConfigError {
  const head =
    problems.length === 1 ? problems[0]! : `${path}: ${problems.length} problems\n  ${problems.join('\n  ')}`;
  return new ConfigError(head, {
    code: 'TRB_CONNECTIONS_INVALID',
    details: { path, errors: problems },
  });
}
