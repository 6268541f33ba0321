/**
 * The manifest schema: the single source of truth for what a connector manifest may say. The JSON Schema for
 * editors (`tributary manifest-schema`) is generated from it with zod's toJSONSchema, never written by hand.
 */
import { z } from 'zod';

/** A literal, or a template like `{{ config.page_size }}` resolved against the validated config. */
const Template = z.union([z.string(), z.number(), z.boolean()]);

export const ConfigProperty = z
  .object({
    type: z.enum(['string', 'integer', 'number', 'boolean']),
    title: z.string().optional(),
    description: z.string().optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    enum: z.array(z.union([z.string(), z.number()])).optional(),
    pattern: z.string().optional(),
    format: z.enum(['uri', 'hostname-label']).optional(),
    secret: z.boolean().optional().describe('Secret values are masked everywhere and never stored in state'),
    examples: z.array(z.unknown()).optional(),
    order: z.number().int().optional(),
  })
  .strict();

export const ConfigSpec = z
  .object({
    required: z.array(z.string()).default([]),
    properties: z.record(z.string(), ConfigProperty),
    /** A code component (see the escape hatch) that normalises/validates the config after the schema checks. */
    normalize: z.string().optional(),
  })
  .strict();

export const Authenticator = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: Template }).strict(),
  z
    .object({
      type: z.literal('api_key'),
      inject_into: z.enum(['header', 'query']),
      name: z.string().min(1),
      value: Template,
    })
    .strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

export const ErrorRule = z
  .object({
    statuses: z.array(z.number().int().min(100).max(599)).min(1),
    action: z.enum(['retry', 'fail', 'auth', 'end_of_stream']),
    body_contains: z.string().optional(),
  })
  .strict();

export const Requester = z
  .object({
    base_url: Template,
    authenticator: Authenticator.default({ type: 'none' }),
    headers: z.record(z.string(), Template).default({}),
    params: z.record(z.string(), Template).default({}),
    timeout_seconds: Template.default(30),
    max_retries: Template.default(3),
    /** Proactive budget per credential; omit when the vendor publishes no limit. */
    requests_per_minute: Template.optional(),
    /** Cap on one response's decoded size in bytes (default 64 MiB); a larger one fails the stream. */
    max_response_bytes: Template.optional(),
    error_policy: z.array(ErrorRule).default([]),
  })
  .strict();

export const Paginator = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('offset'),
      limit_param: z.string(),
      offset_param: z.string(),
      page_size: Template,
      /** Where the body says how many records exist in all; used to stop without an extra empty request. */
      total_path: z.array(z.string()).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('next_link'),
      next_path: z.array(z.string()),
      page_size_param: z.string().optional(),
      page_size: Template.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('page_number'),
      page_param: z.string(),
      page_size_param: z.string().optional(),
      page_size: Template,
      start_page: z.number().int().default(1),
      /** Where the body gives the total record count. With it, later pages are fetched concurrently. */
      count_path: z.array(z.string()).optional(),
      /** Where the body gives the next page's URL; followed when pages are read one at a time. */
      next_path: z.array(z.string()).optional(),
      /** Pages fetched at once once the count is known (1 = sequential). */
      concurrency: Template.default(1),
    })
    .strict(),
  z.object({ type: z.literal('none') }).strict(),
]);

export const Transform = z.discriminatedUnion('type', [
  z.object({ type: z.literal('flatten'), separator: z.string().default('_') }).strict(),
  z.object({ type: z.literal('snake_case') }).strict(),
  z.object({ type: z.literal('json_arrays') }).strict(),
  z
    .object({
      type: z.literal('utc_timestamps'),
      /** Output fields to normalise; default: every field the schema marks `format: date-time`. */
      fields: z.array(z.string()).optional(),
    })
    .strict(),
  z.object({ type: z.literal('rename'), fields: z.record(z.string(), z.string()) }).strict(),
  z
    .object({
      type: z.literal('add_fields'),
      /** Values are templates; `{{ now }}` is the sync's start time in ISO-8601 UTC. */
      fields: z.record(z.string(), Template),
    })
    .strict(),
  z.object({ type: z.literal('custom'), component: z.string() }).strict(),
]);

/**
 * A date-time cursor (the incremental-cursor component). It works with every paginator: `offset` pages it by
 * keyset; with the others it advances only at the proven end of a pass (see DatetimeCursor).
 */
