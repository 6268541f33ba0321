/**
 * OAuth2 client credentials against a loopback token server and a loopback API: the token is fetched once,
 * shared, refreshed a margin before it expires (measured on a fake clock, no sleeps), fetched again once
 * after a 401, and neither it nor the client secret reaches a log line, an error or the state.
 */
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DeclarativeSource } from '../../src/declarative/declarative-source.js';
import { ClientCredentials } from '../../src/declarative/oauth2-client-credentials.js';
import { createLogger } from '../../src/util/log.js';
import { Redactor } from '../../src/util/redact.js';
import { closeAfterEach, inlineSource, readPages } from '../helpers/declarative.js';
import { sendJson, type TestServer } from '../helpers/test-server.js';

const SECRET = 'cl1ent-SECRET-shh';
let tokenServer: TestServer | undefined;
let apiServer: TestServer | undefined;
let source: DeclarativeSource | undefined;
let clientSeq = 0;

const opened = closeAfterEach();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => resolve(text));
  });
}

interface TokenOpts {
  expiresIn?: number;
  /** Answer every token request with this status and body instead. */
  fail?: { status: number; body: unknown };
}

/** Issues `tok-1`, `tok-2`, …; records each form it received. */
async function startTokenServer(o: TokenOpts = {}) {
  const forms: URLSearchParams[] = [];
  let issued = 0;
  tokenServer = await opened.serve((req, res) => {
    void readBody(req).then((text) => {
      forms.push(new URLSearchParams(text));
      if (o.fail) return sendJson(res, o.fail.status, o.fail.body);
      issued++;
      sendJson(res, 200, {
        access_token: `tok-${issued}`,
        token_type: 'Bearer',
        ...(o.expiresIn === undefined ? {} : { expires_in: o.expiresIn }),
      });
    });
  });
  return { server: tokenServer, forms, issued: () => issued };
}

/** An API of 3 pages that accepts the tokens in `valid()` and answers 401 to any other. */
async function startApi(valid: () => string[]) {
  apiServer = await opened.serve((_req, res, seen) => {
    const auth = seen.headers.authorization ?? '';
    if (!valid().some((t) => auth === `Bearer ${t}`))
      return sendJson(res, 401, { error: 'invalid_token', got: auth });
    const page = Number(seen.url.searchParams.get('page') ?? 1);
    const data = page <= 3 ? [{ id: page * 10 + 1 }, { id: page * 10 + 2 }] : [];
    sendJson(res, 200, { data, next: page < 3 ? `/items?page=${page + 1}` : null });
  });
  return apiServer;
}

const manifest = (auth = '') => `
version: 1
name: oauthy
title: OAuthy
spec:
  properties:
    base_url: { type: string }
    token_url: { type: string }
    client_id: { type: string }
    client_secret: { type: string, secret: true }
requester:
  base_url: "{{ config.base_url }}"
  max_retries: 0
  authenticator:
    type: oauth2_client_credentials
    token_url: "{{ config.token_url }}"
    client_id: "{{ config.client_id }}"
    client_secret: "{{ config.client_secret }}"
    scopes: [read, "write:items"]
    audience: https://api.example.com
    refresh_before_seconds: 10
${auth}
selector: { path: [data] }
paginator: { type: next_link, next_path: [next] }
check: { stream: items }
streams:
  - name: items
    path: items
    primary_key: [id]
    schema: items.json
`;

function config(tokenUrl: string, apiOrigin: string) {
  // A fresh client id per test: tokens are cached per configuration for the whole process.
  return {
    base_url: apiOrigin,
    token_url: tokenUrl,
    client_id: `client-${++clientSeq}`,
    client_secret: SECRET,
  };
}

