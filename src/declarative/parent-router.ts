/**
 * Parent → child streams (a small SubstreamPartitionRouter): a child stream is read once per record of its
 * parent stream, its path templated from that record (`projects/{{ parent.id }}/tasks`), and every child
 * record gets the parent's key in `partition_field` (`project_id`) so rows say which parent they belong to.
 *
 * The parent is read as a full-refresh pass (every parent, whatever the child's mode: an unchanged project
 * can still have changed tasks), lazily, page by page: at most one parent page is held while its children
 * are read.
 *
 * State (the child stream's; the parent's own state is untouched):
 *   { parents: { "<parent key>": { cursor } }, in_progress, pass?: { done: [keys], current?: { key, state } } }
 * - `parents` holds each parent's committed date-time cursor (incremental children), so each parent resumes
 *   from its own cursor; a parent that is new starts from the stream's initial window.
 * - During a pass, `done` lists the parents whose child pass finished (proven by the child's paginator) and
 *   `current` the one being read with its paginator's checkpoint. A resumed pass skips the parents in
 *   `done` (their records were committed in this same pass, full refresh or not) and resumes `current` at
 *   its checkpoint: nothing is read twice, nothing skipped. The state grows with the number of parents
 *   (one key and one cursor each).
 * - The child's pass ends (`in_progress: false`) only after the parent's pass was proven complete and every
 *   parent's child pass ended proven: a full refresh sweeps only then. Child passes carry no
 *   `expectedCount` (each parent's pass is proven by its own paginator).
 * - A parent key that repeats within the parent's pass is read once.
 */
import { SourceError } from '../errors.js';
import type { Page, SourceRecord } from '../engine/source.js';
import { getPath, type RawPage } from './paginators/paginator.js';

/** `{{ parent.<field> }}` (a dotted path into the parent record). */
export const PARENT_TEMPLATE = /\{\{\s*parent\.([A-Za-z0-9_.]+)\s*\}\}/g;

/** A child path with each `{{ parent.x }}` replaced by the parent record's value, URL-encoded. */
export function parentPath(stream: string, path: string, parent: Record<string, unknown>): string {
  return path.replace(PARENT_TEMPLATE, (_m, field: string) => {
    const v = getPath(parent, field.split('.'));
    if (v === undefined || v === null || v === '' || typeof v === 'object') {
      throw new SourceError(
        'TRB_SOURCE_RECORD',
        `stream "${stream}": a parent record has no usable "${field}" for the path ${JSON.stringify(path)} (value ${JSON.stringify(v ?? null)?.slice(0, 60)})`,
        { details: { stream, field } },
      );
    }
    return encodeURIComponent(String(v));
  });
}

export interface ChildPassOptions {
  stream: string;
  key: string;
  partitionField: string;
  /** The child stream's committed state. */
  state: Record<string, unknown> | undefined;
  /** Whether this read starts from the committed state's position (a resume, or any incremental read). */
  resume: boolean;
  /** The parent stream's pages (a full-refresh pass, transformed records). */
  parentPages: () => AsyncIterable<Page>;
  /** One parent's child pages, from `partitionState` (its cursor or checkpoint; undefined for a fresh start). */
  partitionPages: (
    parent: SourceRecord,
    partitionState: Record<string, unknown> | undefined,
  ) => AsyncIterable<RawPage>;
  /** A raw child page's records, filtered, checked and transformed, with `extra` fields added. */
  toRecords: (raw: RawPage, extra: Record<string, unknown>) => SourceRecord[];
}

interface PassState {
  done: string[];
  current?: { key: string; state: Record<string, unknown> };
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

export async function* childPass(o: ChildPassOptions): AsyncGenerator<Page> {
  const state = o.state;
  const parents: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(asRecord(state?.parents) ?? {})) {
    const r = asRecord(v);
    if (r) parents[k] = r;
  }
  const resumedPass = o.resume && state?.in_progress === true ? asRecord(state.pass) : undefined;
  const done = new Set<string>(
    Array.isArray(resumedPass?.done) ? resumedPass.done.filter((d) => typeof d === 'string') : [],
  );
  const current = asRecord(resumedPass?.current);
  const currentKey = typeof current?.key === 'string' ? current.key : undefined;
  const currentState = asRecord(current?.state);

  const passState = (cur?: PassState['current']): PassState => ({
    done: [...done],
    ...(cur ? { current: cur } : {}),
  });
  const checkpoint = (cur?: PassState['current']) => ({
    parents: { ...parents },
    in_progress: true,
    pass: passState(cur),
  });

  let parentProven = false;
  for await (const parentPage of o.parentPages()) {
    parentProven = parentPage.checkpoint.in_progress === false;
    for (const parent of parentPage.records) {
      const kv = parent[o.key];
      if (kv === undefined || kv === null || kv === '' || typeof kv === 'object') {
        throw new SourceError(
          'TRB_SOURCE_RECORD',
          `stream "${o.stream}": a parent record has no usable key "${o.key}" (value ${JSON.stringify(kv ?? null)?.slice(0, 60)})`,
          { details: { stream: o.stream, field: o.key } },
        );
      }
      const key = String(kv);
      if (done.has(key)) continue;
      // Where this parent's child pass starts: its checkpoint when the crash was inside it, else its cursor.
      let from: Record<string, unknown> | undefined;
      if (key === currentKey && currentState) from = currentState;
      else if (o.resume && parents[key]?.cursor !== undefined)
        from = { cursor: parents[key]!.cursor, in_progress: false };
      const extra = { [o.partitionField]: kv };
      let proven = false;
      for await (const raw of o.partitionPages(parent, from)) {
        const records = o.toRecords(raw, extra);
        const last = raw.checkpoint.in_progress === false;
        if (last) {
          proven = true;
          const cursor = raw.checkpoint.cursor;
          if (typeof cursor === 'string') parents[key] = { cursor };
          done.add(key);
          yield { records, bytes: raw.bytes, checkpoint: checkpoint() };
        } else {
          yield { records, bytes: raw.bytes, checkpoint: checkpoint({ key, state: raw.checkpoint }) };
        }
      }
      if (!proven) {
        throw new SourceError(
          'TRB_SOURCE_CONTRACT',
          `stream "${o.stream}": the pages of parent ${JSON.stringify(key)} ended without proving the end of their pass`,
          { details: { stream: o.stream, parent: key } },
        );
      }
    }
  }
  if (!parentProven) {
    throw new SourceError(
      'TRB_SOURCE_CONTRACT',
      `stream "${o.stream}": its parent's pass ended without being proven complete, so the child's cannot be`,
      { details: { stream: o.stream } },
    );
  }
  yield { records: [], bytes: 0, checkpoint: { parents, in_progress: false } };
}
