/**
 * The connector docs against the manifests they describe. Each connector README's configuration table has one
 * row per spec property and no other rows, with the required flag, the default and the allowed range the
 * manifest declares; its output-schema table and the main README's connectors table name exactly the manifest's
 * streams. A property or stream added to a manifest without a line in the docs fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS_DIR, listConnectors, parseManifest } from '../../src/connectors/registry.js';
import type { ConfigPropertyDef } from '../../src/declarative/manifest-schema.js';

interface Table {
  header: string[];
  rows: string[][];
}

/**
 * The first table under the heading that `heading` matches. Hand-written: no markdown parser is a dependency,
 * and a GFM table is lines of `|`-separated cells (a literal pipe inside a cell is written `\|`).
 */
function tableUnder(markdown: string, heading: RegExp, where: string): Table {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => heading.test(l));
  if (at < 0) throw new Error(`${where}: no heading matching ${heading}`);
  const start = lines.findIndex((l, i) => i > at && l.startsWith('|'));
  const next = lines.findIndex((l, i) => i > at && /^#{1,6}\s/.test(l));
  if (start < 0 || (next >= 0 && next < start)) throw new Error(`${where}: no table under ${heading}`);
  const table: string[][] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith('|'); i++) {
    table.push(
      lines[i]!.trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
  }
  const [header = [], separator = [], ...rows] = table;
  expect(
    separator.length > 0 && separator.every((c) => /^:?-+:?$/.test(c)),
    `${where}: separator row of the table under ${heading}`,
  ).toBe(true);
  return { header, rows };
}

/** A cell's text without the backticks around it: `` `api_key` `` → `api_key`. */
function unquote(cell: string | undefined): string {
  return (cell ?? '').replace(/^`([^`]*)`$/, '$1');
}

/** What the "allowed" cell must say for a property: its range, or its type when it has none. */
function allowedText(p: ConfigPropertyDef): string {
  if (p.minimum !== undefined && p.maximum !== undefined) return `${p.minimum}–${p.maximum}`;
  return p.type === 'boolean' ? 'boolean' : '';
}

const connectors = listConnectors();
const mainReadme = readFileSync(join(CONNECTORS_DIR, '..', '..', 'README.md'), 'utf8');

describe('connector docs match the manifests', () => {
  it('finds the bundled connectors', () => {
    expect(connectors).toEqual(expect.arrayContaining(['hellobaton', 'humaans']));
  });

  describe.each(connectors)('%s', (name) => {
    const readmePath = join(CONNECTORS_DIR, name, 'README.md');
    const manifestPath = join(CONNECTORS_DIR, name, 'manifest.yaml');
    const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath);
    const { spec } = manifest;
    const readme = readFileSync(readmePath, 'utf8');
    const config = tableUnder(readme, /^###\s+Configuration\s*$/, readmePath);
    const byKey = new Map(config.rows.map((cells) => [unquote(cells[0]), cells]));

    it('has a configuration table with key, required, default, allowed and notes', () => {
      expect(config.header).toEqual(['key', 'required', 'default', 'allowed', 'notes']);
      for (const cells of config.rows) expect(cells[0], 'a key in backticks').toMatch(/^`[^`]+`$/);
    });

    it('lists every spec property once in the configuration table, and nothing else', () => {
      expect({
        missing: Object.keys(spec.properties).filter((k) => !byKey.has(k)),
        notAProperty: [...byKey.keys()].filter((k) => !(k in spec.properties)),
      }).toEqual({ missing: [], notAProperty: [] });
      expect(byKey.size, 'a key listed twice').toBe(config.rows.length);
    });

    it.each(Object.entries(spec.properties))(
      '%s: required, default and range as in the manifest',
      (key, p) => {
        const cells = byKey.get(key);
        if (!cells) throw new Error(`${readmePath}: no configuration row for \`${key}\``);
        const [, required, dflt = '', allowed] = cells;
        expect(required, `${key}: required`).toBe(spec.required.includes(key) ? 'yes' : 'no');
        if (p.default !== undefined) {
          // The cell may add a gloss after the value: `0 (none)`.
          expect(dflt.replace(/`/g, '').split(' ')[0], `${key}: default`).toBe(String(p.default));
        } else if (spec.required.includes(key)) {
          expect(dflt, `${key}: a required property has no default`).toBe('');
        }
        const range = allowedText(p);
        if (range) expect(allowed, `${key}: allowed`).toBe(range);
      },
    );

    it('names exactly the manifest streams in its output schema table', () => {
      const table = tableUnder(readme, /^###\s+Output schema\s*$/, readmePath);
      expect(table.header[0]).toBe('stream');
      expect(table.rows.map((cells) => unquote(cells[0])).sort()).toEqual(
        manifest.streams.map((s) => s.name).sort(),
      );
    });

    it("names exactly the manifest streams in the main README's connectors table", () => {
      const table = tableUnder(mainReadme, /^##\s+Connectors\s*$/, 'README.md');
      expect(table.header.slice(0, 2)).toEqual(['connector', 'streams']);
      const row = table.rows.find((cells) => unquote(cells[0]) === name);
      if (!row) throw new Error(`README.md: no row for ${name} in the connectors table`);
      const streams = (row[1] ?? '').split(',').map((s) => s.trim());
      expect(streams.sort()).toEqual(manifest.streams.map((s) => s.name).sort());
    });
  });
});
