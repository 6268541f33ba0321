/**
 * `tributary discover --write-schemas`: infer each stream's JSON Schema from a short read and write it into
 * the connector folder for the user to review and commit. A file that exists is kept unless `force`, except
 * a placeholder that declares no property (`{"type": "object"}`, as `tributary init` writes): it holds
 * nothing to lose, and replacing it is what the placeholder asks for.
 * Where a stream's schema goes: its manifest `schema:` path, else `schemas/<stream>.json`, which the loader
 * picks up by itself from then on (stream-schema.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LoadedConnector } from '../declarative/declarative-source.js';
import { defaultSchemaPath, isPlaceholderSchema } from '../declarative/stream-schema.js';
import { sampleStream } from '../engine/sample-schema.js';
import type { Source } from '../engine/source.js';

export interface WriteSchemasOptions {
  /** Pages read per stream. */
  pages: number;
  /** Overwrite schema files that exist. */
  force: boolean;
  /** Only these streams (default: all). */
  streams?: string[];
}

export interface WrittenSchema {
  stream: string;
  /** Relative to the connector folder. */
  file: string;
  status: 'written' | 'kept' | 'empty';
  /** The file was a placeholder declaring no property, now replaced. */
  replacedPlaceholder?: boolean;
  records: number;
  pages: number;
}

export async function writeInferredSchemas(
  connector: LoadedConnector,
  source: Source,
  opts: WriteSchemasOptions,
): Promise<WrittenSchema[]> {
  const out: WrittenSchema[] = [];
  for (const def of connector.manifest.streams) {
    if (opts.streams && !opts.streams.includes(def.name)) continue;
    const file = def.schema ?? defaultSchemaPath(def.name);
    const path = join(connector.dir, file);
    const placeholder = existsSync(path) && isPlaceholder(path);
    if (existsSync(path) && !opts.force && !placeholder) {
      out.push({ stream: def.name, file, status: 'kept', records: 0, pages: 0 });
      continue;
    }
    const { inference, pages } = await sampleStream(source, def.name, { pages: opts.pages });
    if (inference.records === 0) {
      // Nothing to infer from: writing `{}` would declare no columns and hide the problem.
      out.push({ stream: def.name, file, status: 'empty', records: 0, pages });
      continue;
    }
    const schema = inference.toJsonSchema({
      title: `${connector.manifest.title} ${def.name}`,
      primaryKey: def.primary_key,
    });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
    out.push({
      stream: def.name,
      file,
      status: 'written',
      records: inference.records,
      pages,
      ...(placeholder ? { replacedPlaceholder: true } : {}),
    });
  }
  return out;
}

function isPlaceholder(path: string): boolean {
  try {
    return isPlaceholderSchema(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return false; // not JSON: the user's to fix, never overwritten without --force
  }
}

/** One line per stream, for the terminal. */
export function describeWritten(w: WrittenSchema): string {
  switch (w.status) {
    case 'written':
      return `${w.stream}: wrote ${w.file}${w.replacedPlaceholder ? ', replacing its placeholder' : ''} (inferred from ${w.records} records in ${w.pages} pages; review it before committing)`;
    case 'kept':
      return `${w.stream}: kept ${w.file} (it exists; --force overwrites it)`;
    case 'empty':
      return `${w.stream}: no records in ${w.pages} pages, nothing written`;
  }
}
