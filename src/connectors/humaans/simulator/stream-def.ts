/**
 * What the Humaans simulator needs to know about one resource: its name and path, how big it is, how to
 * generate record i, and what a mutation changes in it; and the ids records point at each other with.
 */
import type { FeathersResourceDef } from '../../../simulator/dialects/feathers.js';
import { OpaqueIds } from '../../../simulator/opaque-id.js';
import { hashString, type Rng } from '../../../simulator/prng.js';

export type HumaansStreamName =
  | 'companies'
  | 'documents'
  | 'job_roles'
  | 'locations'
  | 'people'
  | 'time_away';

/** Referenced streams up to this size keep their ids once minted: most of a record's ids are references. */
const MEMO_LIMIT = 250_000;
/** Memo size for id-only resources (document types, folders, ...), which are referenced by small indexes. */
const SMALL_RESOURCE = 64;

/** Ids of every stream (and of a few id-only resources), so records can point at each other. */
export class Refs {
  private readonly idsByName = new Map<string, OpaqueIds>();
  private readonly memo = new Map<string, string[]>();

  constructor(
    readonly seed: number,
    private readonly sizes: Record<HumaansStreamName, number>,
  ) {}

  ids(resource: string): OpaqueIds {
    let ids = this.idsByName.get(resource);
    if (!ids) {
      ids = new OpaqueIds(this.seed, hashString(resource));
      this.idsByName.set(resource, ids);
    }
    return ids;
  }

  /** The id of a random generated record of `stream`. */
  pick(stream: HumaansStreamName, rng: Rng): string {
    return this.idOf(stream, rng.int(this.sizes[stream]));
  }

  /** The id of record `index` of a referenced resource (memoised for small resources). */
  idOf(resource: string, index: number): string {
    let memo = this.memo.get(resource);
    if (!memo) {
      const size = (this.sizes as Record<string, number>)[resource] ?? SMALL_RESOURCE;
      // Pre-filled so random writes keep a packed array instead of turning it into a dictionary.
      memo = new Array<string>(Math.min(size, MEMO_LIMIT)).fill('');
      this.memo.set(resource, memo);
    }
    if (index >= memo.length) return this.ids(resource).id(index);
    let id = memo[index];
    if (id === '') {
      id = this.ids(resource).id(index);
      memo[index] = id;
    }
    return id;
  }

  size(stream: HumaansStreamName): number {
    return this.sizes[stream];
  }
}

/** A Humaans resource: a Feathers service (path under /api) with its share of the dataset. */
export interface HumaansStreamDef extends FeathersResourceDef<Refs> {
  name: HumaansStreamName;
  size(records: number): number;
}
