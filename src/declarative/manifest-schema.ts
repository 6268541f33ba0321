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
  z
    .object({
      type: z.literal('basic').describe('Selects this authenticator.'),
      username: Template.describe('The user name; usually `{{ config.username }}`.'),
      password: Template.describe(
        'The password; usually `{{ config.password }}`, a `secret: true` config key (masked everywhere).',
      ),
    })
    .strict()
    .meta({
      title: 'Authenticator: basic',
      description: 'HTTP basic authentication (RFC 7617): `Authorization: Basic base64(username:password)`.',
      examples: [{ type: 'basic', username: '{{ config.username }}', password: '{{ config.password }}' }],
    }),
  z
    .object({
      type: z.literal('oauth2_client_credentials').describe('Selects this authenticator.'),
      token_url: Template.describe(
        'The token endpoint (http or https); it may be on another host than base_url.',
      ),
      client_id: Template.describe('The OAuth2 client id.'),
      client_secret: Template.describe(
        'The OAuth2 client secret (a `secret: true` config key); never logged, never in state or errors.',
      ),
      scopes: z
        .array(Template)
        .default([])
        .describe('Scopes asked for, sent space-separated in the `scope` form field (omitted when empty).'),
      audience: Template.optional().describe(
        'Sent as the `audience` form field when set (Auth0 and similar).',
      ),
      client_auth: z
        .enum(['body', 'basic'])
        .default('body')
        .describe(
          'How the client id and secret travel: `body` as form fields (client_secret_post), `basic` as an HTTP basic header (client_secret_basic).',
        ),
      refresh_before_seconds: Template.default(60).describe(
        'Fetch a new token this long before `expires_in` runs out (at most half the token lifetime).',
      ),
    })
    .strict()
    .meta({
      title: 'Authenticator: oauth2_client_credentials',
      description:
        'OAuth2 client credentials (RFC 6749 §4.4): a token fetched from `token_url` with a form POST, sent as a bearer token, shared by every request of the same config, refreshed before it expires and fetched again once after a 401. Token endpoint refusals (400/401/403) are `TRB_AUTH` (exit 2).',
      examples: [
        {
          type: 'oauth2_client_credentials',
          token_url: 'https://auth.example.com/oauth/token',
          client_id: '{{ config.client_id }}',
          client_secret: '{{ config.client_secret }}',
          scopes: ['read:orders'],
          audience: 'https://api.example.com',
        },
      ],
    }),
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
      /**
       * Incremental reads only: at most this many keyset windows of the cursor paged at once (parallel
       * windows, docs/parallel-windows.md); 1 pages one request after another. Needs `upper_filter_param`.
       */
      max_windows: Template.optional(),
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
  z
    .object({
      type: z.literal('cursor').describe('Selects this paginator.'),
      cursor_path: z
        .array(z.string())
        .min(1)
        .describe(
          "Where the body gives the next page's token, e.g. `[meta, next_cursor]`; absent, null, an empty string or false ends the pass.",
        ),
      cursor_param: z
        .string()
        .min(1)
        .describe('The query parameter the token is sent back in, e.g. `cursor`.'),
      page_size_param: z
        .string()
        .optional()
        .describe('Query parameter for the page size, when the API takes one.'),
      page_size: Template.optional().describe('Records per page asked for (with `page_size_param`).'),
    })
    .strict()
    .meta({
      title: 'Paginator: cursor',
      description:
        'Cursor (token) paging: each body carries an opaque token for the next page, sent back as a query parameter, until a body has none. The same token twice in a pass is a loop and fails it; no record may come twice.',
      examples: [
        {
          type: 'cursor',
          cursor_path: ['meta', 'next_cursor'],
          cursor_param: 'cursor',
          page_size_param: 'limit',
          page_size: 100,
        },
      ],
    }),
  z
    .object({
      type: z.literal('link_header').describe('Selects this paginator.'),
      rel: z.string().min(1).default('next').describe('The link relation to follow.'),
      page_size_param: z.string().optional().describe('Query parameter for the page size, e.g. `per_page`.'),
      page_size: Template.optional().describe('Records per page asked for (with `page_size_param`).'),
    })
    .strict()
    .meta({
      title: 'Paginator: link_header',
      description:
        'RFC 8288 `Link` headers (GitHub, GitLab, Shopify): follows the link whose `rel` is `next` until a response has none. Relative links resolve against the request URL; a link to another origin is refused; a link back to a page already read fails the pass.',
      examples: [{ type: 'link_header', page_size_param: 'per_page', page_size: 100 }],
    }),
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
    /**
     * Query parameter that filters on the cursor from above, exclusive (`<` the value sent), e.g.
     * `updatedAt[$lt]`: lets an offset paginator split a read into windows paged in parallel (`max_windows`).
     */
    upper_filter_param: z.string().optional(),
    lookback_seconds: Template.default(0),
    /** Days of history on a first sync (0 = all history). */
    initial_days: Template.default(0),
    enabled: Template.default(true),
  })
  .strict();

export type ConditionDef =
  | {
      field: string | string[];
      op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
      value: string | number | boolean;
    }
  | { field: string | string[]; op: 'in'; value: (string | number | boolean)[] }
  | { field: string | string[]; op: 'exists'; value?: boolean }
  | { all: ConditionDef[] }
  | { any: ConditionDef[] };

