/**
 * The proof of a full-refresh pass, before its sweep or swap may remove anything (docs/architecture.md law 7):
 * the rows the pass stamped must number what the API counted, and every row the end of the pass would remove
 * is looked up at the API's detail endpoint first (gone: it may go; still there: the list moved under the
 * pass, so the fresh record is written into the pass). See docs/reliability.md.
 */
import type { Row, WriteMode } from '../destinations/destination.js';
import { SourceError } from '../errors.js';
import type { Logger } from '../util/log.js';
import type { SourceRecord } from './source.js';

/** What the proof needs to know; the sources that can give it differ (an Airbyte load has neither). */
export interface PassProof {
  /** The API's count of the whole pass (`Page.expectedCount` of its last page), when it gave one. */
  expectedCount?: number;
  /**
   * The record a primary key names, fetched from the detail endpoint; null when the API says it is gone.
   * Absent when the stream has no detail endpoint: then deletions are not confirmed.
   */
  lookup?: (key: Row) => Promise<SourceRecord | null>;
  /** A looked-up record as a row (the stream's ColumnTracker), in candidate order so columns grow as always. */
  toRow: (record: SourceRecord) => Row;
  /** At most this many lookups per pass; above it an upsert pass fails, a replace swaps on the count alone. */
  maxChecks: number;
}

/** The pass under proof, as the stream writer sees it (every call goes through its write lock). */
export interface PassUnderProof {
  readonly stream: string;
  readonly mode: WriteMode;
  readonly passId: string;
  readonly primaryKey: string[];
  countPassRows(): Promise<number>;
  deletionCandidates(limit: number): Promise<Row[]>;
  /** Write records that still exist into the pass, with the state of a read pass whose count is proven. */
  writeRepairs(rows: Row[]): Promise<void>;
}

/** Detail lookups in flight at once per stream while confirming deletions (the rate budget still paces them). */
const DETAIL_CONCURRENCY = 4;

/** Throws TRB_SOURCE_CONTRACT when the pass cannot be proven; nothing was removed then. */
export async function provePass(pass: PassUnderProof, proof: PassProof, logger: Logger): Promise<void> {
  if (proof.expectedCount !== undefined) await proveCount(pass, proof.expectedCount);
  const unchecked = await confirmDeletions(pass, proof, logger);
  if (unchecked !== undefined)
    logger.warn(
      { candidates: unchecked },
      `${unchecked} live rows are missing from the replaced table, more than the per-record check covers: swapping on the count's proof alone`,
    );
}

async function proveCount(pass: PassUnderProof, expected: number): Promise<void> {
  const found = await pass.countPassRows();
  if (found !== expected) {
    throw new SourceError(
      'TRB_SOURCE_CONTRACT',
      `stream "${pass.stream}": the API counts ${expected} records in the list but this pass read ${found} distinct ones; ` +
        'the list changed while it was paged, or the API does not page the way it says. Nothing was ' +
        `${pass.mode === 'replace' ? 'swapped in' : 'marked deleted'}; the next sync starts a fresh pass.`,
      { details: { stream: pass.stream, expected, found } },
    );
  }
}

/**
 * Tell drift from true deletes. Returns the candidate bound when a replace goes ahead on the count alone
 * because there were more candidates than it checks.
 */
async function confirmDeletions(
  pass: PassUnderProof,
  proof: PassProof,
  logger: Logger,
): Promise<string | undefined> {
  const { lookup, maxChecks: limit } = proof;
  if (!lookup) return undefined;
  const candidates = await pass.deletionCandidates(limit + 1);
  if (candidates.length === 0) return undefined;
  if (candidates.length > limit) {
    if (pass.mode === 'replace') return `more than ${limit}`;
    throw new SourceError(
      'TRB_SOURCE_CONTRACT',
      `stream "${pass.stream}": more than ${limit} rows were not seen by this pass; confirming each deletion ` +
        `costs one request, and the sync checks at most ${limit} (SyncOptions.maxDeleteChecks). Nothing was marked deleted. ` +
        'If that many records really were deleted, rebuild the table with `--full-refresh --replace` (proven by the count alone).',
      { details: { stream: pass.stream, candidates: `>${limit}`, limit } },
    );
  }
  const repaired: Row[] = [];
  // A few lookups at a time; each still waits for the credential's rate budget like any request.
  for (let i = 0; i < candidates.length; i += DETAIL_CONCURRENCY) {
    const chunk = candidates.slice(i, i + DETAIL_CONCURRENCY);
    const found = await Promise.all(chunk.map(lookup));
    for (const rec of found) if (rec !== null) repaired.push(proof.toRow(rec));
  }
  if (repaired.length > 0) {
    await pass.writeRepairs(repaired);
    logger.warn(
      { repaired: repaired.length, candidates: candidates.length },
      `list changed while paging; repaired ${repaired.length} records`,
    );
  }
  return undefined;
}
