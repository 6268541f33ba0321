/**
 * The one factory every declarative connector goes through (like Airbyte's ModelToComponentFactory): it
 * turns the validated manifest (manifest-schema.ts) and the resolved config into components, each small and
 * in its own file: the authenticator, the requester, per stream a paginator, a record selector (with the
 * stream's transforms) and, for incremental streams, the date-time cursor, which composes with any
 * paginator. Templates (`{{ config.x }}`, `{{ now }}`) are resolved here, once, and nowhere else.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { StreamDescriptor } from '../engine/source.js';
import type { ErrorPolicy } from '../http/error-policy.js';
import type { RequestEvent } from '../http/http-client.js';
import type { BudgetRegistry } from '../http/rate-budget.js';
import type { Logger } from '../util/log.js';
import type { Redactor } from '../util/redact.js';
import { type Authenticator, createAuthenticator } from './authenticator.js';
import type { LoadedConnector } from './declarative-source.js';
import { DatetimeCursor } from './incremental-cursor.js';
import type {
  AuthenticatorDef,
  IncrementalDef,
  Manifest,
  PaginatorDef,
  RequesterDef,
  StreamDef,
  TransformDef,
} from './manifest-schema.js';
import { CursorTokenPaginator } from './paginators/cursor-token-paginator.js';
import { LinkHeaderPaginator } from './paginators/link-header-paginator.js';
import { NextLinkPaginator } from './paginators/next-link-paginator.js';
import { OffsetPaginator } from './paginators/offset-paginator.js';
import { PageNumberPaginator } from './paginators/page-number-paginator.js';
import type { Paginator } from './paginators/paginator.js';
import { SinglePagePaginator } from './paginators/single-page-paginator.js';
import { RecordSelector } from './record-selector.js';
import { Requester } from './requester.js';
import type { SchemaInfo } from './stream-schema.js';
import { resolveBoolean, resolveNumber, resolveString, type TemplateContext } from './template.js';
import { compileTransforms } from './transforms.js';
import { compileRecordFilter, type RecordPredicate } from './record-filter.js';
import { PARENT_TEMPLATE } from './parent-router.js';

/** One stream's components and what the engine is told about it. */
export interface StreamComponents {
  def: StreamDef;
  descriptor: StreamDescriptor;
  /** The stream's list URL: base_url joined with its path, with the static params. */
  url: URL;
  paginator: Paginator;
  selector: RecordSelector;
  /** Present when the stream reads incrementally (its `incremental` is set and enabled). */
  cursor?: DatetimeCursor;
  /** The detail endpoint's path template (relative to base_url), when the stream has one. */
  detailPath?: string;
  /** Keeps the records the manifest's `record_filter` accepts (checked before transforms), when it has one. */
  filter?: RecordPredicate;
  /** A child stream: read once per record of `stream`, its path templated from that record (see ParentRouter). */
  parent?: { stream: string; key: string; partitionField: string };
  /** The stream's own query parameters (resolved), for URLs built per parent. */
  params: Record<string, string>;
}

export interface SourceComponents {
  requester: Requester;
  streams: Map<string, StreamComponents>;
}

export interface FactoryOptions {
  logger: Logger;
  redactor: Redactor;
  /** Override of the page concurrency (e.g. 1 for the sequential baseline). */
  pageConcurrency?: number;
  /** Override of the offset paginator's `max_windows` (parallel keyset windows; 1 = sequential). */
  maxWindows?: number;
  /** Where credentials' rate budgets live (default: this process's `globalBudgets`). */
  budgets?: BudgetRegistry;
  /** The clock OAuth2 token expiry is measured with (tests pass a fake one; default Date.now). */
  clock?: () => number;
  /** Told of every request sent (`tributary read`). */
  onRequest?: (event: RequestEvent) => void;
}

export class ComponentFactory {
  private readonly manifest: Manifest;

  constructor(
    private readonly connector: LoadedConnector,
    private readonly ctx: TemplateContext,
    private readonly opts: FactoryOptions,
  ) {
    this.manifest = connector.manifest;
  }

  /** Every component of the connector: one requester, and each stream's own. */
  build(): SourceComponents {
    const def = this.manifest.requester;
    // The base URL first: a config whose URL is wrong is told so before anything else is resolved.
    const base = parseBaseUrl(resolveString(def.base_url, this.ctx), this.manifest.name);
    const authenticator = this.authenticator(def.authenticator);
    const requester = this.requester(def, authenticator, base);
    const streams = new Map<string, StreamComponents>();
    for (const def of this.manifest.streams)
      streams.set(def.name, this.stream(def, requester, authenticator));
    return { requester, streams };
  }

