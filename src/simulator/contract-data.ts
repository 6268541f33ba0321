/**
 * The contract data modes' records (see contract.ts): the fields 'big-ids', 'huge-numbers' and
 * 'colliding-names' add to every record, printed with exact digits, and the parse that reads them back
 * without rounding, for the truth tests compare against.
 */
import { isInteger, isSafeNumber, LosslessNumber, parse } from 'lossless-json';
import type { ContractData } from './contract.js';
import { asciiJson, jsonNumberText } from './json-writer.js';

/** 2^53: the first integer a double cannot tell from its neighbour (2^53 + 1 parses as 2^53). */
export const BIG_ID_BASE = 2n ** 53n;

/**
 * The fields the data modes append to record `slot` (a `,"k":v` fragment, or ''). The values are distinct
 * per record and per field, so a test can tell which source field a column holds.
 */
export function extraFields(data: ReadonlySet<ContractData>, slot: number): string {
  let out = '';
  // Written as text through jsonNumberText: as a JS number 2^53 + 1 rounds and 1e400 is Infinity (null in JSON).
  if (data.has('big-ids')) out += `,"legacyNumber":${jsonNumberText(BIG_ID_BASE + 1n + BigInt(slot))}`;
  if (data.has('huge-numbers'))
    out += `,"magnitude":${jsonNumberText(MAGNITUDES[slot % MAGNITUDES.length]!)}`;
  if (data.has('colliding-names')) {
    out +=
      `,"fooBar":${asciiJson(`camel-${slot}`)},"foo_bar":${asciiJson(`snake-${slot}`)}` +
      `,"a":{"b":${asciiJson(`nested-${slot}`)}},"a_b":${asciiJson(`flat-${slot}`)}`;
  }
  return out;
}

/** Two beyond the double range (they parse as ±Infinity), two ordinary. */
const MAGNITUDES = ['1e400', '-3e999', '42', '0.5'];

/** Add the data modes' fields to a record's JSON (which ends with '}'). */
export function withExtraFields(json: string, data: ReadonlySet<ContractData>, slot: number): string {
  const extra = extraFields(data, slot);
  return extra === '' ? json : `${json.slice(0, -1)}${extra}}`;
}

/**
 * JSON.parse that keeps numbers a double cannot hold: integers beyond 2^53 become bigint, other unsafe
 * numbers (1e400) LosslessNumber, whose `toString()` is the exact text. Safe numbers stay numbers, so a
 * well-behaved record parses exactly as with JSON.parse.
 */
export function parseExact(text: string): Record<string, unknown> {
  return parse(text, null, (value: string) => {
    if (isSafeNumber(value)) return Number(value);
    if (isInteger(value)) return BigInt(value);
    return new LosslessNumber(value);
  }) as Record<string, unknown>;
}
