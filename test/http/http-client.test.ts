import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, RateLimitError, SourceError, TributaryError } from '../../src/errors.js';
import { emptyMetrics, HttpClient, type HttpClientOptions } from '../../src/http/http-client.js';
import { TokenBucketBudget, UnlimitedBudget } from '../../src/http/rate-budget.js';
import { Redactor } from '../../src/util/redact.js';
import { sendJson, sendText, startServer, type TestServer } from '../helpers/test-server.js';

const SECRET = 's3cr3t~K3y!value';
const TOKEN = 'tok_BEARER_abcdef123456';
const formEncoded = (s: string) => new URLSearchParams({ s }).toString().slice(2);
const SECRET_FORMS = [SECRET, encodeURIComponent(SECRET), formEncoded(SECRET), TOKEN];

const redactor = new Redactor();
redactor.add(SECRET);
redactor.add(TOKEN);

const authorize: HttpClientOptions['authorize'] = (url, headers) => {
  url.searchParams.set('hapikey', SECRET);
  headers.authorization = `Bearer ${TOKEN}`;
};

const servers: TestServer[] = [];
const clients: HttpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

function client(s: TestServer, o: Partial<HttpClientOptions> = {}): HttpClient {
  const c = new HttpClient({
    timeoutMs: 2000,
    maxRetries: 2,
    backoff: { baseMs: 10, maxMs: 50 },
    allowedOrigins: [s.origin],
    authorize,
    redactor,
    ...o,
  });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<TributaryError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TributaryError);
    return err as TributaryError;
  }
  throw new Error('expected the request to fail');
}

/** No secret, no encoded form of it and not even its first 8 characters may appear anywhere in the error. */
function expectNoSecret(err: TributaryError): void {
  const surfaces = [err.message, JSON.stringify(err), String(err.stack), JSON.stringify(err.details)];
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) surfaces.push(cause.message, JSON.stringify(cause));
  for (const text of surfaces) {
    for (const form of SECRET_FORMS) {
      expect(text).not.toContain(form);
      expect(text).not.toContain(form.slice(0, 8));
    }
  }
}

/** Echo what the client sent, as a misbehaving API might. */
const echo = (seen: { url: URL; headers: Record<string, unknown> }) =>
  `${seen.url.toString()} auth=${String(seen.headers.authorization)}`;

describe('HttpClient: success', () => {
  it('GETs JSON with the accept header, extra headers and credentials', async () => {
    const s = await server((_req, res) => sendJson(res, 200, { data: [1, 2, 3] }));
    const metrics = emptyMetrics();
    const res = await client(s, { headers: { 'user-agent': 'tributary-test' } }).getJson(
      s.url('/people?page=2'),
      metrics,
    );
    expect(res).toMatchObject({ status: 200, body: { data: [1, 2, 3] }, endOfStream: false });
    expect(res.bytes).toBe(JSON.stringify({ data: [1, 2, 3] }).length);
    expect(res.url.pathname).toBe('/people');
    expect(metrics).toMatchObject({ requests: 1, retries: 0, http429: 0, bytes: res.bytes });
    const [seen] = s.requests;
    expect(seen!.headers.accept).toBe('application/json');
    expect(seen!.headers['user-agent']).toBe('tributary-test');
    expect(seen!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen!.url.searchParams.getAll('hapikey')).toEqual([SECRET]);
    expect(seen!.url.searchParams.get('page')).toBe('2');
  });

  it('does not add the credential to the caller’s URL object', async () => {
    const s = await server((_req, res) => sendJson(res, 200, {}));
    const url = s.url('/x');
    await client(s).getJson(url, emptyMetrics());
    expect(url.searchParams.has('hapikey')).toBe(false);
  });
});

