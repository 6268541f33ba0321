/**
 * RFC 8288 `Link` header parsing. Hand-written because no maintained parser is among the installed
 * dependencies, and the grammar is small: `<uri-reference>` followed by `; name=value` parameters, links
 * separated by commas, values either tokens or quoted strings (which may hold commas, semicolons and
 * backslash escapes). A header repeated in a response is the same as one header with its values joined.
 */

export interface LinkValue {
  /** The target as written (may be relative: resolve it against the URL that answered). */
  target: string;
  /** Parameters by lower-cased name; the first occurrence wins, as RFC 8288 §3 says for `rel`. */
  params: Record<string, string>;
}

/** Every link of one or more `Link` header values. Malformed parts are skipped, never guessed at. */
export function parseLinkHeader(header: string | string[] | undefined): LinkValue[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const links: LinkValue[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  while (i < n) {
    skipWs();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] !== '<') {
      // Not a link: skip to the next top-level comma.
      i = skipToComma(text, i);
      continue;
    }
    const close = text.indexOf('>', i + 1);
    if (close < 0) break;
    const target = text.slice(i + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = {};
    for (;;) {
      skipWs();
      if (i >= n || text[i] === ',') break;
      if (text[i] !== ';') {
        i = skipToComma(text, i);
        break;
      }
      i++;
      skipWs();
      let name = '';
      while (i < n && /[^\s=;,]/.test(text[i]!)) name += text[i++];
      skipWs();
      let value = '';
      if (text[i] === '=') {
        i++;
        skipWs();
        if (text[i] === '"') {
          i++;
          while (i < n && text[i] !== '"') {
            if (text[i] === '\\' && i + 1 < n) i++;
            value += text[i++];
          }
          i++; // the closing quote
        } else {
          while (i < n && /[^\s;,]/.test(text[i]!)) value += text[i++];
        }
      }
      const key = name.toLowerCase();
      if (key !== '' && !(key in params)) params[key] = value;
    }
    links.push({ target, params });
  }
  return links;
}

/** The target of the first link whose `rel` (a space-separated list, case-insensitive) includes `rel`. */
export function findLink(header: string | string[] | undefined, rel: string): string | undefined {
  const want = rel.toLowerCase();
  for (const link of parseLinkHeader(header)) {
    const rels = (link.params.rel ?? '').toLowerCase().split(/\s+/);
    if (rels.includes(want)) return link.target;
  }
  return undefined;
}

/** Index of the next comma outside a quoted string (or the end). */
function skipToComma(text: string, from: number): number {
  let i = from;
  let quoted = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) return i;
  }
  return i;
}
