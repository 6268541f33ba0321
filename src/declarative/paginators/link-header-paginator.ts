/**
 * RFC 8288 `Link` header paging (GitHub, GitLab, Shopify style): follow the link whose `rel` is `next`
 * until a response has none. It is next-link paging with the link taken from the header instead of the
 * body, so it proves its passes the same way (NextLinkPaginator): a relative link is resolved against the
 * URL that answered, the HttpClient refuses a link to another origin (credentials stay at the configured
 * one), a link back to a page already read fails the pass, runs of empty pages are bounded, no record may
 * come twice, and the resume token is the next URL without the credential.
 */
import { findLink } from './link-header.js';
import { NextLinkPaginator } from './next-link-paginator.js';
import type { PaginationContext, Paginator, RawPage } from './paginator.js';

export interface LinkHeaderOptions {
  /** The relation to follow (default `next`). */
  rel?: string;
  pageSizeParam?: string;
  pageSize?: number;
  /** Query parameter that carries credentials, removed before a URL is stored in state. */
  secretParam?: string;
  maxEmptyPages?: number;
}

export class LinkHeaderPaginator implements Paginator {
  private readonly inner: NextLinkPaginator;

  constructor(o: LinkHeaderOptions) {
    const rel = o.rel ?? 'next';
    this.inner = new NextLinkPaginator({
      nextPath: [],
      nextLink: (res) => findLink(res.headers?.link, rel),
      ...(o.pageSizeParam === undefined ? {} : { pageSizeParam: o.pageSizeParam }),
      ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
      ...(o.secretParam === undefined ? {} : { secretParam: o.secretParam }),
      ...(o.maxEmptyPages === undefined ? {} : { maxEmptyPages: o.maxEmptyPages }),
    });
  }

  pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    return this.inner.pages(ctx);
  }
}
