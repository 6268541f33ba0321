/** `tributary status --file F`: the connections of a file as the cluster sees them (cluster-status.ts). */
import { clusterStatus } from '../cluster/cluster-status.js';
import { type ClusterCliOptions, openCluster } from './cluster-options.js';
import { formatDuration, formatTime, textTable } from './text-table.js';

export async function clusterStatusCommand(o: ClusterCliOptions & { json?: boolean }): Promise<void> {
  const session = await openCluster(o);
  try {
    const rows = await clusterStatus(session.redis, session.queue, session.keys, session.file.connections);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    const table = rows.map((r) => [
      r.connection,
      r.connector,
      r.schedule,
      r.nextRun ? formatTime(new Date(r.nextRun)) : '—',
      r.running
        ? `running on ${r.running.worker} since ${formatTime(new Date(r.running.since))} (${r.running.trigger}, attempt ${r.running.attempt})`
        : r.pendingJob
          ? `pending (job ${r.pendingJob})`
          : 'idle',
      r.lastRun
        ? `${r.lastRun.status} ${formatTime(new Date(r.lastRun.endedAt))} ${r.lastRun.trigger} #${r.lastRun.attempt} on ${r.lastRun.worker}, ${formatDuration(r.lastRun.durationMs)}${r.lastRun.error ? `: ${r.lastRun.error}` : ''}`
        : 'never',
      r.paused ? `PAUSED since ${formatTime(new Date(r.paused.at))}: ${r.paused.reason}` : '',
    ]);
    process.stdout.write(
      `connections of ${session.file.path}\n\n${textTable(
        ['connection', 'connector', 'schedule', 'next run', 'now', 'last run', 'paused'],
        table,
      )}\n`,
    );
  } finally {
    await session.close();
  }
}
