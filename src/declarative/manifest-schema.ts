/**
 * The manifest schema: the single source of truth for what a connector manifest may say. The JSON Schema for
 * editors (`tributary manifest-schema`) and the reference docs/manifest.md (`npm run docs:manifest`) are
 * generated from it, never written by hand. So every field carries its description here (`.describe`), and
 * every component (each object, each variant of a union) its title, description and one worked example
 * (`.meta`); test/declarative/manifest-reference.test.ts checks that none is missing and that each example
 * parses.
 */
import { z } from 'zod';

/** A literal, or a template like `{{ config.page_size }}` resolved against the validated config. */
const Template = z.union([z.string(), z.number(), z.boolean()]).meta({
  title: 'Template',
  description:
    "A literal value, or a string with templates resolved once when the sync starts: `{{ config.<key> }}` is a value of the validated config, `{{ now }}` the sync's start time (ISO-8601 UTC). A value that is one whole template keeps the config value's type (`'{{ config.page_size }}'` is a number); templates inside a longer string give text.",
  examples: ['{{ config.base_url }}', 'Bearer {{ config.api_token }}', 100],
});

export const ConfigProperty = z
  .object({
    type: z
      .enum(['string', 'integer', 'number', 'boolean'])
      .describe("The value's type; a config value of another type is refused."),
    title: z.string().optional().describe('A short label for forms and `tributary spec`.'),
    description: z.string().optional().describe('What the value is and where the user finds it.'),
    default: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('The value when the config leaves it out.'),
    minimum: z.number().optional().describe('Smallest number allowed (integer and number types).'),
    maximum: z.number().optional().describe('Largest number allowed (integer and number types).'),
    enum: z
      .array(z.union([z.string(), z.number()]))
      .optional()
      .describe('The only values allowed.'),
    pattern: z.string().optional().describe('A regular expression a string value must match.'),
    format: z
      .enum(['uri', 'hostname-label'])
      .optional()
      .describe("`uri`: an absolute URL; `hostname-label`: one DNS label, such as a tenant's subdomain."),
    secret: z
      .boolean()
      .optional()
      .describe(
        'Secret values are masked everywhere (logs, errors, printed URLs) and never stored in state.',
      ),
    examples: z.array(z.unknown()).optional().describe('Example values, shown by `tributary spec`.'),
    order: z.number().int().optional().describe('Position of the field in forms (lowest first).'),
  })
  .strict()
  .meta({
    title: 'Config property',
    description: "One setting of the connector's config, as a small JSON Schema.",
    examples: [
      {
        type: 'string',
        title: 'API token',
        description: 'An access token with read scope (Settings → API).',
        secret: true,
        order: 0,
      },
    ],
  });

export const ConfigSpec = z
  .object({
    required: z.array(z.string()).default([]).describe('Config keys the user must give.'),
    properties: z
      .record(z.string(), ConfigProperty)
      .describe("The config's settings by key; templates name them as `{{ config.<key> }}`."),
    normalize: z
      .string()
      .optional()
      .describe(
        "A code component (`config_normalizer`, registered by the folder's components.ts) that normalises or checks the config after the schema checks.",
      ),
  })
  .strict()
  .meta({
    title: 'Config spec',
    description:
      "What the connector's config holds (`tributary spec` prints it as JSON Schema). Values come from the config file, `$" +
      '{ENV}` interpolated.',
    examples: [
      {
        required: ['api_token'],
        properties: {
          api_token: { type: 'string', title: 'API token', secret: true },
          page_size: { type: 'integer', default: 100, minimum: 1, maximum: 250 },
        },
      },
    ],
  });

