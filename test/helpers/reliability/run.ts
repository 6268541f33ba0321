/**
 * Running the built CLI for the reliability suite: a plain run, and a run killed with SIGKILL once the API
 * it reads from has served a chosen number of requests (plus a random few milliseconds), so kills land at
 * random points of real progress rather than before start-up or after the end.
 */
import type { CliResult } from '../cli.js';
import { startCli } from '../cli.js';

export interface KillPlan {
  /** Requests served so far by the API under test (simulator or fake API). */
  progress?: () => number;
  /** Kill once `progress()` has grown by this much since the start (0: right after spawn + delay). */
  afterRequests?: number;
  /** Extra delay after the threshold, in ms. */
  delayMs: number;
  /** Kill anyway after this long (a safety net for a sync that stalls). */
  deadlineMs?: number;
}

export interface KilledRun {
  result: CliResult;
  /** The process died of our SIGKILL (it had not finished yet). */
  killed: boolean;
  /** Where the kill landed, for messages. */
  at: string;
}

export async function runKilled(
  args: string[],
  plan: KillPlan,
  env: Record<string, string> = {},
): Promise<KilledRun> {
  const start = plan.progress?.() ?? 0;
  const { child, done } = startCli(args, env);
  let exited = false;
  let at = 'not killed (finished first)';
  const timers: NodeJS.Timeout[] = [];
  const kill = (why: string) => {
    if (exited) return;
    at = why;
    child.kill('SIGKILL');
  };
  const fire = () =>
    timers.push(
      setTimeout(() => kill(`after ${plan.afterRequests ?? 0} requests + ${plan.delayMs} ms`), plan.delayMs),
    );
  if (plan.progress && plan.afterRequests !== undefined && plan.afterRequests > 0) {
    const target = plan.afterRequests;
    const poll = setInterval(() => {
      if (exited) return clearInterval(poll);
      if (plan.progress!() - start >= target) {
        clearInterval(poll);
        fire();
      }
    }, 1);
    timers.push(poll);
  } else {
    fire();
  }
  if (plan.deadlineMs) timers.push(setTimeout(() => kill(`deadline ${plan.deadlineMs} ms`), plan.deadlineMs));
  const result = await done;
  exited = true;
  for (const t of timers) clearTimeout(t);
  return { result, killed: result.signal === 'SIGKILL', at };
}

/** The summary printed by `sync --json` (the last JSON line of stdout), if any. */
export function summaryOf(r: CliResult):
  | {
      status: string;
      error?: { code: string; message: string };
      streams: Array<{
        stream: string;
        status: string;
        softDeletes: number;
        upserts: number;
        error?: { code: string; message: string };
      }>;
    }
  | undefined {
  const lines = r.stdout.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l);
    } catch {
      // not the summary
    }
  }
  return undefined;
}

export function tail(text: string, n = 1500): string {
  return text.length > n ? `…${text.slice(-n)}` : text;
}
