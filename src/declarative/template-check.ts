/**
 * Strict templates: every `{{ … }}` in a manifest is checked when the manifest is loaded, so a mistyped one
 * (`{{ config.apitoken }}` when the spec declares `api_token`) is a manifest error naming the file, the line
 * and the nearest valid name, instead of an empty value and a 401 at run time. The resolver is template.ts;
 * this file only decides, from the YAML document, what a template may name.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, Scalar } from 'yaml';
import { ConfigError } from '../errors.js';

/** Where a template sits: what a root's rule may look at. */
export interface TemplateScope {
  /** The keys the manifest's config spec declares. */
  configKeys: readonly string[];
  /** The stream the template belongs to (its mapping as written), when it is inside `streams:`. */
  stream?: Record<string, unknown>;
  /** The key path of the value holding the template, e.g. ['streams', 2, 'path']. */
  path: readonly (string | number)[];
}

/** What a template may name after a root: `{{ root }}` alone, and/or `{{ root.field }}`. */
export interface TemplateRoot {
  /** `{{ root }}` by itself is a value. */
  bare?: boolean;
  /** The fields `{{ root.field }}` may name: a list (checked, with suggestions) or 'any' (not checkable here). */
  fields?: (scope: TemplateScope) => readonly string[] | 'any';
  /** Where the root may be used; `says` explains, when it is used elsewhere, why it does not exist there. */
  allowedWhere?: { test: (scope: TemplateScope) => boolean; says: (scope: TemplateScope) => string };
}

/**
 * The variables templates may use. One line adds a root; the resolver (template.ts) must know it too.
 * `parent.<field>` is a field of the parent record, in a child stream's `path` only (parent -> child streams):
 * its fields are the parent's records', which are not known before a read, so any field is accepted.
 */
export const TEMPLATE_ROOTS: Readonly<Record<string, TemplateRoot>> = {
  config: { fields: (s) => s.configKeys },
  now: { bare: true },
  parent: {
    fields: () => 'any',
    allowedWhere: {
      test: (s) => s.stream?.parent !== undefined && s.path.length === 3 && s.path[2] === 'path',
      says: (s) =>
        s.stream === undefined || s.stream.parent === undefined
          ? 'the stream has no parent (parent.<field> works only in the path of a stream with `parent:`)'
          : "parent.<field> works only in the stream's `path`",
    },
  },
};

/** Top-level sections whose strings are documentation or the spec itself, never resolved: not checked. */
const UNCHECKED_KEYS = new Set(['spec', 'description', 'title', 'examples']);

/** Every `{{ … }}` in a string, whatever is inside (so `{{ config.api-token }}` is caught too). */
const TEMPLATE = /\{\{(.*?)\}\}/g;
/** What the resolver can read between the braces (template.ts). */
const EXPRESSION = /^[a-z0-9_.]+$/i;

export interface TemplateProblem {
  line: number;
  column: number;
  /** The key path of the value, dotted: `requester.authenticator.token`. */
  at: string;
  message: string;
}

/**
 * Check every template of the manifest `text` (already valid by the schema); throws TRB_MANIFEST_INVALID
 * listing each bad template with `where:line:column`, its key path and the nearest valid name.
 */
export function checkTemplates(text: string, where: string, configKeys: readonly string[]): void {
  const problems = findTemplateProblems(text, configKeys);
  if (problems.length === 0) return;
  const lines = problems.map((p) => `${where}:${p.line}:${p.column}: ${p.at}: ${p.message}`);
  throw new ConfigError(
    `manifest ${where} has ${problems.length === 1 ? 'a template that cannot resolve' : `${problems.length} templates that cannot resolve`}:\n  ${lines.join('\n  ')}`,
    {
      code: 'TRB_MANIFEST_INVALID',
      details: { file: where, issues: lines, line: problems[0]!.line },
    },
  );
}

export function findTemplateProblems(text: string, configKeys: readonly string[]): TemplateProblem[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const problems: TemplateProblem[] = [];
  const visit = (node: unknown, path: (string | number)[], stream: Record<string, unknown> | undefined) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (path.length === 0 && UNCHECKED_KEYS.has(key)) continue;
        visit(pair.value, [...path, key], stream);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        // A stream's own mapping is the scope of the templates inside it.
        const isStream = path.length === 1 && path[0] === 'streams' && isMap(item);
        visit(item, [...path, i], isStream ? ((item as Node).toJSON() as Record<string, unknown>) : stream);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('{{')) {
      checkScalar(node, { configKeys, path, ...(stream ? { stream } : {}) }, lineCounter, problems);
    }
  };
  visit(doc.contents, [], undefined);
  return problems;
}

