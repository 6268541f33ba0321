import { describe, expect, it } from 'vitest';
import { configJsonSchema, secretKeys, validateConfig } from '../../src/declarative/config-spec.js';
import type { ConfigSpecDef } from '../../src/declarative/manifest-schema.js';
import { ConfigError } from '../../src/errors.js';

const spec: ConfigSpecDef = {
  required: ['api_token'],
  properties: {
    api_token: { type: 'string', secret: true, description: 'An API token' },
    page_size: { type: 'integer', default: 100, minimum: 1, maximum: 250 },
    ratio: { type: 'number', minimum: 0, maximum: 1 },
    incremental: { type: 'boolean', default: true },
    region: { type: 'string', enum: ['eu', 'us'] },
    company: { type: 'string', pattern: '^[a-z0-9-]+$' },
    base_url: { type: 'string', format: 'uri' },
    retries: { type: 'integer', minimum: 0 },
    cap: { type: 'number', maximum: 10 },
  },
};

function fail(raw: Record<string, unknown>, s: ConfigSpecDef = spec): ConfigError {
  try {
    validateConfig(s, raw, 'acme');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe('TRB_CONFIG_INVALID');
    return e;
  }
  throw new Error('expected validateConfig to throw');
}

describe('validateConfig: values and coercion', () => {
  it('fills defaults for absent optional keys and leaves keys without a default out', () => {
    expect(validateConfig(spec, { api_token: 'tok' }, 'acme')).toEqual({
      api_token: 'tok',
      page_size: 100,
      incremental: true,
    });
  });

  it('accepts native values', () => {
    const out = validateConfig(
      spec,
      { api_token: 'tok', page_size: 25, ratio: 0.5, incremental: false, region: 'eu' },
      'acme',
    );
    expect(out).toEqual({ api_token: 'tok', page_size: 25, ratio: 0.5, incremental: false, region: 'eu' });
  });

  it('coerces strings to integers, numbers and booleans', () => {
    const out = validateConfig(
      spec,
      { api_token: 'tok', page_size: ' 25 ', ratio: '0.25', retries: '0', cap: '-3' },
      'acme',
    );
    expect(out.page_size).toBe(25);
    expect(out.ratio).toBe(0.25);
    expect(out.retries).toBe(0);
    expect(out.cap).toBe(-3);
    for (const [text, value] of [
      ['true', true],
      ['TRUE', true],
      ['1', true],
      ['yes', true],
      [' on ', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['off', false],
    ] as const) {
      expect(validateConfig(spec, { api_token: 'tok', incremental: text }, 'acme').incremental, text).toBe(
        value,
      );
    }
  });

  it('treats null and the empty string as absent', () => {
    expect(validateConfig(spec, { api_token: 'tok', page_size: '', region: null }, 'acme')).toEqual({
      api_token: 'tok',
      page_size: 100,
      incremental: true,
    });
  });

  it('accepts the bounds themselves', () => {
    expect(validateConfig(spec, { api_token: 't', page_size: 1 }, 'acme').page_size).toBe(1);
    expect(validateConfig(spec, { api_token: 't', page_size: '250' }, 'acme').page_size).toBe(250);
  });

  it('accepts http and https URLs', () => {
    expect(
      validateConfig(spec, { api_token: 't', base_url: 'http://127.0.0.1:8080/api' }, 'acme').base_url,
    ).toBe('http://127.0.0.1:8080/api');
  });
});

describe('validateConfig: errors name the field and what is allowed', () => {
  it('rejects an out-of-range integer with the allowed range', () => {
    const e = fail({ api_token: 't', page_size: '500' });
    expect(e.message).toBe('invalid acme config: "page_size" is out of range: got 500, allowed 1–250');
    expect(fail({ api_token: 't', page_size: 0 }).message).toContain(
      '"page_size" is out of range: got 0, allowed 1–250',
    );
  });

  it('describes one-sided ranges', () => {
    expect(fail({ api_token: 't', retries: -1 }).message).toContain(
      '"retries" is out of range: got -1, allowed ≥ 0',
    );
    expect(fail({ api_token: 't', cap: 11 }).message).toContain(
      '"cap" is out of range: got 11, allowed ≤ 10',
    );
  });

  it('rejects a non-integer for an integer field, with the range', () => {
    expect(fail({ api_token: 't', page_size: '12.5' }).message).toContain(
      '"page_size" must be an integer 1–250, got "12.5"',
    );
    expect(fail({ api_token: 't', page_size: 12.5 }).message).toContain(
      '"page_size" must be an integer 1–250, got 12.5',
    );
    expect(fail({ api_token: 't', page_size: 'ten' }).message).toContain(
      '"page_size" must be an integer 1–250, got "ten"',
    );
  });

  it('rejects NaN and infinities for a number field (YAML can write .nan and .inf)', () => {
    expect(fail({ api_token: 't', ratio: Number.NaN }).message).toContain(
      '"ratio" must be a number 0–1, got NaN',
    );
    expect(fail({ api_token: 't', ratio: Number.POSITIVE_INFINITY }).message).toContain(
      '"ratio" must be a number 0–1, got Infinity',
    );
    expect(fail({ api_token: 't', page_size: Number.NaN }).message).toContain(
      '"page_size" must be an integer 1–250, got NaN',
    );
    const unbounded: ConfigSpecDef = { required: [], properties: { x: { type: 'number' } } };
    expect(fail({ x: Number.NEGATIVE_INFINITY }, unbounded).message).toContain(
      '"x" must be a number, got -Infinity',
    );
  });

  it('rejects a boolean it cannot read', () => {
    expect(fail({ api_token: 't', incremental: 'maybe' }).message).toContain(
      '"incremental" must be true or false, got "maybe"',
    );
    expect(fail({ api_token: 't', incremental: 2 }).message).toContain(
      '"incremental" must be true or false, got 2',
    );
  });

  it('rejects a value outside an enum, listing the allowed values', () => {
    expect(fail({ api_token: 't', region: 'asia' }).message).toContain(
      '"region" must be one of eu, us, got "asia"',
    );
  });

  it('rejects a string that does not match the pattern', () => {
    expect(fail({ api_token: 't', company: 'Not Valid' }).message).toContain(
      '"company" does not match ^[a-z0-9-]+$',
    );
  });

  it('rejects a non-string for a string field', () => {
    expect(fail({ api_token: 12345 }).message).toContain('"api_token" must be a string, got number');
  });

  it('rejects URLs that are not http(s) or that carry credentials', () => {
    expect(fail({ api_token: 't', base_url: 'not a url' }).message).toContain(
      '"base_url" must be an http(s) URL',
    );
    expect(fail({ api_token: 't', base_url: 'ftp://h/x' }).message).toContain(
      '"base_url" must be an http or https URL, got ftp:',
    );
    const e = fail({ api_token: 't', base_url: 'https://user:pw1234@h.example/x' });
    expect(e.message).toContain('"base_url" must not carry credentials');
    expect(e.message).not.toContain('pw1234');
  });

  it('names a missing required key with its description', () => {
    expect(fail({}).message).toBe('invalid acme config: "api_token" is required (An API token)');
    expect(fail({ api_token: '' }).message).toContain('"api_token" is required');
  });

  it('rejects unknown keys and lists the allowed ones', () => {
    const e = fail({ api_token: 't', page_sise: 10 });
    expect(e.message).toContain('unknown key "page_sise" (allowed: api_token, page_size, ratio, incremental');
  });

  it('rejects unknown keys that happen to be names of Object.prototype members', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      const raw = JSON.parse(`{"api_token": "t", "${key}": "x"}`) as Record<string, unknown>;
      expect(fail(raw).message, key).toContain(`unknown key "${key}"`);
    }
  });

  it('reports every problem, the first in front and the count of the rest', () => {
    const e = fail({ page_size: 999, bogus: 1, incremental: 'perhaps' });
    expect(e.message).toMatch(/^invalid acme config: unknown key "bogus" .* \(and 3 more: /);
    const problems = e.details.problems as string[];
    expect(problems).toHaveLength(4);
    expect(problems.some((p) => p.startsWith('"api_token" is required'))).toBe(true);
    expect(problems.some((p) => p.startsWith('"page_size" is out of range'))).toBe(true);
    expect(problems.some((p) => p.startsWith('"incremental" must be true or false'))).toBe(true);
    expect(e.details.connector).toBe('acme');
  });

  it('never shows the value of a secret field', () => {
    const s: ConfigSpecDef = {
      required: [],
      properties: {
        key: { type: 'string', secret: true, pattern: '^sk_[a-z]+$' },
        choice: { type: 'string', secret: true, enum: ['a1b2c3'] },
        pin: { type: 'integer', secret: true, maximum: 10 },
      },
    };
    const e = fail({ key: 'SUPERSECRETVALUE', choice: 'OTHERSECRET', pin: 'PIN-SECRET' }, s);
    const text = e.message + JSON.stringify(e);
    for (const secret of ['SUPERSECRETVALUE', 'OTHERSECRET', 'PIN-SECRET'])
      expect(text).not.toContain(secret);
    expect(e.message).toContain('"key" does not match ^sk_[a-z]+$: (secret)');
  });
});

describe('configJsonSchema and secretKeys', () => {
  it('produces a draft-07 schema with secrets marked and no extra keys allowed', () => {
    const js = configJsonSchema(spec, 'Acme');
    expect(js).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Acme Spec',
      type: 'object',
      required: ['api_token'],
      additionalProperties: false,
    });
    const props = js.properties as Record<string, Record<string, unknown>>;
    expect(props.api_token).toEqual({
      type: 'string',
      description: 'An API token',
      airbyte_secret: true,
      writeOnly: true,
    });
    expect(props.page_size).toEqual({ type: 'integer', default: 100, minimum: 1, maximum: 250 });
    expect(props.base_url).toEqual({ type: 'string', format: 'uri' });
    expect(props.page_size).not.toHaveProperty('secret');
  });

  it('lists the secret keys', () => {
    expect(secretKeys(spec)).toEqual(['api_token']);
  });
});
