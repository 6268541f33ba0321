import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIsoDate, isIsoDateTime } from '../../src/util/iso-date.js';

describe('isIsoDate', () => {
  it.each(['2024-01-31', '2024-02-29', '2000-02-29', '1999-12-01'])('accepts %s', (s) =>
    expect(isIsoDate(s)).toBe(true),
  );
  it.each([
    '2023-02-29',
    '1900-02-29',
    '2024-13-01',
    '2024-04-31',
    '2024-1-01',
    '20240101',
    '2024-01-01T00:00:00Z',
    '',
  ])('refuses %s', (s) => expect(isIsoDate(s)).toBe(false));
});

describe('isIsoDateTime', () => {
  it.each([
    '2024-01-31T12:00:00Z',
    '2024-01-31T12:00:00.123Z',
    '2024-01-31T12:00:00.123456789Z',
    '2024-01-31T23:59:59+02:00',
    '2024-01-31t00:00:00-05:30',
  ])('accepts %s', (s) => expect(isIsoDateTime(s)).toBe(true));
  it.each([
    '2024-01-31T12:00:00', // no zone: names no instant
    '2024-01-31 12:00:00Z',
    '2024-02-30T12:00:00Z',
    '2024-01-31T24:00:00Z',
    '2024-01-31T12:60:00Z',
    '2024-01-31T12:00:00+25:00',
    '2024-01-31T12:00:00.Z',
    '2024-01-31T12:00:00.1234567890Z',
    '2024-01-31T12:00:00+0200',
    '2024-01-31T12:00:00Z ',
    '2024-01-31',
    'Jan 31 2024 12:00:00 GMT',
  ])('refuses %s', (s) => expect(isIsoDateTime(s)).toBe(false));
});

/** The rule in regex form (slower; the module hand-writes it for the per-value hot path). */
function reference(s: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/.exec(s);
  if (!m || !isIsoDate(`${m[1]}-${m[2]}-${m[3]}`)) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

describe('isIsoDateTime matches its regex form', () => {
  it('on near-miss strings built from date-time pieces', () => {
    const two = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    const piece = fc.tuple(
      fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
      two,
      two,
      fc.constantFrom('T', 't', ' ', 'X'),
      two,
      two,
      two,
      fc.constantFrom('', '.', '.5', '.123456', '.1234567891'),
      fc.constantFrom('Z', 'z', '', '+', '+02:00', '-23:59', '+24:00', '+0200', 'Z!'),
    );
    fc.assert(
      fc.property(piece, ([y, mo, d, t, h, mi, s, f, z]) => {
        const text = `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`;
        expect(isIsoDateTime(text), text).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });
});