describe('HttpClient: retries', () => {
  it('retries 500 and 503 with growing backoff, then succeeds', async () => {
    const s = await server((_req, res, _seen, i) => {
      if (i === 0) sendJson(res, 500, { error: 'boom' });
      else if (i === 1) sendJson(res, 503, { error: 'unavailable' });
      else sendJson(res, 200, { ok: true });
    });
    const metrics = emptyMetrics();
    const res = await client(s, { backoff: { baseMs: 60, maxMs: 1000 } }).getJson(s.url('/x'), metrics);
    expect(res.body).toEqual({ ok: true });
    expect(s.requests).toHaveLength(3);
    expect(metrics).toMatchObject({ requests: 3, retries: 2 });
    const [a, b, c] = s.requests.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(28);
    expect(c! - b!).toBeGreaterThanOrEqual(58);
  });

  it('gives up after maxRetries with the status and the number of attempts', async () => {
    const s = await server((_req, res) => sendJson(res, 502, { error: 'bad gateway' }));
    const err = await failure(client(s, { maxRetries: 2 }).getJson(s.url('/x'), emptyMetrics()));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.code).toBe('TRB_SOURCE_HTTP');
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('gave up after 3 attempts');
    expect(err.details).toMatchObject({ status: 502, attempts: 3 });
    expect(s.requests).toHaveLength(3);
    expectNoSecret(err);
  });

  it('honours Retry-After in seconds on a 429 and pauses the budget for every request sharing it', async () => {
    let sentAt = 0;
    let resolveFirst: () => void = () => undefined;
    const firstAnswered = new Promise<void>((r) => {
      resolveFirst = r;
    });
    const s = await server((_req, res, seen) => {
      if (seen.url.pathname === '/a' && sentAt === 0) {
        sentAt = Date.now();
        sendJson(res, 429, { error: 'slow down' }, { 'retry-after': '1' });
        resolveFirst();
      } else sendJson(res, 200, { path: seen.url.pathname });
    });
    const budget = new UnlimitedBudget();
    const metricsA = emptyMetrics();
    const a = client(s, { budget, backoff: { baseMs: 10, maxMs: 5000 } }).getJson(s.url('/a'), metricsA);
    await firstAnswered;
    await new Promise((r) => setTimeout(r, 50));
    const b = client(s, { budget }).getJson(s.url('/b'), emptyMetrics());
    await Promise.all([a, b]);
    const later = s.requests.slice(1);
    expect(later.map((r) => r.url.pathname).sort()).toEqual(['/a', '/b']);
    for (const r of later) expect(r.at).toBeGreaterThanOrEqual(sentAt + 995);
    expect(metricsA).toMatchObject({ http429: 1, retries: 1, requests: 2 });
    expect(metricsA.budgetWaitMs).toBeGreaterThanOrEqual(900);
    expect(budget.stats().pauses).toBe(1);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    let until = 0;
    const s = await server((_req, res, _seen, i) => {
      if (i === 0) {
        until = Math.ceil((Date.now() + 400) / 1000) * 1000;
        sendJson(res, 429, {}, { 'retry-after': new Date(until).toUTCString() });
      } else sendJson(res, 200, { ok: true });
    });
    const budget = new UnlimitedBudget();
    await client(s, { budget, backoff: { baseMs: 10, maxMs: 5000 } }).getJson(s.url('/x'), emptyMetrics());
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]!.at).toBeGreaterThanOrEqual(until - 5);
    expect(budget.stats().pauses).toBe(1);
  });

  it('caps a Retry-After at the backoff maximum', async () => {
    const s = await server((_req, res, _seen, i) => {
      if (i === 0) sendJson(res, 429, {}, { 'retry-after': '3600' });
      else sendJson(res, 200, { ok: true });
    });
    await client(s, { backoff: { baseMs: 10, maxMs: 200 } }).getJson(s.url('/x'), emptyMetrics());
    const gap = s.requests[1]!.at - s.requests[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(190);
    expect(gap).toBeLessThan(1500);
  });

  it('pauses the budget by a backoff step on a 429 without Retry-After', async () => {
    const s = await server((_req, res, _seen, i) => {
      if (i === 0) sendJson(res, 429, {});
      else sendJson(res, 200, { ok: true });
    });
    const budget = new UnlimitedBudget();
    await client(s, { budget, backoff: { baseMs: 100, maxMs: 1000 } }).getJson(s.url('/x'), emptyMetrics());
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(48);
    expect(budget.stats().pauses).toBe(1);
  });

  it('honours Retry-After on a 503 too, for every request sharing the budget', async () => {
    let sentAt = 0;
    const s = await server((_req, res, _seen, i) => {
      if (i === 0) {
        sentAt = Date.now();
        sendJson(res, 503, { error: 'maintenance' }, { 'retry-after': '1' });
      } else sendJson(res, 200, { ok: true });
    });
    const budget = new UnlimitedBudget();
    const metrics = emptyMetrics();
    await client(s, { budget, backoff: { baseMs: 10, maxMs: 5000 } }).getJson(s.url('/x'), metrics);
    expect(s.requests[1]!.at).toBeGreaterThanOrEqual(sentAt + 995);
    expect(budget.stats().pauses).toBe(1);
    expect(metrics.http429).toBe(0);
  });

  it('gives up with TRB_RATE_LIMITED when 429s outlast the retries', async () => {
    const s = await server((_req, res, seen) =>
      sendText(res, 429, `too many requests for ${echo(seen)}`, 'text/plain'),
    );
    const err = await failure(client(s, { maxRetries: 1 }).getJson(s.url('/x'), emptyMetrics()));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.code).toBe('TRB_RATE_LIMITED');
    expect(err.message).toContain('still rate limited (HTTP 429) after 1 retries');
    expect(s.requests).toHaveLength(2);
    expectNoSecret(err);
  });

  it('acquires the budget for every attempt and every redirect hop', async () => {
    const s = await server((_req, res, seen, i) => {
      if (seen.url.pathname === '/start') {
        res.writeHead(302, { location: '/next' });
        res.end();
      } else if (i === 1) sendJson(res, 500, {});
      else sendJson(res, 200, { ok: true });
    });
    const budget = new TokenBucketBudget(60_000);
    const metrics = emptyMetrics();
    await client(s, { budget }).getJson(s.url('/start'), metrics);
    expect(s.requests.map((r) => r.url.pathname)).toEqual(['/start', '/next', '/start', '/next']);
    expect(budget.stats().acquired).toBe(4);
    expect(metrics.requests).toBe(4);
  });
});