const FilterField = z
  .union([z.string().min(1), z.array(z.string()).min(1)])
  .describe(
    'The record field compared, as the API sends it (before transforms): a name, or a path `[a, b]` into nested objects.',
  );

/**
 * A record filter condition: one comparison, or `all` / `any` of conditions. Data, not code: no expressions.
 */
export const Condition: z.ZodType<ConditionDef> = z.lazy(() =>
  z
    .union([
      z
        .object({
          field: FilterField,
          op: z
            .enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte'])
            .describe(
              'The comparison: numbers compare as numbers, two ISO-8601 date-times as instants, anything else as text. A missing or null field matches only `ne`.',
            ),
          value: Template.describe(
            'What the field is compared with: a literal or a template such as `{{ config.since }}`.',
          ),
        })
        .strict()
        .meta({
          title: 'Condition: comparison',
          description: 'One field compared with one value.',
          examples: [{ field: 'status', op: 'ne', value: 'archived' }],
        }),
      z
        .object({
          field: FilterField,
          op: z.literal('in').describe('The field equals one of `value`.'),
          value: z.array(Template).min(1).describe('The values the field may equal.'),
        })
        .strict()
        .meta({
          title: 'Condition: in',
          description: 'The field equals one of a list of values.',
          examples: [{ field: 'type', op: 'in', value: ['invoice', 'credit_note'] }],
        }),
      z
        .object({
          field: FilterField,
          op: z.literal('exists').describe('Whether the field is present and not null.'),
          value: z
            .boolean()
            .optional()
            .describe('true (the default): the field is present and not null; false: it is absent or null.'),
        })
        .strict()
        .meta({
          title: 'Condition: exists',
          description: 'The field is present and not null (or, with `value: false`, absent or null).',
          examples: [{ field: ['customer', 'id'], op: 'exists' }],
        }),
      z
        .object({ all: z.array(Condition).min(1).describe('Conditions that must all hold.') })
        .strict()
        .meta({
          title: 'Condition: all',
          description: 'Every condition holds.',
          examples: [
            {
              all: [
                { field: 'deleted', op: 'ne', value: true },
                { field: 'total', op: 'gt', value: 0 },
              ],
            },
          ],
        }),
      z
        .object({ any: z.array(Condition).min(1).describe('Conditions of which at least one must hold.') })
        .strict()
        .meta({
          title: 'Condition: any',
          description: 'At least one condition holds.',
          examples: [
            {
              any: [
                { field: 'status', op: 'eq', value: 'open' },
                { field: 'reopened', op: 'exists' },
              ],
            },
          ],
        }),
    ])
    .meta({ title: 'Condition', description: 'A comparison, or `all` / `any` of conditions.' }),
);

export const RecordFilter = z
  .object({
    condition: Condition.describe(
      'Records for which this holds are kept; the rest are dropped and counted as filtered (`metrics.filtered` in the run summary, and a debug log line per page).',
    ),
  })
  .strict()
  .meta({
    title: 'Record filter',
    description:
      "Keeps only the records that match a condition, checked on the record as the API sent it (before transforms). Data, not code. A full-refresh pass's count proof is lowered by the records dropped.",
    examples: [
      {
        condition: {
          all: [
            { field: 'status', op: 'ne', value: 'draft' },
            { field: 'updated_at', op: 'gte', value: '{{ config.start_date }}' },
          ],
        },
      },
    ],
  });

/** A child stream read once per record of a parent stream (Airbyte's SubstreamPartitionRouter, smaller). */
export const ParentDef = z
  .object({
    stream: z
      .string()
      .describe('The parent stream: another stream of this manifest, itself without a parent.'),
    key: z
      .string()
      .min(1)
      .describe(
        "The parent record's field (after the parent's transforms) that identifies a parent, e.g. `id`; state is kept per value of it.",
      ),
    partition_field: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .describe(
        "Column added to every child record, holding the parent's key, e.g. `project_id`; put it in the child's primary_key when child ids are unique only within one parent.",
      ),
  })
  .strict()
  .meta({
    title: 'Parent stream',
    description:
      "Reads this stream once per record of a parent stream; the stream's path names the parent with `{{ parent.<field> }}` (URL-encoded). The parent is read in full each time; the child keeps a cursor per parent, a crash resumes at the parent and page it stopped at, and the child's pass ends only when the parent's and every parent's child pass were proven complete.",
    examples: [{ stream: 'projects', key: 'id', partition_field: 'project_id' }],
  });

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
    /** JSON Schema file of the emitted record, relative to the connector folder. */
    schema: z.string(),
    params: z.record(z.string(), Template).optional(),
    paginator: Paginator.optional(),
    selector: Selector.optional(),
    transforms: z.array(Transform).optional(),
    incremental: Incremental.nullable().optional(),
    /** Override (or with null, disable) the manifest's skip_unchanged for this stream. */
    skip_unchanged: SkipUnchanged.nullable().optional(),
    /** Override (or with null, disable) the manifest's detail endpoint for this stream. */
    detail: Detail.nullable().optional(),
    parent: ParentDef.optional().describe(
      'Makes this a child stream, read once per record of the parent stream (see Parent stream).',
    ),
    record_filter: RecordFilter.optional().describe(
      'Keeps only the records that match a condition (see Record filter).',
    ),
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
export type RecordFilterDef = z.infer<typeof RecordFilter>;
export type ParentDefinition = z.infer<typeof ParentDef>;

/** The JSON Schema of a manifest, for editors. Generated, never hand-written. */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Manifest, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
