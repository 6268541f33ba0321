/**
 * A Source built from a manifest and a validated config. The components (requester, authenticator,
 * paginators, record selectors, incremental cursors) come from the one ComponentFactory; this file runs
 * them: a stream's read is its paginator's pages, through its cursor when it has one, each page's records
 * checked and transformed by its selector.
 */
import { createHash } from 'node:crypto';
import { ConfigError, SourceError } from '../errors.js';
import type {
  FetchOneOptions,
  Page,
  ReadOptions,
  Source,
  SourceRecord,
  StreamDescriptor,
  StreamMetrics,
} from '../engine/source.js';
import { emptyMetrics, type JsonResponse } from '../http/http-client.js';
import type { BudgetRegistry } from '../http/rate-budget.js';
import { type Logger, silentLogger } from '../util/log.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor, type Redactor } from '../util/redact.js';
import { ComponentFactory, DETAIL_PLACEHOLDER, type StreamComponents } from './component-factory.js';
import { type ResolvedConfig, secretKeys, validateConfig } from './config-spec.js';
import type { Manifest } from './manifest-schema.js';
import type { FetchedPage, PaginationContext, RawPage } from './paginators/paginator.js';
import { childPass, parentPath } from './parent-router.js';
import { getComponent } from './registry.js';
import type { Requester } from './requester.js';
import type { SchemaInfo } from './stream-schema.js';
import type { TemplateContext } from './template.js';

export interface LoadedConnector {
  manifest: Manifest;
  /** Stream schemas keyed by stream name. */
  schemas: Record<string, SchemaInfo>;
  dir: string;
}

export interface SourceOptions {
  logger?: Logger;
  redactor?: Redactor;
  /** Sync start time; `{{ now }}` and the initial window are computed from it. */
  now?: Date;
  /** Override of the page concurrency (e.g. 1 for the sequential baseline). */
  pageConcurrency?: number;
  /** Where the credential's rate budget lives: this process (default) or Redis, shared by every worker. */
  budgets?: BudgetRegistry;
  /** The clock OAuth2 token expiry is measured with (tests pass a fake one; default Date.now). */
  clock?: () => number;
}

/** Config normalizers (escape hatch) receive and return the resolved config. */
export type ConfigNormalizer = (config: ResolvedConfig) => ResolvedConfig;

export function resolveConnectorConfig(
  connector: LoadedConnector,
  raw: Record<string, unknown>,
): ResolvedConfig {
  const { manifest } = connector;
  let config = validateConfig(manifest.spec, raw, manifest.name);
  if (manifest.spec.normalize) {
    const normalizer = getComponent('config_normalizer', manifest.spec.normalize) as
      | (() => ConfigNormalizer)
      | undefined;
    if (!normalizer) {
      throw new ConfigError(`manifest: config normalizer "${manifest.spec.normalize}" is not registered`, {
        code: 'TRB_MANIFEST_INVALID',
      });
    }
    config = normalizer()(config);
  }
  return config;
}

export class DeclarativeSource implements Source {
  readonly name: string;
  /** A hash of the manifest (after defaults): a resume under another version of it restarts the pass. */
  readonly version: string;
  private readonly requester: Requester;
  private readonly built: Map<string, StreamComponents>;
  private readonly metricsByStream = new Map<string, StreamMetrics>();
  private readonly redactor: Redactor;
  private readonly logger: Logger;

