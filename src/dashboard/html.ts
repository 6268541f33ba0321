/**
 * Server-rendered HTML that escapes by default. Every value interpolated into `html\`...\`` is escaped (text
 * and quoted attributes alike) unless it is itself an `Html` fragment built by this helper, or wrapped in
 * `raw()` for the few trusted constants (an SVG built from numbers, a fixed string). Names, error messages,
 * field names and anything else that came from an API, a file or a user is therefore text, never markup:
 * a hostile API answering `<script>` shows `<script>`.
 *
 * Hand-written rather than a template engine: the whole need is one escaping tagged template (30 lines),
 * and an engine would add a second templating syntax whose escaping rules differ per directive.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The escaping template: `html\`<td>${name}</td>\``. Arrays are concatenated; null, undefined and false render nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup, inserted as is. Only for constants and markup built from numbers by this module's callers. */
export function raw(trusted: string): Html {
  return new Html(trusted);
}

/** A path segment for a URL built from a name (connection, stream, run id). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
