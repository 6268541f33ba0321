/**
 * The checks every connector README must pass against its manifest (bundled ones in
 * test/docs/connector-readme.test.ts, `tributary init`'s scaffold in test/cli/init-command.test.ts): the
 * configuration table has one row per spec property and no other rows, with the required flag, the default
 * and the allowed range the manifest declares; the output-schema table names exactly the manifest's streams.
 * Call inside a describe block: it registers the `it`s.
 */
import { expect, it } from 'vitest';
import type { ConfigPropertyDef, Manifest } from '../../src/declarative/manifest-schema.js';

export interface Table {
  header: string[];
  rows: string[][];
}

/**
 * The first table under the heading that `heading` matches. Hand-written: no markdown parser is a dependency,
 * and a GFM table is lines of `|`-separated cells (a literal pipe inside a cell is written `\|`).
 */
export function tableUnder(markdown: string, heading: RegExp, where: string): Table {
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
export function unquote(cell: string | undefined): string {
  return (cell ?? '').replace(/^`([^`]*)`$/, '$1');
}

/** What the "allowed" cell must say for a property: its range, or its type when it has none. */
function allowedText(p: ConfigPropertyDef): string {
  if (p.minimum !== undefined && p.maximum !== undefined) return `${p.minimum}–${p.maximum}`;
  return p.type === 'boolean' ? 'boolean' : '';
}

export function connectorReadmeChecks(readme: string, readmePath: string, manifest: Manifest): void {
  const { spec } = manifest;
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

  it.each(Object.entries(spec.properties))('%s: required, default and range as in the manifest', (key, p) => {
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
  });

  it('names exactly the manifest streams in its output schema table', () => {
    const table = tableUnder(readme, /^###\s+Output schema\s*$/, readmePath);
    expect(table.header[0]).toBe('stream');
    expect(table.rows.map((cells) => unquote(cells[0])).sort()).toEqual(
      manifest.streams.map((s) => s.name).sort(),
    );
  });
}
