/**
 * The transport: compressed responses decoded (gzip, br, deflate in both wrappings), bytes counted on the
 * wire and decoded, the response size cap, and exact numbers in bodies. Against a real loopback server.
 */
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError, type TributaryError } from '../../src/errors.js';
import { emptyMetrics, HttpClient, type HttpClientOptions } from '../../src/http/http-client.js';
import { ExactNumber } from '../../src/util/exact-number.js';
import { Redactor } from '../../src/util/redact.js';
import { startServer, type TestServer } from '../helpers/test-server.js';

const SECRET = 'k3y-SECRET-value-42';
const redactor = new Redactor();
redactor.add(SECRET);

const servers: TestServer[] = [];
const clients: HttpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

function client(s: TestServer, o: Partial<HttpClientOptions> = {}): HttpClient {
  const c = new HttpClient({
    timeoutMs: 2000,
    maxRetries: 1,
    backoff: { baseMs: 5, maxMs: 10 },
    allowedOrigins: [s.origin],
    redactor,
    ...o,
  });
  clients.push(c);
  return c;
}

const page = {
  results: Array.from({ length: 200 }, (_, i) => ({
    id: i,
    name: `record number ${i}`,
    active: i % 2 === 0,
  })),
};
const pageText = JSON.stringify(page);
const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: (b) => gzipSync(b),
  br: (b) => brotliCompressSync(b),
  deflate: (b) => deflateSync(b),
};

describe('compressed responses', () => {
  it('asks for gzip and br', async () => {
    const s = await server((_req, res) => res.end('{}'));
    await client(s).getJson(s.url('/'), emptyMetrics());
    expect(s.requests[0]!.headers['accept-encoding']).toBe('gzip, br');
  });

  it.each(Object.keys(ENCODERS))('decodes %s and counts wire and decoded bytes', async (encoding) => {
    const wire = ENCODERS[encoding]!(Buffer.from(pageText));
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(wire);
    });
    const metrics = emptyMetrics();
    const res = await client(s).getJson(s.url('/p'), metrics);
    expect(res.body).toEqual(page);
    expect(res.bytes).toBe(Buffer.byteLength(pageText));
    expect(res.wireBytes).toBe(wire.length);
    expect(metrics.bytes).toBe(Buffer.byteLength(pageText));
    expect(metrics.wireBytes).toBe(wire.length);
    // Repetitive JSON compresses well: the point of asking for it.
    expect(metrics.wireBytes!).toBeLessThan(metrics.bytes / 4);
  });

  it('decodes raw deflate (no zlib wrapper), which some servers send as "deflate"', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.end(deflateRawSync(Buffer.from(pageText)));
    });
    expect((await client(s).getJson(s.url('/'), emptyMetrics())).body).toEqual(page);
  });

  it('an uncompressed response counts the same bytes on the wire and decoded', async () => {
    const s = await server((_req, res) => res.end(pageText));
    const metrics = emptyMetrics();
    await client(s).getJson(s.url('/'), metrics);
    expect(metrics.wireBytes).toBe(Buffer.byteLength(pageText));
    expect(metrics.bytes).toBe(Buffer.byteLength(pageText));
  });

  it('a corrupt gzip body is TRB_SOURCE_BAD_RESPONSE naming the encoding, retried', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(Buffer.from('this is not gzip at all'));
    });
    const err = await client(s)
      .getJson(s.url(`/x?api_key=${SECRET}`), emptyMetrics())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect((err as SourceError).message).toMatch(/gzip body does not decode/);
    expect((err as SourceError).message).not.toContain(SECRET);
    expect(s.requests).toHaveLength(2);
  });

  it.each([
    ['br', Buffer.from('not brotli at all, definitely not')],
    ['gzip', gzipSync(Buffer.from(pageText)).subarray(0, 100)],
  ])('a corrupt or truncated %s body is TRB_SOURCE_BAD_RESPONSE too', async (encoding, wire) => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': encoding });
      res.end(wire);
    });
    const err = (await client(s)
      .getJson(s.url('/'), emptyMetrics())
      .catch((e: unknown) => e)) as TributaryError;
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toContain(`${encoding} body does not decode`);
  });

  it('an empty body with a Content-Encoding is an empty body (a 404 past the last page stays end of stream)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(404, { 'content-encoding': 'gzip' });
      res.end();
    });
    const res = await client(s, {
      policy: { rules: [{ statuses: [404], action: 'end_of_stream' }] },
    }).getJson(s.url('/'), emptyMetrics());
    expect(res.endOfStream).toBe(true);
  });

  it('an encoding it cannot decode fails clearly, without retrying', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'zstd' });
      res.end('xx');
    });
    const err = (await client(s)
      .getJson(s.url('/'), emptyMetrics())
      .catch((e: unknown) => e)) as TributaryError;
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toMatch(/Content-Encoding "zstd"/);
    expect(s.requests).toHaveLength(1);
  });
});

describe('response size cap', () => {
  it('refuses a body larger than the cap, naming the cap and the redacted URL, without retrying', async () => {
    const s = await server((_req, res) => res.end(pageText));
    const err = (await client(s, { maxResponseBytes: 1024 })
      .getJson(s.url(`/big?api_key=${SECRET}`), emptyMetrics())
      .catch((e: unknown) => e)) as TributaryError;
    expect(err).toBeInstanceOf(SourceError);
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toContain('1 KiB cap');
    expect(err.message).toContain('/big');
    expect(err.message).not.toContain(SECRET);
    expect(err.details.maxResponseBytes).toBe(1024);
    expect(s.requests).toHaveLength(1);
  });

  it('counts the decoded size: a small gzip that expands past the cap is stopped', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const err = (await client(s, { maxResponseBytes: 1024 * 1024 })
      .getJson(s.url('/bomb'), emptyMetrics())
      .catch((e: unknown) => e)) as TributaryError;
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toContain('1 MiB cap');
  });

  it('a body exactly at the cap is accepted', async () => {
    const body = JSON.stringify({ s: 'x'.repeat(100) });
    const s = await server((_req, res) => res.end(body));
    const res = await client(s, { maxResponseBytes: Buffer.byteLength(body) }).getJson(
      s.url('/'),
      emptyMetrics(),
    );
    expect(res.body).toEqual({ s: 'x'.repeat(100) });
  });
});

describe('exact numbers in bodies', () => {
  it('keeps integers beyond 2^53 and numbers beyond the double range exact', async () => {
    const body =
      '{"results":[{"id":9007199254740993},{"id":9007199254740992},{"id":12,"v":1e400,"w":-1e-400,"f":1.5}]}';
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(body));
    });
    const { body: parsed } = await client(s).getJson(s.url('/'), emptyMetrics());
    const results = (parsed as { results: Record<string, unknown>[] }).results;
    expect(results[0]!.id).toEqual(new ExactNumber('9007199254740993'));
    expect(results[1]!.id).toEqual(new ExactNumber('9007199254740992'));
    expect(results[2]).toEqual({
      id: 12,
      v: new ExactNumber('1e400'),
      w: new ExactNumber('-1e-400'),
      f: 1.5,
    });
  });

  it('a key repeated with different values next to an exact number is a clear error, not a guess', async () => {
    const s = await server((_req, res) => res.end('{"results":[{"id":9007199254740993,"v":1,"v":2}]}'));
    const err = (await client(s)
      .getJson(s.url('/'), emptyMetrics())
      .catch((e: unknown) => e)) as TributaryError;
    expect(err.code).toBe('TRB_SOURCE_BAD_RESPONSE');
    expect(err.message).toContain('repeats the key "v" with different values');
    expect(s.requests).toHaveLength(1);
  });
});