export const Authenticator = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('bearer').describe('Selects this authenticator.'),
        token: Template.describe(
          'The token, sent as `Authorization: Bearer <token>`; usually `{{ config.<secret key> }}`.',
        ),
      })
      .strict()
      .meta({
        title: 'Authenticator: bearer',
        description: 'Sends a bearer token in the `Authorization` header.',
        examples: [{ type: 'bearer', token: '{{ config.api_token }}' }],
      }),
    z
      .object({
        type: z.literal('api_key').describe('Selects this authenticator.'),
        inject_into: z
          .enum(['header', 'query'])
          .describe(
            'Where the key goes: a request header, or a query parameter (masked in every printed URL).',
          ),
        name: z
          .string()
          .min(1)
          .describe('The header or query parameter name, e.g. `X-API-Key` or `api_key`.'),
        value: Template.describe('The key (a template such as `Token {{ config.api_key }}`).'),
      })
      .strict()
      .meta({
        title: 'Authenticator: api_key',
        description: 'Sends an API key in a header or a query parameter.',
        examples: [
          {
            type: 'api_key',
            inject_into: 'header',
            name: 'Authorization',
            value: 'Token {{ config.api_key }}',
          },
        ],
      }),
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
        description:
          'HTTP basic authentication (RFC 7617): `Authorization: Basic base64(username:password)`.',
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
    z
      .object({ type: z.literal('none').describe('Selects this authenticator.') })
      .strict()
      .meta({
        title: 'Authenticator: none',
        description: 'No credentials (a public API). The default.',
        examples: [{ type: 'none' }],
      }),
  ])
  .meta({ title: 'Authenticator', description: 'How requests carry credentials. Chosen by `type`.' });

export const ErrorRule = z
  .object({
    statuses: z.array(z.number().int().min(100).max(599)).min(1).describe('HTTP statuses this rule matches.'),
    action: z
      .enum(['retry', 'fail', 'auth', 'end_of_stream'])
      .describe(
        "`retry`: retry with backoff (up to `max_retries`); `fail`: fail the stream; `auth`: fail as a credentials error; `end_of_stream`: treat the response as the stream's end.",
      ),
    body_contains: z.string().optional().describe('Match only when the response body contains this text.'),
  })
  .strict()
  .meta({
    title: 'Error rule',
    description:
      'What to do with an HTTP error status. Rules are tried in order before the defaults (401/403: auth; 408, 429, 5xx: retry).',
    examples: [{ statuses: [404], action: 'end_of_stream', body_contains: 'Invalid page' }],
  });

export const Requester = z
  .object({
    base_url: Template.describe("The API's base URL; stream paths are joined to it (http or https)."),
    authenticator: Authenticator.default({ type: 'none' }).describe('How requests carry credentials.'),
    headers: z
      .record(z.string(), Template)
      .default({})
      .describe('Headers sent with every request (values are templates).'),
    params: z
      .record(z.string(), Template)
      .default({})
      .describe('Query parameters sent with every request (values are templates).'),
    timeout_seconds: Template.default(30).describe('Seconds before a request times out (and is retried).'),
    max_retries: Template.default(3).describe('Retries of a failed request before the stream fails.'),
    requests_per_minute: Template.optional().describe(
      'Proactive budget per credential, shared by all streams (and, with Redis, all workers); omit when the vendor publishes no limit.',
    ),
    max_response_bytes: Template.optional().describe(
      "Cap on one response's decoded size in bytes (default 64 MiB); a larger one fails the stream.",
    ),
    error_policy: z
      .array(ErrorRule)
      .default([])
      .describe('Rules for HTTP error statuses, tried in order before the defaults.'),
  })
  .strict()
  .meta({
    title: 'Requester',
    description:
      'How every request is made: base URL, credentials, headers, timeouts, retries and rate limits.',
    examples: [
      {
        base_url: 'https://{{ config.subdomain }}.example.com/api/',
        authenticator: { type: 'bearer', token: '{{ config.api_token }}' },
        headers: { Accept: 'application/json' },
        timeout_seconds: 60,
        requests_per_minute: 100,
        error_policy: [{ statuses: [404], action: 'end_of_stream' }],
      },
    ],
  });

const PAGE_SIZE = 'Records per page; sent in `page_size_param` (a template, e.g. `{{ config.page_size }}`).';

