/**
 * One stream's records: a lazily generated base (record i is a pure function of the seed and i) under a
 * small overlay of mutations. Slots number the records: base records take 0..size-1, created records the
 * slots after. Only mutated records are ever held in memory.
 */
import { SlotSequence } from './slot-sequence.js';

/** The generated, never-changing part of a stream. */
export interface BaseRecords {
  readonly size: number;
  /** The JSON text of base record `index` (ASCII only). */
  json(index: number): string;
}

export class LiveDataset {
  private readonly written = new Map<number, string>();
  private readonly deleted = new Set<number>();
  /** Written slots in order of their last write; Map keeps insertion order, and a rewrite re-inserts. */
  private readonly writeOrder = new Map<number, true>();
  private created = 0;
  private changes = 0;
  private views: { byIndex: SlotSequence; byWrite: SlotSequence } | undefined;

  constructor(readonly base: BaseRecords) {}

  /** Number of slots ever allocated (base + created), deleted ones included. */
  get slotCount(): number {
    return this.base.size + this.created;
  }

  /** Bumped by every mutation: anything derived from the data (a prepared page) is valid for one version. */
  get version(): number {
    return this.changes;
  }

  /** Number of live records. */
  get size(): number {
    return this.slotCount - this.deleted.size;
  }

  has(slot: number): boolean {
    return Number.isInteger(slot) && slot >= 0 && slot < this.slotCount && !this.deleted.has(slot);
  }

  /** The record's current JSON, or undefined when the slot is deleted or was never allocated. */
  json(slot: number): string | undefined {
    if (!this.has(slot)) return undefined;
    return this.written.get(slot) ?? this.base.json(slot);
  }

  /** Whether the slot still holds its generated base record. */
  isPristine(slot: number): boolean {
    return slot < this.base.size && !this.written.has(slot) && !this.deleted.has(slot);
  }

  /** Allocate the next slot for a new record; `json` receives the slot so ids can be derived from it. */
  create(json: (slot: number) => string): number {
    const slot = this.slotCount;
    this.created++;
    this.write(slot, json(slot));
    return slot;
  }

  replace(slot: number, json: string): void {
    if (!this.has(slot)) throw new Error(`slot ${slot} is not live`);
    this.write(slot, json);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    this.deleted.add(slot);
    this.written.delete(slot);
    this.writeOrder.delete(slot);
    this.views = undefined;
    this.changes++;
  }

  /** Live slots by slot number: base records in index order, then created ones in creation order. */
  inSlotOrder(): SlotSequence {
    return this.buildViews().byIndex;
  }

  /** Live slots by last write: untouched base records in index order, then written ones, oldest write first. */
  inWriteOrder(): SlotSequence {
    return this.buildViews().byWrite;
  }

  private write(slot: number, json: string): void {
    this.written.set(slot, json);
    this.writeOrder.delete(slot);
    this.writeOrder.set(slot, true);
    this.views = undefined;
    this.changes++;
  }

  private buildViews(): { byIndex: SlotSequence; byWrite: SlotSequence } {
    if (this.views) return this.views;
    const size = this.base.size;
    const deletedBase = [...this.deleted].filter((s) => s < size).sort((a, b) => a - b);
    const createdLive: number[] = [];
    for (let s = size; s < this.slotCount; s++) if (!this.deleted.has(s)) createdLive.push(s);
    const writtenBase = [...this.written.keys()].filter((s) => s < size);
    const movedOrDeleted = [...deletedBase, ...writtenBase].sort((a, b) => a - b);
    this.views = {
      byIndex: SlotSequence.of(size, deletedBase, createdLive),
      byWrite: SlotSequence.of(size, movedOrDeleted, [...this.writeOrder.keys()]),
    };
    return this.views;
  }
}
