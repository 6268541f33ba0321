/**
 * Each connector README's configuration table against its manifest's spec: one row per spec property and no
 * other rows, with the required flag, the default and the allowed range the manifest declares. A property added
 * to a manifest without a line in its docs page fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS_DIR, listConnectors, parseManifest } from '../../../src/connectors/registry.js';
import type { ConfigPropertyDef } from '../../../src/declarative/manifest-schema.js';

interface ConfigRow {
  key: string;
  required: string;
  default: string;
  allowed: string;
}

/**
 * The rows of the first table under the "### Configuration" heading. Hand-written: no markdown parser is a
 * dependency, and a GFM table is lines of `|`-separated cells (a literal pipe inside a cell is written `\|`).
 */
function configTable(markdown: string, where: string): ConfigRow[] {
  const lines = markdown.split('\n');
  const heading = lines.findIndex((l) => /^###\s+Configuration\s*$/.test(l));
  if (heading < 0) throw new Error(`${where}: no "### Configuration" section`);
  const start = lines.findIndex((l, i) => i > heading && l.startsWith('|'));
  if (start < 0) throw new Error(`${where}: no table under "### Configuration"`);
  const table: string[][] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) {
    table.push(
      lines[i]!.trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
  }
  const [header, separator, ...rows] = table;
  expect(header, `${where}: configuration table header`).toEqual([
    'key',
    'required',
    'default',
    'allowed',
    'notes',
  ]);
  expect(
    separator?.every((c) => /^:?-+:?$/.test(c)),
    `${where}: table separator row`,
  ).toBe(true);
  return rows.map((cells) => {
    const key = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    if (!key) throw new Error(`${where}: configuration row without a \`key\`: | ${cells.join(' | ')} |`);
    return { key, required: cells[1] ?? '', default: cells[2] ?? '', allowed: cells[3] ?? '' };
  });
}

/** What the "allowed" cell must say for a property: its range, or its type when it has none. */
function allowedText(p: ConfigPropertyDef): string {
  if (p.minimum !== undefined && p.maximum !== undefined) return `${p.minimum}–${p.maximum}`;
  return p.type === 'boolean' ? 'boolean' : '';
}

const connectors = listConnectors();

describe('connector README configuration tables', () => {
  it('finds the bundled connectors', () => {
    expect(connectors).toEqual(expect.arrayContaining(['hellobaton', 'humaans']));
  });

  describe.each(connectors)('%s', (name) => {
    const readmePath = join(CONNECTORS_DIR, name, 'README.md');
    const manifestPath = join(CONNECTORS_DIR, name, 'manifest.yaml');
    const { spec } = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
    const rows = configTable(readFileSync(readmePath, 'utf8'), readmePath);
    const byKey = new Map(rows.map((r) => [r.key, r]));

    it('lists every spec property once, and nothing else', () => {
      const properties = Object.keys(spec.properties);
      expect({
        missing: properties.filter((k) => !byKey.has(k)),
        notAProperty: [...byKey.keys()].filter((k) => !(k in spec.properties)),
      }).toEqual({ missing: [], notAProperty: [] });
      expect(byKey.size, 'a key listed twice').toBe(rows.length);
    });

    it.each(Object.entries(spec.properties))(
      '%s: required, default and range as in the manifest',
      (key, p) => {
        const row = byKey.get(key);
        if (!row) throw new Error(`${readmePath}: no configuration row for \`${key}\``);
        expect(row.required, `${key}: required`).toBe(spec.required.includes(key) ? 'yes' : 'no');
        if (p.default !== undefined) {
          // The cell may add a gloss after the value: `0 (none)`.
          expect(row.default.replace(/`/g, '').split(' ')[0], `${key}: default`).toBe(String(p.default));
        } else if (spec.required.includes(key)) {
          expect(row.default, `${key}: a required property has no default`).toBe('');
        }
        const allowed = allowedText(p);
        if (allowed) expect(row.allowed, `${key}: allowed`).toBe(allowed);
      },
    );
  });
});
