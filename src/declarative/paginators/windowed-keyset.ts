/**
 * Parallel windows: a keyset read whose cursor range is large, split into half-open windows `[lo, hi)` of
 * the cursor that are paged at the same time (docs/parallel-windows.md). Each window is a KeysetWindow with
 * every check of the sequential keyset (filters, sort, ties, capped `$limit`, its own filtered `total`, a
 * request cap); what this file adds is the splitting, the scheduling and one checkpoint for them all.
 *
 * - **The range.** The first window is the whole read, `[start, ∞)`. Its first page and a probe for the
 *   newest record (sorted descending, one record) go out together; the probe's cursor bounds the range.
 * - **Splitting.** After each page, a window with more than two pages left splits its unread part
 *   `[bound, hi)` into equal time slices while fewer windows are open than K allows, provided it holds at
 *   least half as many records as the largest open window (by the filtered totals its answers gave). A
 *   skewed range is thus re-split where the records are, never up front by guesswork. Splits happen between
 *   a window's requests, strictly above its bound, so no record is in two windows.
 * - **K** (WindowConcurrency) adapts to the answers: it starts at 2 and widens to `maxWindows`.
 * - **One checkpoint.** Windows fetch and check pages concurrently; the pages are yielded one at a time in
 *   the order they were checked, each with the state of every window as of the pages yielded so far (a split
 *   is recorded before any page of the new window). The engine commits each page's rows with that state in
 *   one transaction, so a kill at any point resumes every open window exactly where its committed pages
 *   end, and a finished window is never read again. The checkpoint's `cursor` is the contiguous completed
 *   prefix (everything below it is committed); the stream's cursor completes (`in_progress: false`, the
 *   newest cursor read) only on the page that finishes the last open window.
 * - **Proof.** A window ends only where its own filtered `total` agrees (PassEnd). A read over all history
 *   carries the first total of the whole list to the last page (`expectedCount`), as the sequential keyset
 *   does, for the engine's proof of a full refresh. Any window that cannot prove itself fails the whole read
 *   (TRB_SOURCE_CONTRACT): nothing is yielded after it, so nothing is swept and the cursor does not complete.
 */
import { compareCursors, KeysetWindow, type KeysetWindowState } from './keyset-window.js';
import type { OffsetOptions } from './offset-paginator.js';
import { countValue } from './pass-audit.js';
import type { FetchedPage, IncrementalWindow, PaginationContext, RawPage } from './paginator.js';
import { WindowConcurrency } from './window-concurrency.js';

/** A window in a checkpoint: its state and where it starts (absent: from the start of the read). */
export interface StoredWindow extends KeysetWindowState {
  lo?: string;
}

/** Windows narrower than this many milliseconds are not split again. */
const MIN_SPLIT_MS = 2;

/** The descending counterpart of an ascending sort value (`1` → `-1`, `asc` → `desc`), when there is one. */
function descending(sortValue: string): string | undefined {
  if (sortValue === '1') return '-1';
  if (sortValue.toLowerCase() === 'asc') return sortValue === 'asc' ? 'desc' : 'DESC';
  return undefined;
}

/** True when `state` is a checkpoint of a windowed read. */
export function isWindowedState(state: Record<string, unknown> | undefined): boolean {
  return state?.in_progress === true && Array.isArray(state.windows);
}

interface Open {
  id: number;
  lo: string | undefined;
  w: KeysetWindow;
}

/** What a window loop hands the generator, in order. */
type WindowEvent =
  | {
      kind: 'page';
      id: number;
      records: Record<string, unknown>[];
      bytes: number;
      snapshot: StoredWindow;
      done: boolean;
      maxCursor: string | undefined;
    }
  | {
      kind: 'split';
      parent: { id: number; hi: string };
      children: Array<{ id: number; snapshot: StoredWindow }>;
    };

export class WindowedKeyset {
  constructor(
    private readonly o: OffsetOptions,
    private readonly maxWindows: number,
  ) {}

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const inc = ctx.incremental!;
    const upper = inc.upperFilterParam;
    const state = ctx.state;
    const resumedWindows = isWindowedState(state);
    const resumedPlain = !resumedWindows && state?.in_progress === true && typeof state.cursor === 'string';
    // The highest cursor read (or committed before this read): the stream's cursor once every window is done.
    let maxCursor: string | undefined = resumedWindows
      ? typeof state!.max_cursor === 'string'
        ? state!.max_cursor
        : undefined
      : typeof state?.cursor === 'string'
        ? state.cursor
        : undefined;
    let passCount: number | undefined = resumedWindows || resumedPlain ? countValue(state!.count) : undefined;
    const fullList = !resumedWindows && !resumedPlain && inc.startBound === undefined;

