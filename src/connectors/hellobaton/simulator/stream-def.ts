/**
 * What the Hellobaton simulator needs to know about one endpoint: its name, its share of the dataset, how
 * to generate record i, and what a mutation changes in it.
 *
 * Relations in Baton are absolute hyperlinks built from the request's Host (DRF's HyperlinkedRelatedField),
 * so records are generated with the dialect's ORIGIN placeholder and the origin is filled in per response.
 */
import { type DrfResourceDef, type DrfStamps, ORIGIN } from '../../../simulator/dialects/django-rest.js';
import { hashString, type Rng } from '../../../simulator/prng.js';
import { isoMicros } from '../../../simulator/timestamps.js';

export { ORIGIN };

/** The router's prefix: every endpoint and every link is under `/api/`. */
export const API_PREFIX = 'api';

export const BATON_STREAMS = [
  'activity',
  'companies',
  'milestones',
  'phases',
  'project_attachments',
  'projects',
  'task_attachments',
  'tasks',
  'templates',
  'time_entries',
  'users',
  'comments',
  'custom_fields',
  'custom_field_options',
  'custom_field_values',
  'milestone_feedback',
  'project_users',
] as const;

export type BatonStreamName = (typeof BATON_STREAMS)[number];

/** Links between records: ids are 1-based and dense, so any id up to a stream's size exists. */
export class BatonRefs {
  private readonly salts = new Map<BatonStreamName, number>();

  constructor(
    readonly seed: number,
    /** The tenant name, used in e-mail addresses and the first company. */
    readonly company: string,
    private readonly sizes: Record<BatonStreamName, number>,
    /** The generated JSON of another stream's record (for nested representations). */
    private readonly baseJson: (stream: BatonStreamName, index: number) => string,
  ) {}

  /** A nested copy of a random phase with only `keys`, as projects, milestones and templates embed it. */
  phase(rng: Rng, keys: readonly string[]): string {
    const phase = JSON.parse(this.baseJson('phases', this.pick('phases', rng) - 1)) as Record<
      string,
      unknown
    >;
    return JSON.stringify(Object.fromEntries(keys.map((k) => [k, phase[k]])));
  }

  size(stream: BatonStreamName): number {
    return this.sizes[stream];
  }

  /** A random existing id of `stream`. */
  pick(stream: BatonStreamName, rng: Rng): number {
    return 1 + rng.int(Math.max(1, this.sizes[stream]));
  }

  url(stream: BatonStreamName, id: number): string {
    return `${ORIGIN}/${API_PREFIX}/${stream}/${id}/`;
  }

  /** The hyperlink of a random existing record of `stream`. */
  ref(stream: BatonStreamName, rng: Rng): string {
    return this.url(stream, this.pick(stream, rng));
  }

  /** A filtered list link such as `…/api/tasks/?project=7`, as the `*_list` fields carry. */
  list(resource: string, field: string, id: number): string {
    return `${ORIGIN}/${API_PREFIX}/${resource}/?${field}=${id}`;
  }

  /** Per-stream seed salt (memoised: it is asked for once per generated record). */
  salt(stream: BatonStreamName): number {
    let salt = this.salts.get(stream);
    if (salt === undefined) {
      salt = hashString(`hellobaton:${stream}`);
      this.salts.set(stream, salt);
    }
    return salt;
  }
}

/** A record's stamps: both ms since the epoch. Streams without created/modified ignore them. */
export type BatonStamps = DrfStamps;

/** A Baton endpoint (templates and time_entries have no `modified`) with its share of the dataset. */
export interface BatonStreamDef extends DrfResourceDef<BatonRefs> {
  name: BatonStreamName;
  /** Share of `records` this stream gets. */
  weight: number;
}

/** `created` and `modified` in DRF's form; equal instants get equal text. */
export function createdModified(s: BatonStamps, rng: Rng): [created: string, modified: string] {
  const created = isoMicros(s.created, rng.int(1000));
  return [created, s.modified === s.created ? created : isoMicros(s.modified, rng.int(1000))];
}

/** DRF's datetime form, with microseconds drawn from the record's generator. */
export function dt(ms: number, rng: Rng): string {
  return isoMicros(ms, rng.int(1000));
}

/** A decimal as DRF serialises it: a string with two places. */
export function decimal(value: number): string {
  return value.toFixed(2);
}
