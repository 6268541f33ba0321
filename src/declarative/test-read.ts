/**
 * A test read (`tributary read`), like Airbyte's Connector Builder: read the first pages of one stream through
 * the connector's real components (requester, paginator, cursor, selector, transforms: DeclarativeSource's
 * own read) and describe each page: the requests sent (URL and headers masked), their status and timing, the
 * records before and after transforms, the paginator's decision, and the state a sync would commit after it.
 * Nothing is written anywhere. Pages are read one after another (page concurrency 1) so each request belongs
 * to one page.
 */
import type { SourceRecord, SyncMode } from '../engine/source.js';
import { ConfigError, toTributaryError } from '../errors.js';
import type { RequestEvent } from '../http/http-client.js';
import { type Logger, silentLogger } from '../util/log.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor, type Redactor } from '../util/redact.js';
import type { ResolvedConfig } from './config-spec.js';
import { DeclarativeSource, type LoadedConnector } from './declarative-source.js';
import type { RawPage } from './paginators/paginator.js';

export interface TestReadOptions {
  stream: string;
  /** Pages to read at most (the read stops earlier when the pass ends). */
  pages: number;
  /** Records shown per page, after transforms. */
  records: number;
  /**
   * The stream state to start from: a source checkpoint as a page's `state` shows it, or the stored state
   * `tributary state show --json` prints (see stateFromFile).
   */
  state?: Record<string, unknown>;
  logger?: Logger;
  redactor?: Redactor;
  now?: Date;
}

/**
 * One request as the test read shows it: the client's own report of it (masked URL and headers, status,
 * timing, attempt, failure code) without the unmasked URLs that only tie it to its page.
 */
export type TestReadRequest = Omit<RequestEvent, 'requested' | 'sent'>;

/**
 * After a page: why the pass stops, or the next request and why (`followed`: whether this read goes on to
 * read it, false once `--pages` is reached).
 */
export type TestReadDecision =
  | { stop: string }
  | { next: { method: 'GET'; url: string }; reason: string; followed: boolean };

export interface TestReadPage {
  /** 1-based. */
  page: number;
  requests: TestReadRequest[];
  /** Records in the response at the selector path, before transforms (absent when the page failed). */
  rawCount?: number;
  /** Of them, records already read (a keyset re-reads the records at its bound), left out of the page. */
  alreadyRead?: number;
  /** Of them, records the stream's record filter dropped. */
  filtered?: number;
  /** Records after the selector's checks and transforms. */
  recordCount?: number;
  /** The first `records` of them. */
  records?: SourceRecord[];
  decision?: TestReadDecision;
  /** The source state a sync would commit after this page (what `--state` takes back). */
  state?: Record<string, unknown>;
  error?: { code: string; message: string; exitCode: number };
}

export interface TestReadResult {
  connector: string;
  stream: string;
  syncMode: SyncMode;
  pages: TestReadPage[];
  /** Why the read stopped: the pass ended, the page limit, or an error (the last page holds it). */
  stopped: 'end_of_stream' | 'page_limit' | 'error';
  records: number;
}

/**
 * Read up to `opts.pages` pages of `opts.stream`; `onPage` is told of each page as it is read (the CLI
 * prints it). An error ends the read as a page holding it; the error itself is returned with the result.
 */
