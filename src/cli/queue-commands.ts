/**
 * The commands that act on one connection through the queue: `run NAME` (enqueue now, deduplicated;
 * `--wait` for its result; `--full-refresh` or `--reset-state` of some `--streams`), `cancel NAME` (stop the
 * running sync at its next page), `pause NAME` and `resume NAME`. The dashboard calls the same functions.
 */
import type { Command } from 'commander';
import { QueueEvents } from 'bullmq';
import { type Connection, findConnection } from '../connections/connections-file.js';
import { cancelConnection } from '../cluster/cancel.js';
import { enqueueRun } from '../cluster/enqueue.js';
import { QUEUE } from '../cluster/keys.js';
import { pauseConnection, resumeConnection } from '../cluster/pause.js';
import { openRedis } from '../cluster/redis-connection.js';
import { ConfigError, exitCodeFor } from '../errors.js';
import { intOption, parseList } from './common.js';
import {
  type ClusterCliOptions,
  type ClusterSession,
  openCluster,
  withClusterOptions,
} from './cluster-options.js';

interface RunCliOptions extends ClusterCliOptions {
  force?: boolean;
  fullRefresh?: boolean;
  resetState?: boolean;
  streams?: string;
  wait?: boolean;
  timeout: number;
}

export function registerQueueCommands(program: Command): void {
  connectionCommand(
    program,
    'run',
    'enqueue a sync of a connection now (a worker runs it; deduplicated while one is pending or running)',
  )
    .option('--force', 'run even if the connection is paused (and un-pause it)', false)
    .option('--full-refresh', 're-read the streams from the start (all, or --streams)', false)
    .option(
      '--reset-state',
      'forget the state of --streams (no sync; the next sync reads them from the start); waits for a running sync',
      false,
    )
    .option('--streams <list>', 'comma-separated streams for --full-refresh or --reset-state')
    .option('--wait', 'wait for the sync to finish; exit with its exit code', false)
    .addOption(
      intOption(
        '--timeout <seconds>',
        'with --wait: give up waiting after this long (exit 1; the sync goes on)',
        1,
        86_400,
        3600,
      ),
    )
    .action((name: string, o: RunCliOptions) =>
      onConnection(o, name, async (session, connection) => {
        const streams = parseList(o.streams);
        if (streams !== undefined && !o.fullRefresh && !o.resetState) {
          throw new ConfigError('--streams goes with --full-refresh or --reset-state', { code: 'TRB_USAGE' });
        }
        const result = await enqueueRun(session.redis, session.queue, session.keys, connection, {
          force: o.force,
          fullRefresh: o.fullRefresh,
          resetState: o.resetState,
          ...(streams ? { streams } : {}),
        });
        process.stdout.write(
          result.added
            ? `queued ${name} as job ${result.jobId}\n`
            : `${name} is already ${result.why} (job ${result.jobId}); nothing added\n`,
        );
        if (!o.wait) return;
        process.exitCode = await waitFor(session, result.jobId, o.timeout * 1000);
      }),
    );

  connectionCommand(
    program,
    'cancel',
    "stop a connection's running sync at its next page (nothing partial is committed)",
  ).action((name: string, o: ClusterCliOptions) =>
    onConnection(o, name, async (session) => {
      const r = await cancelConnection(session.redis, session.queue, session.keys, name);
      process.stdout.write(
        r.cancelled === 'running'
          ? `cancel sent for ${name} (job ${r.jobId}); the sync stops at its next page\n`
          : r.cancelled === 'pending'
            ? `removed the pending job ${r.jobId} of ${name}\n`
            : `${name}: nothing pending or running\n`,
      );
    }),
  );

  connectionCommand(
    program,
    'pause',
    'pause a connection: its scheduled and manual runs are skipped until `resume` (a running sync goes on)',
  )
    .option('--reason <text>', 'why, shown by `status` and the dashboard', 'paused by hand')
    .action((name: string, o: ClusterCliOptions & { reason: string }) =>
      onConnection(o, name, async (session) => {
        const now = await pauseConnection(session.redis, session.keys, name, o.reason);
        process.stdout.write(now ? `${name} paused\n` : `${name} was already paused\n`);
      }),
    );

  connectionCommand(
    program,
    'resume',
    'un-pause a connection (paused by hand or after repeated failures)',
  ).action((name: string, o: ClusterCliOptions) =>
    onConnection(o, name, async (session) => {
      const was = await resumeConnection(session.redis, session.keys, name);
      process.stdout.write(was ? `${name} resumed\n` : `${name} was not paused\n`);
    }),
  );
}

/** A cluster command whose one argument is a connection of the file. */
function connectionCommand(program: Command, name: string, description: string): Command {
  return withClusterOptions(
    program.command(name).description(description).argument('<connection>', 'connection name in the file'),
  );
}

/**
 * Open the cluster, find the connection in the file (TRB_CONNECTIONS_INVALID if it names none), run `act`
 * with both, and close the session whatever happens.
 */
async function onConnection(
  o: ClusterCliOptions,
  name: string,
  act: (session: ClusterSession, connection: Connection) => Promise<void>,
): Promise<void> {
  const session = await openCluster(o);
  try {
    await act(session, findConnection(session.file, name));
  } finally {
    await session.close();
  }
}

/** Wait for a job to finish; its exit code (0, or the code of its error) — 1 on timeout. */
async function waitFor(session: ClusterSession, jobId: string, timeoutMs: number): Promise<number> {
  // Its own connection: QueueEvents blocks on it. BullMQ does not close a connection it was given.
  const connection = openRedis(session.target);
  const events = new QueueEvents(QUEUE, { connection, prefix: session.keys.bullPrefix });
  try {
    await events.waitUntilReady();
    const job = await session.queue.getJob(jobId);
    if (!job) return 0; // Already finished and removed.
    const result = await job.waitUntilFinished(events, timeoutMs);
    process.stdout.write(`job ${jobId}: ${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`job ${jobId} failed: ${message}\n`);
    return exitCodeFor(/^\[(TRB_[A-Z_]+)\]/.exec(message)?.[1]);
  } finally {
    await events.close();
    connection.disconnect();
  }
}
