/**
 * Generated created/updated timestamps of one stream, computable from the index alone. Both strictly
 * increase with the index, so "sorted by updated time" is index order and a range filter on either is a
 * binary search instead of a scan: that keeps an incremental read of a million records cheap.
 *
 * Record i lives in the slot [epoch + i*step, epoch + (i+1)*step): created in its first half, updated
 * either equal to created (never edited) or in its second half.
 */
import { hash3, hashString } from './prng.js';

export interface TimelineShape {
  /** Where the generated history starts (ms since the epoch). */
  epochMs: number;
  /** How long it lasts, whatever the number of records. */
  spanMs: number;
  /** Granularity of generated stamps (1000 = whole seconds), relaxed to 1 ms when records are too dense. */
  unitMs: number;
  /**
   * Records per group sharing one updated stamp (ties to sort; default 1, no ties). Tied stamps sit in the
   * group's last slot, so every member's updated time stays at or after its created time and the order
   * by index is kept (non-decreasing instead of increasing).
   */
  tieGroup?: number;
}

export class Timeline {
  private readonly step: number;
  private readonly half: number;
  private readonly unit: number;
  private readonly salt: number;
  private readonly epoch: number;
  private readonly tieGroup: number;

  constructor(
    private readonly seed: number,
    stream: string,
    private readonly size: number,
    shape: TimelineShape,
  ) {
    const raw = Math.floor(shape.spanMs / Math.max(1, size));
    this.unit = raw >= 2 * shape.unitMs ? shape.unitMs : 1;
    this.step = Math.max(2, Math.floor(raw / this.unit)) * this.unit;
    this.half = Math.floor(this.step / this.unit / 2);
    this.salt = hashString(`${stream}:timeline`);
    this.epoch = shape.epochMs;
    this.tieGroup = Math.max(1, Math.floor(shape.tieGroup ?? 1));
  }

  created(i: number): number {
    const jitter = hash3(this.seed, this.salt, i) % this.half;
    return this.epoch + i * this.step + jitter * this.unit;
  }

  updated(i: number): number {
    if (this.tieGroup > 1) {
      const last = Math.min(this.size - 1, i - (i % this.tieGroup) + this.tieGroup - 1);
      return this.epoch + last * this.step + this.half * this.unit;
    }
    const h = hash3(this.seed, this.salt ^ 0x5bd1e995, i);
    // About a third of the records were never edited after creation.
    if (h % 3 === 0) return this.created(i);
    return this.epoch + i * this.step + (this.half + ((h >>> 2) % this.half)) * this.unit;
  }

  /** Later than every timestamp this timeline generates. */
  get end(): number {
    return this.epoch + this.size * this.step;
  }
}
