import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/util/log.js';
import { globalRedactor } from '../../src/util/redact.js';

function memory(): { lines: string[]; stream: NodeJS.WritableStream } {
  const lines: string[] = [];
  const stream = {
    write(chunk: string) {
      lines.push(String(chunk));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { lines, stream };
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLogger', () => {
  const savedLevel = process.env.TRIBUTARY_LOG_LEVEL;
  afterEach(() => {
    if (savedLevel === undefined) delete process.env.TRIBUTARY_LOG_LEVEL;
    else process.env.TRIBUTARY_LOG_LEVEL = savedLevel;
  });

  it('writes one JSON line per call with a level label, an ISO time and the message', () => {
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream, level: 'info' });
    log.info({ stream: 'people', pages: 3 }, 'stream finished');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const [rec] = parse(lines);
    expect(rec).toMatchObject({ level: 'info', msg: 'stream finished', stream: 'people', pages: 3 });
    expect(new Date(String(rec!.time)).toISOString()).toBe(rec!.time);
    expect(rec).not.toHaveProperty('pid');
    expect(rec).not.toHaveProperty('hostname');
  });

  it('masks a registered secret in the message and in nested fields', () => {
    globalRedactor.add('sk_log_secret_123');
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream });
    log.warn(
      { config: { token: 'sk_log_secret_123' }, list: ['x sk_log_secret_123'] },
      'using sk_log_secret_123 now',
    );
    const text = lines.join('');
    expect(text).not.toContain('sk_log_secret_123');
    const [rec] = parse(lines);
    expect(rec).toMatchObject({ msg: 'using *** now', config: { token: '***' }, list: ['x ***'] });
  });

  it('masks secret query parameters of URLs that are logged', () => {
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream });
    log.info({ url: 'https://api.example.com/x?api_key=unregistered999&page=2' }, 'request');
    expect(lines.join('')).not.toContain('unregistered999');
    expect(parse(lines)[0]!.url).toBe('https://api.example.com/x?api_key=***&page=2');
  });

  it('masks a secret inside a logged error, stack included', () => {
    globalRedactor.add('err-secret-777');
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream });
    log.error({ err: new Error('auth failed for err-secret-777') }, 'boom');
    const text = lines.join('');
    expect(text).toContain('auth failed for ***');
    expect(text).not.toContain('err-secret-777');
  });

  it('masks a secret containing quotes and backslashes, which the JSON line escapes', () => {
    const secret = 'db"pass\\word';
    globalRedactor.add(secret);
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream });
    log.info({ password: secret }, 'connecting');
    const [rec] = parse(lines);
    expect(rec!.password).toBe('***');
    expect(lines.join('')).not.toContain('pass\\\\word');
  });

  it('drops lines below the level', () => {
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream, level: 'warn' });
    log.info('not shown');
    log.debug('not shown either');
    log.warn('shown');
    log.error('shown too');
    expect(parse(lines).map((r) => r.msg)).toEqual(['shown', 'shown too']);
  });

  it('takes the default level from TRIBUTARY_LOG_LEVEL', () => {
    process.env.TRIBUTARY_LOG_LEVEL = 'error';
    const { lines, stream } = memory();
    const log = createLogger({ destination: stream });
    log.warn('hidden');
    log.error('visible');
    expect(parse(lines).map((r) => r.msg)).toEqual(['visible']);
    delete process.env.TRIBUTARY_LOG_LEVEL;
    const m2 = memory();
    createLogger({ destination: m2.stream }).info('default is info');
    expect(parse(m2.lines).map((r) => r.msg)).toEqual(['default is info']);
  });

  it('silentLogger has every level disabled', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace']) {
      expect(silentLogger.isLevelEnabled(level)).toBe(false);
    }
  });
});
