/**
 * docs/manifest.md, generated from the zod manifest schema (manifest-schema.ts): every component (each
 * titled object, each variant of a union) with its fields' types, whether they are required, their defaults
 * and descriptions, and its worked example as YAML. `tributary manifest-schema --markdown` prints it and
 * `npm run docs:manifest` writes it; test/declarative/manifest-reference.test.ts fails when the file is stale.
 * Hand-written on top of zod's own toJSONSchema (which gives the types, defaults and descriptions) because
 * no installed library renders JSON Schema as Markdown.
 */
import { stringify } from 'yaml';
import { type ZodType, z } from 'zod';
import { Manifest } from './manifest-schema.js';

type JsonNode = Record<string, unknown>;

/** A titled schema of the manifest: an object, a union of objects, or a scalar (the template). */
export interface ManifestComponent {
  title: string;
  schema: ZodType;
  /** The union it is a variant of, if any. */
  parent?: string;
}

interface Internals {
  _zod: { def: Record<string, unknown> & { type: string }; parent?: ZodType };
}

/**
 * The title a schema carries, with the schema that defined it: a field's `.describe()` makes a clone whose
 * metadata (zod merges it from the parent) has the component's title but the field's description.
 */
function titled(s: ZodType): { title: string; schema: ZodType } | undefined {
  const title = z.globalRegistry.get(s)?.title;
  if (typeof title !== 'string') return undefined;
  let schema = s;
  for (let p = parentOf(schema); p && z.globalRegistry.get(p)?.title === title; p = parentOf(p)) schema = p;
  return { title, schema };
}

function parentOf(s: ZodType): ZodType | undefined {
  return (s as unknown as Internals)._zod.parent;
}

/** Every component reachable from `root`, in the order a reader meets them (depth first, fields in order). */
export function manifestComponents(root: ZodType = Manifest): ManifestComponent[] {
  const out: ManifestComponent[] = [];
  const seen = new Set<string>();
  const visited = new Set<ZodType>();
  const walk = (s: ZodType, parent: string | undefined): void => {
    // Recursive schemas (a condition made of conditions) are walked once.
    if (visited.has(s)) return;
    visited.add(s);
    const t = titled(s);
    let inUnion = parent;
    if (t && !seen.has(t.title)) {
      seen.add(t.title);
      out.push({ title: t.title, schema: t.schema, ...(parent === undefined ? {} : { parent }) });
    }
    const def = (s as unknown as Internals)._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'nonoptional':
      case 'catch':
        walk(def.innerType as ZodType, parent);
        return;
      case 'array':
        walk(def.element as ZodType, undefined);
        return;
      case 'record':
        walk(def.valueType as ZodType, undefined);
        return;
      case 'pipe':
        walk(def.in as ZodType, undefined);
        return;
      case 'lazy':
        walk((def.getter as () => ZodType)(), parent);
        return;
      case 'object':
        for (const f of Object.values(def.shape as Record<string, ZodType>)) walk(f, undefined);
        return;
      case 'union':
        // A titled union's options are its variants; an untitled one (a plain type union) has none.
        inUnion = t?.title;
        for (const o of def.options as ZodType[]) walk(o, inUnion);
        return;
      default:
    }
  };
  walk(root, undefined);
  return out;
}

