/**
 * One live Hellobaton endpoint: generated records under the mutation overlay, ids 1..n in slot order,
 * with the placeholder origin filled in as records leave.
 */
import { asciiJson } from '../../../simulator/json-writer.js';
import { LiveDataset } from '../../../simulator/live-dataset.js';
import type { MutationClock } from '../../../simulator/mutation-clock.js';
import { type AppliedMutation, applyMutation } from '../../../simulator/mutations.js';
import type { Rng } from '../../../simulator/prng.js';
import { Timeline, type TimelineShape } from '../../../simulator/timeline.js';
import { isoMicros } from '../../../simulator/timestamps.js';
import { type BatonRefs, type BatonStreamDef, ORIGIN } from './stream-def.js';

/** Baton history: from January 2023, about twenty months. */
const HISTORY: TimelineShape = { epochMs: Date.UTC(2023, 0, 1), spanMs: 600 * 86_400_000, unitMs: 1 };

/** How many generated records are sampled to learn which fields are relations. */
const FIELD_SAMPLE = 32;
const RELATION_PREFIX = `${ORIGIN}/api/`;

export class BatonCollection {
  readonly data: LiveDataset;
  readonly timeline: Timeline;
  private relations: Set<string> | undefined;

  constructor(
    readonly def: BatonStreamDef,
    size: number,
    private readonly refs: BatonRefs,
  ) {
    this.timeline = new Timeline(refs.seed, def.name, size, HISTORY);
    this.data = new LiveDataset({
      size,
      json: (i) =>
        def.record(i, { created: this.timeline.created(i), modified: this.timeline.updated(i) }, refs),
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
          if (k !== '_self' && typeof v === 'string' && v.startsWith(RELATION_PREFIX) && !v.includes('?')) {
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

  /** The slot of record `id`, if it is live. */
  slotOf(id: number): number | undefined {
    return this.data.has(id - 1) ? id - 1 : undefined;
  }

  /** The record's JSON with links pointing at `origin`. */
  json(slot: number, origin: string): string {
    return (this.data.json(slot) as string).replaceAll(ORIGIN, origin);
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
    for (const slot of this.data.inSlotOrder()) out.push(JSON.parse(this.json(slot, origin)));
    return out;
  }

  mutate(
    req: { creates?: number; updates?: number; deletes?: number },
    rng: Rng,
    clock: MutationClock,
  ): AppliedMutation<number> {
    return applyMutation(this.data, req, rng, {
      idOf: (slot) => slot + 1,
      create: (slot) => {
        const t = clock.next();
        return this.def.record(slot, { created: t, modified: t }, this.refs);
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
