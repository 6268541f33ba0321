/**
 * `tributary connections [list|validate] [--file F]`: what the connections file holds, and whether it is
 * valid. Listing needs no secrets (it is what the scheduler sees); `validate` resolves each connection's
 * secrets from this environment and checks its config against its connector, unless `--no-secrets`.
 */
import type { Command } from 'commander';
import {
  type Connection,
  type ConnectionsFile,
  DEFAULT_CONNECTIONS_FILE,
  loadConnectionsFile,
  resolveConnection,
  resolveRedisUrl,
} from '../connections/connections-file.js';
import { describeSchedule, nextRun } from '../connections/schedule.js';
import { ConfigError } from '../errors.js';
import { prepareConnection } from './common.js';
import { checkStreamNames } from './inspect.js';
import { formatTime, textTable } from './text-table.js';

interface ListOptions {
  file?: string;
  json?: boolean;
}

interface ValidateOptions {
  file?: string;
  secrets?: boolean;
}

const FILE_OPTION = ['--file <path>', `the connections file (default ${DEFAULT_CONNECTIONS_FILE})`] as const;

export function registerConnections(program: Command): void {
  const connections = program
    .command('connections')
    .description('list the connections of the connections file, or validate it');
  connections
    .command('list', { isDefault: true })
    .description('list each connection: connector, destination, schedule and next run (needs no secrets)')
    .option(...FILE_OPTION)
    .option(
      '--json',
      'print the connections as JSON (secret references as written, never their values)',
      false,
    )
    .action((o: ListOptions) => {
      process.stdout.write(listConnections(o));
    });
  connections
    .command('validate')
    .description('check the connections file; exit 2 listing every problem')
    .option(...FILE_OPTION)
    .option(
      '--no-secrets',
      `do not resolve \${ENV} references or check configs against their connectors (as the scheduler loads it)`,
    )
    .action(async (o: ValidateOptions) => {
      process.stdout.write(await validateConnections(o));
    });
}

/** A destination as shown: a password in the URL is dropped, `${ENV}` references are shown as written. */
export function displayDestination(url: string): string {
  return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@/\s]*@/gi, '$1@');
}

function listConnections(o: ListOptions, now = new Date()): string {
  const file = loadConnectionsFile(o.file ?? DEFAULT_CONNECTIONS_FILE, process.env, {
    resolveSecrets: false,
  });
  const next = (c: Connection) => (c.schedule ? nextRun(c.schedule, now) : undefined);
  if (o.json) {
    const rows = file.connections.map((c) => ({
      name: c.name,
      connector: c.connector,
      destination: displayDestination(c.destination),
      namespace: c.namespace,
      streams: c.streams ?? null,
      schedule: c.schedule ?? null,
      nextRun: next(c)?.toISOString() ?? null,
      retry: c.retry,
      fullRefresh: c.fullRefresh,
    }));
    return `${JSON.stringify(rows, null, 2)}\n`;
  }
  if (file.connections.length === 0) return `${file.path} has no connections\n`;
  const table = file.connections.map((c) => [
    c.name,
    c.connector,
    displayDestination(c.destination),
    c.namespace,
    describeSchedule(c.schedule),
    c.schedule ? formatTime(next(c)) : '—',
  ]);
  return `${heading(file)}\n\n${textTable(['name', 'connector', 'destination', 'namespace', 'schedule', 'next run'], table)}\n`;
}

function heading(file: ConnectionsFile): string {
  const n = file.connections.length;
  return `${n} connection${n === 1 ? '' : 's'} in ${file.path}`;
}

/**
 * Every problem of the file at once: the loader's (shape, names, schedules, unset variables), then each
 * connection's config against its connector's spec and its streams against the connector's streams.
 */
async function validateConnections(o: ValidateOptions): Promise<string> {
  const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
  // Loaded without secrets first, so a missing variable is reported with the other problems, not instead.
  const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
  if (o.secrets === false) return `${heading(file)}: valid (secrets not resolved)\n`;
  const problems: string[] = [];
  try {
    resolveRedisUrl(file);
  } catch (err) {
    if (!(err instanceof ConfigError && Array.isArray(err.details.errors))) throw err;
    problems.push(...(err.details.errors as string[]));
  }
  for (const unresolved of file.connections) {
    try {
      const connection = resolveConnection(unresolved, process.env, path);
      const prepared = await prepareConnection(connection, path);
      const streams = prepared.connector.manifest.streams.map((s) => s.name);
      try {
        checkStreamNames(connection.connector, streams, connection.streams);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(`${path}: connection "${connection.name}": streams: ${err.message}`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError && Array.isArray(err.details.errors))) throw err;
      problems.push(...(err.details.errors as string[]));
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      problems.length === 1
        ? problems[0]!
        : `${path}: ${problems.length} problems\n  ${problems.join('\n  ')}`,
      { code: 'TRB_CONNECTIONS_INVALID', details: { path, errors: problems } },
    );
  }
  return `${heading(file)}: valid\n`;
}
