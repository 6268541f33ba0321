/**
 * `tributary manifest-schema`: emit the manifest JSON Schema for editors, or (`--markdown`) the manifest
 * reference docs/manifest.md; both generated from the zod schema.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderManifestReference } from '../declarative/manifest-reference.js';
import { manifestJsonSchema } from '../declarative/manifest-schema.js';

export function registerManifestSchema(program: Command): void {
  program
    .command('manifest-schema')
    .description('print (or write) the JSON Schema of connector manifests, generated from the zod schema')
    .option('--out <file>', 'write to a file instead of stdout')
    .option(
      '--markdown',
      'the manifest reference as Markdown (docs/manifest.md) instead of JSON Schema',
      false,
    )
    .action((o: { out?: string; markdown?: boolean }) => {
      const text = o.markdown
        ? renderManifestReference()
        : `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
      if (o.out) writeFileSync(o.out, text);
      else process.stdout.write(text);
    });
}
