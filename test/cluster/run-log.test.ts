/**
 * A job's log tee (src/cluster/run-log.ts): every line still reaches the worker's own log at its level, and
 * every info-or-above line reaches the run's sink, redacted; the sink keeps the last 2,000 lines of a run in
 * Redis with a TTL. The Redis part is skipped without Redis (fails instead when CI=true).
 */
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/keys.js';
import { readRunLog } from '../../src/cluster/run-history.js';
import { RUN_LOG_LINES, RUN_LOG_TTL_S, RunLogSink, teeLogger } from '../../src/cluster/run-log.js';
import { createLogger } from '../../src/util/log.js';
import { globalRedactor } from '../../src/util/redact.js';
import { dropPrefix, REDIS_TEST_URL, redisReachable, testPrefix } from '../helpers/redis.js';

const SECRET = 'runlog-secret-5b7e21d9';
globalRedactor.add(SECRET);

function collect(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString('utf8');
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('teeLogger', () => {
  it("writes to the parent's destination at its level and to the sink from info up, both redacted", async () => {
    const out = collect();
    const parent = createLogger({ level: 'warn', destination: out.stream }).child({ worker: 'w1' });
    const sunk: string[] = [];
    const log = teeLogger(parent, { write: (l) => sunk.push(l) }).child({ job: '7' });
    log.debug('not kept anywhere');
    log.info({ token: SECRET }, 'info line');
    log.warn(`warn line with ${SECRET}`);
    await new Promise((r) => setImmediate(r));
    const sink = sunk.map((l) => JSON.parse(globalRedactor.redact(l)) as Record<string, unknown>);
    expect(sink.map((l) => l.msg)).toEqual(['info line', 'warn line with ***']);
    expect(sink[0]).toMatchObject({ level: 'info', worker: 'w1', job: '7', token: '***' });
    expect(typeof sink[0]!.time).toBe('string');
    // The parent (level warn) gets only the warning, through its own redacting stream.
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'warn line with ***', job: '7' }),
    ]);
  });
});

const available = await redisReachable();
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('RunLogSink', () => {
  const prefix = testPrefix('runlog');
  const keys = new ClusterKeys(prefix);
  const redis = new Redis(REDIS_TEST_URL, { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('keeps the last 2,000 lines of a run, redacted, with a TTL', async () => {
    const sink = new RunLogSink(redis, keys, 'run-1');
    for (let i = 0; i < RUN_LOG_LINES + 50; i++)
      sink.write(`${JSON.stringify({ level: 'info', time: 't', msg: `line ${i} ${SECRET}` })}\n`);
    await sink.flush();
    const lines = await readRunLog(redis, keys, 'run-1');
    expect(lines).toHaveLength(RUN_LOG_LINES);
    expect(lines[0]!.msg).toBe('line 50 ***');
    expect(lines.at(-1)!.msg).toBe(`line ${RUN_LOG_LINES + 49} ***`);
    const ttl = await redis.ttl(keys.runLog('run-1'));
    expect(ttl).toBeGreaterThan(RUN_LOG_TTL_S - 60);
    expect(ttl).toBeLessThanOrEqual(RUN_LOG_TTL_S);
    // A huge line is cut to its message, still JSON.
    sink.write(JSON.stringify({ level: 'warn', time: 't', msg: 'big', payload: 'x'.repeat(20_000) }));
    await sink.flush();
    expect((await readRunLog(redis, keys, 'run-1')).at(-1)).toEqual({
      level: 'warn',
      time: 't',
      msg: 'big',
      truncated: true,
    });
    expect(await readRunLog(redis, keys, 'no-such-run')).toEqual([]);
  });
});
