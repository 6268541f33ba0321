/** What every paginator implements: turn a stream's base request into an ordered sequence of pages. */
import type { StreamMetrics } from '../../engine/source.js';
import { SourceError } from '../../errors.js';
import type { Logger } from '../../util/log.js';
import { displayUrl } from '../../util/display-url.js';
import { globalRedactor } from '../../util/redact.js';

export interface FetchedPage {
  /** Records as the API sent them (before transforms), taken from the selector path. */
  records: Record<string, unknown>[];
  body: unknown;
  bytes: number;
  url: URL;
  /** The error policy said this response ends the stream (e.g. 404 "Invalid page."). */
  endOfStream: boolean;
  /** The response's headers (lower-case names), for paginators that read them (RFC 8288 `Link`). */
  headers?: Record<string, string | string[] | undefined>;
}

/** Fetch one page. `signal` (when given) replaces the stream's own signal: it is derived from it. */
export type PageFetcher = (url: URL, signal?: AbortSignal) => Promise<FetchedPage>;

export interface IncrementalWindow {
  /** API field holding the cursor, e.g. `updatedAt`. */
  cursorField: string;
  /** Query parameter that filters on the cursor (`cursor >= value`). */
  filterParam: string;
  /** Query parameter that sorts by the cursor, ascending with `sortValue`. */
  sortParam?: string;
  sortValue: string;
  /**
   * Sort parameter for the id, sent after `sortParam` with the same value so ties on the cursor come in
   * one deterministic order on every request (e.g. `$sort[id]`).
   */
  tieBreakerParam?: string;
  /**
   * The record's id field in the API's shape, when the primary key is one field: used to drop records
   * re-read at a page boundary.
   */
  idField?: string;
  /**
   * Query parameter that filters on the cursor from above, exclusive (`cursor < value`, e.g.
   * `updatedAt[$lt]`): with it a keyset read can be split into windows read in parallel (WindowedKeyset).
   */
  upperFilterParam?: string;
  /** Lower bound for a new pass (ISO-8601), or undefined for all history. */
  startBound: string | undefined;
}

export interface PaginationContext {
  /** The stream URL with static params and auth-free query. */
  baseUrl: URL;
  fetch: PageFetcher;
  /** The source part of the committed state, when resuming. */
  state: Record<string, unknown> | undefined;
  incremental?: IncrementalWindow;
  /**
   * The record's id field in the API's shape (a single-field primary key), when known: a pass checks that no
   * record comes twice (see PassAudit).
   */
  idField?: string;
  signal?: AbortSignal;
  /** The stream's live request counters (429s, budget waits): parallel windows adapt to them. */
  metrics?: Readonly<Pick<StreamMetrics, 'http429' | 'budgetWaitMs'>>;
  /** Where a paginator logs its decisions (debug); the stream's logger. */
  logger?: Logger;
}

export interface RawPage {
  records: Record<string, unknown>[];
  bytes: number;
  /** Resume token after this page; `in_progress: false` on the last page of a pass. */
  checkpoint: Record<string, unknown>;
  /** Position of the first record within the stream pass, for error messages. */
  position: { page: number; firstIndex: number };
  /** Last page of a pass only: the API's own count of records in the pass (see `Page.expectedCount`). */
  expectedCount?: number;
  /**
   * Records the response held, when the paginator yields fewer (the keyset drops records re-read at its
   * bound); shown by `tributary read`.
   */
  received?: number;
  /** The URL that answered this page (shown by `tributary read`, masked). */
  url?: URL;
  /** What the paginator decided after this page (shown by `tributary read`; paging never reads it). */
  decision?: PageDecision;
}

/**
 * A paginator's decision after a page, for people reading a test read (src/declarative/test-read.ts): why
 * the pass ends here, or the request that comes next and why. Optional: a paginator that does not say is
 * described from its checkpoint.
 */
export type PageDecision = { stop: string } | { next: URL; reason: string };

/** The stop reason when the error policy ends the stream at a response (e.g. 404 past the last page). */
export const POLICY_STOP = 'the error policy ends the stream at this response';

/** The decision after a pass's last page: the error policy's end, or `reason` when the page itself ended it. */
export function stopDecision(endOfStream: boolean, reason: string): PageDecision {
  return { stop: endOfStream ? POLICY_STOP : reason };
}

