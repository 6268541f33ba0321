/**
 * Secret redaction. Every secret value from a config is registered here; anything that may be printed
 * (log lines, error messages, URLs, run rows) passes through `redact` first (docs/architecture.md law 4).
 */

const MASK = '***';
/** Query parameters whose values are always masked in printed URLs, whatever their value. */
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'token', 'access_token', 'key', 'password', 'secret']);

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Register a secret value. Empty and very short values are ignored: masking "a" would mangle every line. */
  add(secret: unknown): void {
    if (typeof secret !== 'string' || secret.length < 3) return;
    this.secrets.add(secret);
    this.secrets.add(encodeURIComponent(secret));
    this.secrets.add(new URLSearchParams({ s: secret }).toString().slice(2));
    this.secrets.add(JSON.stringify(secret).slice(1, -1));
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get size(): number {
    return this.secrets.size;
  }

  /** Mask every registered secret, and the values of well-known secret query parameters. */
  redact(text: string): string {
    let out = this.pattern ? text.replace(this.pattern, MASK) : text;
    out = out.replace(/([?&])([A-Za-z_]+)=([^&#\s"']*)/g, (m, sep: string, name: string) =>
      SECRET_PARAMS.has(name.toLowerCase()) ? `${sep}${name}=${MASK}` : m,
    );
    // userinfo in URLs: scheme://user:password@host
    out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@/\s]*@/gi, `$1:${MASK}@`);
    return out;
  }

  /** Deep-redact any JSON-like value (strings are redacted; keys are kept). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.redactValue(v);
      return out as T;
    }
    return value;
  }
}

/** Header names whose values are credentials whatever they hold (matched lower-cased). */
const SECRET_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|password|api[-_]?key|auth/;

/**
 * Request headers as they may be shown: a credential header's value masked whole (an `Authorization` keeps its
 * scheme, `Bearer ***`), every other value through `redactor` (registered secrets, e.g. a config secret in a
 * custom header).
 */
export function redactHeaders(headers: Record<string, string>, redactor: Redactor): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADER.test(name.toLowerCase())) {
      const scheme = /^(Bearer|Basic|Token|Digest)\s/i.exec(value)?.[1];
      out[name] = scheme ? `${scheme} ${MASK}` : MASK;
    } else out[name] = redactor.redact(value);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide redactor: the CLI registers config secrets here before anything is logged. */
export const globalRedactor = new Redactor();
