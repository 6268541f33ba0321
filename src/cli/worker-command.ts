/** `tributary worker`: consume sync jobs from Redis until SIGINT/SIGTERM (then finish the running ones). */
import type { Command } from 'commander';
import {
  DEFAULT_CONNECTIONS_FILE,
  loadConnectionsFile,
  resolveRedisUrl,
} from '../connections/connections-file.js';
import { checkRedis, resolveRedisTarget } from '../cluster/redis-connection.js';
import { startWorker, WORKER_DEFAULTS } from '../cluster/worker.js';
import { makeLogger, intOption } from './common.js';
import { type ClusterCliOptions, withClusterOptions } from './cluster-options.js';

interface WorkerCliOptions extends ClusterCliOptions {
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
  name?: string;
  logLevel?: string;
  batchRows?: number;
  parkAfter: number;
}

export function registerWorker(program: Command): void {
  withClusterOptions(
    program
      .command('worker')
      .description('run sync jobs from the Redis queue (start any number, on any machines)'),
    'the connections file the jobs name connections of',
  )
    .addOption(
      intOption('--concurrency <n>', 'sync jobs at once in this process', 1, 64, WORKER_DEFAULTS.concurrency),
    )
    .addOption(
      intOption(
        '--lock-duration <ms>',
        "job lock (and lease) duration: a dead worker's job is recovered within this plus --stalled-interval",
        500,
        3_600_000,
        WORKER_DEFAULTS.lockDurationMs,
      ),
    )
    .addOption(
      intOption(
        '--stalled-interval <ms>',
        'how often to look for jobs whose worker died',
        500,
        3_600_000,
        WORKER_DEFAULTS.stalledIntervalMs,
      ),
    )
    .addOption(
      intOption(
        '--max-stalled <n>',
        'times a job may lose its worker and be recovered before it fails',
        1,
        1000,
        WORKER_DEFAULTS.maxStalledCount,
      ),
    )
    .addOption(
      intOption(
        '--batch-rows <n>',
        "rows per destination transaction (default: the engine's 10,000)",
        1,
        1_000_000,
      ),
    )
    .addOption(
      intOption(
        '--park-after <ms>',
        'a sync that would wait longer than this for its shared rate budget is parked (delayed) and frees its slot',
        1000,
        86_400_000,
        WORKER_DEFAULTS.budgetMaxWaitMs,
      ),
    )
    .option('--name <name>', 'worker name in status and run rows (default: host:pid)')
    .option('--log-level <level>', 'log level (default: info; env TRIBUTARY_LOG_LEVEL)')
    .action(async (o: WorkerCliOptions) => {
      const path = o.file ?? DEFAULT_CONNECTIONS_FILE;
      // Validated up front; secrets are not: each job resolves only its own connection's, so a worker may
      // lack the secrets of connections meant for other machines (such a job fails, unretried, naming them).
      const file = loadConnectionsFile(path, process.env, { resolveSecrets: false });
      const target = resolveRedisTarget(o, () => resolveRedisUrl(file));
      await checkRedis(target);
      const worker = await startWorker({
        target,
        file: path,
        concurrency: o.concurrency,
        lockDurationMs: o.lockDuration,
        stalledIntervalMs: o.stalledInterval,
        maxStalledCount: o.maxStalled,
        lockedDelayMs: WORKER_DEFAULTS.lockedDelayMs,
        budgetMaxWaitMs: o.parkAfter,
        batchRows: o.batchRows,
        name: o.name,
        logger: makeLogger({ logLevel: o.logLevel }),
      });
      process.stderr.write(
        `worker ${worker.name} ready (${file.connections.length} connections in ${path})\n`,
      );
      await untilSignal();
      process.stderr.write(`worker ${worker.name}: stopping after the running jobs\n`);
      await worker.close();
    });
}

/** Resolves at the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (s: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(s);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
