/**
 * The one HTTP client every connector uses (docs/architecture.md law 5): undici underneath, every request through
 * the credential's rate budget, retries with backoff and Retry-After, an overall timeout per attempt,
 * same-origin enforcement for redirects and next links, and redaction of every URL it prints.
 */
import { Agent, request } from 'undici';
import { AuthError, RateLimitError, SourceError, TributaryError } from '../errors.js';
import type { StreamMetrics } from '../engine/source.js';
import { type Logger, silentLogger } from '../util/log.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor, type Redactor } from '../util/redact.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from './backoff.js';
import { ACCEPT_ENCODING, BodyReadError, DEFAULT_MAX_RESPONSE_BYTES, readBody } from './body-reader.js';
import { classifyStatus, type ErrorPolicy } from './error-policy.js';
import { parseJsonBody } from './json-body.js';
import { type RateBudget, sleep, UnlimitedBudget } from './rate-budget.js';

export interface HttpClientOptions {
  /** Per-attempt timeout covering connect, headers and the whole body. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoff?: BackoffOptions;
  budget?: RateBudget;
  policy?: ErrorPolicy;
  /** Origins (scheme://host:port) requests may go to. Anything else is refused before a byte is sent. */
  allowedOrigins: string[];
  /**
   * Adds credentials to a request (query param or header). Called for every attempt and redirect hop; may be
   * async (an OAuth2 token fetched or refreshed first).
   */
  authorize?: (url: URL, headers: Record<string, string>) => void | Promise<void>;
  /**
   * Called when the API answers 401 to a request sent with `headers`: true when the credential was dropped and
   * a new one may succeed (an expired OAuth2 token), so the request is sent once more, re-authorized.
   */
  reauthorize?: (headers: Record<string, string>) => boolean;
  redactor?: Redactor;
  logger?: Logger;
  maxRedirects?: number;
  /** Max concurrent connections per origin. */
  connections?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Cap on a response's decoded size (default 64 MiB); a larger response fails with TRB_SOURCE_BAD_RESPONSE. */
  maxResponseBytes?: number;
}

export interface JsonResponse {
  status: number;
  /** The URL that finally answered (after redirects), unredacted: use `redactor` before printing it. */
  url: URL;
  body: unknown;
  /** Decoded body size. */
  bytes: number;
  /** Bytes received on the wire (smaller than `bytes` when the response was compressed). */
  wireBytes: number;
  /** True when the error policy says this status ends the stream (e.g. 404 past the last page). */
  endOfStream: boolean;
  /** The response's headers (lower-case names; a repeated header is an array), e.g. `link` for RFC 8288 paging. */
  headers?: Record<string, string | string[] | undefined>;
}