export const Paginator = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('offset').describe('Selects this paginator.'),
        limit_param: z.string().describe('Query parameter for the page size, e.g. `limit` or `$limit`.'),
        offset_param: z
          .string()
          .describe('Query parameter for the number of records to skip, e.g. `offset` or `$skip`.'),
        page_size: Template.describe('Records per page (a template, e.g. `{{ config.page_size }}`).'),
        total_path: z
          .array(z.string())
          .optional()
          .describe(
            'Where the body says how many records exist in all; used to stop without an extra empty request.',
          ),
        max_windows: Template.optional().describe(
          'At most this many requests at once: with an incremental cursor, keyset windows of the cursor range paged in parallel (needs `upper_filter_param`, see docs/parallel-windows.md); on a full refresh with a `total_path`, offset pages fetched ahead. 1 (the default) pages one request after another.',
        ),
      })
      .strict()
      .meta({
        title: 'Paginator: offset',
        description:
          'Limit/offset paging. Stops at a short page (or at the total). With an incremental cursor it pages by keyset, so records that change mid-read are not skipped.',
        examples: [
          {
            type: 'offset',
            limit_param: '$limit',
            offset_param: '$skip',
            page_size: 100,
            total_path: ['total'],
          },
        ],
      }),
    z
      .object({
        type: z.literal('next_link').describe('Selects this paginator.'),
        next_path: z
          .array(z.string())
          .describe("Where the body holds the next page's URL (null or absent on the last page)."),
        page_size_param: z
          .string()
          .optional()
          .describe('Query parameter for the page size, sent on the first request.'),
        page_size: Template.optional().describe(PAGE_SIZE),
      })
      .strict()
      .meta({
        title: 'Paginator: next_link',
        description: 'Follows the URL of the next page that each response body gives.',
        examples: [
          { type: 'next_link', next_path: ['links', 'next'], page_size_param: 'limit', page_size: 100 },
        ],
      }),
    z
      .object({
        type: z.literal('page_number').describe('Selects this paginator.'),
        page_param: z.string().describe('Query parameter for the page number, e.g. `page`.'),
        page_size_param: z
          .string()
          .optional()
          .describe('Query parameter for the page size, e.g. `page_size`.'),
        page_size: Template.describe(PAGE_SIZE),
        start_page: z.number().int().default(1).describe("The first page's number."),
        count_path: z
          .array(z.string())
          .optional()
          .describe(
            'Where the body gives the total record count. With it, later pages are fetched concurrently.',
          ),
        next_path: z
          .array(z.string())
          .optional()
          .describe("Where the body gives the next page's URL; followed when pages are read one at a time."),
        concurrency: Template.default(1).describe(
          'Pages fetched at once once the count is known (1 = sequential).',
        ),
      })
      .strict()
      .meta({
        title: 'Paginator: page_number',
        description:
          'Numbered pages (`?page=1`, `?page=2`, ...). Stops at a short or empty page, or when the count is reached.',
        examples: [
          {
            type: 'page_number',
            page_param: 'page',
            page_size_param: 'page_size',
            page_size: '{{ config.page_size }}',
            count_path: ['count'],
            next_path: ['next'],
          },
        ],
      }),
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
        page_size_param: z
          .string()
          .optional()
          .describe('Query parameter for the page size, e.g. `per_page`.'),
        page_size: Template.optional().describe('Records per page asked for (with `page_size_param`).'),
      })
      .strict()
      .meta({
        title: 'Paginator: link_header',
        description:
          'RFC 8288 `Link` headers (GitHub, GitLab, Shopify): follows the link whose `rel` is `next` until a response has none. Relative links resolve against the request URL; a link to another origin is refused; a link back to a page already read fails the pass.',
        examples: [{ type: 'link_header', page_size_param: 'per_page', page_size: 100 }],
      }),
    z
      .object({ type: z.literal('none').describe('Selects this paginator.') })
      .strict()
      .meta({
        title: 'Paginator: none',
        description: 'One request, one page. The default.',
        examples: [{ type: 'none' }],
      }),
  ])
  .meta({
    title: 'Paginator',
    description: "How a stream's pages are requested and when they end. Chosen by `type`.",
  });

const SELECTS = 'Selects this transform.';

