/**
 * Next-link paging: follow the URL the body gives until there is none. The resume token is the next URL
 * with the credentials removed (state never holds a secret); the HttpClient re-applies auth and refuses a
 * link to another origin.
 *
 * The link is the server's word on whether there is more: an empty page that still links on is followed (a
 * run of `maxEmptyPages` of them fails the pass), a link back to a page already read fails (LinkLoopGuard),
 * and no record may come twice in a pass (PassAudit, checked before the last page is yielded).
 */
import { PassAudit } from './pass-audit.js';
import type { FetchedPage, PaginationContext, Paginator, RawPage } from './paginator.js';
import {
  emptyPagesError,
  getPath,
  LinkLoopGuard,
  ReadAhead,
  resolveNextLink,
  stopDecision,
} from './paginator.js';

export interface NextLinkOptions {
  /** Where the body gives the next URL. */
  nextPath: string[];
  /**
   * Where else the next URL comes from (e.g. the `Link` header, see LinkHeaderPaginator); replaces `nextPath`
   * when given.
   */
  nextLink?: (res: FetchedPage) => unknown;
  /** Where the link comes from, as `tributary read` names it (default: the body at `nextPath`). */
  linkName?: string;
  pageSizeParam?: string;
  pageSize?: number;
  /** Query parameter that carries credentials, removed before a URL is stored in state. */
  secretParam?: string;
  /** Empty pages in a row that still link on before the pass fails (default 20). */
  maxEmptyPages?: number;
}

export class NextLinkPaginator implements Paginator {
  constructor(private readonly o: NextLinkOptions) {}

  private get linkName(): string {
    return this.o.linkName ?? `the body's ${this.o.nextPath.join('.')}`;
  }

  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    let url: URL;
    if (ctx.state?.in_progress === true && typeof ctx.state.next === 'string') {
      url = new URL(ctx.state.next);
    } else {
      url = new URL(ctx.baseUrl);
      if (this.o.pageSizeParam && this.o.pageSize)
        url.searchParams.set(this.o.pageSizeParam, String(this.o.pageSize));
    }
    let page = 0;
    let index = 0;
    const loops = new LinkLoopGuard(this.o.secretParam);
    const audit = new PassAudit(ctx.baseUrl, ctx.idField);
    const maxEmpty = this.o.maxEmptyPages ?? 20;
    let emptyRun = 0;
    const ahead = new ReadAhead(ctx);
    try {
      loops.visit(url);
      ahead.start(url);
      for (;;) {
        const res = await ahead.take();
        const next = res.endOfStream
          ? undefined
          : this.o.nextLink
            ? this.o.nextLink(res)
            : getPath(res.body, this.o.nextPath);
        // Only the link ends the pass: an empty page that still links on is not the end.
        const last = typeof next !== 'string' || next === '';
        if (!last && res.records.length === 0) {
          if (++emptyRun >= maxEmpty) {
            throw emptyPagesError(res.url, emptyRun, page + 1);
          }
        } else emptyRun = 0;
        audit.add(res.records);
        if (last) audit.prove(page + 1);
        let stored: string | undefined;
        let loop: unknown;
        if (!last) {
          const nextUrl = resolveNextLink(next as string, res.url);
          const clean = new URL(nextUrl);
          if (this.o.secretParam) clean.searchParams.delete(this.o.secretParam);
          stored = clean.toString();
          url = nextUrl;
          // Request the next page before handing this one over (see ReadAhead). A link back to a page
          // already read fails after this page, as it did when each request waited for the consumer.
          try {
            loops.visit(url);
            ahead.start(url);
          } catch (err) {
            loop = err;
          }
        }
        yield {
          records: res.records,
          bytes: res.bytes,
          checkpoint: last ? { in_progress: false } : { next: stored, in_progress: true },
          position: { page: page++, firstIndex: index },
          url: res.url,
          decision: last
            ? stopDecision(res.endOfStream, `no next link in ${this.linkName}`)
            : { next: url, reason: `the next link in ${this.linkName}` },
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
