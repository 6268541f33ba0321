/**
 * What every cluster command (`worker`, `serve`, `run`, `cancel`, `resume`, `status --file`) shares: the
 * connections file, the Redis address and key prefix, and opening them (the file without secrets: only a
 * worker resolves secrets, from its own environment, when it runs a job).
 */
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import {
  type ConnectionsFile,
  DEFAULT_CONNECTIONS_FILE,
  loadConnectionsFile,
  resolveRedisUrl,
} from '../connections/connections-file.js';
import { ClusterKeys } from '../cluster/keys.js';
import { checkRedis, openRedis, type RedisTarget, resolveRedisTarget } from '../cluster/redis-connection.js';
import { openQueue, type SyncQueue } from '../cluster/sync-queue.js';

export interface ClusterCliOptions {
  file?: string;
  redis?: string;
  prefix?: string;
}

export function withClusterOptions(command: Command, fileHelp = 'the connections file'): Command {
  return command
    .option('-f, --file <path>', `${fileHelp} (default: ${DEFAULT_CONNECTIONS_FILE})`)
    .option(
      '--redis <url>',
      "Redis URL (default: env TRIBUTARY_REDIS_URL, else the file's redis:, else redis://127.0.0.1:6379)",
    )
    .option('--prefix <prefix>', 'prefix of every Redis key (default: env TRIBUTARY_REDIS_PREFIX, else trb)');
}

export interface ClusterSession {
  file: ConnectionsFile;
  target: RedisTarget;
  keys: ClusterKeys;
  redis: Redis;
  queue: SyncQueue;
  close(): Promise<void>;
}

/** Load the file (secrets unresolved), check Redis answers (TRB_REDIS_UNREACHABLE if not), open the queue. */
export async function openCluster(o: ClusterCliOptions): Promise<ClusterSession> {
  const file = loadConnectionsFile(o.file ?? DEFAULT_CONNECTIONS_FILE, process.env, {
    resolveSecrets: false,
  });
  const target = resolveRedisTarget(o, () => resolveRedisUrl(file));
  await checkRedis(target);
  const keys = new ClusterKeys(target.prefix);
  const redis = openRedis(target);
  const queue = openQueue(redis, keys);
  return {
    file,
    target,
    keys,
    redis,
    queue,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}
