/**
 * `tributary status [connector]`: per stream, what the destination holds and where the next sync starts:
 * rows in the table, mode, cursor or pass, whether the last read completed, the last success and the last
 * error (from `_tributary_runs`), read without changing anything.
 */
import type { Command } from 'commander';
import type { DestinationReader, RunRecord } from '../destinations/destination.js';
import {
  describePosition,
  type InspectOptions,
  readEachNamespace,
  resolveInspectTarget,
  withInspectOptions,
} from './inspect.js';
import { formatTime, textTable } from './text-table.js';
import { ConfigError } from '../errors.js';
import type { ClusterCliOptions } from './cluster-options.js';
import { clusterStatusCommand } from './cluster-status-command.js';

interface StatusOptions extends InspectOptions, ClusterCliOptions {
  json?: boolean;
}

/** How far back `status` looks for each stream's last success and last error. */
const RUNS_LOOKED_AT = 1000;

export interface StreamStatus {
  namespace: string;
  stream: string;
  /** Rows in the table, soft-deleted ones included; null when the table does not exist (yet). */
  rows: number | null;
  softDeleted: number | null;
  mode: string | null;
  position: string;
  complete: boolean | null;
  stateSavedAt: string | null;
  lastSuccessAt: string | null;
  /** The stream's most recent error, when no success came after it. */
  lastError: { at: string; runId: string; message: string } | null;
}

interface RunStream {
  stream: string;
  status: string;
  error?: string;
}

export function registerStatus(program: Command): void {
  withInspectOptions(
    program
      .command('status')
      .description('show each stream: rows, mode, cursor or pass, complete?, last success and last error')
      .argument('[connector]', "this connector's streams (default: every connection in the destination)"),
  )
    .option('--json', 'print the streams as a JSON array', false)
    .option(
      '-f, --file <path>',
      'instead: the connections of this connections file, as the workers see them (schedule, next run, running, last run, paused)',
    )
    .option(
      '--redis <url>',
      "with --file: Redis URL (default: env TRIBUTARY_REDIS_URL, else the file's redis:)",
    )
    .option(
      '--prefix <prefix>',
      'with --file: prefix of the Redis keys (default: env TRIBUTARY_REDIS_PREFIX, else trb)',
    )
    .action(async (connector: string | undefined, o: StatusOptions) => {
      if (o.file !== undefined) {
        if (connector !== undefined || o.config || o.destination || o.namespace) {
          throw new ConfigError(
            'status --file shows the connections of a connections file; it takes no connector, --config, --destination or --namespace',
            { code: 'TRB_USAGE' },
          );
        }
        await clusterStatusCommand(o);
        return;
      }
      const target = await resolveInspectTarget(connector, o, 'status');
      const declared = target.connector?.manifest.streams.map((s) => s.name) ?? [];
      const { items: streams, description } = await readEachNamespace(target, (reader, namespace) =>
        namespaceStatus(reader, namespace, declared),
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(streams, null, 2)}\n`);
        return;
      }
      const table = streams.map((s) => [
        s.namespace,
        s.stream,
        s.rows === null ? '—' : String(s.rows - (s.softDeleted ?? 0)),
        s.softDeleted === null ? '—' : String(s.softDeleted),
        s.mode ?? '—',
        s.complete === null ? '—' : s.complete ? 'yes' : 'no',
        s.lastSuccessAt === null ? 'never' : formatTime(new Date(s.lastSuccessAt)),
        s.position,
        s.lastError === null ? '' : `${formatTime(new Date(s.lastError.at))} ${s.lastError.message}`,
      ]);
      process.stdout.write(
        `status of ${description}\n\n${textTable(
          [
            'schema',
            'stream',
            'rows',
            'deleted',
            'mode',
            'complete',
            'last success',
            'next sync starts at',
            'last error',
          ],
          table,
          [2, 3],
        )}\n`,
      );
    });
}

async function namespaceStatus(
  reader: DestinationReader,
  namespace: string,
  declared: string[],
): Promise<StreamStatus[]> {
  const states = new Map((await reader.readStateRows(namespace)).map((r) => [r.stream, r]));
  const tables = new Map((await reader.tableCounts(namespace)).map((t) => [t.table, t]));
  const runs = await reader.readRuns(namespace, RUNS_LOOKED_AT);
  const names = [...new Set([...declared, ...states.keys(), ...tables.keys()])];
  return names.map((stream) => {
    const state = states.get(stream);
    const table = tables.get(stream);
    const { success, failure } = lastOutcomes(runs, stream);
    return {
      namespace,
      stream,
      rows: table?.rows ?? null,
      softDeleted: table?.deleted ?? null,
      mode: typeof state?.state.mode === 'string' ? state.state.mode : null,
      position: describePosition(state?.state),
      complete: state === undefined ? null : state.state.complete === true,
      stateSavedAt: state?.updatedAt.toISOString() ?? null,
      lastSuccessAt: success ? (success.endedAt ?? success.startedAt).toISOString() : null,
      lastError:
        failure && (!success || failure.startedAt > success.startedAt)
          ? {
              at: (failure.run.endedAt ?? failure.run.startedAt).toISOString(),
              runId: failure.run.runId,
              message: failure.message,
            }
          : null,
    };
  });
}

/** The stream's most recent successful run and most recent failure (runs come newest first). */
function lastOutcomes(
  runs: RunRecord[],
  stream: string,
): { success?: RunRecord; failure?: { run: RunRecord; startedAt: Date; message: string } } {
  let success: RunRecord | undefined;
  let failure: { run: RunRecord; startedAt: Date; message: string } | undefined;
  for (const run of runs) {
    const entry = Array.isArray(run.summary)
      ? (run.summary as RunStream[]).find((s) => s?.stream === stream)
      : undefined;
    if (entry === undefined) continue;
    if (!success && entry.status === 'succeeded') success = run;
    if (!failure && entry.status === 'failed') {
      failure = { run, startedAt: run.startedAt, message: entry.error ?? run.error ?? 'failed' };
    }
    if (success && failure) break;
  }
  return { success, failure };
}
