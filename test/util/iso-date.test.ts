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
    '2024-01-31',
    'Jan 31 2024 12:00:00 GMT',
  ])('refuses %s', (s) => expect(isIsoDateTime(s)).toBe(false));
});
