/**
 * Contract deviations: ways a real API bends the promises its documentation makes (page size, count, sort
 * order, filters, a list that holds still while it is paged, numbers a double can hold, field names that
 * stay distinct). The simulators are well behaved by default; a run opts into deviations by name, and a
 * test can switch the behaviour modes on and off at runtime, like faults.
 *
 * Two kinds of mode:
 * - behaviour modes change how list requests are answered and can be switched at any time;
 * - data modes change the records themselves and are fixed when the simulator starts (a dataset does not
 *   change its ids or its field names halfway through a test).
 *
 * Everything is deterministic: what a request gets depends on the seed and on how many list requests of
 * that stream came before it since the modes were last set, never on the clock.
 */
import { hashInts, hashString, Rng } from './prng.js';

/** How list requests deviate (switchable at runtime). */
export type ContractBehaviour =
  /** The server caps the page size below what was asked (Django REST page_size → 25, Feathers $limit → 100). */
  | 'cap-page-size'
  /** `count` / `total` says half of what there is; `next` stays right. */
  | 'count-low'
  /** `count` / `total` says half as much again as there is; `next` stays right. */
  | 'count-high'
  /** Now and then a page in the middle of the list comes back with no records but with its `next` link. */
  | 'empty-page'
  /** Ties in the sort order are reordered on every request (Feathers: only the first `$sort` key is honoured). */
  | 'unstable-sort'
  /** `$sort` is ignored: records come in the default (creation) order. Feathers dialect only. */
  | 'ignore-sort'
  /** Range filters on `updatedAt` (`updatedAt[$gte]`, ...) are ignored. Feathers dialect only. */
  | 'ignore-filter'
  /** Before every list request but a stream's first, a new record appears at the front of the list. */
  | 'drift-insert'
  /** Before every list request but a stream's first, the record at the front of the list is deleted. */
  | 'drift-delete'
  /** Both at once: the count stays the same while the list shifts under the reader. */
  | 'drift-balanced';

/** How the data deviates (fixed at start). */
export type ContractData =
  /** Integers beyond 2^53: Django REST ids start at 2^53 + 1, every record gets a `legacyNumber` past 2^53. */
  | 'big-ids'
  /** A `magnitude` field with numbers beyond the double range (`1e400`, `-3e999`) among ordinary ones. */
  | 'huge-numbers'
  /** Fields that flatten to one column name: `fooBar` and `foo_bar`, `a: {b}` and `a_b`. */
  | 'colliding-names'
  /** Feathers: `updatedAt` stamps come in groups of five equal ones, generated and changed records alike (ties to sort). */
  | 'tied-timestamps';

export type ContractMode = ContractBehaviour | ContractData;

export const CONTRACT_BEHAVIOURS: readonly ContractBehaviour[] = [
  'cap-page-size',
  'count-low',
  'count-high',
  'empty-page',
  'unstable-sort',
  'ignore-sort',
  'ignore-filter',
  'drift-insert',
  'drift-delete',
  'drift-balanced',
];

export const CONTRACT_DATA: readonly ContractData[] = [
  'big-ids',
  'huge-numbers',
  'colliding-names',
  'tied-timestamps',
];

export const ALL_CONTRACT_MODES: readonly ContractMode[] = [...CONTRACT_BEHAVIOURS, ...CONTRACT_DATA];

export interface ContractOptions {
  modes?: ContractMode[];
  /** Seed of the reorderings; defaults to the simulator's seed. */
  seed?: number;
}

export { BIG_ID_BASE, parseExact, withExtraFields } from './contract-data.js';

/** Group size of 'tied-timestamps'. */
export const TIE_GROUP = 5;
/** Every how many list requests (after the first) 'empty-page' answers an empty page: the 2nd, 7th, 12th… */
const EMPTY_EVERY = 5;

/** Parse a mode list as given on the command line or in options; throws on an unknown name. */
export function parseContractModes(modes: string | readonly string[] | undefined): ContractMode[] {
  if (modes === undefined) return [];
  const names = (typeof modes === 'string' ? modes.split(',') : [...modes])
    .map((m) => m.trim())
    .filter((m) => m !== '');
  for (const m of names) {
    if (!(ALL_CONTRACT_MODES as readonly string[]).includes(m)) {
      throw new Error(`unknown contract mode '${m}' (known: ${ALL_CONTRACT_MODES.join(', ')})`);
    }
  }
  return [...new Set(names)] as ContractMode[];
}

