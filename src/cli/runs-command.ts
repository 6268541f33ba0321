/** `tributary runs [connector]`: the sync history recorded in `_tributary_runs`, newest first. */
import type { Command } from 'commander';
import type { RunRecord } from '../destinations/destination.js';
import { parseIntOption } from './common.js';
import {
  type InspectOptions,
  readEachNamespace,
  resolveInspectTarget,
  withInspectOptions,
} from './inspect.js';
import { formatDuration, formatTime, textTable } from './text-table.js';

interface RunsOptions extends InspectOptions {
  limit: number;
  json?: boolean;
}

export interface RunView {
  runId: string;
  /** The schema (connection) the run wrote into. */
  namespace: string;
  connector: string;
  status: RunRecord['status'];
  /** How the run was started. Every run is started by a person or a scheduler calling `sync` for now. */
  trigger: 'manual';
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  rows: number | null;
  deletes: number | null;
  error: string | null;
  streams: unknown;
}

export function registerRuns(program: Command): void {
  withInspectOptions(
    program
      .command('runs')
      .description('show the sync history kept in the destination (_tributary_runs), newest first')
      .argument(
        '[connector]',
        'only the runs of this connector (default: every connection in the destination)',
      ),
  )
    .option('--limit <n>', 'show at most this many runs', parseIntOption('--limit', 1, 100_000), 20)
    .option('--json', 'print the runs as a JSON array', false)
    .action(async (connector: string | undefined, o: RunsOptions) => {
      const target = await resolveInspectTarget(connector, o, 'runs');
      const { items, description } = await readEachNamespace(target, async (reader, namespace) =>
        (await reader.readRuns(namespace, o.limit)).map((r) => runView(namespace, r)),
      );
      const runs = items.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, o.limit);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write(`no runs recorded in ${description}\n`);
        return;
      }
      const table = runs.map((r) => [
        r.runId.slice(0, 8),
        r.namespace,
        r.status,
        r.trigger,
        formatTime(new Date(r.startedAt)),
        formatDuration(r.durationMs ?? undefined),
        r.rows === null ? '—' : String(r.rows),
        r.deletes === null ? '—' : String(r.deletes),
        r.error ?? '',
      ]);
      process.stdout.write(
        `runs in ${description}\n\n${textTable(
          ['run', 'schema', 'status', 'trigger', 'started', 'duration', 'rows', 'deletes', 'error'],
          table,
          [5, 6, 7],
        )}\n`,
      );
    });
}

function runView(namespace: string, r: RunRecord): RunView {
  return {
    runId: r.runId,
    namespace,
    connector: r.connector,
    status: r.status,
    trigger: 'manual',
    startedAt: r.startedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    durationMs: r.endedAt ? r.endedAt.getTime() - r.startedAt.getTime() : null,
    rows: r.recordsWritten ?? null,
    deletes: r.recordsDeleted ?? null,
    error: r.error ?? null,
    streams: r.summary ?? null,
  };
}
