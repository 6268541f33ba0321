/**
 * A child process for the shared-budget tests: acquires from a Redis budget as fast as it is allowed, from
 * `startAt` (epoch ms, so every child starts together) for `durationMs`, and prints the epoch ms of each
 * grant as one JSON line. Run with `node --import tsx`.
 *
 * argv: url prefix credentialHash limitPerMinute startAt durationMs
 */
import { RedisBudgets } from '../../src/http/redis-rate-budget.js';
import { sleep } from '../../src/http/rate-budget.js';

const [url, prefix, hash, limit, startAt, durationMs] = process.argv.slice(2);
const budgets = new RedisBudgets({ url: url!, prefix: prefix! });
await budgets.connect();
const budget = budgets.forCredential(hash!, Number(limit));
await sleep(Math.max(0, Number(startAt) - Date.now()));
const end = Number(startAt) + Number(durationMs);
const grants: number[] = [];
// Three acquirers at once, like a sync's concurrent streams: slots are reserved ahead, so a child the machine
// starves for a moment shifts its grants instead of losing them. Bounded in count as well as time.
const loop = async () => {
  while (Date.now() < end && grants.length < 20_000) {
    await budget.acquire();
    grants.push(Date.now());
  }
};
await Promise.all([loop(), loop(), loop()]);
process.stdout.write(`${JSON.stringify({ pid: process.pid, grants })}\n`);
await budgets.close();