export const Transform = z
  .discriminatedUnion('type', [
    z
      .object({
        type: z.literal('flatten').describe(SELECTS),
        separator: z
          .string()
          .default('_')
          .describe('Joins the names of nested fields (`address.city` → `address_city`).'),
      })
      .strict()
      .meta({
        title: 'Transform: flatten',
        description: 'Nested objects become top-level fields, one per leaf. Arrays stay as they are.',
        examples: [{ type: 'flatten', separator: '_' }],
      }),
    z
      .object({ type: z.literal('snake_case').describe(SELECTS) })
      .strict()
      .meta({
        title: 'Transform: snake_case',
        description:
          'Field names become snake_case (`createdAt` → `created_at`). Two fields that map to one name both survive (`name__2`; see the README).',
        examples: [{ type: 'snake_case' }],
      }),
    z
      .object({ type: z.literal('json_arrays').describe(SELECTS) })
      .strict()
      .meta({
        title: 'Transform: json_arrays',
        description:
          'Array values become JSON text (they land as JSON text anyway; this makes it explicit early).',
        examples: [{ type: 'json_arrays' }],
      }),
    z
      .object({
        type: z.literal('utc_timestamps').describe(SELECTS),
        fields: z
          .array(z.string())
          .optional()
          .describe('Output fields to normalise; default: every field the schema marks `format: date-time`.'),
      })
      .strict()
      .meta({
        title: 'Transform: utc_timestamps',
        description:
          'Date-times with an offset become ISO-8601 UTC (`2024-01-01T10:00:00+02:00` → `2024-01-01T08:00:00.000Z`).',
        examples: [{ type: 'utc_timestamps', fields: ['created_at', 'updated_at'] }],
      }),
    z
      .object({
        type: z.literal('rename').describe(SELECTS),
        fields: z.record(z.string(), z.string()).describe('Old name → new name.'),
      })
      .strict()
      .meta({
        title: 'Transform: rename',
        description: 'Renames fields.',
        examples: [{ type: 'rename', fields: { uuid: 'id' } }],
      }),
    z
      .object({
        type: z.literal('add_fields').describe(SELECTS),
        fields: z
          .record(z.string(), Template)
          .describe(
            "Field name → value. Values are templates; `{{ now }}` is the sync's start time in ISO-8601 UTC.",
          ),
      })
      .strict()
      .meta({
        title: 'Transform: add_fields',
        description: 'Adds fields with fixed or templated values to every record.',
        examples: [
          { type: 'add_fields', fields: { tenant: '{{ config.subdomain }}', read_at: '{{ now }}' } },
        ],
      }),
    z
      .object({
        type: z.literal('custom').describe(SELECTS),
        component: z
          .string()
          .describe('The name a code component registered under (kind `transform`), e.g. `acme.fix_dates`.'),
      })
      .strict()
      .meta({
        title: 'Transform: custom',
        description:
          "A transform written in TypeScript in the connector folder's components.ts (the escape hatch).",
        examples: [{ type: 'custom', component: 'acme.fix_dates' }],
      }),
  ])
  .meta({
    title: 'Transform',
    description:
      'One step of the list that turns an API record into the emitted record, applied in order. Chosen by `type`.',
  });

/**
 * A date-time cursor (the incremental-cursor component). It works with every paginator: `offset` pages it by
 * keyset; with the others it advances only at the proven end of a pass (see DatetimeCursor).
 */
