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
import { connectorReadmeChecks, tableUnder, unquote } from '../helpers/connector-readme.js';

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
    const readme = readFileSync(readmePath, 'utf8');

    connectorReadmeChecks(readme, readmePath, manifest);

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
