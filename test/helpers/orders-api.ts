/**
 * A tiny JSON API of a user's own, as README's "Bring your own API" tutorial imagines it: `GET
 * /api/orders?page=N&per_page=M` behind a Bearer token, `{"data": [...]}` bodies, records with `updated_at`,
 * and an `updated_since` filter (records updated at or after it). It records every request it served.
 */
import { createServer, type Server } from 'node:http';

export interface Order {
  id: number;
  customer: string;
  total: number;
  updated_at: string;
}

export interface ServedRequest {
  url: URL;
  status: number;
  /** The records the response held. */
  records: number;
}

export class OrdersApi {
  readonly orders: Order[] = [];
  readonly requests: ServedRequest[] = [];
  private server?: Server;
  baseUrl = '';

  constructor(
    readonly token: string,
    count: number,
  ) {
    this.add(count);
  }

  /** Add `n` orders, each updated a minute after the one before. */
  add(n: number): void {
    for (let i = 0; i < n; i++) {
      const id = this.orders.length + 1;
      this.orders.push({
        id,
        customer: `customer ${id % 7}`,
        total: id * 10 + 0.5,
        updated_at: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
      });
    }
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const reply = (status: number, body: unknown, records = 0) => {
        this.requests.push({ url, status, records });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return reply(401, { error: 'unauthorized' });
      if (url.pathname !== '/api/orders') return reply(404, { error: 'not found' });
      const page = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('per_page') ?? 20);
      const since = url.searchParams.get('updated_since');
      const rows = this.orders.filter((o) => since === null || o.updated_at >= since);
      const data = rows.slice((page - 1) * size, page * size);
      return reply(200, { data }, data.length);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.baseUrl = `http://127.0.0.1:${address.port}/api`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
