/** What every paginator implements: turn a stream's base request into an ordered sequence of pages. */

export interface FetchedPage {
  /** Records as the API sent them (before transforms), taken from the selector path. */
  records: Record<string, unknown>[];
  body: unknown;
  bytes: number;
  url: URL;
  /** The error policy said this response ends the stream (e.g. 404 "Invalid page."). */
  endOfStream: boolean;
}

export type PageFetcher = (url: URL) => Promise<FetchedPage>;

export interface IncrementalWindow {
  /** API field holding the cursor, e.g. `updatedAt`. */
  cursorField: string;
  filterParam: string;
  sortParam?: string;
  sortValue: string;
  /** The record's id field in the API's shape, used to drop records re-read at a page boundary. */
  idField?: string;
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
  signal?: AbortSignal;
}

export interface RawPage {
  records: Record<string, unknown>[];
  bytes: number;
  /** Resume token after this page; `in_progress: false` on the last page of a pass. */
  checkpoint: Record<string, unknown>;
  /** Position of the first record within the stream pass, for error messages. */
  position: { page: number; firstIndex: number };
}

export interface Paginator {
  pages(ctx: PaginationContext): AsyncGenerator<RawPage>;
}

export function getPath(body: unknown, path: string[]): unknown {
  let v = body;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}
