import { describe, expect, it } from 'vitest';
import {
  resolve,
  resolveBoolean,
  resolveNumber,
  resolveString,
  type TemplateContext,
} from '../../src/declarative/template.js';
import { ConfigError } from '../../src/errors.js';

const ctx: TemplateContext = {
  config: {
    page_size: 50,
    api_token: 'tok',
    enabled: false,
    company: 'acme',
    oauth2_token: 'o2',
    v2_base: 'https://v2.example',
  },
  now: '2024-05-01T12:00:00.000Z',
};

describe('resolve', () => {
  it('keeps the type of a whole-value template', () => {
    expect(resolve('{{ config.page_size }}', ctx)).toBe(50);
    expect(resolve('{{config.enabled}}', ctx)).toBe(false);
    expect(resolve('  {{ config.company }}  '.trim(), ctx)).toBe('acme');
    expect(resolve('{{ now }}', ctx)).toBe(ctx.now);
  });

  it('produces a string for embedded templates', () => {
    expect(resolve('https://{{ config.company }}.example/api?size={{ config.page_size }}', ctx)).toBe(
      'https://acme.example/api?size=50',
    );
    expect(resolve('since {{now}}', ctx)).toBe(`since ${ctx.now}`);
  });

  it('resolves config keys that contain digits', () => {
    expect(resolve('{{ config.oauth2_token }}', ctx)).toBe('o2');
    expect(resolve('{{ config.v2_base }}/people', ctx)).toBe('https://v2.example/people');
  });

  it('passes literals through', () => {
    expect(resolve('plain text', ctx)).toBe('plain text');
    expect(resolve(7, ctx)).toBe(7);
    expect(resolve(true, ctx)).toBe(true);
  });

  it('gives undefined for a whole template of an unset key and an empty string when embedded', () => {
    expect(resolve('{{ config.missing }}', ctx)).toBeUndefined();
    expect(resolve('a{{ config.missing }}b', ctx)).toBe('ab');
  });

  it('rejects expressions other than config.<key> and now', () => {
    for (const t of ['{{ env.HOME }}', 'x {{ secrets }} y']) {
      let err: unknown;
      try {
        resolve(t, ctx);
      } catch (e) {
        err = e;
      }
      expect(err, t).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('TRB_MANIFEST_INVALID');
      expect((err as ConfigError).message).toMatch(/is not supported/);
    }
  });
});

describe('typed resolvers', () => {
  it('resolveNumber accepts numbers and numeric strings', () => {
    expect(resolveNumber('{{ config.page_size }}', ctx, 'page_size')).toBe(50);
    expect(resolveNumber('30', ctx, 'timeout')).toBe(30);
    expect(resolveNumber(2.5, ctx, 'x')).toBe(2.5);
  });

  it('resolveNumber names the field when the value is not a number', () => {
    expect(() => resolveNumber('{{ config.company }}', ctx, 'page_size')).toThrow(
      /page_size must resolve to a number, got "acme"/,
    );
    expect(() => resolveNumber('{{ config.missing }}', ctx, 'max_retries')).toThrow(
      /max_retries must resolve to a number/,
    );
  });

  it('resolveBoolean', () => {
    expect(resolveBoolean('{{ config.enabled }}', ctx)).toBe(false);
    expect(resolveBoolean(true, ctx)).toBe(true);
    expect(resolveBoolean('true', ctx)).toBe(true);
    expect(resolveBoolean('false', ctx)).toBe(false);
    expect(resolveBoolean('{{ config.missing }}', ctx)).toBe(false);
  });

  it('resolveString', () => {
    expect(resolveString('{{ config.page_size }}', ctx)).toBe('50');
    expect(resolveString('{{ config.missing }}', ctx)).toBe('');
    expect(resolveString('Bearer {{ config.api_token }}', ctx)).toBe('Bearer tok');
  });
});