describe('HttpClient: errors that are not retried', () => {
  it('401 is an AuthError that never shows the credentials, even when the API echoes them', async () => {
    const s = await server((_req, res, seen) =>
      sendJson(res, 401, { error: `invalid key in ${echo(seen)}` }),
    );
    const err = await failure(client(s).getJson(s.url('/people'), emptyMetrics()));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('TRB_AUTH');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 401 Unauthorized');
    expect(err.message).toContain('/people');
    expect(err.details.status).toBe(401);
    expect(s.requests).toHaveLength(1);
    expectNoSecret(err);
  });

  it('403 is an AuthError too', async () => {
    const s = await server((_req, res, seen) => sendText(res, 403, `forbidden: ${echo(seen)}`, 'text/plain'));
    const err = await failure(client(s).getJson(s.url('/people'), emptyMetrics()));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('HTTP 403 Forbidden');
    expect(s.requests).toHaveLength(1);
    expectNoSecret(err);
  });

  it('404 is a SourceError that is not retried', async () => {
    const s = await server((_req, res) => sendJson(res, 404, { detail: 'Not found.' }));
    const err = await failure(client(s).getJson(s.url('/nope'), emptyMetrics()));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.code).toBe('TRB_SOURCE_HTTP');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 404');
    expect(err.message).toContain('Not found.');
    expect(s.requests).toHaveLength(1);
    expectNoSecret(err);
  });

  it('a policy can make a 404 the end of the stream', async () => {
    const s = await server((_req, res, seen) =>
      sendJson(res, 404, {
        detail: seen.url.searchParams.get('page') === '9' ? 'Invalid page.' : 'Not found.',
      }),
    );
    const c = client(s, {
      policy: { rules: [{ statuses: [404], action: 'end_of_stream', bodyContains: 'Invalid page' }] },
    });
    const res = await c.getJson(s.url('/tasks?page=9'), emptyMetrics());
    expect(res).toMatchObject({ status: 404, body: undefined, endOfStream: true });
    await expect(c.getJson(s.url('/tasks?page=1'), emptyMetrics())).rejects.toMatchObject({
      code: 'TRB_SOURCE_HTTP',
    });
  });
});

