import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/util/redact.js';

describe('Redactor.redact', () => {
  it('masks every occurrence of a registered secret', () => {
    const r = new Redactor();
    r.add('sk_live_12345');
    expect(r.redact('token sk_live_12345 and again sk_live_12345!')).toBe('token *** and again ***!');
  });

  it('leaves text without secrets untouched', () => {
    const r = new Redactor();
    r.add('sk_live_12345');
    const text = 'GET https://api.example.com/people?page=2 took 35 ms';
    expect(r.redact(text)).toBe(text);
  });

  it('ignores values too short to mask safely and values that are not strings', () => {
    const r = new Redactor();
    r.add('ab');
    r.add('');
    r.add(12345);
    r.add(undefined);
    r.add({ secret: 'objectvalue' });
    expect(r.size).toBe(0);
    expect(r.redact('ab 12345 objectvalue')).toBe('ab 12345 objectvalue');
  });

  it('registers the URL-encoded form of a secret too', () => {
    const r = new Redactor();
    const secret = 'a/b+c=d?e';
    r.add(secret);
    const encoded = encodeURIComponent(secret);
    expect(encoded).not.toBe(secret);
    expect(r.redact(`path /v1/${encoded}/items`)).toBe('path /v1/***/items');
  });

  it('masks a secret as URLSearchParams writes it into a query string under any parameter name', () => {
    for (const secret of ['tok~en.123', 'pass word 42', "key!with(parens)'"]) {
      const r = new Redactor();
      r.add(secret);
      const url = new URL('https://api.example.com/v1/items?page=2');
      url.searchParams.set('hapikey', secret);
      const out = r.redact(url.toString());
      expect(out).toBe('https://api.example.com/v1/items?page=2&hapikey=***');
    }
  });

  it('masks a secret as it appears inside a JSON string (escaped quotes and backslashes)', () => {
    const r = new Redactor();
    const secret = 'pa"ss\\word';
    r.add(secret);
    const line = JSON.stringify({ msg: `connecting with ${secret}` });
    expect(line).not.toContain(secret);
    const out = r.redact(line);
    expect(out).toBe(JSON.stringify({ msg: 'connecting with ***' }));
  });

  it('prefers the longest secret when one secret contains another', () => {
    const r = new Redactor();
    r.add('abcdef');
    r.add('abcdefghij');
    expect(r.redact('x abcdefghij y abcdef z')).toBe('x *** y *** z');
  });

  it('treats regular-expression characters in a secret literally', () => {
    const r = new Redactor();
    r.add('a.b*c(d)');
    expect(r.redact('v=a.b*c(d)')).toBe('v=***');
    expect(r.redact('v=aXbbbc(d)')).toBe('v=aXbbbc(d)');
    expect(r.redact('v=a.bc(d)')).toBe('v=a.bc(d)');
  });

  it('masks the values of well-known secret query parameters even when unregistered', () => {
    const r = new Redactor();
    expect(r.redact('https://x.io/a?api_key=zzz999&page=2&token=t0k&limit=5')).toBe(
      'https://x.io/a?api_key=***&page=2&token=***&limit=5',
    );
    expect(r.redact('https://x.io/a?API_KEY=Zz&ACCESS_TOKEN=q')).toBe(
      'https://x.io/a?API_KEY=***&ACCESS_TOKEN=***',
    );
    expect(r.redact('https://x.io/a?password=hunter2#frag')).toBe('https://x.io/a?password=***#frag');
  });

  it('does not mask ordinary query parameters that merely look similar', () => {
    const r = new Redactor();
    const text = 'https://x.io/a?keyword=cats&tokens_used=3&page=1';
    expect(r.redact(text)).toBe(text);
  });

  it('masks the password of userinfo in a URL but keeps the user name', () => {
    const r = new Redactor();
    expect(r.redact('postgres://loader:s3cret@db.internal:5432/warehouse')).toBe(
      'postgres://loader:***@db.internal:5432/warehouse',
    );
    expect(r.redact('see https://bob:pw@example.com/x and more')).toBe(
      'see https://bob:***@example.com/x and more',
    );
  });

  it('is idempotent', () => {
    const r = new Redactor();
    r.add('topsecret');
    const once = r.redact('a topsecret https://h/x?token=abc');
    expect(r.redact(once)).toBe(once);
  });
});

describe('Redactor.redactValue', () => {
  it('redacts strings deeply, keeps keys and non-string values, and does not mutate the input', () => {
    const r = new Redactor();
    r.add('topsecret');
    const input = {
      topsecret: 'key is kept',
      msg: 'value topsecret',
      n: 42,
      ok: true,
      nothing: null,
      nested: { list: ['topsecret', 7, { deep: 'x topsecret y' }] },
    };
    const copy = structuredClone(input);
    const out = r.redactValue(input);
    expect(out).toEqual({
      topsecret: 'key is kept',
      msg: 'value ***',
      n: 42,
      ok: true,
      nothing: null,
      nested: { list: ['***', 7, { deep: 'x *** y' }] },
    });
    expect(input).toEqual(copy);
  });
});
