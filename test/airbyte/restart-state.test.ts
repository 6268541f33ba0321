/**
 * The Airbyte source runner and an unproven read (docs/reliability.md, "An unproven pass is never resumed
 * half-way"): when a stream fails with TRB_SOURCE_CONTRACT, its last STATE points the next read at the last
 * proven cursor, never at the cursor the failed read had reached; and a resume under another page size
 * restarts instead of resuming.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../../src/airbyte/message-writer.js';
import { airbyteRead } from '../../src/airbyte/source-runner.js';
import type { Page, ReadOptions, Source, StreamDescriptor } from '../../src/engine/source.js';
import { SourceError } from '../../src/errors.js';
import { type Msg, protocolLines } from '../helpers/airbyte.js';

/** One incremental stream whose pages are scripted per read; records carry `updated` as the cursor. */
function scripted(pages: Page[], fail: Error | undefined, pageSize = 2) {
  const reads: (Record<string, unknown> | undefined)[] = [];
  const source: Source = {
    name: 'fake',
    version: 'v1',
    streams: (): StreamDescriptor[] => [
      {
        name: 'items',
        primaryKey: ['id'],
        jsonSchema: { type: 'object', properties: { id: { type: 'integer' }, updated: { type: 'string' } } },
        declaredColumns: {},
        supportedSyncModes: ['full_refresh', 'incremental'],
        cursorField: 'updated',
        resumable: true,
        paging: { pageSize, fingerprint: 'items' },
      },
    ],
    check: async () => undefined,
    async *read(_stream: string, opts: ReadOptions) {
      reads.push(opts.state ? { ...opts.state } : undefined);
      for (const p of pages) yield p;
      if (fail) throw fail;
    },
    metrics: () => ({ requests: 0, retries: 0, http429: 0, budgetWaitMs: 0, bytes: 0 }),
    close: async () => undefined,
  };
  return { source, reads };
}

async function read(source: Source, state: Map<string, Record<string, unknown>>) {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c) => chunks.push(String(c)));
  const code = await airbyteRead({ source, writer: new MessageWriter(out), state });
  const messages = protocolLines(chunks.join(''));
  const states: Msg[] = messages.filter((m) => m.type === 'STATE').map((m) => m.state.stream.stream_state);
  return { code, messages, states };
}

const proven = {
  version: 1,
  mode: 'incremental',
  source: { cursor: 'c1', in_progress: false },
  complete: true,
};

describe('airbyte read: unproven reads restart', () => {
  it('a TRB_SOURCE_CONTRACT failure ends with a STATE at the last proven cursor, not the one reached', async () => {
    const page: Page = {
      records: [{ id: 1, updated: 'c5' }],
      checkpoint: { cursor: 'c5', skip: 0, in_progress: true },
      bytes: 10,
    };
    const { source, reads } = scripted(
      [page],
      new SourceError('TRB_SOURCE_CONTRACT', 'stream "items": records out of order'),
    );
    const first = await read(source, new Map([['items', proven]]));
    expect(first.code).toBe(1);
    expect(reads[0]).toEqual({ cursor: 'c1', in_progress: false });
    // The page's own STATE, then the restart.
    expect(first.states).toHaveLength(2);
    expect(first.states[0]).toMatchObject({
      source: { cursor: 'c5' },
      complete: false,
      lastComplete: { cursor: 'c1' },
    });
    const last = first.states[1]!;
    expect(last).toMatchObject({ source: { cursor: 'c1', in_progress: false }, complete: false });
    expect(last.restart.reason).toMatch(/TRB_SOURCE_CONTRACT/);
    const trace = first.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
    expect(trace?.trace.error.message).toMatch(/out of order/);

    // The platform hands the last STATE back: the next read starts from the proven cursor.
    const again = scripted(
      [{ records: [], checkpoint: { cursor: 'c9', in_progress: false }, bytes: 0 }],
      undefined,
    );
    const second = await read(again.source, new Map([['items', last]]));
    expect(second.code).toBe(0);
    expect(again.reads[0]).toEqual({ cursor: 'c1', in_progress: false });
    expect(second.states.at(-1)).toMatchObject({ source: { cursor: 'c9' }, complete: true });
  });

  it('an interrupted read under another page size restarts from the last proven cursor', async () => {
    const page: Page = {
      records: [{ id: 1, updated: 'c5' }],
      checkpoint: { cursor: 'c5', skip: 0, in_progress: true },
      bytes: 10,
    };
    const crash = new SourceError('TRB_SOURCE_HTTP', 'connection reset', { retryable: true });
    const { source } = scripted([page], crash, 2);
    const first = await read(source, new Map([['items', proven]]));
    const interrupted = first.states.at(-1)!;
    expect(interrupted).toMatchObject({
      source: { cursor: 'c5', in_progress: true },
      resume: { pageSize: 2 },
    });

    const same = scripted([], undefined, 2);
    await read(same.source, new Map([['items', interrupted]]));
    expect(same.reads[0]).toMatchObject({ cursor: 'c5', in_progress: true });

    const resized = scripted([], undefined, 3);
    await read(resized.source, new Map([['items', interrupted]]));
    expect(resized.reads[0]).toEqual({ cursor: 'c1', in_progress: false });
  });
});
