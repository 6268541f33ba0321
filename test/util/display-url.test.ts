import { describe, expect, it } from 'vitest';
import { displayUrl } from '../../src/util/display-url.js';
import { Redactor } from '../../src/util/redact.js';

describe('displayUrl', () => {
  it('decodes the query as people write it: $limit, brackets, colons', () => {
    const url = new URL('https://app.humaans.io/api/people');
    url.searchParams.set('$limit', '250');
    url.searchParams.set('updatedAt[$gte]', '2024-01-01T00:00:00.000Z');
    expect(url.toString()).toContain('%24limit');
    expect(displayUrl(url, new Redactor())).toBe(
      'https://app.humaans.io/api/people?$limit=250&updatedAt[$gte]=2024-01-01T00:00:00.000Z',
    );
  });

  it('masks a registered secret in its decoded form, secret-named params, and drops userinfo', () => {
    const secret = 'tok/en+with space&amp';
    const redactor = new Redactor();
    redactor.add(secret);
    const url = new URL('https://user:pw-in-url@api.example.com/v1/tasks?page=2');
    url.searchParams.set('api_key', secret);
    const shown = displayUrl(url, redactor);
    expect(shown).toBe('https://api.example.com/v1/tasks?page=2&api_key=***');
    expect(shown).not.toContain('pw-in-url');
    const other = new URL('https://api.example.com/x');
    other.searchParams.set('token', 'never-registered-value');
    expect(displayUrl(other, redactor)).toBe('https://api.example.com/x?token=***');
  });

  it('keeps a malformed escape as it is, and redacts text that is not a URL', () => {
    expect(displayUrl('https://h.example/p?q=%E0%A4%A', new Redactor())).toBe(
      'https://h.example/p?q=%E0%A4%A',
    );
    const redactor = new Redactor();
    redactor.add('s3cret-value');
    expect(displayUrl('not a url s3cret-value', redactor)).toBe('not a url ***');
  });
});
