/**
 * Reading a response body: decode its Content-Encoding (undici's `request()` hands over the bytes as sent)
 * with node:zlib streams, count the bytes on the wire and decoded, and stop at a size cap. The cap counts
 * decoded bytes, so a small compressed body that expands without bound (a "zip bomb") is stopped as it
 * streams, never held in memory whole.
 */
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** Default cap on a response's decoded size. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** What `accept-encoding` asks for: the encodings APIs commonly offer and node:zlib decodes. */
export const ACCEPT_ENCODING = 'gzip, br';

export interface BodyRead {
  text: string;
  /** Bytes received on the wire (compressed, when the response was). */
  wireBytes: number;
  /** Bytes after decoding. */
  bytes: number;
}

/** Why a body could not be read; the HTTP client turns it into a typed error naming the URL. */
export class BodyReadError extends Error {
  constructor(
    readonly kind: 'too_large' | 'bad_encoding' | 'corrupt',
    message: string,
  ) {
    super(message);
  }
}

/** A decoder for one Content-Encoding value, or undefined for identity. */
function decoderFor(encoding: string, firstByte: number | undefined): Transform | undefined {
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'br':
      return createBrotliDecompress();
    case 'deflate':
      // RFC 9110's deflate is zlib-wrapped, but some servers send raw deflate: a zlib stream starts with a
      // CMF byte whose low nibble is 8 (method "deflate").
      return firstByte !== undefined && (firstByte & 0x0f) !== 8 ? createInflateRaw() : createInflate();
    default:
      throw new BodyReadError(
        'bad_encoding',
        `the response has Content-Encoding "${encoding}", which tributary cannot decode (it asks for ${ACCEPT_ENCODING})`,
      );
  }
}

/**
 * Read `body` whole, decoded, refusing more than `maxBytes` decoded bytes. `contentEncoding` is the header's
 * value; a list (`gzip, br`) was applied in order, so it is undone in reverse.
 */
export async function readBody(
  body: Readable,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<BodyRead> {
  const encodings = (contentEncoding ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '' && e !== 'identity')
    .reverse();
  let wireBytes = 0;
  let bytes = 0;
  const chunks: Buffer[] = [];
  const tooLarge = () =>
    new BodyReadError('too_large', `the response is larger than the ${formatBytes(maxBytes)} cap`);
  if (encodings.length === 0) {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      wireBytes += chunk.length;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        body.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    return { text: Buffer.concat(chunks, bytes).toString('utf8'), wireBytes, bytes };
  }

  // The first wire byte decides raw vs zlib deflate; read it before building the decoders.
  const wire = body as AsyncIterable<Buffer>;
  const iterator = wire[Symbol.asyncIterator]();
  const head = await iterator.next();
  const firstChunk = head.done ? undefined : head.value;
  // An empty body (a 204, a bare 404) has nothing to decode, whatever its Content-Encoding says.
  if (firstChunk === undefined) return { text: '', wireBytes: 0, bytes: 0 };
  const first: Buffer = firstChunk;
  let decoders: Transform[];
  try {
    decoders = encodings.flatMap((e, i) => decoderFor(e, i === 0 ? first[0] : undefined) ?? []);
  } catch (err) {
    body.destroy();
    throw err;
  }
  async function* counted(): AsyncGenerator<Buffer> {
    wireBytes += first.length;
    yield first;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
      wireBytes += r.value.length;
      yield r.value;
    }
  }
  const collect = async (decoded: AsyncIterable<Buffer>) => {
    for await (const chunk of decoded) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  };
  try {
    await (pipeline as (...streams: unknown[]) => Promise<void>)(counted, ...decoders, collect);
  } catch (err) {
    body.destroy();
    if (err instanceof BodyReadError) throw err;
    const e = err as { code?: string; message?: string };
    // zlib's errors carry Z_* codes (Z_DATA_ERROR, Z_BUF_ERROR for a truncated stream), brotli's ERR__ERROR_*.
    if (typeof e.code === 'string' && (e.code.startsWith('Z_') || e.code.startsWith('ERR__ERROR_'))) {
      throw new BodyReadError(
        'corrupt',
        `the ${encodings.join('+')} body does not decode (${e.code}: ${e.message ?? ''})`,
      );
    }
    throw err;
  }
  return { text: Buffer.concat(chunks, bytes).toString('utf8'), wireBytes, bytes };
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
