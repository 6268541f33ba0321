/**
 * Fault injection for list requests: which request fails (a seeded draw, or a queue filled by `failNext`
 * for tests that need an exact sequence) and how each kind of failure goes over the wire.
 */
import type { ServerResponse } from 'node:http';
import { Rng } from './prng.js';
import type { FaultKind, FaultOptions } from './types.js';

export const ALL_FAULT_KINDS: readonly FaultKind[] = [
  '500',
  '502',
  '503',
  '429',
  '429-no-retry-after',
  'reset',
  'hang',
  'truncated',
  'malformed',
  'slow',
  'html',
];

/** Kinds drawn by `rate` when none are named: hang and slow are left out because they take real time. */
export const QUICK_FAULT_KINDS: readonly FaultKind[] = ALL_FAULT_KINDS.filter(
  (k) => k !== 'hang' && k !== 'slow',
);

export interface FaultSettings {
  retryAfterSeconds: number;
  hangMs: number;
  slowBytesPerSecond: number;
}

/** Decides which list requests fail, and how. */
export class FaultPlan {
  private options: FaultOptions = {};
  private rng = new Rng(0);
  private readonly queue: Array<{ kind: FaultKind; remaining: number }> = [];

  constructor(
    options: FaultOptions | undefined,
    private readonly defaultSeed: number,
  ) {
    this.set(options);
  }

  /** Replace the rate-based faults (the `failNext` queue is kept) and restart the seeded draw. */
  set(options: FaultOptions | undefined): void {
    for (const k of options?.kinds ?? []) {
      if (!ALL_FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind '${k}'`);
    }
    this.options = { ...options };
    this.rng = new Rng(options?.seed ?? this.defaultSeed);
  }

  failNext(n: number, kind: FaultKind): void {
    if (!ALL_FAULT_KINDS.includes(kind)) throw new Error(`unknown fault kind '${kind}'`);
    if (n > 0) this.queue.push({ kind, remaining: Math.floor(n) });
  }

  /** The fault for the next list request, if any. */
  draw(): FaultKind | undefined {
    const head = this.queue[0];
    if (head) {
      if (--head.remaining <= 0) this.queue.shift();
      return head.kind;
    }
    const rate = this.options.rate ?? 0;
    if (rate <= 0) return undefined;
    if (this.rng.next() >= rate) return undefined;
    const kinds = this.options.kinds?.length ? this.options.kinds : QUICK_FAULT_KINDS;
    return this.rng.pick(kinds);
  }

  settings(): FaultSettings {
    return {
      retryAfterSeconds: this.options.retryAfterSeconds ?? 1,
      hangMs: this.options.hangMs ?? 60_000,
      slowBytesPerSecond: Math.max(1, this.options.slowBytesPerSecond ?? 4096),
    };
  }
}

/** A response ready to be written. */
export interface SimResponse {
  status: number;
  body: string | Buffer;
  /** Default application/json. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** What a fault needs from the server to act out. */
export interface FaultContext {
  res: ServerResponse;
  settings: FaultSettings;
  /** The answer the request would have had. */
  response(): SimResponse;
  /** The vendor's JSON error body for a status. */
  errorBody(status: number, retryAfterSeconds?: number): string;
  send(r: SimResponse): void;
  /** A timer the server cancels on close. */
  later(fn: () => void, ms: number): void;
}

/** The status the request log records for a fault: 0 when no response is ever sent. */
export function faultStatus(kind: FaultKind): number {
  switch (kind) {
    case 'reset':
    case 'hang':
      return 0;
    case '429':
    case '429-no-retry-after':
      return 429;
    case '500':
    case '502':
    case '503':
      return Number(kind);
    default:
      return 200;
  }
}

const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Service maintenance</title></head>' +
  '<body><h1>We&rsquo;ll be right back</h1><p>The service is down for scheduled maintenance.</p></body></html>\n';

export function performFault(kind: FaultKind, ctx: FaultContext): void {
  const { res, settings } = ctx;
  switch (kind) {
    case '500':
    case '502':
    case '503': {
      const status = Number(kind);
      ctx.send({ status, body: ctx.errorBody(status) });
      return;
    }
    case '429':
      ctx.send({
        status: 429,
        body: ctx.errorBody(429, settings.retryAfterSeconds),
        headers: { 'Retry-After': String(settings.retryAfterSeconds) },
      });
      return;
    case '429-no-retry-after':
      ctx.send({ status: 429, body: ctx.errorBody(429) });
      return;
    case 'reset':
      // A TCP RST rather than a FIN, so the client sees ECONNRESET as with a crashed load balancer.
      res.socket?.resetAndDestroy();
      return;
    case 'hang':
      // No answer at all; the socket is dropped after hangMs (or when the simulator closes).
      ctx.later(() => res.socket?.destroy(), settings.hangMs);
      return;
    case 'truncated': {
      const body = toBuffer(ctx.response().body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    case 'malformed': {
      // A complete HTTP response whose JSON stops halfway: the envelope is never closed, so it cannot parse.
      const body = toBuffer(ctx.response().body);
      ctx.send({ status: 200, body: body.subarray(0, Math.floor(body.length / 2)) });
      return;
    }
    case 'slow':
      drip(ctx, toBuffer(ctx.response().body));
      return;
    case 'html':
      ctx.send({ status: 200, body: HTML_PAGE, contentType: 'text/html; charset=utf-8' });
      return;
  }
}

/** Send the whole body, a tenth of a second's worth at a time. */
function drip(ctx: FaultContext, body: Buffer): void {
  const { res } = ctx;
  const chunk = Math.max(1, Math.round(ctx.settings.slowBytesPerSecond / 10));
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
  let off = 0;
  const step = () => {
    if (res.destroyed) return;
    const end = Math.min(body.length, off + chunk);
    const last = end === body.length;
    const piece = body.subarray(off, end);
    off = end;
    if (last) res.end(piece);
    else {
      res.write(piece);
      ctx.later(step, 100);
    }
  };
  step();
}

function toBuffer(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : body;
}
