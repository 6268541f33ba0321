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
  /** Override of `max_windows`: parallel keyset windows per incremental stream (1 = sequential). */
  maxWindows?: number;
  /** Where the credential's rate budget lives: this process (default) or Redis, shared by every worker. */
  budgets?: BudgetRegistry;
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
      ...(opts.maxWindows === undefined ? {} : { maxWindows: opts.maxWindows }),
      ...(opts.budgets === undefined ? {} : { budgets: opts.budgets }),
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
    const metrics = this.metrics(stream);
    const fetch = async (url: URL, signal?: AbortSignal): Promise<FetchedPage> =>
      b.selector.select(await this.requester.get(url, metrics, signal ?? opts.signal, opts.logger));
    const sourceState = opts.state;
    // A full refresh that was not interrupted starts from the top; an interrupted one resumes.
    const paginationState =
      opts.syncMode === 'full_refresh' && sourceState?.in_progress !== true ? undefined : sourceState;
    const pk = b.def.primary_key;
    const ctx: PaginationContext = {
      baseUrl: b.url,
      fetch,
      state: paginationState,
      // A pass checks that no record comes twice by this field. It is the key's column name, which is the
      // API's field name for both connectors; a record without it is simply not checked.
      idField: pk.length === 1 ? pk[0] : undefined,
      signal: opts.signal,
      metrics,
      logger: opts.logger ?? this.logger,
    };
    if (b.cursor && opts.syncMode === 'incremental' && !b.paginator.pagesByCursor) {
      (opts.logger ?? this.logger).info(
        { stream, paginator: b.def.paginator?.type ?? this.connector.manifest.paginator.type },
        `stream "${stream}": its paginator cannot prove the order of ${b.cursor.cursorField}, so the cursor advances only when the pass ends proven complete, to the newest value read`,
      );
    }
    const pages: AsyncIterable<RawPage> = b.cursor
      ? b.cursor.pages(b.paginator, ctx, b.cursor.startBound(sourceState, opts.syncMode))
      : b.paginator.pages(ctx);
    for await (const raw of pages) {
      yield {
        records: b.selector.records(raw),
        checkpoint: raw.checkpoint,
        bytes: raw.bytes,
        ...(raw.expectedCount === undefined ? {} : { expectedCount: raw.expectedCount }),
      };
    }
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