export interface Paginator {
  /**
   * True when the paginator pages an incremental window by the cursor itself (offset paging becomes a keyset
   * on it) and proves the cursor's order as it goes, so its checkpoints carry the cursor reached so far.
   * Otherwise the incremental cursor wraps the paginator and advances only at the proven end of a pass
   * (see DatetimeCursor).
   */
  readonly pagesByCursor?: boolean;
  pages(ctx: PaginationContext): AsyncGenerator<RawPage>;
}

/**
 * One request issued ahead of the consumer: a paginator that knows its next URL as soon as a page is parsed
 * starts that request before it yields the page, so the server works on page N+1 (and the response travels)
 * while the consumer transforms and writes page N. Pages still come out strictly in order and each
 * checkpoint still covers exactly the pages before it: only the request is early, never the yield. When
 * the consumer stops early, `close()` aborts the request that nobody will read.
 */
export class ReadAhead {
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private pending: Promise<FetchedPage> | undefined;

  constructor(private readonly ctx: PaginationContext) {
    this.signal = ctx.signal ? AbortSignal.any([ctx.signal, this.controller.signal]) : this.controller.signal;
  }

  /** Start fetching `url` now; `take()` returns its response. */
  start(url: URL): void {
    const p = this.ctx.fetch(url, this.signal);
    // Rejections surface at take(); a page abandoned by close() must not become an unhandled rejection.
    p.catch(() => undefined);
    this.pending = p;
  }

  /** The response of the request `start` began. */
  take(): Promise<FetchedPage> {
    const p = this.pending;
    if (!p) throw new Error('ReadAhead.take() without start()');
    this.pending = undefined;
    return p;
  }

  /** Abort a request still waiting to be taken (the consumer stopped). */
  close(): void {
    if (this.pending) {
      this.pending = undefined;
      this.controller.abort(new Error('page no longer needed'));
    }
  }
}

export function getPath(body: unknown, path: string[]): unknown {
  let v = body;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/**
 * A pass that cannot be proven complete (TRB_SOURCE_CONTRACT), about `url`: shown readable and with secrets
 * masked by displayUrl, as HTTP errors show theirs.
 */
export function contractError(url: URL, what: string, details: Record<string, unknown>): SourceError {
  const where = displayUrl(url, globalRedactor);
  return new SourceError('TRB_SOURCE_CONTRACT', `${where}: ${what}`, { details: { url: where, ...details } });
}

/** A run of `emptyPages` empty pages that each said more was coming, ending at `page` (1-based) of the pass. */
export function emptyPagesError(url: URL, emptyPages: number, page: number): SourceError {
  return contractError(
    url,
    `${emptyPages} empty pages in a row, each with a "next" link saying more; stopping instead of following them forever, and the pass cannot be proven complete`,
    { emptyPages, page },
  );
}

/**
 * Resolve a `next` link from a response body against the URL that answered. A link that is not a URL is
 * a bad response (never an internal error), and its text is redacted before it is shown: servers echo
 * credentials into their links.
 */
export function resolveNextLink(next: string, current: URL): URL {
  try {
    return new URL(next, current);
  } catch {
    const where = displayUrl(current, globalRedactor);
    throw new SourceError(
      'TRB_SOURCE_BAD_RESPONSE',
      `${where} answered with a "next" link that is not a URL: ${JSON.stringify(globalRedactor.redact(next).slice(0, 200))}`,
      { details: { url: where } },
    );
  }
}

/**
 * Guards link-following paginators against a server whose `next` links go round in a circle (a link back
 * to a page already read, or to itself): without it a sync would read the same pages forever. Remembers
 * the last `capacity` URLs, so memory stays bounded however long the stream is.
 */
export class LinkLoopGuard {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(
    private readonly ignoreParam?: string,
    private readonly capacity = 1000,
  ) {}

  /** Record `url` as read; throws if it was read before in this pass. */
  visit(url: URL): void {
    const key = new URL(url);
    if (this.ignoreParam) key.searchParams.delete(this.ignoreParam);
    key.searchParams.sort();
    const k = key.toString();
    if (this.seen.has(k)) {
      const where = displayUrl(url, globalRedactor);
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `the API's "next" links go round in a circle: ${where} was already read in this pass; stopping instead of reading the same pages forever`,
        { details: { url: where } },
      );
    }
    this.seen.add(k);
    this.order.push(k);
    if (this.order.length > this.capacity) this.seen.delete(this.order.shift()!);
  }
}
