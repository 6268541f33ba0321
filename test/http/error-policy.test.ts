import { describe, expect, it } from 'vitest';
import { classifyStatus, DEFAULT_ERROR_RULES, type ErrorPolicy } from '../../src/http/error-policy.js';

const none: ErrorPolicy = { rules: [] };

describe('classifyStatus with the default rules', () => {
  it('2xx is ok', () => {
    for (const s of [200, 201, 204, 299]) expect(classifyStatus(none, s, '')).toBe('ok');
  });

  it('401 and 403 are auth failures', () => {
    expect(classifyStatus(none, 401, '')).toBe('auth');
    expect(classifyStatus(none, 403, '')).toBe('auth');
  });

  it('408, 429 and every 5xx are retried', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 520, 599])
      expect(classifyStatus(none, s, ''), String(s)).toBe('retry');
  });

  it('other 4xx and stray 3xx fail at once', () => {
    for (const s of [400, 404, 405, 409, 410, 422, 304, 399])
      expect(classifyStatus(none, s, ''), String(s)).toBe('fail');
  });

  it('the exported defaults say the same', () => {
    expect(DEFAULT_ERROR_RULES.find((r) => r.statuses.includes(401))?.action).toBe('auth');
    expect(DEFAULT_ERROR_RULES.find((r) => r.statuses.includes(429))?.action).toBe('retry');
  });
});

describe('classifyStatus with manifest rules', () => {
  it('a manifest rule overrides the default for its statuses only', () => {
    const policy: ErrorPolicy = {
      rules: [
        { statuses: [404], action: 'end_of_stream' },
        { statuses: [429], action: 'fail' },
      ],
    };
    expect(classifyStatus(policy, 404, 'anything')).toBe('end_of_stream');
    expect(classifyStatus(policy, 429, '')).toBe('fail');
    expect(classifyStatus(policy, 410, '')).toBe('fail');
    expect(classifyStatus(policy, 503, '')).toBe('retry');
    expect(classifyStatus(policy, 401, '')).toBe('auth');
  });

  it('matches on body text when the rule asks for it, and falls through otherwise', () => {
    const policy: ErrorPolicy = {
      rules: [{ statuses: [404], action: 'end_of_stream', bodyContains: 'Invalid page' }],
    };
    expect(classifyStatus(policy, 404, '{"detail":"Invalid page."}')).toBe('end_of_stream');
    expect(classifyStatus(policy, 404, '{"detail":"Not found."}')).toBe('fail');
  });

  it('the first matching rule wins', () => {
    const policy: ErrorPolicy = {
      rules: [
        { statuses: [400], action: 'retry', bodyContains: 'try again' },
        { statuses: [400, 500], action: 'fail' },
      ],
    };
    expect(classifyStatus(policy, 400, 'please try again')).toBe('retry');
    expect(classifyStatus(policy, 400, 'bad input')).toBe('fail');
    expect(classifyStatus(policy, 500, '')).toBe('fail');
  });

  it('a rule never turns a 2xx into an error', () => {
    const policy: ErrorPolicy = { rules: [{ statuses: [200], action: 'fail' }] };
    expect(classifyStatus(policy, 200, '')).toBe('ok');
  });
});