  authenticator(def: AuthenticatorDef): Authenticator {
    return createAuthenticator(def, this.ctx, this.opts.redactor, {
      timeoutMs: resolveNumber(this.manifest.requester.timeout_seconds, this.ctx, 'timeout_seconds') * 1000,
      ...(this.opts.clock === undefined ? {} : { now: this.opts.clock }),
    });
  }

  requester(def: RequesterDef, authenticator: Authenticator, base: URL): Requester {
    const policy: ErrorPolicy = {
      rules: def.error_policy.map((r) => ({
        statuses: r.statuses,
        action: r.action,
        bodyContains: r.body_contains,
      })),
    };
    return new Requester({
      base,
      authenticator,
      params: this.resolveAll(def.params),
      headers: this.resolveAll(def.headers),
      timeoutMs: resolveNumber(def.timeout_seconds, this.ctx, 'timeout_seconds') * 1000,
      maxRetries: resolveNumber(def.max_retries, this.ctx, 'max_retries'),
      ...(def.requests_per_minute === undefined
        ? {}
        : { requestsPerMinute: resolveNumber(def.requests_per_minute, this.ctx, 'requests_per_minute') }),
      ...(def.max_response_bytes === undefined
        ? {}
        : { maxResponseBytes: resolveNumber(def.max_response_bytes, this.ctx, 'max_response_bytes') }),
      policy,
      redactor: this.opts.redactor,
      logger: this.opts.logger,
      ...(this.opts.budgets === undefined ? {} : { budgets: this.opts.budgets }),
      ...(this.opts.onRequest === undefined ? {} : { onRequest: this.opts.onRequest }),
    });
  }

  paginator(p: PaginatorDef, authenticator: Authenticator): Paginator {
    switch (p.type) {
      case 'offset':
        return new OffsetPaginator({
          limitParam: p.limit_param,
          offsetParam: p.offset_param,
          pageSize: resolveNumber(p.page_size, this.ctx, 'page_size'),
          totalPath: p.total_path,
          maxWindows:
            this.opts.maxWindows ??
            (p.max_windows === undefined ? 1 : resolveNumber(p.max_windows, this.ctx, 'max_windows')),
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
          secretParam: authenticator.queryParam,
        });
      case 'cursor':
        return new CursorTokenPaginator({
          cursorPath: p.cursor_path,
          cursorParam: p.cursor_param,
          ...(p.page_size_param === undefined ? {} : { pageSizeParam: p.page_size_param }),
          ...(p.page_size === undefined
            ? {}
            : { pageSize: resolveNumber(p.page_size, this.ctx, 'page_size') }),
        });
      case 'link_header':
        return new LinkHeaderPaginator({
          rel: p.rel,
          ...(p.page_size_param === undefined ? {} : { pageSizeParam: p.page_size_param }),
          ...(p.page_size === undefined
            ? {}
            : { pageSize: resolveNumber(p.page_size, this.ctx, 'page_size') }),
          ...(authenticator.queryParam === undefined ? {} : { secretParam: authenticator.queryParam }),
        });
      case 'none':
        return new SinglePagePaginator();
    }
  }

  incrementalCursor(def: IncrementalDef, stream: StreamDef): DatetimeCursor {
    // Ids break ties and drop re-read records only when the key is one field (the API's field name).
    // A child's partition field is not in the API's record: within one parent the rest is the key.
    const key = stream.primary_key.filter((k) => k !== stream.parent?.partition_field);
    const idField = key.length === 1 ? key[0] : undefined;
    return new DatetimeCursor({
      cursorField: def.cursor_field,
      filterParam: def.filter_param,
      sortParam: def.sort_param,
      sortValue: def.sort_value,
      tieBreakerParam: idField === undefined ? undefined : def.tie_breaker_param,
      idField,
      // Windows need the tie-breaker too: without it a window boundary is still exact (half-open), but a
      // run of ties longer than a page could not be paged by count within a window.
      upperFilterParam: idField === undefined ? undefined : def.upper_filter_param,
      lookbackMs: resolveNumber(def.lookback_seconds, this.ctx, 'lookback_seconds') * 1000,
      initialDays: resolveNumber(def.initial_days, this.ctx, 'initial_days'),
      now: this.ctx.now,
    });
  }

