/**
 * Cursor (token) paging: each response body carries an opaque token for the next page (`next_cursor`,
 * `nextPageToken`, `meta.after`), sent back as a query parameter on the next request, until a response has
 * none (absent, null, empty string or false). The token is the server's word on whether there is more, so
 * the pass is proven like next-link paging:
 *
 * - an empty page that still carries a token is followed (a run of `maxEmptyPages` of them fails the pass);
 * - the same token twice in a pass is a loop (the server would hand out the same pages forever): the page
 *   is yielded, then the pass fails with TRB_SOURCE_BAD_RESPONSE instead of reading on;
 * - no record may come twice (PassAudit, checked before the last page is yielded).
 *
 * The token travels in the query only: requests are GETs, which have no body to carry it. The checkpoint is
 * the token itself (`{ token, in_progress: true }`), so an interrupted pass resumes at the page after the
 * last one committed. Tokens are the server's page positions, never credentials.
 */
import { SourceError } from '../../errors.js';
import { displayUrl } from '../../util/display-url.js';
import { globalRedactor } from '../../util/redact.js';
import { PassAudit } from './pass-audit.js';
import type { PaginationContext, Paginator, RawPage } from './paginator.js';
import { emptyPagesError, getPath, ReadAhead, stopDecision } from './paginator.js';

export interface CursorTokenOptions {
  /** Where the body gives the next page's token. */
  cursorPath: string[];
  /** The query parameter the token is sent in. */
  cursorParam: string;
  pageSizeParam?: string;
  pageSize?: number;
  /** Empty pages in a row that still carry a token before the pass fails (default 20). */
  maxEmptyPages?: number;
  /** Tokens remembered for loop detection (default 1000: memory stays bounded on a long pass). */
  loopMemory?: number;
}

/** A usable next token, or undefined when the body says there is no more. */
export function tokenOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export class CursorTokenPaginator implements Paginator {
  constructor(private readonly o: CursorTokenOptions) {}

  private urlFor(base: URL, token: string | undefined): URL {
    const url = new URL(base);
    if (this.o.pageSizeParam && this.o.pageSize !== undefined)
      url.searchParams.set(this.o.pageSizeParam, String(this.o.pageSize));
    if (token !== undefined) url.searchParams.set(this.o.cursorParam, token);
    return url;
  }

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const resumed =
      ctx.state?.in_progress === true && typeof ctx.state.token === 'string' && ctx.state.token !== ''
        ? ctx.state.token
        : undefined;
    const seen = new Set<string>();
    const order: string[] = [];
    const capacity = this.o.loopMemory ?? 1000;
    const remember = (t: string) => {
      seen.add(t);
      order.push(t);
      if (order.length > capacity) seen.delete(order.shift()!);
    };
    if (resumed !== undefined) remember(resumed);
    const audit = new PassAudit(ctx.baseUrl, ctx.idField);
    const maxEmpty = this.o.maxEmptyPages ?? 20;
    let emptyRun = 0;
    let page = 0;
    let index = 0;
    const ahead = new ReadAhead(ctx);
    try {
      ahead.start(this.urlFor(ctx.baseUrl, resumed));
      for (;;) {
        const res = await ahead.take();
        const token = res.endOfStream ? undefined : tokenOf(getPath(res.body, this.o.cursorPath));
        const last = token === undefined;
        if (!last && res.records.length === 0) {
          if (++emptyRun >= maxEmpty) throw emptyPagesError(res.url, emptyRun, page + 1);
        } else emptyRun = 0;
        audit.add(res.records);
        if (last) audit.prove(page + 1);
        let loop: SourceError | undefined;
        if (!last) {
          if (seen.has(token)) {
            const where = displayUrl(res.url, globalRedactor);
            loop = new SourceError(
              'TRB_SOURCE_BAD_RESPONSE',
              `${where} answered with the cursor ${JSON.stringify(token.slice(0, 80))}, which this pass already followed: the API's cursors go round in a circle; stopping instead of reading the same pages forever`,
              { details: { url: where, page: page + 1 } },
            );
          } else {
            remember(token);
            // Request the next page before handing this one over (see ReadAhead).
            ahead.start(this.urlFor(ctx.baseUrl, token));
          }
        }
        yield {
          records: res.records,
          bytes: res.bytes,
          checkpoint: last ? { in_progress: false } : { token, in_progress: true },
          position: { page: page++, firstIndex: index },
          url: res.url,
          decision: last
            ? stopDecision(res.endOfStream, `no cursor in the body's ${this.o.cursorPath.join('.')}`)
            : loop === undefined
              ? {
                  next: this.urlFor(ctx.baseUrl, token),
                  reason: `the cursor in the body's ${this.o.cursorPath.join('.')}`,
                }
              : { stop: 'the cursor repeats one this pass already followed (the pass fails on it)' },
        };
        index += res.records.length;
        if (last) return;
        if (loop !== undefined) throw loop;
      }
    } finally {
      ahead.close();
    }
  }
}
