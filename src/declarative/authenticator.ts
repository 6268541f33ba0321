/**
 * The authenticator component: how the configured credential travels with each request (a bearer header, an
 * API key in a header or the query, or nothing). The HttpClient applies it to every request it sends, and to
 * every redirect and next link it follows, only at the configured origin (docs/architecture.md law 4).
 */
import type { AuthenticatorDef } from './manifest-schema.js';
import type { Redactor } from '../util/redact.js';
import { resolveString, type TemplateContext } from './template.js';

export interface Authenticator {
  /** The credential ('' for none): the rate budget is kept per credential. */
  readonly secret: string;
  /** The query parameter that carries the credential, when it travels in the query: never stored in state. */
  readonly queryParam?: string;
  /** Adds the credential to one outgoing request; undefined when requests carry none. */
  readonly authorize?: (url: URL, headers: Record<string, string>) => void;
}

/** Resolve the manifest's authenticator against the config; the secret is registered with the redactor first. */
export function createAuthenticator(
  def: AuthenticatorDef,
  ctx: TemplateContext,
  redactor: Redactor,
): Authenticator {
  switch (def.type) {
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
