/**
 * An in-memory Feathers-style list endpoint: `$skip`/`$limit`, `updatedAt[$gte]` and `$sort[updatedAt]`
 * (and `updatedAt[$lt]`, `$sort[updatedAt]=-1` for parallel windows) over an array, answering `{ total, limit, skip, data }`. Ties on updatedAt keep a stable order (by id),
 * like a database with a clustered key. `beforeAnswer` lets a test mutate the data between requests.
 * It can bend its contract the way real APIs do: cap `$limit`, ignore `$sort` or the `updatedAt[$gte]`
 * filter, or order ties differently on every request (unless asked to sort by id too, and it honours that).
 */
import type { FetchedPage, IncrementalWindow } from '../../src/declarative/paginators/paginator.js';

export interface Item {
  id: string;
  updatedAt: string;
  [key: string]: unknown;
}

export const BASE = 'https://api.example.com/api/documents';

export const WINDOW: Omit<IncrementalWindow, 'startBound'> = {
  cursorField: 'updatedAt',
  filterParam: 'updatedAt[$gte]',
  sortParam: '$sort[updatedAt]',
  sortValue: '1',
};

export class FakeFeathers {
  readonly requests: URL[] = [];
  /** Records returned by each request, in request order. */
  readonly answered: Item[][] = [];
  beforeAnswer: ((requestIndex: number, url: URL) => void) | undefined;
  /** The largest page the server serves, whatever `$limit` asks. */
  cap: number | undefined;
  ignoreSort = false;
  ignoreFilter = false;
  /** Ignore the upper filter `updatedAt[$lt]` (parallel windows' bound). */
  ignoreUpper = false;
  /** Order records that share updatedAt at random on each request (unless `$sort[id]` is asked and honoured). */
  shuffleTies: (() => number) | undefined;
  /** Whether the server honours `$sort[id]` as a tie-breaker. */
  honoursIdSort = true;

  constructor(public items: Item[]) {}

  fetch = async (url: URL): Promise<FetchedPage> => {
    const u = new URL(url);
    this.requests.push(u);
    this.beforeAnswer?.(this.requests.length - 1, u);
    const skip = Number(u.searchParams.get('$skip') ?? 0);
    const asked = Number(u.searchParams.get('$limit') ?? 10);
    const limit = this.cap === undefined ? asked : Math.min(asked, this.cap);
    const gte = this.ignoreFilter ? null : u.searchParams.get('updatedAt[$gte]');
    const lt = this.ignoreFilter || this.ignoreUpper ? null : u.searchParams.get('updatedAt[$lt]');
    let rows = this.items.filter(
      (r) => (gte === null || r.updatedAt >= gte) && (lt === null || r.updatedAt < lt),
    );
    if (u.searchParams.get('$sort[updatedAt]') === '-1' && !this.ignoreSort) {
      rows = [...rows].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0));
    }
    if (u.searchParams.get('$sort[updatedAt]') === '1' && !this.ignoreSort) {
      const byId = this.honoursIdSort && u.searchParams.get('$sort[id]') === '1';
      const rand = this.shuffleTies;
      const tie = new Map<string, number>();
      if (rand && !byId) for (const r of rows) tie.set(r.id, rand());
      rows = [...rows].sort((a, b) =>
        a.updatedAt < b.updatedAt
          ? -1
          : a.updatedAt > b.updatedAt
            ? 1
            : rand && !byId
              ? tie.get(a.id)! - tie.get(b.id)!
              : a.id < b.id
                ? -1
                : a.id > b.id
                  ? 1
                  : 0,
      );
    }
    const data = rows.slice(skip, skip + limit).map((r) => ({ ...r }));
    this.answered.push(data);
    const body = { total: rows.length, limit, skip, data };
    await new Promise((r) => setImmediate(r));
    return { records: data, body, bytes: JSON.stringify(body).length, url: u, endOfStream: false };
  };

  update(id: string, updatedAt: string): void {
    const item = this.items.find((r) => r.id === id);
    if (!item) throw new Error(`no item ${id}`);
    item.updatedAt = updatedAt;
    item.version = Number(item.version ?? 0) + 1;
  }
}

/** ISO timestamp `minute` minutes after a fixed origin. */
export function ts(minute: number): string {
  return new Date(Date.UTC(2024, 0, 1, 0, 0, 0) + minute * 60_000).toISOString();
}

export function items(cursorMinutes: number[]): Item[] {
  return cursorMinutes.map((m, i) => ({ id: `r${String(i).padStart(3, '0')}`, updatedAt: ts(m) }));
}
