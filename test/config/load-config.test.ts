// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the config syntax under test
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interpolateEnv, loadConfigFile, parseConfigText } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'trb-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfigFile', () => {
  it('reads a JSON file', () => {
    const p = file('c.json', JSON.stringify({ api_token: 'abc', page_size: 50, nested: { on: true } }));
    expect(loadConfigFile(p, {})).toEqual({ api_token: 'abc', page_size: 50, nested: { on: true } });
  });

  it('reads a YAML file', () => {
    const p = file('c.yaml', 'api_token: abc\npage_size: 50\nlist:\n  - a\n  - b\n');
    expect(loadConfigFile(p, {})).toEqual({ api_token: 'abc', page_size: 50, list: ['a', 'b'] });
  });

  it('treats an empty file as an empty config', () => {
    expect(loadConfigFile(file('empty.yaml', ''), {})).toEqual({});
    expect(loadConfigFile(file('comment.yaml', '# nothing yet\n'), {})).toEqual({});
  });

  it('names the file when it does not exist (exit code 2)', () => {
    const p = join(dir, 'missing.json');
    const err = catchError(() => loadConfigFile(p, {}));
    expect(err.code).toBe('TRB_CONFIG_MISSING');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(p);
    expect(err.message).toContain('no such file');
  });

  it('says so when the path is a directory', () => {
    const err = catchError(() => loadConfigFile(dir, {}));
    expect(err.code).toBe('TRB_CONFIG_MISSING');
    expect(err.message).toContain('is a directory');
  });
});

describe('parseConfigText errors', () => {
  it('gives the line of a JSON syntax error', () => {
    const err = catchError(() => parseConfigText('{\n  "a": 1,,\n  "b": 2\n}\n', 'c.json', {}));
    expect(err.code).toBe('TRB_CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^config file c\.json is not valid JSON or YAML \(line 2, column \d+\)/);
    expect(err.details).toMatchObject({ path: 'c.json', line: 2 });
  });

  it('gives the line of a YAML indentation error', () => {
    const err = catchError(() => parseConfigText('a: 1\nb:\n  - x\n  y: 1\n', 'c.yaml', {}));
    expect(err.message).toContain('(line 4,');
    expect(err.details.line).toBe(4);
  });

  it('rejects a duplicated key at the line of the duplicate', () => {
    const err = catchError(() => parseConfigText('api_token: a\npage_size: 5\napi_token: b\n', 'c.yaml', {}));
    expect(err.message).toContain('(line 3,');
    expect(err.message).toMatch(/unique/i);
  });

  it('rejects a document that is not a mapping', () => {
    expect(catchError(() => parseConfigText('[1, 2]', 'c.json', {})).message).toMatch(
      /must hold a mapping.*not a list/,
    );
    expect(catchError(() => parseConfigText('42', 'c.json', {})).message).toMatch(
      /must hold a mapping.*not number/,
    );
    expect(catchError(() => parseConfigText('"text"', 'c.json', {})).message).toMatch(/not string/);
  });
});

describe('environment interpolation', () => {
  it('replaces ${NAME} in nested strings and lists, and leaves other values alone', () => {
    const out = parseConfigText(
      'token: ${TRB_T}\nurl: https://${TRB_HOST}/api/${TRB_VER}\nlist:\n  - ${TRB_T}\n  - plain\nnum: 5\nflag: true\nnested:\n  deep: x-${TRB_T}-y\n',
      'c.yaml',
      { TRB_T: 'secret-1', TRB_HOST: 'h.example', TRB_VER: 'v2' },
    );
    expect(out).toEqual({
      token: 'secret-1',
      url: 'https://h.example/api/v2',
      list: ['secret-1', 'plain'],
      num: 5,
      flag: true,
      nested: { deep: 'x-secret-1-y' },
    });
  });

  it('keeps an interpolated number as a string (the config spec coerces it later)', () => {
    expect(parseConfigText('page_size: ${PS}\n', 'c.yaml', { PS: '50' })).toEqual({ page_size: '50' });
  });

  it('uses ${NAME:-default} only when the variable is unset', () => {
    const text = JSON.stringify({ a: '${TRB_A:-fallback}', b: '${TRB_B:-fallback}', c: '${TRB_C:-}' });
    expect(parseConfigText(text, 'c.json', { TRB_A: 'set' })).toEqual({ a: 'set', b: 'fallback', c: '' });
  });

  it('uses a variable that is set to the empty string rather than the default', () => {
    expect(parseConfigText('a: "${TRB_E:-dflt}"\n', 'c.yaml', { TRB_E: '' })).toEqual({ a: '' });
  });

  it('fails on an unset variable, naming the field and the variable (exit code 2)', () => {
    const err = catchError(() => parseConfigText('db:\n  password: ${TRB_DB_PASSWORD}\n', 'c.yaml', {}));
    expect(err.code).toBe('TRB_CONFIG_ENV');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('db.password');
    expect(err.message).toContain('${TRB_DB_PASSWORD}');
    expect(err.message).toContain('c.yaml');
    expect(err.details).toMatchObject({ field: 'db.password', variable: 'TRB_DB_PASSWORD' });
  });

  it('names list positions in the field path', () => {
    const err = catchError(() => interpolateEnv({ hosts: ['a', '${TRB_NOPE}'] }, {}, 'c.yaml'));
    expect(err.details.field).toBe('hosts[1]');
  });

  it('does not expand a variable value a second time', () => {
    expect(parseConfigText('a: ${TRB_X}\n', 'c.yaml', { TRB_X: '${TRB_Y}', TRB_Y: 'no' })).toEqual({
      a: '${TRB_Y}',
    });
  });

  it('reads process.env by default', () => {
    process.env.TRB_UNIT_DEFAULT_ENV = 'from-process';
    try {
      expect(loadConfigFile(file('env.yaml', 'v: ${TRB_UNIT_DEFAULT_ENV}\n'))).toEqual({ v: 'from-process' });
    } finally {
      delete process.env.TRB_UNIT_DEFAULT_ENV;
    }
  });
});
