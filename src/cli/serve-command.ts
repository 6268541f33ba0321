/**
 * `tributary serve`: the one process that writes schedules, and the dashboard. It upserts a Job Scheduler per
 * scheduled connection of the file and removes the others, then keeps them so: again after every Redis
 * reconnect (a restarted Redis without persistence has forgotten them) and on SIGHUP (the file changed).
 * It serves the dashboard (docs/dashboard.md) on 127.0.0.1:4321 unless `--no-dashboard`; on a host that is
 * not loopback it needs a token and refuses to start without one (TRB_DASHBOARD_AUTH_REQUIRED, exit 2).
 */
import type { Command } from 'commander';
import {
  type ConnectionsFile,
  DEFAULT_CONNECTIONS_FILE,
  dashboardToken,
  loadConnectionsFile,
} from '../connections/connections-file.js';
import { openRedis } from '../cluster/redis-connection.js';
import { syncSchedulers } from '../cluster/scheduler.js';
import { checkBinding } from '../dashboard/auth.js';
import { ConfigError } from '../errors.js';
import { buildDashboard } from '../dashboard/server.js';
import { globalRedactor } from '../util/redact.js';
import { type ClusterCliOptions, openCluster, withClusterOptions } from './cluster-options.js';
import { parseIntOption } from './common.js';
import { untilSignal } from './worker-command.js';

interface ServeCliOptions extends ClusterCliOptions {
  once?: boolean;
  dashboard: boolean;
  dashboardPort: number;
  dashboardHost: string;
}

export const DASHBOARD_DEFAULTS = { host: '127.0.0.1', port: 4321 };

export function registerServe(program: Command): void {
  withClusterOptions(
    program
      .command('serve')
      .description(
        'schedule the connections of the file (the one scheduler process) and serve the dashboard',
      ),
  )
    .option('--once', 'update the schedules and exit (instead of keeping them updated; no dashboard)', false)
    .option(
      '--dashboard-port <port>',
      `dashboard port (0: any free one; default ${DASHBOARD_DEFAULTS.port})`,
      parseIntOption('--dashboard-port', 0, 65535),
      DASHBOARD_DEFAULTS.port,
    )
    .option(
      '--dashboard-host <host>',
      `dashboard address; other than loopback needs a token (default ${DASHBOARD_DEFAULTS.host})`,
      DASHBOARD_DEFAULTS.host,
    )
    .option('--no-dashboard', 'schedule only; serve no dashboard')
    .action(async (o: ServeCliOptions) => {
      const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
      const withDashboard = o.dashboard && !o.once;
      let token: string | undefined;
      if (withDashboard) {
        // Refuse an unprotected non-loopback dashboard before touching Redis or the schedules.
        token = dashboardToken(loadConnectionsFile(path, process.env, { resolveSecrets: false }));
        checkBinding(o.dashboardHost, token);
        globalRedactor.add(token);
      }
      const session = await openCluster(o);
      let current: ConnectionsFile = session.file;
      const apply = async (why: string) => {
        const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
        const changes = await syncSchedulers(session.queue, file.connections);
        current = file;
        process.stderr.write(
          `serve (${why}): ${changes.upserted.length} scheduled [${changes.upserted.join(', ')}]` +
            `${changes.removed.length ? `, removed [${changes.removed.join(', ')}]` : ''}\n`,
        );
      };
      let dashboard: Awaited<ReturnType<typeof buildDashboard>> | undefined;
      try {
        await apply('start');
        if (o.once) return;
        if (withDashboard) {
          dashboard = await buildDashboard({
            redis: session.redis,
            redisFactory: () => openRedis(session.target),
            queue: session.queue,
            keys: session.keys,
            file: () => current,
            now: () => new Date(),
            token,
          });
          try {
            await dashboard.listen({ host: o.dashboardHost, port: o.dashboardPort });
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') throw err;
            throw new ConfigError(
              `the dashboard cannot listen on ${o.dashboardHost}:${o.dashboardPort} (${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'not allowed' : 'no such address here'}): pick another with --dashboard-port / --dashboard-host, or --no-dashboard`,
              { code: 'TRB_USAGE', details: { host: o.dashboardHost, port: o.dashboardPort } },
            );
          }
          const { port } = dashboard.server.address() as { port: number };
          const host = o.dashboardHost.includes(':') ? `[${o.dashboardHost}]` : o.dashboardHost;
          process.stderr.write(
            `serve: dashboard at http://${host}:${port}/${token ? ' (sign in with the dashboard token)' : ''}\n`,
          );
        }
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
        await dashboard?.close();
        await session.close();
      }
    });
}