/** GitHub's anchor of a heading. */
export function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function jsonSchemaOf(s: ZodType): JsonNode {
  return z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as JsonNode;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

/** What a type is rendered against: the component titles, and the document's `$defs` for `$ref`s. */
interface RenderContext {
  titles: Set<string>;
  root: JsonNode;
}

/** A `$ref` (zod writes them for recursive schemas) resolved within the document. */
function deref(node: JsonNode, ctx: RenderContext): JsonNode {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  if (ref === '#') return ctx.root;
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  const target = m ? ((ctx.root.$defs ?? {}) as Record<string, JsonNode>)[m[1]!] : undefined;
  return target ?? node;
}

/** A property's type as Markdown: components link to their section. */
function typeText(raw: JsonNode, ctx: RenderContext): string {
  const node = deref(raw, ctx);
  if (typeof node.title === 'string' && ctx.titles.has(node.title))
    return `[${node.title}](#${anchor(node.title)})`;
  const alts = (node.anyOf ?? node.oneOf) as JsonNode[] | undefined;
  if (alts) return alts.map((a) => typeText(a, ctx)).join(' or ');
  if (node.const !== undefined) return code(node.const);
  if (Array.isArray(node.enum)) return node.enum.map(code).join(' or ');
  const type = node.type;
  if (Array.isArray(type)) return type.join(' or ');
  switch (type) {
    case 'array':
      return `list of ${node.items ? typeText(node.items as JsonNode, ctx) : 'any'}`;
    case 'object':
      if (node.properties === undefined && typeof node.additionalProperties === 'object')
        return `map of string to ${typeText(node.additionalProperties as JsonNode, ctx)}`;
      return 'object';
    case undefined:
      return 'any';
    default:
      return String(type);
  }
}

function fieldTable(node: JsonNode, titles: Set<string>): string[] {
  const ctx: RenderContext = { titles, root: node };
  const props = (node.properties ?? {}) as Record<string, JsonNode>;
  const required = new Set((node.required ?? []) as string[]);
  const lines = ['| Field | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |'];
  for (const [name, p] of Object.entries(props)) {
    const def = p.default === undefined ? '' : code(p.default);
    const desc = typeof p.description === 'string' ? p.description : '';
    lines.push(
      `| \`${name}\` | ${cell(typeText(p, ctx))} | ${required.has(name) ? 'yes' : 'no'} | ${cell(def)} | ${cell(desc)} |`,
    );
  }
  return lines;
}

function exampleBlock(examples: unknown[] | undefined): string[] {
  if (!examples?.length) return [];
  return ['Example:', '', '```yaml', stringify(examples[0], { lineWidth: 0 }).trimEnd(), '```', ''];
}

/** docs/manifest.md. */
export function renderManifestReference(root: ZodType = Manifest): string {
  const components = manifestComponents(root);
  const titles = new Set(components.map((c) => c.title));
  const lines: string[] = [
    '# Manifest reference',
    '',
    '<!-- Generated from src/declarative/manifest-schema.ts by `npm run docs:manifest`. Do not edit: a test fails when it is stale. -->',
    '',
    'A connector is one folder: `manifest.yaml` (described here), optional `schemas/<stream>.json` (JSON Schema of each',
    "stream's records; without one the column types are inferred, and `tributary discover --write-schemas` writes the",
    'inferred schemas for review), a `README.md`, and optionally `components.ts` (code components). Editors can',
    'validate manifests with the JSON Schema from `tributary manifest-schema --out manifest.schema.json`.',
    '',
    'Every component below lists its fields (`Required`: must be given; `Default`: the value when left out) and one',
    'worked example.',
    '',
    '## Contents',
    '',
  ];
  for (const c of components) lines.push(`${c.parent ? '  ' : ''}- [${c.title}](#${anchor(c.title)})`);
  lines.push('');
  for (const c of components) {
    const node = jsonSchemaOf(c.schema);
    lines.push(`${c.parent ? '###' : '##'} ${c.title}`, '');
    if (typeof node.description === 'string') lines.push(node.description, '');
    const variants = components.filter((v) => v.parent === c.title);
    if (variants.length > 0) {
      lines.push('| Variant | Description |', '| --- | --- |');
      for (const v of variants) {
        const d = jsonSchemaOf(v.schema).description;
        lines.push(`| [${v.title}](#${anchor(v.title)}) | ${cell(typeof d === 'string' ? d : '')} |`);
      }
      lines.push('');
      continue;
    }
    if (node.type === 'object') lines.push(...fieldTable(node, titles), '');
    else if (Array.isArray(node.examples)) {
      lines.push(`Examples: ${node.examples.map(code).join(', ')}`, '');
      continue;
    }
    lines.push(...exampleBlock(node.examples as unknown[] | undefined));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
