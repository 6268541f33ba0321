/** The record selector's message when the path finds no list: where the path stops and the keys that were there. */
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.js';
import type { JsonResponse } from '../../src/http/http-client.js';
import { RecordSelector } from '../../src/declarative/record-selector.js';
import { Redactor } from '../../src/util/redact.js';

const SECRET = 'selector-secret-5599';
const redactor = new Redactor();
redactor.add(SECRET);

function selector(path: string[]): RecordSelector {
  return new RecordSelector({ stream: 'orders', path, primaryKey: ['id'], transform: (r) => r, redactor });
}

function response(body: unknown): JsonResponse {
  return {
    status: 200,
    url: new URL(`http://127.0.0.1:9/api/orders?page=1&api_key=${SECRET}`),
    body,
    bytes: 10,
    wireBytes: 10,
    endOfStream: false,
  };
}

function failure(path: string[], body: unknown): SourceError {
  try {
    selector(path).select(response(body));
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('TRB_SOURCE_BAD_RESPONSE');
    return err as SourceError;
  }
  throw new Error('expected the selector to fail');
}

describe('RecordSelector without a list at its path', () => {
  it('names the path and lists the keys the body had', () => {
    const e = failure(['data'], { results: [{ id: 1 }], count: 1, next: null });
    expect(e.message).toBe(
      'stream "orders": http://127.0.0.1:9/api/orders?page=1&api_key=*** answered without a record list at "data": the body has no "data"; its keys: "results", "count", "next"',
    );
    expect(e.details).toMatchObject({ stream: 'orders', path: 'data' });
  });

  it('says where a nested path stops', () => {
    const e = failure(['data', 'items'], { data: { orders: [], total: 0 } });
    expect(e.message).toMatch(/at "data\.items": "data" has no "items"; its keys: "orders", "total"$/);
    expect(failure(['data', 'items'], { data: 'x' }).message).toMatch(
      /"data" is a string, not an object with "items"$/,
    );
  });

  it('an object where the list should be lists its keys; a list body points to selector.path []', () => {
    expect(failure(['data'], { data: { id: 1, name: 'a' } }).message).toMatch(
      /"data" is an object, not a list; its keys: "id", "name"$/,
    );
    expect(failure(['data'], [{ id: 1 }, { id: 2 }]).message).toMatch(
      /the body is an array of 2 items, not an object with "data" \(selector\.path \[\] takes the body as the list\)$/,
    );
    expect(failure([], { a: 1 }).message).toMatch(
      /at "\(body\)": the body is an object, not a list; its keys: "a"$/,
    );
    expect(failure(['data'], {}).message).toMatch(/its keys: \(none, an empty object\)$/);
  });

  it('truncates a long key list and long keys, and masks secrets in keys', () => {
    const body: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) body[`key_${i}`] = i;
    body[`k${'x'.repeat(100)}`] = 1;
    body[SECRET] = 1;
    const m = failure(['data'], body).message;
    expect(m).toMatch(/its keys: "key_0", "key_1", .*"key_11" and 20 more$/);
    expect((m.match(/"key_/g) ?? []).length).toBe(12);
    const long = failure(['data'], { [`k${'x'.repeat(100)}`]: 1, [SECRET]: 2 }).message;
    expect(long).toContain(`"k${'x'.repeat(39)}…"`);
    expect(long).not.toContain(SECRET);
  });
});