export function emptyMetrics(): StreamMetrics {
  return { requests: 0, retries: 0, http429: 0, budgetWaitMs: 0, bytes: 0, wireBytes: 0 };
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly opts: Required<Omit<HttpClientOptions, 'authorize' | 'reauthorize' | 'headers'>> &
    Pick<HttpClientOptions, 'authorize' | 'reauthorize' | 'headers'>;

  constructor(opts: HttpClientOptions) {
    this.opts = {
      backoff: DEFAULT_BACKOFF,
      budget: new UnlimitedBudget(),
      policy: { rules: [] },
      redactor: globalRedactor,
      logger: silentLogger,
      maxRedirects: 5,
      connections: 16,
      maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
      ...opts,
    };
    this.agent = new Agent({
      connections: this.opts.connections,
      keepAliveTimeout: 10_000,
      // The overall per-attempt deadline is enforced with an AbortSignal; these catch stalls early.
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  get budget(): RateBudget {
    return this.opts.budget;
  }

  /** GET a JSON document, retrying by policy. Throws typed errors; never returns a non-2xx except end-of-stream. */
  async getJson(
    url: URL,
    metrics: StreamMetrics,
    signal?: AbortSignal,
    /** The caller's logger (a stream's child logger, so warnings say which run and stream); default the client's. */
    logger: Logger = this.opts.logger,
  ): Promise<JsonResponse> {
    const { maxRetries, backoff, redactor } = this.opts;
    let lastError: TributaryError | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) metrics.retries++;
      try {
        return await this.attempt(url, metrics, signal, attempt, logger);
      } catch (err) {
        if (!(err instanceof TributaryError) || !err.retryable) throw err;
        lastError = err;
        if (attempt === maxRetries) break;
        const retryAfter = err.details.retryAfterMs as number | undefined;
        const delay = retryAfter ?? backoffDelay(attempt, backoff);
        logger.warn(
          { url: displayUrl(url, redactor), code: err.code, attempt: attempt + 1, delayMs: delay },
          `request failed (${err.message}); retry ${attempt + 1}/${maxRetries} in ${delay} ms`,
        );
        if (retryAfter === undefined) await sleep(delay, signal);
        // With a Retry-After the budget itself was paused; the next acquire waits it out.
      }
    }
    const e = lastError!;
    const where = displayUrl(url, redactor);
    if (e.code === 'TRB_RATE_LIMITED') {
      throw new RateLimitError(`${where}: still rate limited (HTTP 429) after ${maxRetries} retries`, {
        details: { url: where, attempts: maxRetries + 1 },
      });
    }
    throw new SourceError(
      e.code as 'TRB_SOURCE_HTTP',
      `${e.message} (gave up after ${maxRetries + 1} attempts)`,
      { details: { ...e.details, attempts: maxRetries + 1 }, cause: e },
    );
  }

  private async attempt(
    startUrl: URL,
    metrics: StreamMetrics,
    signal: AbortSignal | undefined,
    /** 0 for the first try of this request, 1 for its first retry, … */
    retry: number,
    logger: Logger,
  ): Promise<JsonResponse> {
    const { redactor, budget, timeoutMs, policy } = this.opts;
    let url = new URL(startUrl);
    // A 401 may mean an expired token: the request is re-authorized and sent once more, never twice.
    let reauthorized = false;
    for (let hop = 0; ; hop++) {
      this.assertAllowed(url);
      const headers: Record<string, string> = {
        accept: 'application/json',
        'accept-encoding': ACCEPT_ENCODING,
        ...this.opts.headers,
      };
      metrics.budgetWaitMs += await budget.acquire(signal);
      // After the budget wait, so a token fetched or refreshed here is fresh when the request goes out.
      await this.opts.authorize?.(url, headers);
      metrics.requests++;
      // Redacting the URL costs a scan per secret: only error paths need it. Readable (decoded), then masked.
      const redactedUrl = () => displayUrl(url, redactor);
      const deadline = new AttemptDeadline(signal, timeoutMs);
      let status: number;
      let text: string;
      let bytes: number;
      let wireBytes: number;
      let location: string | undefined;
      let retryAfterHeader: string | string[] | undefined;
      let contentType = '';
      let resHeaders: Record<string, string | string[] | undefined> = {};
      try {
        const res = await request(url, {
          method: 'GET',
          headers,
          dispatcher: this.agent,
          signal: deadline.signal,
        });
        status = res.statusCode;
        resHeaders = res.headers;
        location = first(res.headers.location);
        retryAfterHeader = res.headers['retry-after'];
        contentType = first(res.headers['content-type']) ?? '';
        const read = await readBody(
          res.body,
          first(res.headers['content-encoding']),
          this.opts.maxResponseBytes,
        );
        ({ text, bytes, wireBytes } = read);
      } catch (err) {
        if (signal?.aborted) throw err;
        const where = redactedUrl();
        if (err instanceof BodyReadError) {
          throw new SourceError('TRB_SOURCE_BAD_RESPONSE', `${where}: ${err.message}`, {
            // A corrupt compressed body may be a broken transfer; a cap or an unknown encoding will not change.
            retryable: err.kind === 'corrupt',
            details: {
              url: where,
              ...(err.kind === 'too_large' ? { maxResponseBytes: this.opts.maxResponseBytes } : {}),
            },
          });
        }
        if (deadline.expired) {
          throw new SourceError(
            'TRB_SOURCE_TIMEOUT',
            `${where}: no complete response within ${timeoutMs} ms`,
            {
              retryable: true,
              details: { url: where, timeoutMs },
            },
          );
        }
        const e = err as { code?: string; message?: string };
        throw new SourceError(
          'TRB_SOURCE_NETWORK',
          `${where}: network error ${e.code ?? ''} ${redactor.redact(e.message ?? String(err))}`.replace(
            /\s+/g,
            ' ',
          ),
          { retryable: true, details: { url: where, errno: e.code } },
        );
      } finally {
        deadline.clear();
      }
      metrics.bytes += bytes;
      metrics.wireBytes = (metrics.wireBytes ?? 0) + wireBytes;

      if (status >= 300 && status < 400 && location) {
        if (hop >= this.opts.maxRedirects) {
          const where = redactedUrl();
          throw new SourceError(
            'TRB_SOURCE_REDIRECT',
            `${where}: more than ${this.opts.maxRedirects} redirects`,
            {
              details: { url: where },
            },
          );
        }
        url = new URL(location, url);
        continue;
      }

      const action = classifyStatus(policy, status, text);
      if (action === 'ok') {
        let body: unknown;
        try {
          body = parseJsonBody(text);
        } catch (err) {
          const where = redactedUrl();
          // lossless-json (the exact-number path) refuses a key repeated with another value, which JSON.parse
          // would resolve silently (last wins): a body that holds both cannot be read without guessing.
          const duplicate = /^Duplicate key '(.*)' encountered/.exec((err as Error).message ?? '');
          if (duplicate) {
            throw new SourceError(
              'TRB_SOURCE_BAD_RESPONSE',
              `${where}: HTTP ${status} but the body repeats the key ${JSON.stringify(redactor.redact(duplicate[1]!))} with different values in one object, so which value is meant is ambiguous`,
              { details: { url: where, status } },
            );
          }
          const kind = /html/i.test(contentType) || /^\s*</.test(text) ? 'an HTML page' : 'malformed JSON';
          throw new SourceError(
            'TRB_SOURCE_BAD_RESPONSE',
            `${where}: HTTP ${status} but the body is ${kind} (${text.length} bytes, starts ${JSON.stringify(redactor.redact(text).slice(0, 60))})`,
            { retryable: true, details: { url: where, status } },
          );
        }
        return { status, url, body, bytes, wireBytes, endOfStream: false, headers: resHeaders };
      }
      if (action === 'end_of_stream')
        return { status, url, body: undefined, bytes, wireBytes, endOfStream: true };
      const where = redactedUrl();
      const snippet = redactor.redact(text).slice(0, 200).replace(/\s+/g, ' ');
      if (action === 'auth') {
        if (status === 401 && !reauthorized && this.opts.reauthorize?.(headers)) {
          reauthorized = true;
          logger.debug(
            { url: where, status },
            'HTTP 401: credential dropped, sending the request again with a new one',
          );
          hop--;
          continue;
        }
        throw new AuthError(
          `${where}: HTTP ${status} ${status === 401 ? 'Unauthorized: the API rejected the credentials' : 'Forbidden: the credentials lack access'} (${snippet})`,
          { details: { url: where, status } },
        );
      }
      if (action === 'retry') {
        const retryAfterMs =
          Math.min(parseRetryAfter(retryAfterHeader) ?? 0, this.opts.backoff.maxMs) || undefined;
        if (status === 429) {
          metrics.http429++;
          // A 429 is a surprise: the proactive budget should have prevented it. Pause every request of
          // this credential for Retry-After, or else a backoff step that grows with this request's own
          // retries (not with every 429 the stream ever met, which made a long sync's sporadic 429s
          // pause the whole budget for up to a minute each).
          budget.pause(retryAfterMs ?? backoffDelay(retry, this.opts.backoff));
          logger.warn({ url: where, retryAfterMs }, 'HTTP 429 despite the rate budget; pausing the budget');
        } else if (retryAfterMs !== undefined) {
          // A 5xx with Retry-After (maintenance, overload): every request of this credential waits it out.
          budget.pause(retryAfterMs);
        }
        throw new TributaryError(
          status === 429 ? 'TRB_RATE_LIMITED' : 'TRB_SOURCE_HTTP',
          `${where}: HTTP ${status} (${snippet})`,
          {
            retryable: true,
            details: {
              url: where,
              status,
              retryAfterMs: status === 429 ? (retryAfterMs ?? 0) : retryAfterMs,
            },
          },
        );
      }
      throw new SourceError('TRB_SOURCE_HTTP', `${where}: HTTP ${status} (${snippet})`, {
        details: { url: where, status },
      });
    }
  }

  private assertAllowed(url: URL): void {
    if (!this.opts.allowedOrigins.includes(url.origin)) {
      const shown = `${url.protocol}//${url.host}`;
      throw new SourceError(
        'TRB_SOURCE_REDIRECT',
        `refusing to send a request to ${shown}: it is not the configured API origin (${this.opts.allowedOrigins.join(', ')}); credentials are only sent to the configured origin`,
        { details: { origin: shown } },
      );
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * One attempt's abort signal: the caller's signal or the attempt's deadline, whichever comes first. One
 * controller and one timer, cleared when the attempt ends; AbortSignal.timeout + AbortSignal.any per
 * request cost several times more (weak references, a finalization registry) on every page.
 */
class AttemptDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: (() => void) | undefined;
  expired = false;

  constructor(
    private readonly outer: AbortSignal | undefined,
    ms: number,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException('The attempt timed out', 'TimeoutError'));
    }, ms);
    if (outer) {
      if (outer.aborted) this.controller.abort(outer.reason);
      else {
        this.onAbort = () => this.controller.abort(outer.reason);
        outer.addEventListener('abort', this.onAbort, { once: true });
      }
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  clear(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.outer?.removeEventListener('abort', this.onAbort);
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
