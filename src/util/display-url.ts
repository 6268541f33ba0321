/**
 * URLs as people read them in messages and log lines: the query decoded (`$limit=100&updatedAt[$gte]=…`, not
 * `%24limit=100&updatedAt%5B%24gte%5D=…`), then every secret masked. Only for display: the decoded form is
 * ambiguous when a value holds `&` or `=`, so it is never parsed back or requested.
 */
import type { Redactor } from './redact.js';

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A readable form of `url` with secrets masked by `redactor` (registered values and secret-named params). */
export function displayUrl(url: URL | string, redactor: Redactor): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return redactor.redact(String(url));
  }
  // Userinfo is dropped outright: a password there is a secret, and the user adds nothing to a request URL.
  const path = decode(parsed.pathname);
  const query = parsed.search.length > 1 ? `?${parsed.search.slice(1).split('&').map(decode).join('&')}` : '';
  // Redact the decoded form: the redactor knows each secret's raw and encoded spellings.
  return redactor.redact(`${parsed.protocol}//${parsed.host}${path}${query}${parsed.hash}`);
}