export const Incremental = z
  .object({
    cursor_field: z
      .string()
      .describe("The cursor field in the API's record (before transforms), e.g. `updatedAt`."),
    filter_param: z
      .string()
      .describe('Query parameter that filters on the cursor (`>=` the value sent), e.g. `updatedAt[$gte]`.'),
    sort_param: z
      .string()
      .optional()
      .describe(
        'Query parameter that sorts by the cursor; `sort_value` must ask for ascending order (it is checked).',
      ),
    sort_value: z.string().default('1').describe('The value of `sort_param` that means ascending.'),
    tie_breaker_param: z
      .string()
      .optional()
      .describe(
        'Sort parameter for the record id, sent after `sort_param` with the same value (e.g. `$sort[id]`), so records that share a cursor value come in one order on every request and a run of them can be paged by count exactly. Needs a single-field primary key.',
      ),
    upper_filter_param: z
      .string()
      .optional()
      .describe(
        'Query parameter that filters on the cursor from above, exclusive (`<` the value sent), e.g. `updatedAt[$lt]`: lets an offset paginator split a read into windows paged in parallel (`max_windows`).',
      ),
    lookback_seconds: Template.default(0).describe(
      'Seconds before the committed cursor to read again (late writes).',
    ),
    initial_days: Template.default(0).describe('Days of history on a first sync (0 = all history).'),
    enabled: Template.default(true).describe(
      'Whether the stream syncs incrementally (a template, to let the config switch it off).',
    ),
  })
  .strict()
  .meta({
    title: 'Incremental',
    description:
      'A date-time cursor: each sync asks only for records updated since the last committed cursor. It works with every paginator: `offset` pages by keyset; with the others the cursor advances only at the proven end of a pass.',
    examples: [
      {
        cursor_field: 'updatedAt',
        filter_param: 'updatedAt[$gte]',
        sort_param: '$sort[updatedAt]',
        sort_value: '1',
        tie_breaker_param: '$sort[id]',
        lookback_seconds: 60,
        initial_days: '{{ config.initial_sync_days }}',
      },
    ],
  });

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

export const Selector = z
  .object({
    path: z
      .array(z.string())
      .describe('Keys from the response body to the array of records (`[]`: the body is the array).'),
  })
  .strict()
  .meta({
    title: 'Selector',
    description: 'Where a response body holds its records.',
    examples: [{ path: ['data'] }],
  });

/**
 * Client-side incremental for APIs without a server-side filter: every page is still read, but rows whose
 * `field` (e.g. `modified`) is unchanged in the destination are not rewritten, and count as unchanged.
 */
export const SkipUnchanged = z
  .object({
    field: z
      .string()
      .describe('Output field whose equal value means the record is unchanged, e.g. `modified`.'),
    enabled: Template.default(true).describe(
      'Whether to skip unchanged rows (a template, to let the config switch it).',
    ),
  })
  .strict()
  .meta({
    title: 'Skip unchanged',
    description:
      'Client-side incremental for APIs without a server-side filter: every page is still read, but rows whose `field` is unchanged in the destination are not rewritten, and count as unchanged.',
    examples: [{ field: 'modified', enabled: '{{ config.skip_unchanged }}' }],
  });

/**
 * The API's detail endpoint of one record, used to confirm a record is really gone before a full-refresh
 * pass marks it deleted (one request per candidate; see docs/reliability.md).
 */
export const Detail = z
  .object({
    path: z
      .string()
      .min(1)
      .describe(
        "Relative to `base_url`, like a stream path: `{path}` is the stream's path and `{<field>}` a primary-key field of the record (URL-encoded), e.g. `{path}{id}/` (Django REST) or `{path}/{id}` (Feathers). `{{ config.x }}` templates resolve first.",
      ),
  })
  .strict()
  .meta({
    title: 'Detail',
    description:
      "The API's endpoint for one record, used to confirm a record is really gone before a full-refresh pass marks it deleted (one request per candidate; see docs/reliability.md).",
    examples: [{ path: '{path}/{id}' }],
  });

export const Check = z
  .object({ stream: z.string().describe('The stream whose first page `tributary check` reads.') })
  .strict()
  .meta({
    title: 'Check',
    description: 'How `tributary check` probes the API with the configured credentials.',
    examples: [{ stream: 'orders' }],
  });

