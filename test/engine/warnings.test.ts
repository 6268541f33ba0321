/**
 * A destination's warnings reach the run: a value the destination had to change to store it (here an
 * unpaired UTF-16 surrogate, replaced by U+FFFD) is counted in the stream's summary, stored with the run in
 * `_tributary_runs.summary`, and logged once by the stream's logger, on every destination.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DuckDbDestination } from '../../src/destinations/duckdb/duckdb-destination.js';
import type { Page, Source, StreamDescriptor, StreamMetrics } from '../../src/engine/source.js';
import { formatSummary } from '../../src/engine/summary.js';
import { runSync } from '../../src/engine/sync.js';
import { createLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/duckdb.js';

/** One stream, one page: two records, one of them with a lone surrogate in its name. */
const source: Source = {
  name: 'warn',
  version: 'v1',
  streams(): StreamDescriptor[] {
    return [
      {
        name: 'people',
        primaryKey: ['id'],
        jsonSchema: {},
        declaredColumns: { id: 'bigint', name: 'varchar' },
        supportedSyncModes: ['full_refresh'],
        resumable: false,
      },
    ];
  },
  async check() {},
  async *read(): AsyncGenerator<Page> {
    yield {
      records: [
        { id: 1, name: 'plain' },
        { id: 2, name: 'broken \ud800 name' },
      ],
      checkpoint: { in_progress: false },
      bytes: 10,
    };
  },
  async fetchOne() {
    return null;
  },
  metrics(): StreamMetrics {
    return { requests: 1, retries: 0, http429: 0, budgetWaitMs: 0, bytes: 10 };
  },
  async close() {},
};

describe('destination warnings in the run', () => {
  it('counts a replaced surrogate in the summary and the runs row, and logs it once', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: new Writable({
        write(chunk, _enc, done) {
          for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
          done();
        },
      }),
      level: 'info',
    });
    const dest = new DuckDbDestination(join(tempDir(), 'warn.duckdb'), {
      namespace: 'warnings_ns',
      connector: 'warn',
    });
    await dest.open();
    try {
      const run = await runSync({ source, destination: dest, logger });
      expect(run.status).toBe('succeeded');
      expect(run.streams[0]!.warnings).toEqual([
        { code: 'TRB_DEST_INVALID_UTF16', values: 1, message: expect.stringMatching(/U\+FFFD in 1 value/) },
      ]);
      expect(formatSummary(run)).toMatch(/people: warning \[TRB_DEST_INVALID_UTF16\] 1 value/);
      const [stored] = await dest.query(
        'SELECT CAST(summary AS VARCHAR) AS s FROM warnings_ns._tributary_runs',
      );
      expect(JSON.parse(String(stored!.s))[0].warnings).toEqual([
        { code: 'TRB_DEST_INVALID_UTF16', values: 1, message: expect.any(String) },
      ]);
      const logged = lines.filter((l) => l.code === 'TRB_DEST_INVALID_UTF16');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ stream: 'people', level: 'warn' });
      const [row] = await dest.query('SELECT name FROM warnings_ns.people WHERE id = 2');
      expect(row!.name).toBe('broken \ufffd name');
    } finally {
      await dest.close();
    }
  });
});
