/**
 * An ordered view of a dataset's records without materialising it: runs of base indexes minus a few
 * excluded ones (deleted or moved by a mutation), followed by explicit lists of slots. Paging and
 * range-narrowing cost O(log n + exclusions + page), so a query over a million generated records stays as
 * cheap as one over a hundred.
 */

/** Base slots [from, to) except excluded[exLo..exHi), which are exactly the exclusions inside the run. */
interface Run {
  kind: 'run';
  from: number;
  to: number;
  excluded: readonly number[];
  exLo: number;
  exHi: number;
}

interface List {
  kind: 'list';
  slots: readonly number[];
}

type Segment = Run | List;

export interface Bound {
  value: number;
  inclusive: boolean;
}

/** Sort keys for narrowing: `base` for slots inside runs (never mutated), `live` for listed slots. */
export interface SequenceKeys {
  base(index: number): number;
  live(slot: number): number;
}

/** First position in [lo, hi) where `pred` turns true; `pred` must be monotone (false…false true…true). */
function firstTrue(lo: number, hi: number, pred: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function segmentLength(s: Segment): number {
  return s.kind === 'list' ? s.slots.length : s.to - s.from - (s.exHi - s.exLo);
}

export class SlotSequence {
  private constructor(private readonly segments: readonly Segment[]) {}

  /** Base slots [0, size) minus `excluded` (sorted ascending), then each list in order. */
  static of(size: number, excluded: readonly number[], ...lists: Array<readonly number[]>): SlotSequence {
    const run: Run = { kind: 'run', from: 0, to: size, excluded, exLo: 0, exHi: excluded.length };
    return new SlotSequence([run, ...lists.map((slots): List => ({ kind: 'list', slots }))]);
  }

  get length(): number {
    let n = 0;
    for (const s of this.segments) n += segmentLength(s);
    return n;
  }

  /** The part of the sequence whose keys lie within the bounds. Keys must not decrease along the sequence. */
  within(keys: SequenceKeys, lower?: Bound, upper?: Bound): SlotSequence {
    const below = (k: number) =>
      lower !== undefined && (lower.inclusive ? k < lower.value : k <= lower.value);
    const above = (k: number) =>
      upper !== undefined && (upper.inclusive ? k > upper.value : k >= upper.value);
    const out: Segment[] = [];
    for (const s of this.segments) {
      if (s.kind === 'list') {
        const a = firstTrue(0, s.slots.length, (i) => !below(keys.live(s.slots[i])));
        const b = firstTrue(a, s.slots.length, (i) => above(keys.live(s.slots[i])));
        if (b > a) out.push({ kind: 'list', slots: s.slots.slice(a, b) });
      } else {
        const from = firstTrue(s.from, s.to, (i) => !below(keys.base(i)));
        const to = firstTrue(from, s.to, (i) => above(keys.base(i)));
        const exLo = firstTrue(s.exLo, s.exHi, (i) => s.excluded[i] >= from);
        const exHi = firstTrue(exLo, s.exHi, (i) => s.excluded[i] >= to);
        if (to > from) out.push({ kind: 'run', from, to, excluded: s.excluded, exLo, exHi });
      }
    }
    return new SlotSequence(out);
  }

  /** Up to `limit` slots from position `skip`; with `descending`, positions count from the end. */
  page(skip: number, limit: number, descending = false): number[] {
    const out: number[] = [];
    const segs = descending ? [...this.segments].reverse() : this.segments;
    let k = skip;
    for (const s of segs) {
      if (out.length >= limit) break;
      const len = segmentLength(s);
      if (k >= len) {
        k -= len;
        continue;
      }
      if (s.kind === 'list') {
        for (let i = k; i < len && out.length < limit; i++) out.push(s.slots[descending ? len - 1 - i : i]);
      } else if (descending) {
        takeRunDescending(s, k, limit, out);
      } else {
        takeRunAscending(s, k, limit, out);
      }
      k = 0;
    }
    return out;
  }

  /** Every slot, in order. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const s of this.segments) {
      if (s.kind === 'list') {
        yield* s.slots;
        continue;
      }
      let p = s.exLo;
      for (let i = s.from; i < s.to; i++) {
        if (p < s.exHi && s.excluded[p] === i) p++;
        else yield i;
      }
    }
  }
}

function takeRunAscending(s: Run, k: number, limit: number, out: number[]): void {
  // The k-th kept index: start at from + k and step over every exclusion at or below it.
  let i = s.from + k;
  let p = s.exLo;
  while (p < s.exHi && s.excluded[p] <= i) {
    i++;
    p++;
  }
  for (; i < s.to && out.length < limit; i++) {
    if (p < s.exHi && s.excluded[p] === i) p++;
    else out.push(i);
  }
}

function takeRunDescending(s: Run, k: number, limit: number, out: number[]): void {
  let i = s.to - 1 - k;
  let p = s.exHi - 1;
  while (p >= s.exLo && s.excluded[p] >= i) {
    i--;
    p--;
  }
  for (; i >= s.from && out.length < limit; i--) {
    if (p >= s.exLo && s.excluded[p] === i) p--;
    else out.push(i);
  }
}
