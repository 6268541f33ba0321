/**
 * One live resource of a Feathers service (what feathers-sequelize and friends serve): records with opaque
 * string ids and `createdAt`/`updatedAt`, generated under the mutation overlay. The stamps of every slot are
 * known without parsing JSON (from the timeline for generated records, remembered for written ones), which
 * is what the ordered views behind incremental reads need.
 */
import type { CollectionOptions } from '../collection-options.js';
import { type ContractData, parseExact, TIE_GROUP, withExtraFields } from '../contract.js';
import { asciiJson } from '../json-writer.js';
import { type BaseRecords, LiveDataset } from '../live-dataset.js';
import type { MutationClock } from '../mutation-clock.js';
import { type AppliedMutation, applyMutation } from '../mutations.js';
import type { OpaqueIds } from '../opaque-id.js';
import type { Rng } from '../prng.js';
import type { SequenceKeys } from '../slot-sequence.js';
import { Timeline } from '../timeline.js';
import { isoMillis } from '../timestamps.js';

/** What a connector tells the dialect about one Feathers resource; `Ctx` is whatever its generators share. */
export interface FeathersResourceDef<Ctx> {
  /** Stream name (as the connector's manifest names it). */
  name: string;
  /** The service's URL path segment. */
  path: string;
  /** The JSON of record i. Base records get their timeline's timestamps; created ones get "now". */
  record(i: number, createdAtMs: number, updatedAtMs: number, ctx: Ctx): string;
  /** Make a visible change to a record that is being updated (the caller moves updatedAt). */
  touch(record: Record<string, unknown>, rng: Rng): void;
}

export interface FeathersCollectionOptions<Ctx> extends CollectionOptions<Ctx> {
  /** The resource's ids: slot i has id `ids.id(i)`. */
  ids: OpaqueIds;
}

/** How many generated records are sampled to learn a resource's field names. */
const FIELD_SAMPLE = 64;

export class FeathersCollection<Ctx = unknown> {
  readonly data: LiveDataset;
  readonly timeline: Timeline;
  readonly ids: OpaqueIds;
  /** Top-level field names; filters on other names are ignored, like unknown query parameters. */
  readonly fields: ReadonlySet<string>;
  private readonly stamps = new Map<number, { createdAt: number; updatedAt: number }>();
  /** Slots inserted at the front of the list by offset-drift modes: they sort first among equal keys. */
  readonly front = new Set<number>();

  readonly byCreatedAt: SequenceKeys = {
    base: (i) => this.timeline.created(i),
    live: (slot) => this.createdAtOf(slot),
  };

  readonly byUpdatedAt: SequenceKeys = {
    base: (i) => this.timeline.updated(i),
    live: (slot) => this.updatedAtOf(slot),
  };

  readonly dataModes: ReadonlySet<ContractData>;
  private readonly ctx: Ctx;

  constructor(
    readonly def: FeathersResourceDef<Ctx>,
    opts: FeathersCollectionOptions<Ctx>,
  ) {
    const { size, ctx } = opts;
    this.ctx = ctx;
    this.dataModes = opts.dataModes ?? new Set();
    const tieGroup = this.dataModes.has('tied-timestamps') ? TIE_GROUP : 1;
    this.timeline = new Timeline(opts.seed, def.name, size, { ...opts.history, tieGroup });
    this.ids = opts.ids;
    const base: BaseRecords = {
      size,
      json: (i) => def.record(i, this.timeline.created(i), this.timeline.updated(i), ctx),
    };
    this.data = new LiveDataset(base);
    const fields = new Set(['id', 'createdAt', 'updatedAt']);
    for (let i = 0; i < Math.min(size, FIELD_SAMPLE); i++) {
      for (const k of Object.keys(JSON.parse(base.json(i)) as object)) fields.add(k);
    }
    this.fields = fields;
  }

  /** Later than every generated timestamp of this resource. */
  get generatedUntil(): number {
    return this.timeline.end;
  }

  /**
   * Whether records were inserted out of timestamp order (offset drift): the ordered views no longer hold
   * and lists are answered by scanning.
   */
  get irregular(): boolean {
    return this.front.size > 0;
  }

  /** Whether two records may share a timestamp (the tied-timestamps mode); otherwise every stamp is distinct. */
  get tiesPossible(): boolean {
    return this.dataModes.has('tied-timestamps');
  }

  /** A record's JSON as served, with the contract data modes' fields; undefined when not live. */
  json(slot: number): string | undefined {
    const json = this.data.json(slot);
    if (json === undefined || this.dataModes.size === 0) return json;
    return withExtraFields(json, this.dataModes, slot);
  }

  /** Offset drift: a new record that sorts first among records with these stamps. */
  insertFront(createdAt: number, updatedAt: number): number {
    const slot = this.data.create((s) => {
      this.stamps.set(s, { createdAt, updatedAt });
      return this.def.record(s, createdAt, updatedAt, this.ctx);
    });
    this.front.add(slot);
    return slot;
  }

  remove(slot: number): void {
    this.data.remove(slot);
    this.front.delete(slot);
  }

  slotOf(id: string): number | undefined {
    const slot = this.ids.index(id);
    return slot !== undefined && this.data.has(slot) ? slot : undefined;
  }

  createdAtOf(slot: number): number {
    return this.stamps.get(slot)?.createdAt ?? this.timeline.created(slot);
  }

  updatedAtOf(slot: number): number {
    return this.stamps.get(slot)?.updatedAt ?? this.timeline.updated(slot);
  }

  /** The live records, parsed, in default order. */
  materialise(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const parse = this.dataModes.size === 0 ? JSON.parse : parseExact;
    for (const slot of this.data.inSlotOrder()) out.push(parse(this.json(slot) as string));
    return out;
  }

  mutate(
    req: { creates?: number; updates?: number; deletes?: number },
    rng: Rng,
    clock: MutationClock,
  ): AppliedMutation<string> {
    const applied = applyMutation(this.data, req, rng, {
      idOf: (slot) => this.ids.id(slot),
      create: (slot) => {
        const t = clock.next();
        this.stamps.set(slot, { createdAt: t, updatedAt: t });
        return this.def.record(slot, t, t, this.ctx);
      },
      update: (record, slot, r) => {
        this.def.touch(record, r);
        const t = clock.next();
        this.stamps.set(slot, { createdAt: this.createdAtOf(slot), updatedAt: t });
        record.updatedAt = isoMillis(t);
        return asciiJson(record);
      },
    });
    for (const f of this.front) if (!this.data.has(f)) this.front.delete(f);
    return applied;
  }
}
