import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayHoldUnsafeNumber, parseJsonBody } from '../../src/http/json-body.js';
import { ExactNumber, stringifyJson } from '../../src/util/exact-number.js';

describe('parseJsonBody', () => {
  it('sends a body to the exact parser only for numbers that need it, not for exponent-like text in strings', () => {
    // Ids and file names are full of `e123`; only a number token with a 3-digit exponent counts.
    expect(mayHoldUnsafeNumber('{"id":"N1e452x","f":"certificate-e101.png","g":"a1e400"}')).toBe(false);
    expect(mayHoldUnsafeNumber('{"a":1e400}')).toBe(true);
    expect(mayHoldUnsafeNumber('{"a":[2.5E-308, 1]}')).toBe(true);
    expect(mayHoldUnsafeNumber('{"a": -3e+999 }')).toBe(true);
    expect(mayHoldUnsafeNumber('{"a":1e40,"b":0.1428571428571428571}')).toBe(false);
    expect(mayHoldUnsafeNumber('{"a":0.00000000000000001}')).toBe(true);
    expect(mayHoldUnsafeNumber('{"id":9007199254740993}')).toBe(true);
  });

  it('takes the fast path (plain JSON.parse) when no number can be unsafe', () => {
    const text = '{"id":123456789012345,"f":1.25,"e":1e99,"s":"2024-01-15T12:34:56.789Z"}';
    expect(mayHoldUnsafeNumber(text)).toBe(false);
    expect(parseJsonBody(text)).toEqual(JSON.parse(text));
  });

  it('keeps integers beyond 2^53 exact, and distinct', () => {
    const out = parseJsonBody('[9007199254740993, 9007199254740992, -9223372036854775809, 9007199254740991]');
    expect(out).toEqual([
      new ExactNumber('9007199254740993'),
      new ExactNumber('9007199254740992'),
      new ExactNumber('-9223372036854775809'),
      9007199254740991,
    ]);
  });

  it('keeps numbers that would overflow to Infinity or underflow to zero, never Infinity', () => {
    expect(parseJsonBody('{"a":1e400,"b":-2.5E+400,"c":1e-400,"d":0e-400,"e":1e308}')).toEqual({
      a: new ExactNumber('1e400'),
      b: new ExactNumber('-2.5E+400'),
      c: new ExactNumber('1e-400'),
      d: 0,
      e: 1e308,
    });
  });

  it('gives a token the same result whichever path parses its body', () => {
    // Floats that only lose digits beyond the 17th round as with JSON.parse, on either path.
    const tokens = ['1e25', '0.1234567890123456789', '123.456', '-0', '1.5e-10'];
    for (const t of tokens) {
      const slow = parseJsonBody(`[${t}, 12345678901234567890]`) as unknown[];
      expect(slow[0]).toBe(JSON.parse(t));
    }
    // Integer-valued doubles from 2^53 up print as plain digits, which are exact by design.
    const floats = fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .filter((d) => !Number.isInteger(d) || Number.isSafeInteger(d));
    fc.assert(
      fc.property(floats, fc.integer(), (d, i) => {
        const text = JSON.stringify({ d, i, big: '0' });
        const slow = parseJsonBody(`${text.slice(0, -1)},"x":12345678901234567890}`) as Record<
          string,
          unknown
        >;
        expect(slow.d).toBe(JSON.parse(text).d);
        expect(slow.i).toBe(i);
      }),
    );
  });

  it('throws SyntaxError on malformed JSON on both paths', () => {
    expect(() => parseJsonBody('{"a":')).toThrow(SyntaxError);
    expect(() => parseJsonBody('{"a":12345678901234567890')).toThrow(SyntaxError);
  });

  it('a long digit run inside a string only costs the slow path: strings stay strings', () => {
    const text = '{"phone":"12345678901234567890","n":5}';
    expect(mayHoldUnsafeNumber(text)).toBe(true);
    expect(parseJsonBody(text)).toEqual({ phone: '12345678901234567890', n: 5 });
  });

  it('stringifyJson writes exact numbers back as the same tokens; plain JSON.stringify gives their text', () => {
    const v = parseJsonBody('{"a":[9007199254740993,{"b":1e400}],"c":"x"}');
    expect(stringifyJson(v)).toBe('{"a":[9007199254740993,{"b":1e400}],"c":"x"}');
    expect(JSON.stringify(v)).toBe('{"a":["9007199254740993",{"b":"1e400"}],"c":"x"}');
    expect(stringifyJson({ plain: [1, 2] })).toBe('{"plain":[1,2]}');
  });
});
