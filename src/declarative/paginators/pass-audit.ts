/**
 * What a paginator proves about one pass against the API's own claims: the count it gives (`count`,
 * `total`) stays the same on every page (a different one means the list moved while we paged, so offsets
 * shifted under us), no record comes twice, and at the end the records read match that count. A pass that
 * fails any of these throws TRB_SOURCE_CONTRACT before its last page is yielded, so the engine never takes
 * an unproven pass for a complete one (no sweep, no swap, no "complete" state).
 *
 * Memory: when the id field is known, one string per record of the pass is kept to catch duplicates
 * (roughly 50–100 bytes a record: 100,000 records ≈ 10 MB). The set does not survive a resume; the read
 * count and the API's count do (see `state()`), so a resumed pass is still reconciled by count.
 */
import type { SourceError } from '../../errors.js';
import { contractError, type FetchedPage, getPath } from './paginator.js';

export interface AuditState {
  /** Records read so far in the pass (duplicates included). */
  read: number;
  /** The API's count for the pass, as its first page gave it. */
  count?: number;
}

/** A count the API gave, or undefined when it gave none usable (absent, not a non-negative integer). */
export function countValue(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The count a page's body gives at `path` (`count`, `total`), when the paginator has one and the page has a body. */
export function pageCount(res: FetchedPage, path: string[] | undefined): number | undefined {
  return path && !res.endOfStream ? countValue(getPath(res.body, path)) : undefined;
}

export class PassAudit {
  private readCount: number;
  private apiCount: number | undefined;
  private readonly ids: Set<string> | undefined;
  private duplicates = 0;
  private firstDuplicate: string | undefined;

  constructor(
    /** The stream URL, for messages (shown with displayUrl). */
    private readonly where: URL,
    private readonly idField: string | undefined,
    resumed?: AuditState,
  ) {
    this.readCount = resumed?.read ?? 0;
    this.apiCount = resumed?.count;
    this.ids = idField === undefined ? undefined : new Set();
  }

  get read(): number {
    return this.readCount;
  }

  /** The API's count for the pass, once a page gave one. */
  get count(): number | undefined {
    return this.apiCount;
  }

  /** Where the pass stands, for a checkpoint. */
  state(): AuditState {
    return this.apiCount === undefined
      ? { read: this.readCount }
      : { read: this.readCount, count: this.apiCount };
  }

  /**
   * The count one page gave (`page` is 1-based, for messages). The first fixes the pass's count; any other
   * value later means records were inserted or deleted while the pass paged.
   */
  observeCount(value: number | undefined, page: number): void {
    if (value === undefined) return;
    if (this.apiCount === undefined) {
      this.apiCount = value;
      return;
    }
    if (value !== this.apiCount) {
      throw this.error(
        `the list changed while it was being paged: the API's count was ${this.apiCount} when the pass started and ${value} on page ${page}, so records may have shifted between pages; the pass cannot be proven complete and nothing is swept (the next sync starts a new pass)`,
        { expected: this.apiCount, seen: value, page },
      );
    }
  }

  /** The records of one page, in order. */
  add(records: Record<string, unknown>[]): void {
    this.readCount += records.length;
    if (!this.ids) return;
    const field = this.idField!;
    for (const r of records) {
      const v = r?.[field];
      if (v === undefined || v === null) continue;
      const id = typeof v === 'string' ? v : String(v);
      if (this.ids.has(id)) {
        this.duplicates++;
        this.firstDuplicate ??= id;
      } else this.ids.add(id);
    }
  }

  /**
   * Reconcile the pass at its end, before its last page is yielded (`page` is that page, 1-based). Returns
   * the API's count to carry as `expectedCount`, or undefined when the API gave none.
   */
  prove(page: number): number | undefined {
    if (this.duplicates > 0) {
      throw this.error(
        `the API returned ${this.duplicates} record(s) twice in one pass (first: ${this.idField} ${JSON.stringify(this.firstDuplicate)}), so its pages overlapped and others may have been skipped; the pass cannot be proven complete`,
        { duplicates: this.duplicates, firstDuplicate: this.firstDuplicate, page },
      );
    }
    const count = this.apiCount;
    if (count !== undefined && this.readCount !== count) {
      const what =
        this.readCount < count
          ? `the pass ended on page ${page} after ${this.readCount} records but the API's count promised ${count}`
          : `the pass read ${this.readCount} records but the API's count said ${count}`;
      throw this.error(`${what}; the pass cannot be proven complete and nothing is swept`, {
        expected: count,
        seen: this.readCount,
        page,
      });
    }
    return count;
  }

  private error(what: string, details: Record<string, unknown>): SourceError {
    return contractError(this.where, what, details);
  }
}