  stream(def: StreamDef, requester: Requester, authenticator: Authenticator): StreamComponents {
    const { manifest } = this;
    const schema = this.connector.schemas[def.name]!;
    checkParent(manifest, def);
    const params = this.resolveAll(def.params ?? {});
    const url = requester.url(def.path, params);
    const incDef = def.incremental === null ? undefined : (def.incremental ?? manifest.incremental);
    const cursor =
      incDef && resolveBoolean(incDef.enabled, this.ctx) ? this.incrementalCursor(incDef, def) : undefined;
    const pdef = def.paginator ?? manifest.paginator;
    const skipDef = def.skip_unchanged === null ? undefined : (def.skip_unchanged ?? manifest.skip_unchanged);
    const unchangedField = skipDef && resolveBoolean(skipDef.enabled, this.ctx) ? skipDef.field : undefined;
    const transform = compileTransforms(
      def.transforms ?? manifest.transforms,
      this.ctx,
      schema.dateTimeFields,
      (column, sourcePath, collidesWith) =>
        this.opts.logger.warn(
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
      ...(schema.inferred ? { inferSchema: true } : {}),
      supportedSyncModes: cursor ? ['full_refresh', 'incremental'] : ['full_refresh'],
      cursorField: incDef
        ? outputName(incDef.cursor_field, schema, def.transforms ?? manifest.transforms)
        : undefined,
      resumable: true,
      unchangedField,
      paging: {
        ...(pageSize !== undefined ? { pageSize } : {}),
        fingerprint: pagingFingerprint(url, def, manifest, pdef, incDef, pageSize),
      },
      detail: detailPath !== undefined,
    };
    const selector = new RecordSelector({
      stream: def.name,
      path: def.selector?.path ?? manifest.selector.path,
      primaryKey: def.primary_key,
      transform,
      ...(cursor ? { check: cursor.check } : {}),
      redactor: this.opts.redactor,
    });
    return {
      def,
      descriptor,
      url,
      paginator: this.paginator(pdef, authenticator),
      selector,
      ...(cursor ? { cursor } : {}),
      ...(detailPath !== undefined ? { detailPath } : {}),
      ...(def.record_filter ? { filter: compileRecordFilter(def.record_filter, this.ctx) } : {}),
      ...(def.parent
        ? {
            parent: {
              stream: def.parent.stream,
              key: def.parent.key,
              partitionField: def.parent.partition_field,
            },
          }
        : {}),
      params,
    };
  }

  private resolveAll(values: Record<string, string | number | boolean>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) out[k] = resolveString(v, this.ctx);
    return out;
  }
}

/** The page size a paginator definition requests, when it requests one. */
function pageSizeOf(p: PaginatorDef, ctx: TemplateContext): number | undefined {
  if (p.type === 'offset' || p.type === 'page_number') return resolveNumber(p.page_size, ctx, 'page_size');
  if (
    (p.type === 'next_link' || p.type === 'cursor' || p.type === 'link_header') &&
    p.page_size !== undefined
  )
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
  // How many requests go out at once does not change what a checkpoint means (a windowed one resumes under
  // any number of windows), so neither concurrency nor max_windows is part of it.
  const {
    concurrency: _concurrency,
    max_windows: _maxWindows,
    ...paginator
  } = pdef as PaginatorDef & { concurrency?: unknown; max_windows?: unknown };
  // Only child streams carry a parent, so every other stream's fingerprint stays what it was.
  const parent = def.parent ? { parent: def.parent } : {};
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
        ...parent,
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

/**
 * A child stream's parent must be another stream of the manifest that has no parent itself (one level keeps
 * state and resumes simple), and `{{ parent.x }}` may appear only in a child's path.
 */
function checkParent(manifest: Manifest, def: StreamDef): void {
  const fail = (what: string) => {
    throw new ConfigError(`manifest ${manifest.name}: stream ${def.name}: ${what}`, {
      code: 'TRB_MANIFEST_INVALID',
      details: { stream: def.name },
    });
  };
  const usesParent = new RegExp(PARENT_TEMPLATE.source).test(def.path);
  if (!def.parent) {
    if (usesParent)
      fail(`path ${JSON.stringify(def.path)} names {{ parent.… }} but the stream has no parent`);
    return;
  }
  const parent = manifest.streams.find((s) => s.name === def.parent!.stream);
  if (!parent) fail(`parent.stream "${def.parent.stream}" is not one of the manifest's streams`);
  if (parent!.name === def.name) fail('a stream cannot be its own parent');
  if (parent!.parent)
    fail(`parent.stream "${parent!.name}" has a parent itself; only one level is supported`);
}

export const DETAIL_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

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

function outputName(apiField: string, schema: SchemaInfo, transforms: TransformDef[]): string {
  const snake = apiField.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  // Without a schema file there are no declared columns to look in: the transforms say.
  if (schema.inferred) return transforms.some((t) => t.type === 'snake_case') ? snake : apiField;
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
