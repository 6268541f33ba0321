/**
 * A small Django-REST-style API (the Hellobaton envelope) whose records change shape as the pages go on
 * and between versions: fields appear on later pages, a field goes integer → double → text → integer,
 * booleans turn into text, nested objects appear, and version 2 deletes and adds records. The simulators
 * keep a fixed shape, so schema evolution under kills is driven with this. Deterministic: the same
 * version always serves the same bytes.
 */
import type { FakeApi } from '../fake-api.js';
import { json, startFakeApi } from '../fake-api.js';

export interface EvolvingApi extends FakeApi {
  version: 1 | 2;
  /** Ids present in a version. */
  ids(version: 1 | 2): number[];
  /** List requests served (hits on the stream path). */
  served(): number;
}

/**
 * `big`: integers of 1e15 and more in the integer → double → text column. DuckDB prints such doubles as
 * `1234567890123456.0` when it widens them to text, while a value written after the widening reads
 * `1234567890123456` (defect D1 in docs/reliability.md, in src/destinations/duckdb): until it is fixed
 * the DuckDB trials keep below 1e15 and test/reliability/regressions.test.ts pins the defect.
 */
export function evolvingRecord(id: number, n: number, version: 1 | 2, big = true): Record<string, unknown> {
  const r: Record<string, unknown> = { id, first_name: `user ${id}`, email: `u${id}@example.test` };
  const q = id / n;
  // Declared columns change too: `created` is a date-time in the stream schema (a timestamp column) and
  // stops being one; `capacity` is an integer that turns fractional, then text.
  r.created =
    q <= 0.4
      ? new Date(Date.UTC(2023, 5, 1) + id * 1_234_567).toISOString()
      : q <= 0.8
        ? `someday ${id}`
        : null;
  r.capacity = q <= 0.2 ? id : q <= 0.45 ? id + 0.5 : version === 1 && q <= 0.9 ? `cap ${id}` : id * 2;
  // integer → double → text → integer, across the pages of one pass; big and fractional values probe the
  // text forms widening produces.
  if (version === 1) {
    if (q <= 0.25) r.evo_num = id % 3 === 0 ? (big ? 1_234_567_890_123_456 : 123_456_789_012) + id : id;
    else if (q <= 0.5) r.evo_num = id / 3;
    else if (q <= 0.75) r.evo_num = `n-${id}`;
    else r.evo_num = id * 1000;
  } else {
    r.evo_num = q <= 0.33 ? id + 0.25 : id % 5 === 0 ? (big ? 2 ** 53 : 2 ** 40) - id : id / 7;
  }
  // boolean, later text
  r.evo_flag = q <= 0.6 ? id % 2 === 0 : version === 1 ? 'maybe' : id % 2 === 0;
  // a field that appears on later pages, and another only in version 2
  if (q > 0.5) r.evo_late = `late ${id} ✓ ünïcødé`;
  if (version === 2 && q > 0.3) r.evo_v2 = { depth: { id, tags: ['a', id] } };
  // Version 2 widens columns of its own, so kills of the second sync land during evolution too: a new
  // field going integer → double → text, and the declared date-time `modified` that stops being one.
  if (version === 2) {
    r.evo_v2_num = q <= 0.3 ? id : q <= 0.6 ? id + 0.125 : `t-${id}`;
    r.modified = q <= 0.5 ? new Date(Date.UTC(2024, 2, 1) + id * 7_654_321).toISOString() : `later ${id}`;
  }
  // a timestamp-looking text, then something that is not one
  r.evo_when = q <= 0.7 ? new Date(Date.UTC(2024, 0, 1) + id * 60_000).toISOString() : `not a date ${id}`;
  return r;
}

export async function startEvolvingApi(opts: {
  records: number;
  latencyMs: number;
  path?: string;
  big?: boolean;
}): Promise<EvolvingApi> {
  const n = opts.records;
  const path = opts.path ?? '/api/users/';
  const idsOf = (v: 1 | 2) => {
    const out: number[] = [];
    for (let id = 1; id <= n; id++) if (v === 1 || id % 17 !== 0) out.push(id);
    if (v === 2) for (let id = n + 1; id <= n + 10; id++) out.push(id);
    return out;
  };
  let served = 0;
  const state = { version: 1 as 1 | 2 };
  const api = await startFakeApi((req, res, origin) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== path) return json(res, 404, { detail: 'Not found.' });
    served++;
    const page = Number(url.searchParams.get('page') ?? '1');
    const size = Number(url.searchParams.get('page_size') ?? '100');
    const ids = idsOf(state.version);
    const slice = ids.slice((page - 1) * size, page * size);
    setTimeout(() => {
      if (res.destroyed) return;
      if (slice.length === 0 && page > 1) return json(res, 404, { detail: 'Invalid page.' });
      const next = page * size < ids.length ? `${origin}${path}?page=${page + 1}&page_size=${size}` : null;
      json(res, 200, {
        count: ids.length,
        next,
        previous: null,
        results: slice.map((id) => evolvingRecord(id, n, state.version, opts.big ?? true)),
      });
    }, opts.latencyMs);
  });
  const out = api as EvolvingApi;
  Object.defineProperty(out, 'version', {
    get: () => state.version,
    set: (v: 1 | 2) => {
      state.version = v;
    },
  });
  out.ids = idsOf;
  out.served = () => served;
  return out;
}
