/**
 * One live endpoint of a Django REST framework API: generated records under the mutation overlay, integer
 * ids 1..n in slot order, and relations as absolute hyperlinks (HyperlinkedRelatedField) that are built
 * from the request's Host: records are generated with ORIGIN as a placeholder, filled in as they leave.
 */
import type { CollectionOptions } from '../collection-options.js';
import { BIG_ID_BASE, type ContractData, parseExact, withExtraFields } from '../contract.js';
import { asciiJson, jsonNumberText } from '../json-writer.js';
import { LiveDataset } from '../live-dataset.js';
import type { MutationClock } from '../mutation-clock.js';
import { type AppliedMutation, applyMutation } from '../mutations.js';
import type { Rng } from '../prng.js';
import { Timeline } from '../timeline.js';
import { isoMicros } from '../timestamps.js';

/** Stands for `scheme://host` in generated records until a response fills in the one the client dialled. */
export const ORIGIN = '@@ORIGIN@@';

/** A record's stamps: both ms since the epoch. Endpoints without created/modified ignore them. */
export interface DrfStamps {
  created: number;
  modified: number;
}

/** What a connector tells the dialect about one endpoint; `Ctx` is whatever its generators share. */
export interface DrfResourceDef<Ctx> {
  /** Stream name, which is also the router's URL segment. */
  name: string;
  /** Whether records carry `modified`, which updates move forward. */
  hasModified: boolean;
  /** The JSON of the record with id i + 1, links written against ORIGIN. */
  record(i: number, stamps: DrfStamps, ctx: Ctx): string;
  /** Make a visible change to a record being updated (the caller moves `modified`). */
  touch(record: Record<string, unknown>, rng: Rng): void;
}

export interface DrfCollectionOptions<Ctx> extends CollectionOptions<Ctx> {
  /** The router's path prefix ('api'): links under it are relations. */
  prefix: string;
}

/** How many generated records are sampled to learn which fields are relations. */
const FIELD_SAMPLE = 32;

/** An ordered list of live slots, paged by position. */
export interface SlotList {
  readonly length: number;
  page(skip: number, limit: number): number[];
}

export class DrfCollection<Ctx = unknown> {
  readonly data: LiveDataset;
  readonly timeline: Timeline;
  readonly dataModes: ReadonlySet<ContractData>;
  private relations: Set<string> | undefined;
  /** Slots inserted at the front of the list by offset-drift modes, oldest first; served newest first. */
  private readonly front: number[] = [];
  private readonly ctx: Ctx;
  private readonly relationPrefix: string;

  constructor(
    readonly def: DrfResourceDef<Ctx>,
    opts: DrfCollectionOptions<Ctx>,
  ) {
    const { size, ctx } = opts;
    this.ctx = ctx;
    this.dataModes = opts.dataModes ?? new Set();
    this.relationPrefix = `${ORIGIN}/${opts.prefix}/`;
    this.timeline = new Timeline(opts.seed, def.name, size, opts.history);
    this.data = new LiveDataset({
      size,
      json: (i) =>
        def.record(i, { created: this.timeline.created(i), modified: this.timeline.updated(i) }, ctx),
    });
  }

  /** Hyperlinked fields (`project`, `task`, ...): a list can be filtered by the id they point at. */
  get relationFields(): ReadonlySet<string> {
    // Learned on first use: sampling at construction would need streams that are not built yet.
    if (!this.relations) {
      const relations = new Set<string>();
      for (let i = 0; i < Math.min(this.data.base.size, FIELD_SAMPLE); i++) {
        const record = JSON.parse(this.data.base.json(i)) as Record<string, unknown>;
        for (const [k, v] of Object.entries(record)) {
          if (
            k !== '_self' &&
            typeof v === 'string' &&
            v.startsWith(this.relationPrefix) &&
            !v.includes('?')
          ) {
            relations.add(k);
          }
        }
      }
      this.relations = relations;
    }
    return this.relations;
  }

  get generatedUntil(): number {
    return this.timeline.end;
  }

  /** The slot of record `id` (as written in a URL), if it is live. */
  slotOf(id: string): number | undefined {
    if (!/^\d{1,30}$/.test(id)) return undefined;
    const slot = this.bigIds ? Number(BigInt(id) - BIG_ID_BASE - 1n) : Number(id) - 1;
    return this.data.has(slot) ? slot : undefined;
  }

  /** The id the API shows for a slot: slot + 1, or 2^53 + slot + 1 under the 'big-ids' data mode. */
  idOf(slot: number): number | string {
    return this.bigIds ? String(BIG_ID_BASE + 1n + BigInt(slot)) : slot + 1;
  }

  private get bigIds(): boolean {
    return this.dataModes.has('big-ids');
  }

  /** The record's JSON with links pointing at `origin` (and the contract data modes applied). */
  json(slot: number, origin: string): string {
    let json = this.data.json(slot) as string;
    if (this.dataModes.size > 0) {
      if (this.bigIds) {
        const big = jsonNumberText(BIG_ID_BASE + 1n + BigInt(slot));
        json = json
          .replace(/^\{"id":\d+/, `{"id":${big}`)
          .replace(
            `"${this.relationPrefix}${this.def.name}/${slot + 1}/"`,
            `"${this.relationPrefix}${this.def.name}/${big}/"`,
          );
      }
      json = withExtraFields(json, this.dataModes, slot);
    }
    return json.replaceAll(ORIGIN, origin);
  }

  /** Live slots in list order: front-inserted records (newest first), then ascending id. */
  listOrder(): SlotList {
    const seq = this.data.inSlotOrder();
    if (this.front.length === 0) return seq;
    const front = this.front.filter((s) => this.data.has(s)).reverse();
    const inFront = new Set(front);
    const all = [...front, ...[...seq].filter((s) => !inFront.has(s))];
    return { length: all.length, page: (skip, limit) => all.slice(skip, skip + limit) };
  }

  /** Offset drift: a new record at the front of the list. */
  insertFront(clock: MutationClock): number {
    const t = clock.next();
    const slot = this.data.create((s) => this.def.record(s, { created: t, modified: t }, this.ctx));
    this.front.push(slot);
    return slot;
  }

  /** Live slots (ascending id) whose relation fields point at the given ids. */
  filtered(filters: ReadonlyArray<[field: string, id: string]>): number[] {
    const out: number[] = [];
    for (const slot of this.data.inSlotOrder()) {
      const record = JSON.parse(this.data.json(slot) as string) as Record<string, unknown>;
      if (filters.every(([field, id]) => linkedId(record[field]) === id)) out.push(slot);
    }
    return out;
  }

  materialise(origin: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const parse = this.dataModes.size === 0 ? JSON.parse : parseExact;
    const order = this.listOrder();
    for (const slot of order.page(0, order.length)) out.push(parse(this.json(slot, origin)));
    return out;
  }

  mutate(
    req: { creates?: number; updates?: number; deletes?: number },
    rng: Rng,
    clock: MutationClock,
  ): AppliedMutation<number | string> {
    return applyMutation(this.data, req, rng, {
      idOf: (slot) => this.idOf(slot),
      create: (slot) => {
        const t = clock.next();
        return this.def.record(slot, { created: t, modified: t }, this.ctx);
      },
      update: (record, _slot, r) => {
        this.def.touch(record, r);
        if (this.def.hasModified) record.modified = isoMicros(clock.next(), r.int(1000));
        return asciiJson(record);
      },
    });
  }
}

/** `…/api/projects/7/` → '7'. */
function linkedId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /\/(\d+)\/$/.exec(value);
  return m ? m[1] : undefined;
}
