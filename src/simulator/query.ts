/**
 * Query-string parsing shared by the simulators. URLSearchParams percent-decodes names and values, so
 * `%24limit` and `$limit`, `updatedAt%5B%24gte%5D` and `updatedAt[$gte]` arrive identical.
 */

export interface ParsedQuery {
  /** Every pair in request order: repeated keys are kept (`$in` lists, DRF duplicate params). */
  entries: Array<[string, string]>;
  /** One value per key; the last occurrence wins, as with Django's QueryDict.get. */
  last: Record<string, string>;
}

export function parseQuery(search: string): ParsedQuery {
  const entries: Array<[string, string]> = [];
  const last: Record<string, string> = {};
  if (search !== '' && search !== '?') {
    for (const [k, v] of new URLSearchParams(search)) {
      entries.push([k, v]);
      last[k] = v;
    }
  }
  return { entries, last };
}

/**
 * Split a qs-style bracketed key into its parts: `updatedAt[$gte]` → ['updatedAt', '$gte'],
 * `status[$in][]` → ['status', '$in', ''], `$sort[createdAt]` → ['$sort', 'createdAt'].
 * Returns undefined for keys that are not well formed.
 */
export function splitBracketKey(key: string): string[] | undefined {
  const open = key.indexOf('[');
  if (open < 0) return [key];
  if (open === 0 || !key.endsWith(']')) return undefined;
  const parts = [key.slice(0, open)];
  let i = open;
  while (i < key.length) {
    if (key[i] !== '[') return undefined;
    const close = key.indexOf(']', i);
    if (close < 0) return undefined;
    parts.push(key.slice(i + 1, close));
    i = close + 1;
  }
  return parts;
}

/** An integer written in decimal, or undefined when the text is not one (so callers apply their default). */
export function parseIntParam(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return undefined;
  return Number.parseInt(text, 10);
}