export const StreamDef = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'stream names are snake_case')
      .describe("The stream's name (snake_case); also its table's name."),
    path: z
      .string()
      .describe('The list endpoint, relative to `base_url`, e.g. `orders` or `api/v1/orders/`.'),
    primary_key: z
      .array(z.string())
      .min(1)
      .describe('The output fields that identify a record; rows are upserted by them.'),
    schema: z
      .string()
      .optional()
      .describe(
        'JSON Schema file of the emitted record, relative to the connector folder. Optional: without it `schemas/<name>.json` is used when it exists, else the column types are inferred from the records, as they are when the file declares no property (a placeholder such as `{"type": "object"}`). `tributary discover --write-schemas` writes the inferred schema for review.',
      ),
    params: z
      .record(z.string(), Template)
      .optional()
      .describe("Query parameters of this stream's requests (values are templates)."),
    paginator: Paginator.optional().describe("This stream's paginator (default: the manifest's)."),
    selector: Selector.optional().describe("Where this stream's records are (default: the manifest's)."),
    transforms: z
      .array(Transform)
      .optional()
      .describe("This stream's transforms, replacing the manifest's list."),
    incremental: Incremental.nullable()
      .optional()
      .describe("This stream's cursor (default: the manifest's); null makes the stream full refresh only."),
    skip_unchanged: SkipUnchanged.nullable()
      .optional()
      .describe("Override (or with null, disable) the manifest's skip_unchanged for this stream."),
    detail: Detail.nullable()
      .optional()
      .describe("Override (or with null, disable) the manifest's detail endpoint for this stream."),
    parent: ParentDef.optional().describe(
      'Makes this a child stream, read once per record of the parent stream (see Parent stream).',
    ),
    record_filter: RecordFilter.optional().describe(
      'Keeps only the records that match a condition (see Record filter).',
    ),
  })
  .strict()
  .meta({
    title: 'Stream',
    description:
      "One endpoint that lists records, synced into one table. Its settings override the manifest's defaults.",
    examples: [
      {
        name: 'orders',
        path: 'orders',
        primary_key: ['id'],
        schema: 'schemas/orders.json',
        params: { status: 'any' },
        selector: { path: ['orders'] },
      },
    ],
  });

export const Manifest = z
  .object({
    version: z.literal(1).describe("The manifest format's version: 1."),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/)
      .describe("The connector's name (snake_case): its default destination schema and its state's key."),
    title: z.string().describe("The API's name as people write it."),
    description: z.string().optional().describe('One sentence on what the connector syncs.'),
    spec: ConfigSpec.describe("What the connector's config holds."),
    requester: Requester.describe('How every request is made.'),
    paginator: Paginator.default({ type: 'none' }).describe('The paginator of every stream that sets none.'),
    selector: Selector.default({ path: [] }).describe(
      'Where the records are, for every stream that sets no selector.',
    ),
    transforms: z.array(Transform).default([]).describe('The transforms of every stream that sets none.'),
    incremental: Incremental.optional().describe(
      'The cursor of every stream that sets none (omit: full refresh only).',
    ),
    skip_unchanged: SkipUnchanged.optional().describe(
      'Client-side incremental for every stream that does not override it.',
    ),
    detail: Detail.optional().describe(
      "Each stream's detail endpoint (default for all streams; a stream may override or disable it).",
    ),
    check: Check.describe('How `tributary check` probes the API.'),
    streams: z.array(StreamDef).min(1).describe('The streams, at least one.'),
  })
  .strict()
  .meta({
    title: 'Manifest',
    description:
      "A connector's `manifest.yaml`: the config it takes, how it makes requests, and its streams. Top-level `paginator`, `selector`, `transforms`, `incremental`, `skip_unchanged` and `detail` are defaults each stream may override.",
    examples: [
      {
        version: 1,
        name: 'shop',
        title: 'Shop',
        description: 'Orders and customers from the Shop API.',
        spec: {
          required: ['api_token'],
          properties: {
            api_token: { type: 'string', title: 'API token', secret: true },
            page_size: { type: 'integer', default: 100, minimum: 1, maximum: 250 },
          },
        },
        requester: {
          base_url: 'https://shop.example.com/api/',
          authenticator: { type: 'bearer', token: '{{ config.api_token }}' },
        },
        paginator: {
          type: 'page_number',
          page_param: 'page',
          page_size_param: 'per_page',
          page_size: '{{ config.page_size }}',
        },
        selector: { path: ['data'] },
        transforms: [{ type: 'snake_case' }],
        incremental: {
          cursor_field: 'updatedAt',
          filter_param: 'updated_since',
          sort_param: 'sort',
          sort_value: 'updated_at',
        },
        check: { stream: 'orders' },
        streams: [
          { name: 'orders', path: 'orders', primary_key: ['id'] },
          { name: 'customers', path: 'customers', primary_key: ['id'], incremental: null },
        ],
      },
    ],
  });

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