describe('HttpClient: bad bodies', () => {
  it('retries malformed JSON, then fails with TRB_SOURCE_BAD_RESPONSE', async () => {
    const s = await server((_req, res) => sendText(res, 200, '{"data": [1, 2', 'application/json'));
    const err = await failure(client(s, { maxRetries: 2 }).getJson(s.url('/x'), emptyMetrics()));
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toContain('malformed JSON');
    expect(err.message).toContain('gave up after 3 attempts');
    expect(s.requests).toHaveLength(3);
    expectNoSecret(err);
  });

  it('recovers when a retry brings valid JSON', async () => {
    const s = await server((_req, res, _seen, i) =>
      i === 0 ? sendText(res, 200, '{"trunc', 'application/json') : sendJson(res, 200, { ok: 1 }),
    );
    const metrics = emptyMetrics();
    const res = await client(s).getJson(s.url('/x'), metrics);
    expect(res.body).toEqual({ ok: 1 });
    expect(metrics.retries).toBe(1);
  });

  it('names an HTML page as HTML, by content type or by its first character', async () => {
    const s = await server((_req, res, seen) => {
      if (seen.url.pathname === '/typed')
        sendText(res, 200, 'Service temporarily down', 'text/html; charset=utf-8');
      else sendText(res, 200, '  <!doctype html><html><body>Login</body></html>', 'application/octet-stream');
    });
    for (const path of ['/typed', '/sniffed']) {
      const err = await failure(client(s, { maxRetries: 0 }).getJson(s.url(path), emptyMetrics()));
      expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
      expect(err.message, path).toContain('the body is an HTML page');
    }
  });

  it('never shows part of a secret that straddles the quoted start of a bad body', async () => {
    for (let pad = 40; pad <= 60; pad += 4) {
      const s = await server((_req, res) =>
        sendText(res, 200, `${'x'.repeat(pad)}${SECRET} more text`, 'text/plain'),
      );
      const err = await failure(client(s, { maxRetries: 0 }).getJson(s.url('/x'), emptyMetrics()));
      expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
      expectNoSecret(err);
    }
  });

  it('never shows part of a secret that straddles the end of an error snippet', async () => {
    for (let pad = 180; pad <= 200; pad += 4) {
      const s = await server((_req, res) =>
        sendText(res, 404, `${'y'.repeat(pad)}${SECRET} trailing`, 'text/plain'),
      );
      const err = await failure(client(s).getJson(s.url('/x'), emptyMetrics()));
      expect(err.code).toBe('TRB_SOURCE_HTTP');
      expectNoSecret(err);
    }
  });
});

