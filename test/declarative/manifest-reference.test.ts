/**
 * The manifest reference is generated and complete: docs/manifest.md is what the generator writes today,
 * every field of the manifest schema has a description, every component a title, a description and a worked
 * example, and each example parses with the component's own zod schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseManifest } from '../../src/connectors/registry.js';
import {
  anchor,
  manifestComponents,
  renderManifestReference,
} from '../../src/declarative/manifest-reference.js';
import { Manifest, manifestJsonSchema } from '../../src/declarative/manifest-schema.js';
import { stringify } from 'yaml';

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'manifest.md');

type Node = Record<string, unknown>;

/** Paths of properties without a description, and of objects without a title, anywhere in a JSON Schema. */
function gaps(node: Node, path = '(root)'): string[] {
  const out: string[] = [];
  if (node.properties) {
    if (typeof node.title !== 'string') out.push(`${path}: object without a title`);
    for (const [k, p] of Object.entries(node.properties as Record<string, Node>)) {
      if (typeof p.description !== 'string' || p.description.trim() === '')
        out.push(`${path}.${k}: no description`);
      out.push(...gaps(p, `${path}.${k}`));
    }
  }
  for (const key of ['items', 'additionalProperties']) {
    const child = node[key];
    if (child && typeof child === 'object') out.push(...gaps(child as Node, `${path}[${key}]`));
  }
  for (const [k, child] of Object.entries((node.$defs ?? {}) as Record<string, Node>))
    out.push(...gaps(child, `$defs.${k}`));
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    for (const [i, child] of ((node[key] ?? []) as Node[]).entries())
      out.push(...gaps(child, `${path}|${i}`));
  }
  return out;
}

describe('docs/manifest.md', () => {
  it('is what the generator writes (run `npm run docs:manifest` after changing manifest-schema.ts)', () => {
    expect(
      readFileSync(DOC, 'utf8') === renderManifestReference(),
      'docs/manifest.md is stale: run npm run docs:manifest',
    ).toBe(true);
  });

  it('has a section for every component, and every field of it in a table row', () => {
    const doc = renderManifestReference();
    for (const c of manifestComponents()) {
      expect(doc).toContain(`## ${c.title}\n`);
      expect(doc).toContain(`](#${anchor(c.title)})`);
      const node = z.toJSONSchema(c.schema, { io: 'input', unrepresentable: 'any' }) as Node;
      for (const field of Object.keys((node.properties ?? {}) as Node))
        expect(doc).toContain(`| \`${field}\` |`);
    }
  });
});

describe('the manifest schema', () => {
  it('describes every field and titles every object', () => {
    expect(gaps(manifestJsonSchema())).toEqual([]);
  });

  it('the completeness check finds an undescribed field and an untitled object', () => {
    const bad = z.toJSONSchema(
      z
        .object({ a: z.string(), b: z.object({ c: z.string().describe('c') }).describe('b') })
        .meta({ title: 'X' }),
    ) as Node;
    expect(gaps(bad)).toEqual(['(root).a: no description', '(root).b: object without a title']);
  });

  it('finds the components: unions with their variants, and the template', () => {
    const titles = manifestComponents().map((c) => (c.parent ? `${c.parent} > ${c.title}` : c.title));
    expect(titles).toEqual(
      expect.arrayContaining([
        'Manifest',
        'Stream',
        'Template',
        'Paginator',
        'Paginator > Paginator: offset',
        'Authenticator > Authenticator: bearer',
        'Transform > Transform: add_fields',
      ]),
    );
  });

  const components = manifestComponents();
  it.each(components.map((c) => [c.title, c] as const))(
    '%s has a description and a worked example that parses',
    (_t, c) => {
      const meta = z.globalRegistry.get(c.schema) ?? {};
      expect(typeof meta.description === 'string' && meta.description.length > 0).toBe(true);
      // A union's examples are its variants' (each checked on its own row).
      if (components.some((v) => v.parent === c.title)) return;
      const examples = (meta.examples ?? []) as unknown[];
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) {
        const r = c.schema.safeParse(example);
        expect(r.success, r.success ? '' : JSON.stringify(r.error.issues)).toBe(true);
      }
    },
  );

  it('the worked manifest loads as a connector manifest would (YAML text through the loader)', () => {
    const example = ((z.globalRegistry.get(Manifest)?.examples ?? []) as unknown[])[0];
    const m = parseManifest(stringify(example), 'docs example');
    expect(m.streams.map((s) => s.name)).toEqual(['orders', 'customers']);
  });
});
