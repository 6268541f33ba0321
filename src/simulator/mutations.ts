/**
 * Applying a MutationRequest to a stream: which records die, which change, what is born. The vendor says
 * what a new or changed record looks like; the order (deletes, then updates among the survivors, then
 * creates) and the choice of victims are the same for every simulator.
 */
import type { LiveDataset } from './live-dataset.js';
import type { Rng } from './prng.js';
import type { MutationRequest } from './types.js';

export interface MutationHooks<Id> {
  idOf(slot: number): Id;
  /** The JSON of a new record in `slot`. */
  create(slot: number, rng: Rng): string;
  /** The JSON of `record` after a change (vendors also move its update timestamp forward). */
  update(record: Record<string, unknown>, slot: number, rng: Rng): string;
}

export interface AppliedMutation<Id> {
  created: Id[];
  updated: Id[];
  deleted: Id[];
}

export function applyMutation<Id>(
  data: LiveDataset,
  req: MutationRequest,
  rng: Rng,
  hooks: MutationHooks<Id>,
): AppliedMutation<Id> {
  const deletedSlots = pickLive(data, req.deletes ?? 0, rng);
  const deleted = deletedSlots.map((s) => hooks.idOf(s));
  for (const s of deletedSlots) data.remove(s);

  const updatedSlots = pickLive(data, req.updates ?? 0, rng);
  const updated: Id[] = [];
  for (const s of updatedSlots) {
    const record = JSON.parse(data.json(s) as string) as Record<string, unknown>;
    data.replace(s, hooks.update(record, s, rng));
    updated.push(hooks.idOf(s));
  }

  const created: Id[] = [];
  for (let i = 0; i < Math.max(0, Math.floor(req.creates ?? 0)); i++) {
    const slot = data.create((s) => hooks.create(s, rng));
    created.push(hooks.idOf(slot));
  }
  return { created, updated, deleted };
}

/** Up to `count` distinct live slots, chosen uniformly, in the order they were drawn. */
function pickLive(data: LiveDataset, count: number, rng: Rng): number[] {
  const live = data.inSlotOrder();
  const n = live.length;
  const want = Math.min(Math.max(0, Math.floor(count)), n);
  const positions = new Set<number>();
  if (want > n / 2) {
    // Dense: a partial Fisher-Yates over all positions avoids endless redraws.
    const all = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < want; i++) {
      const j = i + rng.int(n - i);
      [all[i], all[j]] = [all[j], all[i]];
      positions.add(all[i]);
    }
  } else {
    while (positions.size < want) positions.add(rng.int(n));
  }
  return [...positions].map((p) => live.page(p, 1)[0]);
}
