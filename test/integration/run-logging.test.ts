/**
 * What a run logs and the errors it reports, against the real Humaans simulator: every line carries the run
 * and connector, every per-stream line (HTTP retry warnings included) its stream, URLs read as written
 * (`$limit`, not `%24limit`) with the token nowhere, and a rejected token fails each stream with its own URL.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHumaansSimulator } from '../../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { createLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/duckdb.js';
import { dbPath, humaansConfig, syncConnector } from '../helpers/humaans.js';

const TOKEN = 'run-logging-token-31337';
const STREAMS = ['companies', 'documents', 'job_roles', 'people', 'locations', 'time_away'];
/** The API path of each stream (manifest: job_roles is /job-roles, time_away is /time-away). */
const pathOf = (stream: string) => `/${stream.replace(/_/g, '-')}?`;

function memoryLogger(): {
  lines: () => Array<Record<string, unknown>>;
  raw: () => string;
  logger: ReturnType<typeof createLogger>;
} {
  const chunks: string[] = [];
  const destination = {
    write(chunk: string) {
      chunks.push(String(chunk));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return {
    logger: createLogger({ destination, level: 'debug' }),
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('run logging and per-stream errors (humaans simulator)', () => {
  let sim: SimulatorHandle;
  let dir: string;

  beforeAll(async () => {
    sim = await startHumaansSimulator({ seed: 31, records: 120, token: TOKEN });
    dir = tempDir('tributary-runlog-');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => sim.setFaults(undefined));

  it('every line carries runId and connector; stream lines and retry warnings carry their stream', async () => {
    const log = memoryLogger();
    // Each stream's first request fails once (503), so every stream logs a retry warning of its own.
    sim.failNext(STREAMS.length, '503');
    const run = await syncConnector(
      'humaans',
      humaansConfig(sim, { api_token: TOKEN, max_records_per_page: 50 }),
      `duckdb:${dbPath(dir, 'logged.duckdb')}`,
      { logger: log.logger, streamConcurrency: STREAMS.length },
    );
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    const lines = log.lines();
    expect(lines.length).toBeGreaterThan(STREAMS.length * 2);
    for (const line of lines) {
      expect(line.runId, JSON.stringify(line)).toBe(run.runId);
      expect(line.connector, JSON.stringify(line)).toBe('humaans');
    }
    const perStream = lines.filter((l) => /^stream |^request failed/.test(String(l.msg)));
    for (const line of perStream) expect(STREAMS, JSON.stringify(line)).toContain(line.stream);
    for (const s of STREAMS) {
      expect(lines.some((l) => l.stream === s && l.msg === 'stream started')).toBe(true);
      expect(lines.some((l) => l.stream === s && l.msg === 'stream finished')).toBe(true);
    }

    const retries = lines.filter((l) => String(l.msg).startsWith('request failed'));
    expect(retries).toHaveLength(STREAMS.length);
    expect(retries.map((l) => l.stream).sort()).toEqual([...STREAMS].sort());
    for (const r of retries) {
      const url = String(r.url);
      // The warning's stream is the stream whose URL failed, and the URL reads as written.
      expect(url, JSON.stringify(r)).toContain(pathOf(String(r.stream)));
      expect(url).toContain('$limit=50');
      expect(url).not.toMatch(/%24|%5B/);
      expect(String(r.msg)).toContain('$limit=50');
    }
    expect(log.raw()).not.toContain(TOKEN);
  });

  it('a rejected token fails each stream with its own URL, readable, without the token', async () => {
    const log = memoryLogger();
    const wrong = 'wrong-token-000111222';
    const run = await syncConnector(
      'humaans',
      humaansConfig(sim, { api_token: wrong }),
      `duckdb:${dbPath(dir, 'unauthorized.duckdb')}`,
      { logger: log.logger },
    );
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('TRB_AUTH');
    for (const s of run.streams) {
      expect(s.status, s.stream).toBe('failed');
      expect(s.error?.code, s.stream).toBe('TRB_AUTH');
      const message = s.error!.message;
      expect(message, s.stream).toContain(pathOf(s.stream));
      expect(message, s.stream).toMatch(/HTTP 401 Unauthorized/);
      for (const other of STREAMS.filter((o) => o !== s.stream)) {
        expect(message, s.stream).not.toContain(pathOf(other));
      }
      expect(message).toContain('$limit=100');
      expect(message).not.toMatch(/%24|%5B/);
      expect(s.metrics.requests, s.stream).toBe(1);
    }
    const failed = log.lines().filter((l) => l.msg === 'stream failed');
    expect(failed.map((l) => l.stream).sort()).toEqual([...STREAMS].sort());
    expect(JSON.stringify(run) + log.raw()).not.toContain(wrong);
  });
});