export const Incremental = z
  .object({
    /** The cursor field in the API's record (before transforms), e.g. `updatedAt`. */
    cursor_field: z.string(),
    /** Query parameter that filters on the cursor (`>=` the value sent), e.g. `updatedAt[$gte]`. */
    filter_param: z.string(),
    /** Query parameter that sorts by the cursor; `sort_value` must ask for ascending order (it is checked). */
    sort_param: z.string().optional(),
    sort_value: z.string().default('1'),
    /**
     * Sort parameter for the record id, sent after `sort_param` with the same value (e.g. `$sort[id]`), so
     * records that share a cursor value come in one order on every request and a run of them can be paged
     * by count exactly. Needs a single-field primary key.
     */
    tie_breaker_param: z.string().optional(),
    lookback_seconds: Template.default(0),
    /** Days of history on a first sync (0 = all history). */
    initial_days: Template.default(0),
    enabled: Template.default(true),
  })
  .strict();

export const Selector = z.object({ path: z.array(z.string()) }).strict();

/**
 * Client-side incremental for APIs without a server-side filter: every page is still read, but rows whose
 * `field` (e.g. `modified`) is unchanged in the destination are not rewritten, and count as unchanged.
 */
export const SkipUnchanged = z
  .object({
    /** Output field whose equal value means the record is unchanged. */
    field: z.string(),
    enabled: Template.default(true),
  })
  .strict();

/**
 * The API's detail endpoint of one record, used to confirm a record is really gone before a full-refresh
 * pass marks it deleted (one request per candidate; see docs/reliability.md). `path` is relative to
 * `base_url`, like a stream path: `{path}` is the stream's path and `{<field>}` a primary-key field of the
 * record (URL-encoded), e.g. `{path}{id}/` (Django REST) or `{path}/{id}` (Feathers). `{{ config.x }}`
 * templates resolve first.
 */
export const Detail = z.object({ path: z.string().min(1) }).strict();

export const StreamDef = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'stream names are snake_case'),
    path: z.string(),
    primary_key: z.array(z.string()).min(1),
    /**
     * JSON Schema file of the emitted record, relative to the connector folder. Optional: without it
     * `schemas/<name>.json` is used when it exists, else the columns are inferred from the records.
     */
    schema: z.string().optional(),
    params: z.record(z.string(), Template).optional(),
    paginator: Paginator.optional(),
    selector: Selector.optional(),
    transforms: z.array(Transform).optional(),
    incremental: Incremental.nullable().optional(),
    /** Override (or with null, disable) the manifest's skip_unchanged for this stream. */
    skip_unchanged: SkipUnchanged.nullable().optional(),
    /** Override (or with null, disable) the manifest's detail endpoint for this stream. */
    detail: Detail.nullable().optional(),
  })
  .strict();

export const Manifest = z
  .object({
    version: z.literal(1),
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    title: z.string(),
    description: z.string().optional(),
    spec: ConfigSpec,
    requester: Requester,
    paginator: Paginator.default({ type: 'none' }),
    selector: Selector.default({ path: [] }),
    transforms: z.array(Transform).default([]),
    incremental: Incremental.optional(),
    skip_unchanged: SkipUnchanged.optional(),
    /** Each stream's detail endpoint (default for all streams; a stream may override or disable it). */
    detail: Detail.optional(),
    check: z.object({ stream: z.string() }).strict(),
    streams: z.array(StreamDef).min(1),
  })
  .strict();

export type Manifest = z.infer<typeof Manifest>;
export type StreamDef = z.infer<typeof StreamDef>;
export type PaginatorDef = z.infer<typeof Paginator>;
export type TransformDef = z.infer<typeof Transform>;
export type IncrementalDef = z.infer<typeof Incremental>;
export type DetailDef = z.infer<typeof Detail>;
export type ConfigSpecDef = z.infer<typeof ConfigSpec>;
export type ConfigPropertyDef = z.infer<typeof ConfigProperty>;
export type RequesterDef = z.infer<typeof Requester>;
export type AuthenticatorDef = z.infer<typeof Authenticator>;
export type SelectorDef = z.infer<typeof Selector>;

/** The JSON Schema of a manifest, for editors. Generated, never hand-written. */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Manifest, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
