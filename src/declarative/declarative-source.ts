/**
 * Builds a Source from a manifest and a validated config: the requester (URL, auth, params, HttpClient with
 * the credential's rate budget), the paginator, the record selector, the transforms and the incremental
 * cursor. This is the one factory every declarative connector goes through.
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
import { emptyMetrics, HttpClient, type JsonResponse } from '../http/http-client.js';
import type { ErrorPolicy } from '../http/error-policy.js';
import { type BudgetRegistry, globalBudgets } from '../http/rate-budget.js';
import { joinUrl } from '../http/url-join.js';
import { type Logger, silentLogger } from '../util/log.js';
import { displayUrl } from '../util/display-url.js';
import { globalRedactor, type Redactor } from '../util/redact.js';
import { type ResolvedConfig, secretKeys, validateConfig } from './config-spec.js';
import type { IncrementalDef, Manifest, PaginatorDef, StreamDef } from './manifest-schema.js';
import { NextLinkPaginator } from './paginators/next-link-paginator.js';
import { OffsetPaginator } from './paginators/offset-paginator.js';
import { PageNumberPaginator } from './paginators/page-number-paginator.js';
import type { FetchedPage, IncrementalWindow, Paginator } from './paginators/paginator.js';
import { getPath } from './paginators/paginator.js';
import { getComponent } from './registry.js';
import type { SchemaInfo } from './stream-schema.js';
import { resolveBoolean, resolveNumber, resolveString, type TemplateContext } from './template.js';
import { compileTransforms, type RecordTransform } from './transforms.js';

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
}

interface BuiltStream {
  def: StreamDef;
  descriptor: StreamDescriptor;
  baseUrl: URL;
  /** The resolved base_url, which detail paths are joined to. */
  apiBase: URL;
  paginator: Paginator;
  selector: string[];
  transform: RecordTransform;
  /** The detail endpoint's path template (relative to base_url), when the stream has one. */
  detailPath?: string;
  incremental?: { window: Omit<IncrementalWindow, 'startBound'>; lookbackMs: number; initialDays: number };
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
  private readonly http: HttpClient;
  private readonly built = new Map<string, BuiltStream>();
  private readonly metricsByStream = new Map<string, StreamMetrics>();
  private readonly ctx: TemplateContext;
  private readonly logger: Logger;
  private readonly redactor: Redactor;

  constructor(
    private readonly connector: LoadedConnector,
    readonly config: ResolvedConfig,
    private readonly opts: SourceOptions = {},
  ) {
    const { manifest } = connector;
    this.name = manifest.name;
    this.version = createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16);
    this.logger = opts.logger ?? silentLogger;
    this.redactor = opts.redactor ?? globalRedactor;
    for (const key of secretKeys(manifest.spec)) this.redactor.add(config[key]);
    this.ctx = { config, now: (opts.now ?? new Date()).toISOString() };

    const req = manifest.requester;
    const base = parseBaseUrl(resolveString(req.base_url, this.ctx), manifest.name);
    const auth = req.authenticator;
    let secret = '';
    let authorize: ((url: URL, headers: Record<string, string>) => void) | undefined;
    if (auth.type === 'bearer') {
      secret = resolveString(auth.token, this.ctx);
      this.redactor.add(secret);
      authorize = (_url, headers) => {
        headers.authorization = `Bearer ${secret}`;
      };
    } else if (auth.type === 'api_key') {
      secret = resolveString(auth.value, this.ctx);
      this.redactor.add(secret);
      const name = auth.name;
      authorize =
        auth.inject_into === 'query'
          ? (url) => {
              // set(), not append(): a followed link that already carries the key never gets it twice.
              url.searchParams.set(name, secret);
            }
          : (_url, headers) => {
              headers[name.toLowerCase()] = secret;
            };
    }
    const rpm =
      req.requests_per_minute === undefined
        ? undefined
        : resolveNumber(req.requests_per_minute, this.ctx, 'requests_per_minute');
    const credentialHash = createHash('sha256')
      .update(`${base.origin}\u0000${secret}`)
      .digest('hex')
      .slice(0, 16);
    const policy: ErrorPolicy = {
      rules: req.error_policy.map((r) => ({
        statuses: r.statuses,
        action: r.action,
        bodyContains: r.body_contains,
      })),
    };
    const headers: Record<string, string> = { 'user-agent': 'tributary/0.1' };
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = resolveString(v, this.ctx);
    this.http = new HttpClient({
      timeoutMs: resolveNumber(req.timeout_seconds, this.ctx, 'timeout_seconds') * 1000,
      maxRetries: resolveNumber(req.max_retries, this.ctx, 'max_retries'),
      budget: (opts.budgets ?? globalBudgets).forCredential(credentialHash, rpm),
      policy,
      allowedOrigins: [base.origin],
      authorize,
      redactor: this.redactor,
      logger: this.logger,
      headers,
      connections: 32,
      ...(req.max_response_bytes === undefined
        ? {}
        : { maxResponseBytes: resolveNumber(req.max_response_bytes, this.ctx, 'max_response_bytes') }),
    });

    for (const def of manifest.streams)
      this.built.set(
        def.name,
        this.buildStream(
          def,
          base,
          auth.type === 'api_key' && auth.inject_into === 'query' ? auth.name : undefined,
        ),
      );
  }

  private buildStream(def: StreamDef, base: URL, secretParam: string | undefined): BuiltStream {
    const { manifest, schemas } = this.connector;
    const schema = schemas[def.name]!;
    const url = joinUrl(base, def.path);
    for (const [k, v] of Object.entries({ ...manifest.requester.params, ...def.params })) {
      url.searchParams.set(k, resolveString(v, this.ctx));
    }
    const incDef = def.incremental === null ? undefined : (def.incremental ?? manifest.incremental);
    const incEnabled = incDef ? resolveBoolean(incDef.enabled, this.ctx) : false;
    const pdef = def.paginator ?? manifest.paginator;
    if (incDef && pdef.type !== 'offset') {
      throw new ConfigError(
        `manifest ${manifest.name}: stream ${def.name} is incremental, which needs an offset paginator`,
        {
          code: 'TRB_MANIFEST_INVALID',
        },
      );
    }
    const skipDef = def.skip_unchanged === null ? undefined : (def.skip_unchanged ?? manifest.skip_unchanged);
    const unchangedField = skipDef && resolveBoolean(skipDef.enabled, this.ctx) ? skipDef.field : undefined;
    const transforms = compileTransforms(
      def.transforms ?? manifest.transforms,
      this.ctx,
      schema.dateTimeFields,
      (column, sourcePath, collidesWith) =>
        this.logger.warn(
          { stream: def.name, column, sourcePath, collidesWith },
          `stream "${def.name}": source fields "${collidesWith}" and "${sourcePath}" map to one column name; "${sourcePath}" is stored in column "${column}"`,
        ),
    );
    const detailDef = def.detail === null ? undefined : (def.detail ?? manifest.detail);
    const detailPath = detailDef
      ? checkDetailPath(manifest.name, def, resolveString(detailDef.path, this.ctx))
      : undefined;
    const pageSize = pageSizeOf(pdef, this.ctx);
    const descriptor: StreamDescriptor = {
      name: def.name,
      primaryKey: def.primary_key,
      jsonSchema: schema.jsonSchema,
      declaredColumns: schema.declaredColumns,
      supportedSyncModes: incDef && incEnabled ? ['full_refresh', 'incremental'] : ['full_refresh'],
      cursorField: incDef ? outputName(incDef.cursor_field, schema) : undefined,
      resumable: true,
      unchangedField,
      paging: {
        ...(pageSize !== undefined ? { pageSize } : {}),
        fingerprint: pagingFingerprint(url, def, manifest, pdef, incDef, pageSize),
      },
      detail: detailPath !== undefined,
    };
    return {
      def,
      descriptor,
      baseUrl: url,
      apiBase: base,
      paginator: this.buildPaginator(pdef, secretParam),
      selector: def.selector?.path ?? manifest.selector.path,
      transform: transforms,
      detailPath,
      incremental:
        incDef && incEnabled
          ? {
              window: {
                cursorField: incDef.cursor_field,
                filterParam: incDef.filter_param,
                sortParam: incDef.sort_param,
                sortValue: incDef.sort_value,
                tieBreakerParam: def.primary_key.length === 1 ? incDef.tie_breaker_param : undefined,
                idField: def.primary_key.length === 1 ? def.primary_key[0] : undefined,
              },
              lookbackMs: resolveNumber(incDef.lookback_seconds, this.ctx, 'lookback_seconds') * 1000,
              initialDays: resolveNumber(incDef.initial_days, this.ctx, 'initial_days'),
            }
          : undefined,
    };
  }

  private buildPaginator(p: PaginatorDef, secretParam: string | undefined): Paginator {
    switch (p.type) {
      case 'offset':
        return new OffsetPaginator({
          limitParam: p.limit_param,
          offsetParam: p.offset_param,
          pageSize: resolveNumber(p.page_size, this.ctx, 'page_size'),
          totalPath: p.total_path,
        });
      case 'page_number':
        return new PageNumberPaginator({
          pageParam: p.page_param,
          pageSizeParam: p.page_size_param,
          pageSize: resolveNumber(p.page_size, this.ctx, 'page_size'),
          startPage: p.start_page,
          countPath: p.count_path,
          nextPath: p.next_path,
          concurrency: this.opts.pageConcurrency ?? resolveNumber(p.concurrency, this.ctx, 'concurrency'),
        });
      case 'next_link':
        return new NextLinkPaginator({
          nextPath: p.next_path,
          pageSizeParam: p.page_size_param,
          pageSize: p.page_size === undefined ? undefined : resolveNumber(p.page_size, this.ctx, 'page_size'),
          secretParam,
        });
      case 'none':
        return {
          async *pages(ctx) {
            const res = await ctx.fetch(new URL(ctx.baseUrl));
            yield {
              records: res.records,
              bytes: res.bytes,
              checkpoint: { in_progress: false },
              position: { page: 0, firstIndex: 0 },
            };
          },
        };
    }
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
    return this.http.budget;
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
    const sourceState = opts.state;
    let incremental: IncrementalWindow | undefined;
    if (b.incremental) {
      let startBound: string | undefined;
      const cursor = typeof sourceState?.cursor === 'string' ? sourceState.cursor : undefined;
      if (opts.syncMode === 'incremental') {
        if (cursor) startBound = new Date(Date.parse(cursor) - b.incremental.lookbackMs).toISOString();
        else if (b.incremental.initialDays > 0) {
          startBound = new Date(
            Date.parse(this.ctx.now) - b.incremental.initialDays * 86_400_000,
          ).toISOString();
        }
      }
      incremental = { ...b.incremental.window, startBound };
    }
    const fetch = async (url: URL, signal?: AbortSignal): Promise<FetchedPage> => {
      const res = await this.http.getJson(url, metrics, signal ?? opts.signal, opts.logger);
      if (res.endOfStream)
        return { records: [], body: undefined, bytes: res.bytes, url: res.url, endOfStream: true };
      const selected = b.selector.length === 0 ? res.body : getPath(res.body, b.selector);
      if (!Array.isArray(selected)) {
        const where = displayUrl(res.url, this.redactor);
        throw new SourceError(
          'TRB_SOURCE_BAD_RESPONSE',
          `stream "${stream}": ${where} answered without a record list at "${b.selector.join('.') || '(body)'}" (found ${describe(selected)})`,
          { details: { stream, url: where } },
        );
      }
      return {
        records: selected as Record<string, unknown>[],
        body: res.body,
        bytes: res.bytes,
        url: res.url,
        endOfStream: false,
      };
    };
    // A full refresh that was not interrupted starts from the top; an interrupted one resumes.
    const paginationState =
      opts.syncMode === 'full_refresh' && sourceState?.in_progress !== true ? undefined : sourceState;
    const pk = b.def.primary_key;
    // The keyset pages by this field: a record without a usable value would become the resume bound.
    const cursorField = incremental?.cursorField;
    for await (const raw of b.paginator.pages({
      baseUrl: b.baseUrl,
      fetch,
      state: paginationState,
      incremental,
      // A pass checks that no record comes twice by this field. It is the key's column name, which is the
      // API's field name for both connectors; a record without it is simply not checked.
      idField: pk.length === 1 ? pk[0] : undefined,
      signal: opts.signal,
    })) {
      const out = new Array<Record<string, unknown>>(raw.records.length);
      for (let i = 0; i < raw.records.length; i++) {
        const rec = raw.records[i];
        if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
          throw recordError(stream, raw.position, i, `is ${describe(rec)}, not an object`);
        }
        if (cursorField !== undefined) {
          const c = (rec as Record<string, unknown>)[cursorField];
          if (typeof c !== 'string' || Number.isNaN(Date.parse(c))) {
            throw recordError(
              stream,
              raw.position,
              i,
              `has no usable cursor "${cursorField}" (value ${String(JSON.stringify(c ?? null)).slice(0, 60)}): an incremental stream needs a date-time there to know where to resume`,
            );
          }
        }
        const t = b.transform(rec);
        for (const key of pk) {
          const v = t[key];
          if (v === null || v === undefined || v === '') {
            throw recordError(
              stream,
              raw.position,
              i,
              `has no primary key "${key}" (value ${JSON.stringify(v ?? null)})`,
            );
          }
        }
        out[i] = t;
      }
      yield {
        records: out,
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
    const url = detailUrl(this.connector.manifest, b, key, this.ctx);
    let res: JsonResponse;
    try {
      res = await this.http.getJson(url, this.metrics(stream), opts.signal, opts.logger);
    } catch (err) {
      if (err instanceof SourceError && err.details.status === 404) return null;
      throw err;
    }
    if (res.status === 404) return null;
    const body = res.body;
    const where = displayUrl(res.url, this.redactor);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SourceError(
        'TRB_SOURCE_BAD_RESPONSE',
        `stream "${stream}": the detail endpoint ${where} answered with ${describe(body)}, not a record`,
        { details: { stream, url: where } },
      );
    }
    const t = b.transform(body as Record<string, unknown>);
    for (const k of b.def.primary_key) {
      if (String(t[k]) !== String(key[k])) {
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
    await this.http.close();
  }
}

/** The page size a paginator definition requests, when it requests one. */
function pageSizeOf(p: PaginatorDef, ctx: TemplateContext): number | undefined {
  if (p.type === 'offset' || p.type === 'page_number') return resolveNumber(p.page_size, ctx, 'page_size');
  if (p.type === 'next_link' && p.page_size !== undefined)
    return resolveNumber(p.page_size, ctx, 'page_size');
  return undefined;
}

/**
 * A hash of what a stream's checkpoints mean: the URL path, the static params, the paginator (page size
 * resolved; its concurrency changes no page's content, so it is left out), the selector and the incremental
 * cursor. Params built from `{{ now }}` count by their template, not their value, which changes every run.
 * The host is left out: the same API moved to another address pages the same way.
 */
function pagingFingerprint(
  url: URL,
  def: StreamDef,
  manifest: Manifest,
  pdef: PaginatorDef,
  incDef: IncrementalDef | undefined,
  /** The page size `pdef` requests, resolved (pageSizeOf). */
  pageSize: number | undefined,
): string {
  const rawParams = { ...manifest.requester.params, ...def.params };
  const params = Object.keys(rawParams)
    .sort()
    .map((k) => {
      const raw = rawParams[k]!;
      return [k, typeof raw === 'string' && /\{\{\s*now\s*\}\}/.test(raw) ? raw : url.searchParams.get(k)];
    });
  const { concurrency: _concurrency, ...paginator } = pdef as PaginatorDef & { concurrency?: unknown };
  return createHash('sha256')
    .update(
      JSON.stringify({
        path: url.pathname,
        params,
        paginator: { ...paginator, ...(pageSize !== undefined ? { page_size: pageSize } : {}) },
        selector: def.selector?.path ?? manifest.selector.path,
        cursor: incDef
          ? [incDef.cursor_field, incDef.filter_param, incDef.sort_param ?? null, incDef.sort_value]
          : null,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

const DETAIL_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A detail path may name only `{path}` and the stream's primary-key fields. */
function checkDetailPath(connector: string, def: StreamDef, path: string): string {
  for (const m of path.matchAll(DETAIL_PLACEHOLDER)) {
    const name = m[1]!;
    if (name !== 'path' && !def.primary_key.includes(name)) {
      throw new ConfigError(
        `manifest ${connector}: stream ${def.name}: detail path ${JSON.stringify(path)} names {${name}}, which is neither {path} nor a primary-key field (${def.primary_key.join(', ')})`,
        { code: 'TRB_MANIFEST_INVALID', details: { stream: def.name } },
      );
    }
  }
  return path;
}

/** The detail URL of the record with primary key `key`: joined to base_url like a stream path, plus the requester's params. */
function detailUrl(
  manifest: Manifest,
  b: BuiltStream,
  key: Record<string, unknown>,
  ctx: TemplateContext,
): URL {
  const path = b.detailPath!.replace(DETAIL_PLACEHOLDER, (_m, name: string) =>
    name === 'path' ? b.def.path : encodeURIComponent(String(key[name] ?? '')),
  );
  const url = joinUrl(b.apiBase, path);
  for (const [k, v] of Object.entries(manifest.requester.params))
    url.searchParams.set(k, resolveString(v, ctx));
  return url;
}

function recordError(
  stream: string,
  pos: { page: number; firstIndex: number },
  i: number,
  what: string,
): SourceError {
  const n = pos.firstIndex + i;
  return new SourceError(
    'TRB_SOURCE_RECORD',
    `stream "${stream}": record #${n} (page ${pos.page + 1}, item ${i}) ${what}; nothing from this page was committed`,
    {
      details: { stream, record: n, page: pos.page + 1, item: i },
    },
  );
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function outputName(apiField: string, schema: SchemaInfo): string {
  const snake = apiField.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return snake in schema.declaredColumns ? snake : apiField;
}

function parseBaseUrl(value: string, connector: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`${connector}: base_url ${JSON.stringify(value)} is not a URL`, {
      details: { field: 'base_url' },
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`${connector}: base_url must use http or https, got ${u.protocol}`, {
      details: { field: 'base_url' },
    });
  }
  return u;
}
