/**
 * `tributary serve`: the one process that writes schedules. It upserts a Job Scheduler per scheduled
 * connection of the file and removes the others, then keeps them so: again after every Redis reconnect (a
 * restarted Redis without persistence has forgotten them) and on SIGHUP (the file changed).
 */
import type { Command } from 'commander';
import { DEFAULT_CONNECTIONS_FILE, loadConnectionsFile } from '../connections/connections-file.js';
import { syncSchedulers } from '../cluster/scheduler.js';
import { globalRedactor } from '../util/redact.js';
import { type ClusterCliOptions, openCluster, withClusterOptions } from './cluster-options.js';
import { untilSignal } from './worker-command.js';

interface ServeCliOptions extends ClusterCliOptions {
  once?: boolean;
}

export function registerServe(program: Command): void {
  withClusterOptions(
    program.command('serve').description('schedule the connections of the file (the one scheduler process)'),
  )
    .option('--once', 'update the schedules and exit (instead of keeping them updated)', false)
    .action(async (o: ServeCliOptions) => {
      const session = await openCluster(o);
      const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
      const apply = async (why: string) => {
        const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
        const changes = await syncSchedulers(session.queue, file.connections);
        process.stderr.write(
          `serve (${why}): ${changes.upserted.length} scheduled [${changes.upserted.join(', ')}]` +
            `${changes.removed.length ? `, removed [${changes.removed.join(', ')}]` : ''}\n`,
        );
      };
      try {
        await apply('start');
        if (o.once) return;
        let first = true;
        const again = (why: string) =>
          apply(why).catch((err) =>
            process.stderr.write(
              `serve: could not update the schedules: ${globalRedactor.redact(String(err))}\n`,
            ),
          );
        session.redis.on('ready', () => {
          // 'ready' fires once at connect (already applied) and after each reconnect.
          if (first) first = false;
          else void again('redis reconnected');
        });
        if (session.redis.status === 'ready') first = false;
        process.on('SIGHUP', () => void again('SIGHUP'));
        await untilSignal();
      } finally {
        await session.close();
      }
    });
}