export function normaliseContract(c: ContractOptions | readonly ContractMode[] | undefined): ContractOptions {
  if (c === undefined) return {};
  if (Array.isArray(c)) return { modes: parseContractModes(c) };
  const o = c as ContractOptions;
  return { ...o, modes: parseContractModes(o.modes) };
}

/** The modes in force and the per-stream request counters they are decided by. */
export class ContractPlan {
  private behaviours = new Set<ContractBehaviour>();
  readonly data: ReadonlySet<ContractData>;
  private seed: number;
  private readonly counters = new Map<string, number>();

  constructor(
    options: ContractOptions | readonly ContractMode[] | undefined,
    private readonly defaultSeed: number,
  ) {
    const o = normaliseContract(options);
    this.data = new Set((o.modes ?? []).filter((m): m is ContractData => isData(m)));
    this.seed = o.seed ?? defaultSeed;
    this.setBehaviours(o);
  }

  /**
   * Replace the behaviour modes and restart the request counters. Data modes cannot change at runtime:
   * those given at start stay whether named again or not, and naming one that was not is an error.
   */
  set(options: ContractOptions | readonly ContractMode[] | undefined): void {
    const o = normaliseContract(options);
    const added = (o.modes ?? []).filter((m) => isData(m) && !this.data.has(m));
    if (added.length > 0) {
      throw new Error(
        `contract data modes are fixed when the simulator starts (started with [${[...this.data].join(', ')}], asked for [${added.join(', ')}])`,
      );
    }
    this.seed = o.seed ?? this.defaultSeed;
    this.setBehaviours(o);
  }

  private setBehaviours(o: ContractOptions): void {
    this.behaviours = new Set((o.modes ?? []).filter((m): m is ContractBehaviour => !isData(m)));
    this.counters.clear();
  }

  has(mode: ContractMode): boolean {
    return isData(mode) ? this.data.has(mode) : this.behaviours.has(mode);
  }

  /** Whether any behaviour mode is on (the well-behaved code paths are taken otherwise). */
  get active(): boolean {
    return this.behaviours.size > 0;
  }

  modes(): ContractMode[] {
    return [...this.behaviours, ...this.data];
  }

  /** Count a list request of `stream` that is about to be answered; returns its number (1-based) since `set`. */
  nextRequest(stream: string): number {
    const n = (this.counters.get(stream) ?? 0) + 1;
    this.counters.set(stream, n);
    return n;
  }

  /** Whether request `n` of a stream answers an empty page under 'empty-page'. */
  emptyPage(n: number): boolean {
    return this.behaviours.has('empty-page') && n >= 2 && (n - 2) % EMPTY_EVERY === 0;
  }

  /** Whether a record is inserted at / deleted from the front before request `n`. */
  drift(n: number): { insert: boolean; delete: boolean } {
    if (n < 2) return { insert: false, delete: false };
    const balanced = this.behaviours.has('drift-balanced');
    return {
      insert: balanced || this.behaviours.has('drift-insert'),
      delete: balanced || this.behaviours.has('drift-delete'),
    };
  }

  /** The count a list reports for `count` records. */
  reportedCount(count: number): number {
    if (this.behaviours.has('count-low')) return Math.floor(count / 2);
    if (this.behaviours.has('count-high')) return count + Math.ceil(count / 2);
    return count;
  }

  /** A generator for reorderings of request `n` of `stream`. */
  rng(stream: string, n: number): Rng {
    return new Rng(hashInts(this.seed, hashString(stream), n));
  }
}

function isData(m: string): m is ContractData {
  return (CONTRACT_DATA as readonly string[]).includes(m);
}

/** Fisher-Yates shuffle of a[from..to) in place. */
export function shuffleRange<T>(a: T[], from: number, to: number, rng: Rng): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + rng.int(i - from + 1);
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
}
