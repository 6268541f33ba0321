import { describe, expect, it } from 'vitest';
import { joinUrl } from '../../src/http/url-join.js';

describe('joinUrl (base_url + stream path)', () => {
  it('keeps a base query string and puts the path in the path', () => {
    expect(joinUrl(new URL('https://host/api?tenant=x'), 'people').toString()).toBe(
      'https://host/api/people?tenant=x',
    );
    expect(joinUrl(new URL('https://host/api/?tenant=x&y=2'), '/people').toString()).toBe(
      'https://host/api/people?tenant=x&y=2',
    );
  });

  it('joins plain bases as before', () => {
    expect(joinUrl(new URL('https://host'), 'people').toString()).toBe('https://host/people');
    expect(joinUrl(new URL('https://host/api/v1/'), 'a/b').toString()).toBe('https://host/api/v1/a/b');
  });

  it('adds a query the stream path carries to the base query', () => {
    expect(joinUrl(new URL('https://host/api?tenant=x'), 'tasks?archived=false').toString()).toBe(
      'https://host/api/tasks?tenant=x&archived=false',
    );
  });
});