function checkScalar(node: Scalar, scope: TemplateScope, lines: LineCounter, out: TemplateProblem[]): void {
  const value = node.value as string;
  const start = node.range?.[0] ?? 0;
  const pos = lines.linePos(start);
  const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
  for (const m of value.matchAll(TEMPLATE)) {
    const problem = checkExpression(m[1]!.trim(), scope);
    if (problem === undefined) continue;
    // A block scalar's content starts on the line after its indicator; other scalars sit on one line
    // (a multi-line quoted one is reported at its start), the template `m.index` characters in (after the
    // quote; escapes in a double-quoted string may shift it a little).
    const before = value.slice(0, m.index);
    const newlines = block ? 1 + (before.match(/\n/g)?.length ?? 0) : 0;
    const quoted = node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE;
    out.push({
      line: pos.line + newlines,
      column: block ? 1 : pos.col + (quoted ? 1 : 0) + m.index!,
      at: scope.path.join('.'),
      message: `${JSON.stringify(m[0])} ${problem}`,
    });
  }
}

/** What is wrong with one template expression, or undefined. */
export function checkExpression(expr: string, scope: TemplateScope): string | undefined {
  const valid = validNames(scope);
  const hint = () => suggestion(expr, valid);
  if (!EXPRESSION.test(expr)) {
    return `is not a template tributary can resolve (use config.<key> or now: letters, digits, _ and .)${hint()}`;
  }
  const dot = expr.indexOf('.');
  const rootName = dot < 0 ? expr : expr.slice(0, dot);
  const field = dot < 0 ? undefined : expr.slice(dot + 1);
  const root = Object.hasOwn(TEMPLATE_ROOTS, rootName) ? TEMPLATE_ROOTS[rootName] : undefined;
  if (!root) {
    return `names the unknown variable "${rootName}" (known: ${Object.keys(TEMPLATE_ROOTS).join(', ')})${hint()}`;
  }
  if (root.allowedWhere && !root.allowedWhere.test(scope)) {
    return `names ${rootName}, which does not exist here: ${root.allowedWhere.says(scope)}`;
  }
  if (field === undefined) {
    return root.bare ? undefined : `needs a field: ${rootName}.<name>${hint()}`;
  }
  if (!root.fields) return `takes no field: write {{ ${rootName} }}`;
  const fields = root.fields(scope);
  if (fields === 'any' || fields.includes(field)) return undefined;
  if (rootName === 'config') {
    return `names config key "${field}", which the spec does not declare${hint()} (declared: ${listKeys(fields)})`;
  }
  return `names "${field}", which ${rootName} does not have${hint()}`;
}

/** Every name a template may use at `scope`, for suggestions. */
function validNames(scope: TemplateScope): string[] {
  const names: string[] = [];
  for (const [name, root] of Object.entries(TEMPLATE_ROOTS)) {
    if (root.allowedWhere && !root.allowedWhere.test(scope)) continue;
    if (root.bare) names.push(name);
    const fields = root.fields?.(scope);
    if (Array.isArray(fields)) for (const f of fields) names.push(`${name}.${f}`);
  }
  return names;
}

function suggestion(expr: string, valid: readonly string[]): string {
  const best = nearest(expr, valid);
  return best === undefined ? '' : `; did you mean {{ ${best} }}?`;
}

function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, 15).join(', ');
  return keys.length > 15 ? `${shown} and ${keys.length - 15} more` : shown || 'none';
}

/**
 * The valid name closest to `typed`, when it is close enough to be a typo: an edit distance of at most a
 * third of its length (at least 2), or the same name ignoring case, `_` and `-`.
 */
export function nearest(typed: string, valid: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const v of valid) {
    const d = squash(v) === squash(typed) ? 0 : levenshtein(typed, v);
    if (d < bestDistance) {
      best = v;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

/**
 * Edit distance (insertions, deletions, substitutions), two rows. Hand-written: it is a dozen lines, and no
 * installed package offers it (commander's "did you mean" is internal to commander).
 */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
