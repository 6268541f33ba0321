/** In-process loads of scripted Airbyte message streams into a DuckDB file. */
import { Readable } from 'node:stream';
import { createDestination } from '../../src/destinations/create-destination.js';
import { readLines } from '../../src/airbyte/line-reader.js';
import { type LoaderOptions, type LoadSummary, loadAirbyte } from '../../src/airbyte/loader.js';
import type {
  AirbyteMessage,
  AirbyteSyncMode,
  ConfiguredAirbyteCatalog,
} from '../../src/airbyte/protocol.js';
import type { StreamState } from '../../src/destinations/destination.js';

export type Line = Record<string, unknown> | string;

export const rec = (stream: string, data: Record<string, unknown>, namespace?: string) => ({
  type: 'RECORD',
  record: { stream, data, emitted_at: 1_700_000_000_000, ...(namespace ? { namespace } : {}) },
});
export const st = (stream: string, state: Record<string, unknown>) => ({
  type: 'STATE',
  state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: state } },
});
export const status = (stream: string, s: 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE') => ({
  type: 'TRACE',
  trace: {
    type: 'STREAM_STATUS',
    emitted_at: 1,
    stream_status: { stream_descriptor: { name: stream }, status: s },
  },
});

export function text(lines: Line[], trailingNewline = true): string {
  const body = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  return trailingNewline ? `${body}\n` : body;
}

/** An echoed STATE, typed for the assertions the tests make. */
export interface EchoedState {
  type: 'STATE';
  state: {
    stream?: { stream_state?: Record<string, unknown> };
    destinationStats: { recordCount: number };
  };
}

export interface LoadResult {
  summary?: LoadSummary;
  error?: Error & { code?: string; exitCode?: number };
  echoed: EchoedState[];
  states: Record<string, StreamState>;
}

export async function loadInto(
  db: string,
  input: Line[] | string,
  opts: Partial<Omit<LoaderOptions, 'destination'>> & { namespace?: string } = {},
): Promise<LoadResult> {
  const destination = await createDestination(
    { url: `duckdb:${db}` },
    { namespace: opts.namespace ?? 'ab', connector: 'airbyte' },
  );
  await destination.open();
  const echoed: EchoedState[] = [];
  try {
    const raw = typeof input === 'string' ? input : text(input);
    // Split the input into small chunks so line splitting across chunks is exercised too.
    const chunks: Buffer[] = [];
    const buf = Buffer.from(raw);
    for (let i = 0; i < buf.length; i += 97) chunks.push(buf.subarray(i, i + 97));
    let summary: LoadSummary | undefined;
    let error: LoadResult['error'];
    try {
      summary = await loadAirbyte(readLines(Readable.from(chunks)), {
        ...opts,
        destination,
        onStateCommitted: (m: AirbyteMessage) => {
          echoed.push(m as unknown as EchoedState);
        },
      });
    } catch (err) {
      error = err as LoadResult['error'];
    }
    return { summary, error, echoed, states: await destination.readStates() };
  } finally {
    await destination.close();
  }
}

export const catalogOf = (
  streams: {
    name: string;
    mode: 'append' | 'overwrite' | 'append_dedup';
    pk?: string[][];
    schema?: Record<string, unknown>;
    namespace?: string;
  }[],
): ConfiguredAirbyteCatalog => ({
  streams: streams.map((s) => ({
    stream: {
      name: s.name,
      ...(s.namespace ? { namespace: s.namespace } : {}),
      json_schema: s.schema ?? { type: 'object', properties: {} },
      supported_sync_modes: ['full_refresh', 'incremental'] as AirbyteSyncMode[],
      ...(s.pk ? { source_defined_primary_key: s.pk } : {}),
    },
    sync_mode: 'incremental' as const,
    destination_sync_mode: s.mode,
  })),
});