describe('HttpClient: timeouts and network failures', () => {
  it('times out a server that never answers, per attempt', async () => {
    const s = await server(() => undefined);
    const start = Date.now();
    const err = await failure(
      client(s, { timeoutMs: 150, maxRetries: 1 }).getJson(s.url('/hang'), emptyMetrics()),
    );
    expect(err.code).toBe('TRB_SOURCE_TIMEOUT');
    expect(err.message).toContain('no complete response within 150 ms');
    expect(err.message).toContain('gave up after 2 attempts');
    expect(s.requests).toHaveLength(2);
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    expectNoSecret(err);
  });

  it('times out a body that stops half way', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data": [');
    });
    const err = await failure(
      client(s, { timeoutMs: 150, maxRetries: 0 }).getJson(s.url('/stall'), emptyMetrics()),
    );
    expect(err.code).toBe('TRB_SOURCE_TIMEOUT');
    expectNoSecret(err);
  });

  it('reports a connection reset as TRB_SOURCE_NETWORK after retrying it', async () => {
    const s = await server((req) => req.socket.destroy());
    const err = await failure(client(s, { maxRetries: 1 }).getJson(s.url('/reset'), emptyMetrics()));
    expect(err.code).toBe('TRB_SOURCE_NETWORK');
    expect(err.message).toContain('network error');
    expect(s.requests).toHaveLength(2);
    expectNoSecret(err);
  });

  it('recovers from a single reset', async () => {
    const s = await server((req, res, _seen, i) =>
      i === 0 ? req.socket.destroy() : sendJson(res, 200, { ok: true }),
    );
    const metrics = emptyMetrics();
    expect((await client(s).getJson(s.url('/x'), metrics)).body).toEqual({ ok: true });
    expect(metrics.retries).toBe(1);
  });

  it('reports a refused connection as TRB_SOURCE_NETWORK', async () => {
    const s = await server(() => undefined);
    const url = s.url('/x');
    const c = client(s, { maxRetries: 0 });
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const err = await failure(c.getJson(url, emptyMetrics()));
    expect(err.code).toBe('TRB_SOURCE_NETWORK');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expectNoSecret(err);
  });

  it('stops at once when the caller aborts, with the caller’s reason', async () => {
    const s = await server(() => undefined);
    const ac = new AbortController();
    let abortedAt = 0;
    // Abort once the server holds the request (not after a fixed delay: on a loaded machine the request may
    // not have arrived yet). Bounded: the server gets 5 s to see it.
    void (async () => {
      for (let i = 0; i < 500 && s.requests.length === 0; i++) await sleep(10);
      abortedAt = Date.now();
      ac.abort(new Error('user cancelled'));
    })();
    await expect(
      client(s, { timeoutMs: 5000 }).getJson(s.url('/hang'), emptyMetrics(), ac.signal),
    ).rejects.toThrow('user cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(s.requests).toHaveLength(1);
  });

  it('leaves no deadline timer and no listener on the caller’s signal once requests end', async () => {
    const s = await server((req, res) =>
      req.url?.startsWith('/fail') ? sendJson(res, 404, {}) : sendJson(res, 200, { ok: true }),
    );
    const c = client(s, { timeoutMs: 60_000 });
    const ac = new AbortController();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    for (let i = 0; i < 20; i++) await c.getJson(s.url(`/ok/${i}`), emptyMetrics(), ac.signal);
    await failure(c.getJson(s.url('/fail'), emptyMetrics(), ac.signal));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('stops waiting for a retry when the caller aborts', async () => {
    const s = await server((_req, res) => sendJson(res, 500, {}));
    const ac = new AbortController();
    const start = Date.now();
    setTimeout(() => ac.abort(new Error('shutdown')), 100);
    await expect(
      client(s, { maxRetries: 5, backoff: { baseMs: 5000, maxMs: 5000 } }).getJson(
        s.url('/x'),
        emptyMetrics(),
        ac.signal,
      ),
    ).rejects.toThrow('shutdown');
    expect(Date.now() - start).toBeLessThan(1000);
    expect(s.requests).toHaveLength(1);
  });
});

describe('HttpClient: redirects and origins', () => {
  it('follows a same-origin redirect and applies the credentials again, exactly once', async () => {
    const s = await server((_req, res, seen) => {
      if (seen.url.pathname === '/old') {
        res.writeHead(301, { location: `/new?hapikey=${encodeURIComponent(SECRET)}&x=1` });
        res.end();
      } else sendJson(res, 200, { at: seen.url.pathname });
    });
    const metrics = emptyMetrics();
    const res = await client(s).getJson(s.url('/old?page=1'), metrics);
    expect(res.body).toEqual({ at: '/new' });
    expect(res.url.pathname).toBe('/new');
    expect(s.requests).toHaveLength(2);
    const hop = s.requests[1]!;
    expect(hop.url.searchParams.getAll('hapikey')).toEqual([SECRET]);
    expect(hop.url.searchParams.get('x')).toBe('1');
    expect(hop.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(metrics.requests).toBe(2);
  });

  it('adds the credentials to a redirect target that lacks them', async () => {
    const s = await server((_req, res, seen) => {
      if (seen.url.pathname === '/old') {
        res.writeHead(307, { location: `${s.origin}/new` });
        res.end();
      } else sendJson(res, 200, {});
    });
    await client(s).getJson(s.url('/old'), emptyMetrics());
    expect(s.requests[1]!.url.searchParams.getAll('hapikey')).toEqual([SECRET]);
  });

  it('stops after maxRedirects', async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { location: '/loop' });
      res.end();
    });
    const err = await failure(client(s, { maxRedirects: 3 }).getJson(s.url('/loop'), emptyMetrics()));
    expect(err.code).toBe('TRB_SOURCE_REDIRECT');
    expect(err.message).toContain('more than 3 redirects');
    expect(s.requests).toHaveLength(4);
    expectNoSecret(err);
  });

  it('refuses a redirect to another origin before any request reaches it', async () => {
    const other = await server((_req, res) => sendJson(res, 200, { stolen: true }));
    const s = await server((_req, res) => {
      res.writeHead(302, { location: `${other.origin}/collect` });
      res.end();
    });
    const err = await failure(client(s).getJson(s.url('/x'), emptyMetrics()));
    expect(err).toBeInstanceOf(SourceError);
    expect(err.code).toBe('TRB_SOURCE_REDIRECT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(other.origin);
    expect(err.message).toContain('not the configured API origin');
    expect(other.requests).toHaveLength(0);
    expect(s.requests).toHaveLength(1);
    expectNoSecret(err);
  });

  it('refuses a URL on another origin outright', async () => {
    const other = await server((_req, res) => sendJson(res, 200, {}));
    const s = await server((_req, res) => sendJson(res, 200, {}));
    const c = client(s);
    for (const url of [
      other.url('/x'),
      new URL(`http://localhost:${new URL(s.origin).port}/x`),
      new URL(`https://127.0.0.1:${new URL(s.origin).port}/x`),
    ]) {
      const err = await failure(c.getJson(url, emptyMetrics()));
      expect(err.code, url.toString()).toBe('TRB_SOURCE_REDIRECT');
      expectNoSecret(err);
    }
    expect(other.requests).toHaveLength(0);
    expect(s.requests).toHaveLength(0);
  });
});
