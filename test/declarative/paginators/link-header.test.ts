import { describe, expect, it } from 'vitest';
import { findLink, parseLinkHeader } from '../../../src/declarative/paginators/link-header.js';

describe('RFC 8288 Link header parsing', () => {
  it('finds rel="next" among several links, quoted or not, in any order', () => {
    const h =
      '<https://api.example.com/items?page=1>; rel="first", <https://api.example.com/items?page=3>; rel=next, <https://api.example.com/items?page=9>; rel="last"';
    expect(findLink(h, 'next')).toBe('https://api.example.com/items?page=3');
    expect(findLink(h, 'last')).toBe('https://api.example.com/items?page=9');
    expect(findLink(h, 'prev')).toBeUndefined();
  });

  it('keeps commas and semicolons inside quoted parameters and inside the URL', () => {
    const h = '<https://x.test/a?f=1,2;3>; title="a, b; c" ; rel="next"';
    expect(parseLinkHeader(h)).toEqual([
      { target: 'https://x.test/a?f=1,2;3', params: { title: 'a, b; c', rel: 'next' } },
    ]);
  });

  it('matches one relation of a space-separated list, case-insensitively; the first rel wins', () => {
    expect(findLink('</p2>; REL="Next Last"', 'next')).toBe('/p2');
    expect(findLink('</p2>; rel="prev"; rel="next"', 'next')).toBeUndefined();
  });

  it('joins a repeated header and unescapes quoted-pairs', () => {
    expect(findLink(['</a>; rel="prev"', '</b>; rel="next"'], 'next')).toBe('/b');
    expect(parseLinkHeader('</a>; title="say \\"hi\\""')[0]!.params.title).toBe('say "hi"');
  });

  it('skips malformed parts instead of guessing', () => {
    expect(parseLinkHeader('garbage, </ok>; rel=next')).toEqual([{ target: '/ok', params: { rel: 'next' } }]);
    expect(parseLinkHeader('<unterminated; rel=next')).toEqual([]);
    expect(parseLinkHeader(undefined)).toEqual([]);
    expect(parseLinkHeader('')).toEqual([]);
  });
});
