/** No paging (`paginator: none`): the stream is one request, and its one page is the whole pass. */
import type { PaginationContext, Paginator, RawPage } from './paginator.js';

export class SinglePagePaginator implements Paginator {
  async *pages(ctx: PaginationContext): AsyncGenerator<RawPage> {
    const res = await ctx.fetch(new URL(ctx.baseUrl));
    yield {
      records: res.records,
      bytes: res.bytes,
      checkpoint: { in_progress: false },
      position: { page: 0, firstIndex: 0 },
      url: res.url,
      decision: { stop: 'paginator "none": the stream is one request' },
    };
  }
}
