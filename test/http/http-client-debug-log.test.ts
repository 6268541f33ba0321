/**
 * The HttpClient at debug level logs one line per request (each attempt and redirect hop): method, masked
 * URL, status and timing; the same request reaches `onRequest` with its headers masked. Real requests to a
 * loopback server.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyMetrics, HttpClient, type RequestEvent } from '../../src/http/http-client.js';
import { Redactor } from '../../src/util/redact.js';
import { sendJson, startServer, type TestServer } from '../helpers/test-server.js';

const SECRET = 'q-s3cr3t-value-8080';
const TOKEN = 'tok_debug_abcdef123456';
const redactor = new Redactor();
redactor.add(SECRET);
redactor.add(TOKEN);

const servers: TestServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A pino logger at `level` whose JSON lines land in `lines`. */
function capture(level: string): {
  logger: pino.Logger;
  lines: Record<string, unknown>[];
  text: () => string;
} {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  const logger = pino({ level }, sink);
  return {
    logger,
    get lines() {
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => text,
  };
}

async function setup(level: string, handler: Parameters<typeof startServer>[0]) {
  const s = await startServer(handler);
  servers.push(s);
  const log = capture(level);
  const events: RequestEvent[] = [];
  const c = new HttpClient({
    timeoutMs: 2000,
    maxRetries: 2,
    backoff: { baseMs: 5, maxMs: 20 },
    allowedOrigins: [s.origin],
    authorize: (url, headers) => {
      url.searchParams.set('api_key', SECRET);
      headers.authorization = `Bearer ${TOKEN}`;
    },
    headers: { 'x-custom': `prefix-${SECRET}` },
    redactor,
    logger: log.logger,
    onRequest: (e) => events.push(e),
  });
  clients.push(c);
  return { s, c, log, events };
}

describe('HttpClient debug request log', () => {
  it('logs each attempt with its masked URL, status and timing, and reports it with masked headers', async () => {
    const { s, c, log, events } = await setup('debug', (_req, res, _seen, i) =>
      i === 0 ? sendJson(res, 503, { busy: true }) : sendJson(res, 200, { items: [1] }),
    );
    const res = await c.getJson(s.url('/items?page=2'), emptyMetrics());
    expect(res.status).toBe(200);
    const requests = log.lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(2);
    expect(requests.map((l) => [l.level, l.method, l.status, l.attempt])).toEqual([
      [20, 'GET', 503, 0],
      [20, 'GET', 200, 1],
    ]);
    for (const l of requests) {
      expect(l.url).toBe(`${s.origin}/items?page=2&api_key=***`);
      expect(typeof l.ms).toBe('number');
      expect(l.ms as number).toBeGreaterThanOrEqual(0);
    }
    expect(log.text()).not.toContain(SECRET);
    expect(log.text()).not.toContain(TOKEN);

    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      method: 'GET',
      status: 200,
      attempt: 1,
      url: `${s.origin}/items?page=2&api_key=***`,
    });
    expect(events[1]!.headers.authorization).toBe('Bearer ***');
    expect(events[1]!.headers['x-custom']).toBe('prefix-***');
    expect(JSON.stringify(events.map(({ requested: _r, sent: _s, ...shown }) => shown))).not.toMatch(
      new RegExp(`${SECRET}|${TOKEN}`),
    );
    // The server did get the real credentials: only what is shown is masked.
    expect(s.requests[1]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('a request without a response is logged with its error code', async () => {
    const { s, c, log } = await setup('debug', (req, res, _seen, i) =>
      i === 0 ? req.socket.destroy() : sendJson(res, 200, { ok: true }),
    );
    await c.getJson(s.url('/x'), emptyMetrics());
    const requests = log.lines.filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.status, l.error])).toEqual([
      [null, 'TRB_SOURCE_NETWORK'],
      [200, undefined],
    ]);
  });

  it('logs nothing about requests above debug level', async () => {
    const { s, c, log, events } = await setup('info', (_req, res) => sendJson(res, 200, { ok: true }));
    await c.getJson(s.url('/x'), emptyMetrics());
    expect(log.lines.filter((l) => l.msg === 'request')).toEqual([]);
    // The observer is told whatever the level.
    expect(events).toHaveLength(1);
  });
});
