/**
 * The authenticator component: how the configured credential travels with each request (a bearer header, an
 * API key in a header or the query, HTTP basic, an OAuth2 client-credentials token, or nothing). The HttpClient applies it to every request it sends, and to
 * every redirect and next link it follows, only at the configured origin (docs/architecture.md law 4).
 */
import type { AuthenticatorDef } from './manifest-schema.js';
import { ConfigError } from '../errors.js';
import type { Redactor } from '../util/redact.js';
import { ClientCredentials } from './oauth2-client-credentials.js';
import { resolveNumber, resolveString, type TemplateContext } from './template.js';

export interface Authenticator {
  /** The credential ('' for none): the rate budget is kept per credential. */
  readonly secret: string;
  /** The query parameter that carries the credential, when it travels in the query: never stored in state. */
  readonly queryParam?: string;
  /** Adds the credential to one outgoing request (async when a token must be fetched first); undefined when requests carry none. */
  readonly authorize?: (url: URL, headers: Record<string, string>) => void | Promise<void>;
  /** The API answered 401 to a request sent with `headers`: true when a new credential may succeed (OAuth2). */
  readonly reauthorize?: (headers: Record<string, string>) => boolean;
}

export interface AuthenticatorOptions {
  /** Timeout of a token request, like every request's (ms). */
  timeoutMs?: number;
  /** The clock for token expiry (tests pass a fake one). */
  now?: () => number;
}

/** Resolve the manifest's authenticator against the config; the secret is registered with the redactor first. */
export function createAuthenticator(
  def: AuthenticatorDef,
  ctx: TemplateContext,
  redactor: Redactor,
  opts: AuthenticatorOptions = {},
): Authenticator {
  switch (def.type) {
    case 'basic': {
      const username = resolveString(def.username, ctx);
      const password = resolveString(def.password, ctx);
      const encoded = Buffer.from(`${username}:${password}`).toString('base64');
      redactor.add(password);
      redactor.add(encoded);
      return {
        secret: `${username}:${password}`,
        authorize: (_url, headers) => {
          headers.authorization = `Basic ${encoded}`;
        },
      };
    }
    case 'oauth2_client_credentials': {
      const clientSecret = resolveString(def.client_secret, ctx);
      const clientId = resolveString(def.client_id, ctx);
      redactor.add(clientSecret);
      const tokenUrlText = resolveString(def.token_url, ctx);
      let tokenUrl: URL;
      try {
        tokenUrl = new URL(tokenUrlText);
        if (tokenUrl.protocol !== 'http:' && tokenUrl.protocol !== 'https:') throw new Error('not http');
      } catch {
        throw new ConfigError(`oauth2 token_url ${JSON.stringify(tokenUrlText)} is not an http(s) URL`, {
          details: { field: 'token_url' },
        });
      }
      const audience = def.audience === undefined ? '' : resolveString(def.audience, ctx);
      const scopes = def.scopes
        .map((s) => resolveString(s, ctx))
        .flatMap((s) => s.split(/\s+/))
        .filter(Boolean);
      const cc = new ClientCredentials({
        tokenUrl,
        clientId,
        clientSecret,
        scopes,
        ...(audience === '' ? {} : { audience }),
        clientAuth: def.client_auth,
        refreshBeforeMs: resolveNumber(def.refresh_before_seconds, ctx, 'refresh_before_seconds') * 1000,
        timeoutMs: opts.timeoutMs ?? 30_000,
        redactor,
        ...(opts.now === undefined ? {} : { now: opts.now }),
      });
      return {
        secret: `${clientId}\u0000${clientSecret}`,
        authorize: async (_url, headers) => {
          headers.authorization = `Bearer ${await cc.token()}`;
        },
        reauthorize: (headers) => {
          const sent = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
          if (sent === undefined) return false;
          cc.reject(sent);
          return true;
        },
      };
    }
    case 'none':
      return { secret: '' };
    case 'bearer': {
      const secret = resolveString(def.token, ctx);
      redactor.add(secret);
      return {
        secret,
        authorize: (_url, headers) => {
          headers.authorization = `Bearer ${secret}`;
        },
      };
    }
    case 'api_key': {
      const secret = resolveString(def.value, ctx);
      redactor.add(secret);
      const name = def.name;
      if (def.inject_into === 'query') {
        return {
          secret,
          queryParam: name,
          // set(), not append(): a followed link that already carries the key never gets it twice.
          authorize: (url) => url.searchParams.set(name, secret),
        };
      }
      return {
        secret,
        authorize: (_url, headers) => {
          headers[name.toLowerCase()] = secret;
        },
      };
    }
  }
}