describe('OAuth2 client credentials', () => {
  it('fetches one token with the right form, sends it as a bearer token on every page', async () => {
    const t = await startTokenServer({ expiresIn: 3600 });
    const api = await startApi(() => ['tok-1']);
    const cfg = config(`${t.server.origin}/oauth/token`, api.origin);
    source = opened.source(manifest(), cfg);
    const { pages, error } = await readPages(source, 'items');
    expect(error).toBeUndefined();
    expect(pages.flatMap((p) => p.records.map((r) => r.id))).toEqual([11, 12, 21, 22, 31, 32]);
    expect(t.forms).toHaveLength(1);
    expect(Object.fromEntries(t.forms[0]!)).toEqual({
      grant_type: 'client_credentials',
      client_id: cfg.client_id,
      client_secret: SECRET,
      scope: 'read write:items',
      audience: 'https://api.example.com',
    });
    expect(t.server.requests[0]!.method).toBe('POST');
    expect(api.requests).toHaveLength(3);
    expect(JSON.stringify(pages.map((p) => p.checkpoint))).not.toMatch(/tok-1|SECRET/);
    // Cached per configuration: another source built from the same config uses the same token.
    const again = inlineSource(manifest(), cfg);
    try {
      expect((await readPages(again, 'items')).error).toBeUndefined();
    } finally {
      await again.close();
    }
    expect(t.forms).toHaveLength(1);
    expect(api.requests).toHaveLength(6);
  });

  it('refreshes the token `refresh_before_seconds` before expires_in runs out (fake clock), not before', async () => {
    const t = await startTokenServer({ expiresIn: 100 });
    let issuedSoFar = 0;
    const api = await startApi(() => [`tok-${issuedSoFar}`]);
    let now = 1_000_000;
    const cfg = config(`${t.server.origin}/token`, api.origin);
    source = opened.source(manifest(), cfg, { clock: () => now });
    issuedSoFar = 1;
    expect((await readPages(source, 'items')).error).toBeUndefined();
    expect(t.issued()).toBe(1);
    now += 89_000; // 11 s before expiry: still outside the 10 s margin
    expect((await readPages(source, 'items')).error).toBeUndefined();
    expect(t.issued()).toBe(1);
    now += 2_000; // 9 s before expiry: inside the margin, so a new token first
    issuedSoFar = 2;
    expect((await readPages(source, 'items')).error).toBeUndefined();
    expect(t.issued()).toBe(2);
    expect(api.requests.slice(-3).every((r) => r.headers.authorization === 'Bearer tok-2')).toBe(true);
  });

  it('a short expires_in (2 s, margin 60 s) is kept half its life, not refetched on every request', async () => {
    const t = await startTokenServer({ expiresIn: 2 });
    let now = 5_000_000;
    const cc = new ClientCredentials({
      tokenUrl: new URL(`${t.server.origin}/token`),
      clientId: `client-${++clientSeq}`,
      clientSecret: SECRET,
      scopes: [],
      clientAuth: 'body',
      refreshBeforeMs: 60_000,
      timeoutMs: 5000,
      redactor: new Redactor(),
      now: () => now,
    });
    expect(await cc.token()).toBe('tok-1');
    now += 900;
    expect(await cc.token()).toBe('tok-1');
    now += 200; // past half of the 2 s lifetime
    expect(await cc.token()).toBe('tok-2');
    expect(await cc.token()).toBe('tok-2');
    expect(t.issued()).toBe(2);
  });

  it('a 401 drops the token and sends the request once more with a new one', async () => {
    const t = await startTokenServer({ expiresIn: 3600 });
    // The API revoked tok-1 early (it accepts only tok-2): one 401, one new token, then every page.
    const api = await startApi(() => ['tok-2']);
    source = opened.source(manifest(), config(`${t.server.origin}/token`, api.origin));
    const { pages, error } = await readPages(source, 'items');
    expect(error).toBeUndefined();
    expect(pages).toHaveLength(3);
    expect(t.issued()).toBe(2);
    expect(api.requests).toHaveLength(4);
  });

  it('a credential the API keeps rejecting is TRB_AUTH (exit 2) after exactly one new token', async () => {
    const t = await startTokenServer({ expiresIn: 3600 });
    const api = await startApi(() => []);
    source = opened.source(manifest(), config(`${t.server.origin}/token`, api.origin));
    const { error } = await readPages(source, 'items');
    expect(error).toMatchObject({ code: 'TRB_AUTH' });
    expect((error as unknown as { exitCode: number }).exitCode).toBe(2);
    expect(t.issued()).toBe(2);
    expect(api.requests).toHaveLength(2);
    expect(error!.message).not.toMatch(/tok-\d/);
  });

  it('a token endpoint that refuses the client is TRB_AUTH; its echo of the secret is masked', async () => {
    const t = await startTokenServer({
      fail: { status: 401, body: { error: 'invalid_client', error_description: `bad secret ${SECRET}` } },
    });
    const api = await startApi(() => []);
    source = opened.source(manifest(), config(`${t.server.origin}/token`, api.origin));
    const { error } = await readPages(source, 'items');
    expect(error).toMatchObject({ code: 'TRB_AUTH' });
    expect(error!.message).toContain('invalid_client');
    expect(error!.message).not.toContain(SECRET);
    expect(JSON.stringify((error as unknown as { details: unknown }).details)).not.toContain(SECRET);
    expect(api.requests).toHaveLength(0);
  });

  it('a token endpoint 5xx is a retryable TRB_SOURCE_HTTP, a body without access_token TRB_SOURCE_BAD_RESPONSE', async () => {
    const t = await startTokenServer({ fail: { status: 503, body: { error: 'down' } } });
    const api = await startApi(() => []);
    // Closed here, before the second source: the first token server closes after the test (closeAfterEach).
    const first = inlineSource(manifest(), config(`${t.server.origin}/token`, api.origin));
    expect((await readPages(first, 'items')).error).toMatchObject({ code: 'TRB_SOURCE_HTTP' });
    await first.close();
    const t2 = await startTokenServer({ fail: { status: 200, body: { token: 'nope' } } });
    source = opened.source(manifest(), config(`${t2.server.origin}/token`, api.origin));
    expect((await readPages(source, 'items')).error).toMatchObject({ code: 'TRB_SOURCE_BAD_RESPONSE' });
  });

  it('concurrent requests without a token share one fetch', async () => {
    const t = await startTokenServer({ expiresIn: 3600 });
    const cc = new ClientCredentials({
      tokenUrl: new URL(`${t.server.origin}/token`),
      clientId: `client-${++clientSeq}`,
      clientSecret: SECRET,
      scopes: [],
      clientAuth: 'basic',
      refreshBeforeMs: 0,
      timeoutMs: 5000,
      redactor: new Redactor(),
    });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => cc.token()));
    expect(new Set(tokens)).toEqual(new Set(['tok-1']));
    expect(t.issued()).toBe(1);
    expect(cc.fetches).toBe(1);
    // client_secret_basic: the credentials travel in the header, not the form.
    expect(t.server.requests[0]!.headers.authorization).toMatch(/^Basic /);
    expect(t.forms[0]!.has('client_secret')).toBe(false);
    // Rejecting a token that is no longer current does not drop the new one.
    cc.reject('tok-0');
    expect(await cc.token()).toBe('tok-1');
    expect(t.issued()).toBe(1);
  });

  it('neither the client secret nor any token reaches the debug log', async () => {
    const t = await startTokenServer({ expiresIn: 3600 });
    const api = await startApi(() => ['tok-2']);
    let log = '';
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, cb) {
          log += chunk.toString();
          cb();
        },
      }),
    });
    source = opened.source(manifest(), config(`${t.server.origin}/token`, api.origin), { logger });
    const { error } = await readPages(source, 'items');
    expect(error).toBeUndefined();
    expect(log).toContain('HTTP 401');
    expect(log).not.toContain(SECRET);
    expect(log).not.toMatch(/tok-\d/);
  });
});
