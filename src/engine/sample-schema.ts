/**
 * A short read of a stream to infer its JSON Schema: its first pages, read through the source as a sync
 * reads them (transforms applied, so the schema describes the emitted record), nothing written anywhere.
 */
import { SchemaInference } from './schema-inference.js';
import type { Source } from './source.js';

export interface SampleOptions {
  /** Pages to read at most (each page's records are all observed). */
  pages: number;
  signal?: AbortSignal;
}

export interface Sample {
  inference: SchemaInference;
  pages: number;
}

export async function sampleStream(source: Source, stream: string, opts: SampleOptions): Promise<Sample> {
  const inference = new SchemaInference();
  let pages = 0;
  if (opts.pages < 1) return { inference, pages };
  // A full-refresh read from the top: no state, so the sample is the stream's first pages.
  for await (const page of source.read(stream, {
    syncMode: 'full_refresh',
    state: undefined,
    signal: opts.signal,
  })) {
    for (const r of page.records) inference.observe(r);
    pages++;
    if (pages >= opts.pages) break;
  }
  return { inference, pages };
}