  constructor(
    private readonly connector: LoadedConnector,
    readonly config: ResolvedConfig,
    opts: SourceOptions = {},
  ) {
    const { manifest } = connector;
    this.name = manifest.name;
    this.version = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
    this.redactor = opts.redactor ?? globalRedactor;
    this.logger = opts.logger ?? silentLogger;
    for (const key of secretKeys(manifest.spec)) this.redactor.add(config[key]);
    const ctx: TemplateContext = { config, now: (opts.now ?? new Date()).toISOString() };
    const components = new ComponentFactory(connector, ctx, {
      logger: this.logger,
      redactor: this.redactor,
      ...(opts.pageConcurrency === undefined ? {} : { pageConcurrency: opts.pageConcurrency }),
      ...(opts.budgets === undefined ? {} : { budgets: opts.budgets }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    }).build();
    this.requester = components.requester;
    this.built = components.streams;
  }

  streams(): StreamDescriptor[] {
    return [...this.built.values()].map((b) => b.descriptor);
  }

  metrics(stream: string): StreamMetrics {
    let m = this.metricsByStream.get(stream);
    if (!m) {
      m = emptyMetrics();
      this.metricsByStream.set(stream, m);
    }
    return m;
  }

  get rateBudget() {
    return this.requester.budget;
  }

  async check(): Promise<void> {
    const name = this.connector.manifest.check.stream;
    for await (const _page of this.read(name, { syncMode: 'full_refresh', state: undefined })) break;
  }

  async *read(stream: string, opts: ReadOptions): AsyncGenerator<Page> {
    const b = this.built.get(stream);
    if (!b) {
      throw new ConfigError(
        `unknown stream "${stream}" for ${this.name} (streams: ${[...this.built.keys()].join(', ')})`,
        {
          code: 'TRB_UNKNOWN_STREAM',
        },
      );
    }
    const log = opts.logger ?? this.logger;
    if (b.cursor && opts.syncMode === 'incremental' && !b.paginator.pagesByCursor) {
      log.info(
        { stream, paginator: b.def.paginator?.type ?? this.connector.manifest.paginator.type },
        `stream "${stream}": its paginator cannot prove the order of ${b.cursor.cursorField}, so the cursor advances only when the pass ends proven complete, to the newest value read`,
      );
    }
    const metrics = this.metrics(stream);
    if (b.parent) {
      const parent = b.parent;
      yield* childPass({
        stream,
        key: parent.key,
        partitionField: parent.partitionField,
        state: opts.state,
        resume: opts.syncMode === 'incremental' || opts.state?.in_progress === true,
        // Every parent, whatever the child's mode: an unchanged parent can have changed children.
        parentPages: () =>
          this.read(parent.stream, {
            syncMode: 'full_refresh',
            state: undefined,
            ...(opts.signal ? { signal: opts.signal } : {}),
            ...(opts.logger ? { logger: opts.logger } : {}),
          }),
        partitionPages: (record, partitionState) =>
          this.rawPages(b, this.requester.url(parentPath(stream, b.def.path, record), b.params), {
            ...opts,
            state: partitionState,
          }),
        toRecords: (raw, extra) => this.toRecords(b, raw, metrics, log, extra).records,
      });
      return;
    }
    // Whether this read continues a pass whose earlier pages (and their filtered records) were counted before.
    const resumed = opts.state?.in_progress === true;
    let filteredInPass = 0;
    for await (const raw of this.rawPages(b, b.url, opts)) {
      const { records, filtered } = this.toRecords(b, raw, metrics, log);
      filteredInPass += filtered;
      let expectedCount = raw.expectedCount;
      // The API's count includes the records the filter dropped; a resumed pass does not know how many
      // earlier pages dropped, so it gives no count (the paginator still proved the pass itself).
      if (expectedCount !== undefined && b.filter)
        expectedCount = resumed ? undefined : expectedCount - filteredInPass;
      yield {
        records,
        checkpoint: raw.checkpoint,
        bytes: raw.bytes,
        ...(expectedCount === undefined ? {} : { expectedCount }),
      };
    }
  }

  /** A stream's raw pages from `url` (its list URL, or a child's URL for one parent), through its cursor. */
  private rawPages(b: StreamComponents, url: URL, opts: ReadOptions): AsyncIterable<RawPage> {
    const metrics = this.metrics(b.def.name);
    const fetch = async (u: URL, signal?: AbortSignal): Promise<FetchedPage> =>
      b.selector.select(await this.requester.get(u, metrics, signal ?? opts.signal, opts.logger));
    const sourceState = opts.state;
    // A full refresh that was not interrupted starts from the top; an interrupted one resumes.
    const paginationState =
      opts.syncMode === 'full_refresh' && sourceState?.in_progress !== true ? undefined : sourceState;
    // A child's partition field is added after the API's record: within one parent the rest is the key.
    const pk = b.def.primary_key.filter((k) => k !== b.parent?.partitionField);
    const ctx: PaginationContext = {
      baseUrl: url,
      fetch,
      state: paginationState,
      // A pass checks that no record comes twice by this field. It is the key's column name, which is the
      // API's field name for both connectors; a record without it is simply not checked.
      idField: pk.length === 1 ? pk[0] : undefined,
      signal: opts.signal,
    };
    return b.cursor
      ? b.cursor.pages(b.paginator, ctx, b.cursor.startBound(sourceState, opts.syncMode))
      : b.paginator.pages(ctx);
  }

  /** A raw page's records: the record filter first (on the API's record), then checks and transforms. */
  private toRecords(
    b: StreamComponents,
    raw: RawPage,
    metrics: StreamMetrics,
    log: Logger,
    extra?: Record<string, unknown>,
  ): { records: SourceRecord[]; filtered: number } {
    if (!b.filter) return { records: b.selector.records(raw, extra), filtered: 0 };
    // A record that is not an object is kept, so the selector fails its page naming it.
    const kept = raw.records.filter(
      (r) => r === null || typeof r !== 'object' || Array.isArray(r) || b.filter!(r),
    );
    const filtered = raw.records.length - kept.length;
    if (filtered > 0) {
      metrics.filtered = (metrics.filtered ?? 0) + filtered;
      log.debug(
        { stream: b.def.name, filtered, kept: kept.length, filteredTotal: metrics.filtered },
        `stream "${b.def.name}": the record filter dropped ${filtered} of ${raw.records.length} records on this page`,
      );
    }
    return { records: b.selector.records({ ...raw, records: kept }, extra), filtered };
  }

  /**
   * One record from the stream's detail endpoint, transformed like a listed one; null on 404 (it does not
   * exist). Goes through the same client, rate budget, retries and metrics as the list requests.
   */
  async fetchOne(
    stream: string,
    key: Record<string, unknown>,
    opts: FetchOneOptions = {},
  ): Promise<SourceRecord | null> {
    const b = this.built.get(stream);
    if (!b?.detailPath) {
      throw new ConfigError(`stream "${stream}" of ${this.name} has no detail endpoint`, {
        code: 'TRB_MANIFEST_INVALID',
        details: { stream },
      });
    }
    const url = this.detailUrl(b, key);
    let res: JsonResponse;
    try {
      res = await this.requester.get(url, this.metrics(stream), opts.signal, opts.logger);
    } catch (err) {
      if (err instanceof SourceError && err.details.status === 404) return null;
      throw err;
    }
    if (res.status === 404) return null;
    const t = b.selector.detailRecord(res);
    for (const k of b.def.primary_key) {
      if (String(t[k]) !== String(key[k])) {
        const where = displayUrl(res.url, this.redactor);
        throw new SourceError(
          'TRB_SOURCE_BAD_RESPONSE',
          `stream "${stream}": the detail endpoint ${where} answered with a record whose "${k}" is ${JSON.stringify(t[k] ?? null)}, not ${JSON.stringify(key[k] ?? null)}`,
          { details: { stream, url: where } },
        );
      }
    }
    return t;
  }

  async close(): Promise<void> {
    await this.requester.close();
  }

  /** The detail URL of the record with primary key `key`: joined to base_url like a stream path, plus the requester's params. */
  private detailUrl(b: StreamComponents, key: Record<string, unknown>): URL {
    const path = b.detailPath!.replace(DETAIL_PLACEHOLDER, (_m, name: string) =>
      name === 'path' ? b.def.path : encodeURIComponent(String(key[name] ?? '')),
    );
    return this.requester.url(path);
  }
}