    let nextId = 0;
    const open = new Map<number, Open>();
    /** The windows as the pages yielded so far leave them (the checkpoint's view). */
    const view = new Map<number, { snapshot: StoredWindow; done: boolean }>();
    const add = (lo: string | undefined, w: KeysetWindow): Open => {
      const win = { id: nextId++, lo, w };
      open.set(win.id, win);
      return win;
    };
    const initial: Open[] = [];
    if (resumedWindows) {
      for (const s of state!.windows as StoredWindow[]) {
        if (s === null || typeof s !== 'object') continue;
        initial.push(add(s.lo, KeysetWindow.resume(this.o, inc, upper, s)));
      }
    }
    if (initial.length === 0) {
      // Not a windowed checkpoint with open windows (none is ever written): one window from its resume point.
      const w = new KeysetWindow(this.o, inc, upper, {
        bound: resumedPlain ? (state!.cursor as string) : inc.startBound,
        skip: resumedPlain ? Number(state!.skip ?? 0) : 0,
        seen: resumedPlain && Array.isArray(state!.seen) ? (state!.seen as unknown[]).map(String) : [],
      });
      initial.push(add(w.bound, w));
    }
    for (const win of initial)
      view.set(win.id, { snapshot: { ...win.w.state(), ...lo(win.lo) }, done: false });

    const stop = new AbortController();
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
    const log = ctx.logger;
    const conc = new WindowConcurrency(this.maxWindows, (k, reason) =>
      log?.debug({ windows: k }, `parallel windows: K = ${k} (${reason})`),
    );
    const events: WindowEvent[] = [];
    let failure: unknown;
    let wakeConsumer: (() => void) | undefined;
    let wakeProducers: Array<() => void> = [];
    const notify = () => {
      const w = wakeConsumer;
      wakeConsumer = undefined;
      w?.();
    };
    const fail = (err: unknown) => {
      failure ??= err;
      stop.abort(err);
      notify();
    };
    // Pages checked but not yet yielded: bounded, so memory stays a few pages per window whatever the
    // destination's speed.
    const maxQueued = 2 * this.maxWindows + 2;
    const room = (): Promise<void> =>
      events.length < maxQueued || signal.aborted
        ? Promise.resolve()
        : new Promise((r) => wakeProducers.push(r));

    // The newest record of the range: where the open-ended window's unread part ends, for splitting it.
    let newest: number | undefined;
    const desc = descending(inc.sortValue);
    const lastWindow = initial.find((win) => win.w.hi === undefined);
    const probe =
      upper && desc && inc.sortParam && this.maxWindows > 1 && lastWindow
        ? this.probeNewest(ctx, inc, desc, lastWindow.w.bound, signal).then(
            (ms) => {
              newest = ms;
            },
            () => undefined,
          )
        : undefined;

    const fetchOne = async (w: KeysetWindow): Promise<FetchedPage> => {
      await conc.acquire(signal);
      const t0 = performance.now();
      const m0 = ctx.metrics ? { h: ctx.metrics.http429, b: ctx.metrics.budgetWaitMs } : undefined;
      try {
        return await ctx.fetch(w.url(ctx.baseUrl), signal);
      } finally {
        conc.release();
        conc.observe({
          latencyMs: performance.now() - t0,
          throttled: m0 !== undefined && ctx.metrics!.http429 > m0.h,
          budgetWaited: m0 !== undefined && ctx.metrics!.budgetWaitMs > m0.b,
        });
      }
    };

    const maybeSplit = (win: Open) => {
      const w = win.w;
      if (!upper || w.bound === undefined) return;
      const free = conc.limit - open.size;
      if (free <= 0) return;
      const left = w.remaining;
      if (left === undefined || left <= 2 * this.o.pageSize) return;
      let largest = 0;
      for (const other of open.values()) largest = Math.max(largest, other.w.remaining ?? 0);
      if (left * 2 < largest) return;
      const loMs = Date.parse(w.bound);
      const hiMs = w.hi !== undefined ? Date.parse(w.hi) : newest !== undefined ? newest + 1 : Number.NaN;
      if (Number.isNaN(loMs) || Number.isNaN(hiMs) || hiMs - loMs < MIN_SPLIT_MS) return;
      const parts = Math.min(free + 1, Math.floor((hiMs - loMs) / (MIN_SPLIT_MS / 2)));
      if (parts < 2) return;
      const cuts: string[] = [];
      for (let i = 1; i < parts; i++) {
        const ms = loMs + Math.max(1, Math.floor(((hiMs - loMs) * i) / parts));
        const iso = new Date(ms).toISOString();
        if (cuts.length === 0 || cuts[cuts.length - 1] !== iso) cuts.push(iso);
      }
      // Children take [cut_i, cut_i+1), the last one the window's old upper end; the window keeps [bound, cut_1).
      const oldHi = w.hi;
      const children: Open[] = [];
      for (let i = 0; i < cuts.length; i++) {
        const hi = i + 1 < cuts.length ? cuts[i + 1] : oldHi;
        const child = new KeysetWindow(this.o, inc, upper, {
          bound: cuts[i],
          ...(hi === undefined ? {} : { hi }),
        });
        children.push(add(cuts[i], child));
      }
      w.hi = cuts[0];
      events.push({
        kind: 'split',
        parent: { id: win.id, hi: cuts[0]! },
        children: children.map((c) => ({ id: c.id, snapshot: { ...c.w.state(), lo: c.lo! } })),
      });
      log?.debug(
        { windows: open.size, k: conc.limit, from: w.bound, cuts },
        `parallel windows: split a window with ${left} records left into ${cuts.length + 1}`,
      );
      for (const c of children) run(c);
    };

