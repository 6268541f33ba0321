/**
 * The HTTP side every simulator shares: a node:http server that asks a vendor dialect how to route each
 * request, then applies what all vendors have in common (rate limit per credential, faults on list
 * requests, latency, the request log) and tracks every socket and timer so `close()` ends them all.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { FaultPlan, type FaultSettings, faultStatus, performFault, type SimResponse } from './faults.js';
import { type ParsedQuery, parseQuery } from './query.js';
import { SlidingWindowLimiter } from './rate-limiter.js';
import { RequestLog } from './request-log.js';
import type { FaultOptions } from './types.js';

export type { SimResponse } from './faults.js';

export interface SimRequest {
  method: string;
  /** The path as sent, without the query string (still percent-encoded). */
  path: string;
  /** The query string as sent, with its leading '?', or ''. */
  search: string;
  query: ParsedQuery;
  headers: http.IncomingHttpHeaders;
  /** `http://<Host header>`: links in bodies point back at whatever address the client dialled. */
  origin: string;
}

/** How a dialect wants a request handled. */
export type Routed =
  /**
   * Answer at once, with no rate limit and no faults (unknown routes, bad credentials, redirects). `list`
   * marks a refused list request, which still counts as one.
   */
  | { kind: 'reply'; stream?: string; list?: boolean; response: SimResponse }
  /** A resource behind a valid credential: rate-limited; list requests are counted and may get faults. */
  | { kind: 'serve'; stream?: string; list: boolean; credential: string; respond: () => SimResponse };

/** The vendor-specific part of a simulator. */
export interface Dialect {
  route(req: SimRequest): Routed;
  /** The vendor's JSON error body for a status (used for faults, throttling and internal errors). */
  errorBody(status: number, retryAfterSeconds?: number): string;
}

export interface ServerOptions {
  host?: string;
  port?: number;
  seed: number;
  latencyMs?: number;
  faults?: FaultOptions;
  rateLimitPerMinute?: number;
}

export class SimulatorServer {
  readonly log = new RequestLog();
  readonly faults: FaultPlan;
  private readonly limiter: SlidingWindowLimiter | undefined;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly latencyMs: number;
  private closed = false;
  private listHook: ((stream: string, n: number) => void) | undefined;
  private readonly listHookCounts = new Map<string, number>();
  host = '127.0.0.1';
  port = 0;

  private constructor(
    private readonly dialect: Dialect,
    opts: ServerOptions,
  ) {
    this.faults = new FaultPlan(opts.faults, opts.seed);
    this.latencyMs = Math.max(0, opts.latencyMs ?? 0);
    const limit = opts.rateLimitPerMinute ?? 0;
    this.limiter = limit > 0 ? new SlidingWindowLimiter(limit) : undefined;
    this.server = http.createServer({ keepAlive: true }, (req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(dialect: Dialect, opts: ServerOptions): Promise<SimulatorServer> {
    const s = new SimulatorServer(dialect, opts);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port ?? 0, host, () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    const addr = s.server.address();
    s.port = typeof addr === 'object' && addr ? addr.port : 0;
    s.host = host;
    return s;
  }

  /** See SimulatorHandle.onListRequest. */
  setListHook(hook: ((stream: string, n: number) => void) | undefined): void {
    this.listHook = hook;
    this.listHookCounts.clear();
  }

  /** `http://host:port`, with IPv6 hosts bracketed. */
  get origin(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await done;
  }

  private later(fn: () => void, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = Date.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const search = q < 0 ? '' : url.slice(q);
    const sreq: SimRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      search,
      query: parseQuery(search),
      headers: req.headers,
      origin: `http://${req.headers.host ?? `${this.host}:${this.port}`}`,
    };
    const log = (status: number, stream?: string) =>
      this.log.add({ method: sreq.method, path: sreq.path, query: sreq.query.last, status, stream, at });

    let routed: Routed;
    try {
      routed = this.dialect.route(sreq);
    } catch (err) {
      routed = { kind: 'reply', response: this.internalError(err) };
    }
    if (routed.kind === 'reply') {
      if (routed.list && routed.stream !== undefined) this.log.countList(routed.stream);
      log(routed.response.status, routed.stream);
      this.deliver(() => this.send(res, routed.response));
      return;
    }

    const { stream, list } = routed;
    if (list && stream !== undefined) this.log.countList(stream);
    const decision = this.limiter?.take(routed.credential);
    if (decision && !decision.allowed) {
      const wait = decision.retryAfterSeconds;
      log(429, stream);
      this.deliver(() =>
        this.send(res, {
          status: 429,
          body: this.dialect.errorBody(429, wait),
          headers: { 'Retry-After': String(wait) },
        }),
      );
      return;
    }

    const fault = list ? this.faults.draw() : undefined;
    let response: SimResponse | undefined;
    const answer = (): SimResponse => {
      if (response) return response;
      try {
        if (list && stream !== undefined && this.listHook) {
          const n = (this.listHookCounts.get(stream) ?? 0) + 1;
          this.listHookCounts.set(stream, n);
          this.listHook(stream, n);
        }
        response = routed.respond();
      } catch (err) {
        response = this.internalError(err);
      }
      return response;
    };
    if (fault === undefined) {
      const r = answer();
      log(r.status, stream);
      this.deliver(() => this.send(res, r));
      return;
    }
    // The real answer is computed now, at arrival, so a fault that sends part of it sends today's data.
    if (fault === 'truncated' || fault === 'malformed' || fault === 'slow') answer();
    log(faultStatus(fault), stream);
    const settings: FaultSettings = this.faults.settings();
    this.deliver(() =>
      performFault(fault, {
        res,
        settings,
        response: answer,
        errorBody: (status, retryAfter) => this.dialect.errorBody(status, retryAfter),
        send: (r) => this.send(res, r),
        later: (fn, ms) => this.later(fn, ms),
      }),
    );
  }

  private deliver(fn: () => void): void {
    if (this.latencyMs > 0) this.later(fn, this.latencyMs);
    else fn();
  }

  private send(res: http.ServerResponse, r: SimResponse): void {
    if (res.destroyed || res.headersSent) return;
    const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    res.writeHead(r.status, {
      'Content-Type': r.contentType ?? 'application/json',
      'Content-Length': String(body.length),
      ...r.headers,
    });
    res.end(body);
  }

  private internalError(err: unknown): SimResponse {
    // A simulator bug should be loud in the test output, not look like a vendor hiccup.
    process.stderr.write(
      `simulator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return { status: 500, body: this.dialect.errorBody(500) };
  }
}
