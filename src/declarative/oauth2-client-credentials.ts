/**
 * OAuth2 client credentials (RFC 6749 §4.4): the connector trades its client id and secret for an access
 * token at the token URL (a form POST), sends it as a bearer token, and keeps it until a margin before it
 * expires. Rules:
 *
 * - One token per configuration (token URL, client id, secret, scopes, audience), shared by every source
 *   built from it in this process; concurrent requests that find no valid token share one in-flight fetch.
 * - Refreshed `refresh_before_seconds` before `expires_in` runs out, but never later than half its lifetime
 *   (a token that lives 60 s with the default 60 s margin is kept 30 s, not refetched on every request).
 *   Without `expires_in` the token is kept until the API rejects it.
 * - A 401 with a token drops it (only if it is still the current one: many requests rejected at once cause
 *   one fetch), and the HttpClient sends that request once more with a new one (see HttpClient `reauthorize`).
 * - The client secret and every token are registered with the redactor before they can reach a log line, an
 *   error or a URL; neither is ever put in state. Token endpoint failures are typed: a rejected client (400
 *   invalid_client/invalid_grant, 401, 403) is TRB_AUTH (exit 2); 5xx and network failures are retryable
 *   TRB_SOURCE_HTTP / TRB_SOURCE_NETWORK, retried by the request that needed the token.
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { AuthError, SourceError } from '../errors.js';
import { displayUrl } from '../util/display-url.js';
import type { Redactor } from '../util/redact.js';

export interface ClientCredentialsOptions {
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  audience?: string;
  /** Where the client credentials travel: form fields (default) or an HTTP basic header. */
  clientAuth: 'body' | 'basic';
  refreshBeforeMs: number;
  timeoutMs: number;
  redactor: Redactor;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

interface Cached {
  token?: string;
  /** Epoch ms after which the token is not used any more (refresh point); Infinity without expires_in. */
  refreshAt: number;
  inflight?: Promise<string>;
  /** Token fetches made for this configuration (for tests and debug logs). */
  fetches: number;
}

const cache = new Map<string, Cached>();

export class ClientCredentials {
  private readonly key: string;
  private readonly now: () => number;

  constructor(private readonly o: ClientCredentialsOptions) {
    this.now = o.now ?? Date.now;
    // Keyed by a hash: the cache's keys never hold the secret itself.
    this.key = createHash('sha256')
      .update(
        JSON.stringify([
          o.tokenUrl.toString(),
          o.clientId,
          o.clientSecret,
          o.scopes,
          o.audience ?? null,
          o.clientAuth,
        ]),
      )
      .digest('hex');
    o.redactor.add(o.clientSecret);
  }

  private get entry(): Cached {
    let e = cache.get(this.key);
    if (!e) {
      e = { refreshAt: 0, fetches: 0 };
      cache.set(this.key, e);
    }
    return e;
  }

  /** Token fetches made so far for this configuration. */
  get fetches(): number {
    return this.entry.fetches;
  }

  /** A valid access token: the cached one, or one fetch shared by every caller waiting for it. */
  async token(): Promise<string> {
    const e = this.entry;
    if (e.token !== undefined && this.now() < e.refreshAt) return e.token;
    if (!e.inflight) {
      const p = this.fetch(e).finally(() => {
        if (e.inflight === p) e.inflight = undefined;
      });
      e.inflight = p;
    }
    return e.inflight;
  }

  /** The API rejected `token`: forget it, unless a newer one has replaced it already. */
  reject(token: string): void {
    const e = this.entry;
    if (e.token === token) {
      e.token = undefined;
      e.refreshAt = 0;
    }
  }

  private async fetch(e: Cached): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scopes, audience, clientAuth, redactor } = this.o;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': 'tributary/0.1',
    };
    if (clientAuth === 'basic') {
      const basic = Buffer.from(
        `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
      ).toString('base64');
      redactor.add(basic);
      headers.authorization = `Basic ${basic}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    if (audience) form.set('audience', audience);
    const where = displayUrl(tokenUrl, redactor);
    e.fetches++;
    const started = this.now();
    let status: number;
    let text: string;
    try {
      const res = await request(tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const c = err as { code?: string; message?: string; name?: string };
      throw new SourceError(
        c.name === 'TimeoutError' ? 'TRB_SOURCE_TIMEOUT' : 'TRB_SOURCE_NETWORK',
        `OAuth2 token endpoint ${where}: ${redactor.redact(c.message ?? String(err))}`,
        { retryable: true, details: { url: where, errno: c.code } },
      );
    }
    const snippet = redactor.redact(text).slice(0, 200).replace(/\s+/g, ' ');
    if (status === 400 || status === 401 || status === 403) {
      throw new AuthError(
        `OAuth2 token endpoint ${where} refused the client credentials: HTTP ${status} (${snippet})`,
        { details: { url: where, status } },
      );
    }
    if (status < 200 || status >= 300) {
      throw new SourceError(
        'TRB_SOURCE_HTTP',
        `OAuth2 token endpoint ${where}: HTTP ${status} (${snippet})`,
        {
          retryable: status >= 500 || status === 429,
          details: { url: where, status },
        },
      );
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    const token = body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `OAuth2 token endpoint ${where}: HTTP ${status} without an access_token in a JSON body`,
        { details: { url: where, status } },
      );
    }
    redactor.add(token);
    const expiresIn = Number(body.expires_in);
    let refreshAt = Number.POSITIVE_INFINITY;
    if (Number.isFinite(expiresIn) && expiresIn > 0) {
      const lifeMs = expiresIn * 1000;
      refreshAt = started + lifeMs - Math.min(this.o.refreshBeforeMs, lifeMs / 2);
    }
    e.token = token;
    e.refreshAt = refreshAt;
    return token;
  }
}