    const runLoop = async (win: Open) => {
      const w = win.w;
      w.sent();
      for (;;) {
        const res = await fetchOne(w);
        if (failure !== undefined) return;
        const { fresh, step } = w.take(res);
        if (fullList && win.id === 0 && passCount === undefined && w.firstTotal !== undefined)
          passCount = w.firstTotal;
        if (step === 'again') continue;
        const done = step === 'last';
        if (done) open.delete(win.id);
        events.push({
          kind: 'page',
          id: win.id,
          records: fresh,
          bytes: res.bytes,
          snapshot: { ...w.state(), ...lo(win.lo) },
          done,
          maxCursor: w.maxCursor,
        });
        notify();
        if (done) return;
        // The first page of the first window came with the probe: wait for its answer before deciding.
        if (probe && newest === undefined) await probe;
        maybeSplit(win);
        await room();
        if (failure !== undefined) return;
      }
    };
    const run = (win: Open) => {
      runLoop(win).catch(fail);
    };
    for (const win of initial) run(win);

    let page = 0;
    let index = 0;
    try {
      for (;;) {
        if (failure !== undefined) throw failure;
        const ev = events.shift();
        if (!ev) {
          await new Promise<void>((r) => {
            wakeConsumer = r;
          });
          continue;
        }
        const producers = wakeProducers;
        wakeProducers = [];
        for (const p of producers) p();
        if (ev.kind === 'split') {
          const parent = view.get(ev.parent.id);
          if (parent) parent.snapshot = { ...parent.snapshot, hi: ev.parent.hi };
          for (const c of ev.children) view.set(c.id, { snapshot: c.snapshot, done: false });
          continue;
        }
        view.set(ev.id, { snapshot: ev.snapshot, done: ev.done });
        if (
          ev.maxCursor !== undefined &&
          (maxCursor === undefined || compareCursors(ev.maxCursor, maxCursor) > 0)
        )
          maxCursor = ev.maxCursor;
        const remaining = [...view.values()].filter((v) => !v.done).map((v) => v.snapshot);
        remaining.sort(byStart);
        const last = remaining.length === 0;
        const count = passCount;
        const first = remaining[0];
        const prefix = first?.cursor ?? first?.lo;
        const checkpoint: Record<string, unknown> = last
          ? { cursor: maxCursor ?? null, in_progress: false }
          : {
              ...(prefix === undefined ? {} : { cursor: prefix }),
              in_progress: true,
              windows: remaining,
              ...(maxCursor === undefined ? {} : { max_cursor: maxCursor }),
              ...(count === undefined ? {} : { count }),
            };
        yield {
          records: ev.records,
          bytes: ev.bytes,
          checkpoint,
          position: { page: page++, firstIndex: index },
          ...(last && count !== undefined ? { expectedCount: count } : {}),
        };
        index += ev.records.length;
        if (last) return;
      }
    } finally {
      if (!stop.signal.aborted) stop.abort(new Error('windows no longer needed'));
      for (const p of wakeProducers) p();
    }
  }

  /** The cursor (epoch ms) of the newest record at or above `bound`, by one request sorted descending. */
  private async probeNewest(
    ctx: PaginationContext,
    inc: IncrementalWindow,
    desc: string,
    bound: string | undefined,
    signal: AbortSignal,
  ): Promise<number | undefined> {
    const url = new URL(ctx.baseUrl);
    url.searchParams.set(this.o.limitParam, '1');
    url.searchParams.set(this.o.offsetParam, '0');
    if (bound !== undefined) url.searchParams.set(inc.filterParam, bound);
    url.searchParams.set(inc.sortParam!, desc);
    const res = await ctx.fetch(url, signal);
    const c = res.records[0]?.[inc.cursorField];
    const ms = typeof c === 'string' ? Date.parse(c) : Number.NaN;
    return Number.isNaN(ms) ? undefined : ms;
  }
}

function lo(v: string | undefined): { lo?: string } {
  return v === undefined ? {} : { lo: v };
}

/** Windows in cursor order: the one without a start first. */
function byStart(a: StoredWindow, b: StoredWindow): number {
  if (a.lo === undefined) return b.lo === undefined ? 0 : -1;
  if (b.lo === undefined) return 1;
  return compareCursors(a.lo, b.lo);
}