export async function testRead(
  connector: LoadedConnector,
  config: ResolvedConfig,
  opts: TestReadOptions,
  onPage: (page: TestReadPage) => void = () => undefined,
): Promise<{ result: TestReadResult; error?: unknown }> {
  const redactor = opts.redactor ?? globalRedactor;
  const sent: RequestEvent[] = [];
  const source = new DeclarativeSource(connector, config, {
    logger: opts.logger ?? silentLogger,
    redactor,
    pageConcurrency: 1,
    onRequest: (e) => sent.push(e),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
  const streams = source.streams();
  const descriptor = streams.find((s) => s.name === opts.stream);
  if (!descriptor) {
    // A usage error, before any request: not a page of the read.
    await source.close();
    throw new ConfigError(
      `unknown stream "${opts.stream}" for ${connector.manifest.name} (streams: ${streams.map((s) => s.name).join(', ')})`,
      { code: 'TRB_UNKNOWN_STREAM' },
    );
  }
  // Incremental when the stream can (what a sync does by default), else a full refresh.
  const syncMode: SyncMode = descriptor.supportedSyncModes.includes('incremental')
    ? 'incremental'
    : 'full_refresh';
  const result: TestReadResult = {
    connector: connector.manifest.name,
    stream: opts.stream,
    syncMode,
    pages: [],
    stopped: 'end_of_stream',
    records: 0,
  };
  let error: unknown;
  try {
    for await (const { page, raw, filtered } of source.readObserved(opts.stream, {
      syncMode,
      state: opts.state,
    })) {
      const n = result.pages.length + 1;
      const limit = n >= opts.pages;
      const shown: TestReadPage = {
        page: n,
        requests: takeRequests(sent, raw).map(toShown),
        // A child stream's page (one parent's) has no raw page: its count is after transforms only.
        ...(raw === undefined ? {} : { rawCount: raw.received ?? raw.records.length }),
        ...(raw?.received === undefined ? {} : { alreadyRead: raw.received - raw.records.length }),
        ...(filtered ? { filtered } : {}),
        recordCount: page.records.length,
        records: redactor.redactValue(page.records.slice(0, opts.records)),
        decision: decisionOf(raw ?? { checkpoint: page.checkpoint }, redactor, !limit),
        state: redactor.redactValue(page.checkpoint),
      };
      result.pages.push(shown);
      result.records += page.records.length;
      onPage(shown);
      if (page.checkpoint.in_progress === false) break;
      if (limit) {
        result.stopped = 'page_limit';
        break;
      }
    }
  } catch (err) {
    error = err;
    const e = toTributaryError(err);
    const shown: TestReadPage = {
      page: result.pages.length + 1,
      requests: sent.splice(0).map(toShown),
      error: { code: e.code, message: redactor.redact(e.message), exitCode: e.exitCode },
    };
    result.pages.push(shown);
    result.stopped = 'error';
    onPage(shown);
  } finally {
    await source.close();
  }
  return error === undefined ? { result } : { result, error };
}

/**
 * The requests that produced `raw`: every request sent up to the last one that went to the URL that answered
 * it (its retries and redirect hops included). A request the paginator sent ahead for the next page stays
 * for that page. Without a raw page (a child stream's pages) or its URL: every request sent since the page
 * before.
 */
function takeRequests(sent: RequestEvent[], raw: RawPage | undefined): RequestEvent[] {
  const href = raw?.url?.href;
  let last = -1;
  for (let i = sent.length - 1; i >= 0; i--) {
    if (sent[i]!.sent.href === href) {
      last = i;
      break;
    }
  }
  if (last < 0) return sent.splice(0);
  // A retry follows only a failed attempt, never the one that answered: everything up to `last` is this page's.
  return sent.splice(0, last + 1);
}

function toShown(e: RequestEvent): TestReadRequest {
  return {
    method: e.method,
    url: e.url,
    headers: e.headers,
    ...(e.status === undefined ? {} : { status: e.status }),
    ms: e.ms,
    attempt: e.attempt,
    ...(e.error === undefined ? {} : { error: e.error }),
  };
}

/** The paginator's decision, or one read from the checkpoint when the paginator gave none. */
function decisionOf(
  raw: Pick<RawPage, 'checkpoint' | 'decision'>,
  redactor: Redactor,
  willFollow: boolean,
): TestReadDecision {
  const d = raw.decision;
  if (d && 'stop' in d) return { stop: d.stop };
  if (d)
    return {
      next: { method: 'GET', url: displayUrl(d.next, redactor) },
      reason: d.reason,
      followed: willFollow,
    };
  if (raw.checkpoint.in_progress === false) return { stop: 'the paginator ended the pass' };
  return {
    next: { method: 'GET', url: '(the paginator does not say; see the state)' },
    reason: 'the paginator says more pages follow',
    followed: willFollow,
  };
}

/**
 * The source state in a `--state` file: a page's `state` as `tributary read` prints it, a stored stream state
 * (`{version: 1, source: {...}}`), or `tributary state show --json` output (`{stream: {state: {...}}}`).
 */
export function stateFromFile(doc: unknown, stream: string): Record<string, unknown> | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  let d = doc as Record<string, unknown>;
  const entry = d[stream];
  if (entry && typeof entry === 'object' && 'state' in entry) {
    d = (entry as { state: Record<string, unknown> }).state;
  }
  if (d?.version === 1 && d.source && typeof d.source === 'object') {
    return d.source as Record<string, unknown>;
  }
  return d;
}
