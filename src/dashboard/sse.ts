/**
 * The Live page's event stream. Hand-written on `reply.hijack()` + `reply.raw` rather than a plugin: SSE is a
 * header and `event:/data:` lines, and the one subtle part (multi-line HTML must be one `data:` line each)
 * is three lines here. Each client gets the snapshot at once, then a fresh render whenever a worker
 * publishes progress (subscribeLive), at most every 250 ms, plus a render every 2 s so runs that start or
 * end show even without a message, and a comment line every 15 s to keep proxies from closing it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readLive, subscribeLive } from '../cluster/dashboard-data.js';
import { globalRedactor } from '../util/redact.js';
import type { DashboardContext } from './context.js';
import { html } from './html.js';
import { liveFragment } from './pages/live.js';

const MIN_GAP_MS = 250;
const POLL_MS = 2000;
const HEARTBEAT_MS = 15_000;

/** One SSE event: every line of `data` gets its own `data:` prefix, as the format requires. */
export function sseEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`;
}

/** Stream the Live fragment: of every running sync, or of one connection's (its page's live panel). */
export function serveLiveEvents(
  ctx: DashboardContext,
  req: FastifyRequest,
  reply: FastifyReply,
  connection?: string,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  res.write('retry: 2000\n\n');
  let closed = false;
  let busy = false;
  let again = false;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const render = async () => {
    if (closed) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const all = await readLive(ctx.redis, ctx.keys);
      const runs = connection === undefined ? all : all.filter((r) => r.connection === connection);
      if (!closed) res.write(sseEvent('live', liveFragment(runs, ctx.now()).value));
    } catch (err) {
      const message = globalRedactor.redact(err instanceof Error ? err.message : String(err));
      if (!closed)
        res.write(
          sseEvent(
            'live',
            html`<div class="error-box" role="alert">Cannot read live progress: ${message}. Retrying.</div>`
              .value,
          ),
        );
    } finally {
      busy = false;
      last = Date.now();
      if (again) {
        again = false;
        schedule();
      }
    }
  };
  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        void render();
      },
      Math.max(0, last + MIN_GAP_MS - Date.now()),
    );
  };
  let unsubscribe: (() => Promise<void>) | undefined;
  try {
    unsubscribe = subscribeLive(ctx.redisFactory, ctx.keys, () => schedule());
  } catch {
    unsubscribe = undefined; // the 2 s poll still keeps the page true
  }
  const poll = setInterval(schedule, POLL_MS);
  const beat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(poll);
    clearInterval(beat);
    if (timer) clearTimeout(timer);
    void unsubscribe?.().catch(() => undefined);
    res.end();
  };
  req.raw.on('close', close);
  res.on('close', close);
  void render();
}
