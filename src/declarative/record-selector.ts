/**
 * The record selector component: where a stream's records sit in a response body (`selector.path`), and
 * what turns a raw page into the records the engine receives: every item must be an object, pass the
 * stream's other checks (the incremental cursor's), be transformed, and carry its primary key. A page with
 * one bad record fails as a whole, so nothing of it is committed (docs/architecture.md law 6).
 */
import { SourceError } from '../errors.js';
import type { SourceRecord } from '../engine/source.js';
import type { JsonResponse } from '../http/http-client.js';
import { displayUrl } from '../util/display-url.js';
import type { Redactor } from '../util/redact.js';
import type { FetchedPage, RawPage } from './paginators/paginator.js';
import { getPath } from './paginators/paginator.js';
import type { RecordTransform } from './transforms.js';

/** A check on one record as the API sent it: what is wrong with it, or undefined when nothing is. */
export type RecordCheck = (record: Record<string, unknown>) => string | undefined;

export interface RecordSelectorOptions {
  stream: string;
  /** Path of the record list in the body; empty: the body is the list. */
  path: string[];
  primaryKey: string[];
  transform: RecordTransform;
  /** Checks each record before its transform (the incremental cursor's usable-value check). */
  check?: RecordCheck;
  redactor: Redactor;
}

export class RecordSelector {
  constructor(private readonly o: RecordSelectorOptions) {}

  /** The page's record list, or TRB_SOURCE_BAD_RESPONSE when the body has none where the manifest says. */
  select(res: JsonResponse): FetchedPage {
    if (res.endOfStream)
      return { records: [], body: undefined, bytes: res.bytes, url: res.url, endOfStream: true };
    const { path, stream } = this.o;
    const selected = path.length === 0 ? res.body : getPath(res.body, path);
    if (!Array.isArray(selected)) {
      const where = displayUrl(res.url, this.o.redactor);
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `stream "${stream}": ${where} answered without a record list at "${path.join('.') || '(body)'}" (found ${describe(selected)})`,
        { details: { stream, url: where } },
      );
    }
    return {
      records: selected as Record<string, unknown>[],
      body: res.body,
      bytes: res.bytes,
      url: res.url,
      endOfStream: false,
      ...(res.headers === undefined ? {} : { headers: res.headers }),
    };
  }

  /**
   * The page's records, checked and transformed, each with the `extra` fields (a child stream's partition
   * field) added before the primary key is checked; throws TRB_SOURCE_RECORD naming the first bad one.
   */
  records(raw: RawPage, extra?: Record<string, unknown>): SourceRecord[] {
    const { stream, primaryKey, transform, check } = this.o;
    const out = new Array<SourceRecord>(raw.records.length);
    for (let i = 0; i < raw.records.length; i++) {
      const rec = raw.records[i];
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        throw recordError(stream, raw.position, i, `is ${describe(rec)}, not an object`);
      }
      const problem = check?.(rec);
      if (problem !== undefined) throw recordError(stream, raw.position, i, problem);
      const t = transform(rec);
      if (extra) Object.assign(t, extra);
      for (const key of primaryKey) {
        const v = t[key];
        if (v === null || v === undefined || v === '') {
          throw recordError(
            stream,
            raw.position,
            i,
            `has no primary key "${key}" (value ${JSON.stringify(v ?? null)})`,
          );
        }
      }
      out[i] = t;
    }
    return out;
  }

  /** One record from a detail endpoint, transformed like a listed one; TRB_SOURCE_BAD_RESPONSE when it is none. */
  detailRecord(res: JsonResponse): SourceRecord {
    const body = res.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const where = displayUrl(res.url, this.o.redactor);
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `stream "${this.o.stream}": the detail endpoint ${where} answered with ${describe(body)}, not a record`,
        { details: { stream: this.o.stream, url: where } },
      );
    }
    return this.o.transform(body as Record<string, unknown>);
  }
}

function recordError(
  stream: string,
  pos: { page: number; firstIndex: number },
  i: number,
  what: string,
): SourceError {
  const n = pos.firstIndex + i;
  return new SourceError(
    'TRB_SOURCE_RECORD',
    `stream "${stream}": record #${n} (page ${pos.page + 1}, item ${i}) ${what}; nothing from this page was committed`,
    {
      details: { stream, record: n, page: pos.page + 1, item: i },
    },
  );
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
