/**
 * The files of a new connector folder (`tributary init`): a commented manifest with one stream, its schema
 * placeholder, a README in the format of the bundled connectors' READMEs, a config example and a test that
 * reads the connector against a tiny local server with `node --test` (no test framework needed).
 *
 * Only authenticator and paginator kinds that this version's manifest schema accepts are offered: every
 * scaffold is parsed by the same parser as a real manifest before it is offered (see availableKinds).
 */
import { parseManifest } from './registry.js';

export const AUTH_KINDS = ['bearer', 'api_key', 'basic', 'none'] as const;
export const PAGING_KINDS = ['page', 'offset', 'cursor', 'link', 'none'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];
export type PagingKind = (typeof PAGING_KINDS)[number];

export interface ScaffoldOptions {
  /** The connector's name: snake_case, also the default destination schema. */
  name: string;
  /** The API's base URL, e.g. https://api.example.com/v1 */
  baseUrl: string;
  auth: AuthKind;
  paging: PagingKind;
  /** The one stream's name (snake_case); its path is the same name under the base URL. */
  stream: string;
}

const NAME = /^[a-z][a-z0-9_]*$/;

/** Why `name` cannot name a connector or stream, or undefined when it can. */
export function invalidName(name: string): string | undefined {
  return NAME.test(name)
    ? undefined
    : `"${name}" must be snake_case: a lowercase letter, then lowercase letters, digits or _`;
}

/** Why `url` cannot be a base URL, or undefined when it can. */
export function invalidBaseUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return `"${url}" is not an http(s) URL such as https://api.example.com/v1`;
}

function authSpec(auth: AuthKind): { spec: string; requester: string; required: string[] } {
  switch (auth) {
    case 'bearer':
      return {
        required: ['api_token'],
        spec: `    api_token:
      type: string
      title: API token
      description: 'Sent as the header "Authorization: Bearer <token>".'
      secret: true # masked in logs and errors, never stored in state
      order: 0
`,
        requester: `  authenticator:
    type: bearer
    token: '{{ config.api_token }}'
`,
      };
    case 'api_key':
      return {
        required: ['api_key'],
        spec: `    api_key:
      type: string
      title: API key
      description: Sent in the X-API-Key header.
      secret: true # masked in logs and errors, never stored in state
      order: 0
`,
        requester: `  authenticator:
    type: api_key
    inject_into: header # or query
    name: X-API-Key
    value: '{{ config.api_key }}'
`,
      };
    case 'basic':
      return {
        required: ['username', 'password'],
        spec: `    username:
      type: string
      title: User name
      order: 0
    password:
      type: string
      title: Password
      secret: true # masked in logs and errors, never stored in state
      order: 1
`,
        requester: `  authenticator:
    type: basic
    username: '{{ config.username }}'
    password: '{{ config.password }}'
`,
      };
    case 'none':
      return { required: [], spec: '', requester: '  authenticator:\n    type: none\n' };
  }
}

function paginator(paging: PagingKind): string {
  switch (paging) {
    case 'page':
      return `# ?page=1, 2, ... until a page holds fewer records than asked. If the body says how many records
# there are in all, add count_path: [total] and pages are fetched in parallel (concurrency).
paginator:
  type: page_number
  page_param: page
  page_size_param: per_page
  page_size: '{{ config.page_size }}'
`;
    case 'offset':
      return `# ?limit=N&offset=M. If the body says how many records there are in all, add total_path: [total].
paginator:
  type: offset
  limit_param: limit
  offset_param: offset
  page_size: '{{ config.page_size }}'
`;
    case 'cursor':
      return `# The body gives the next page's cursor; it is sent back as ?cursor=... until the body has none.
paginator:
  type: cursor
  cursor_path: [next_cursor]
  cursor_param: cursor
  page_size_param: limit
  page_size: '{{ config.page_size }}'
`;
    case 'link':
      return `# RFC 8288: the response's Link header names the next page (rel="next").
paginator:
  type: link_header
  page_size_param: per_page
  page_size: '{{ config.page_size }}'
`;
    case 'none':
      return `# One request per stream: the API returns every record at once.
paginator:
  type: none
`;
  }
}

/** The commented manifest.yaml of a new connector. */
export function manifestYaml(o: ScaffoldOptions): string {
  const auth = authSpec(o.auth);
  const pageSize =
    o.paging === 'none'
      ? ''
      : `    page_size:
      type: integer
      title: Page size
      default: 100
      minimum: 1
      maximum: 1000
`;
  return `# ${o.name}: a tributary connector (manifest reference: tributary manifest-schema; docs/manifest.md).
# Try it: tributary check ./${o.name} --config ${o.name}/config.example.yaml
version: 1
name: ${o.name}
title: ${o.name}
description: 'Records from ${o.baseUrl}, synced incrementally by updated_at.'

# The config a user gives (--config FILE); templates below read it as {{ config.<key> }}.
spec:
  required: [${auth.required.join(', ')}]
  properties:
${auth.spec}    base_url:
      type: string
      format: uri
      title: API base URL
      default: ${o.baseUrl}
${pageSize}
requester:
  base_url: '{{ config.base_url }}'
${auth.requester}  # What each HTTP status means: retry it, fail the sync, a credential problem, or the end of the list.
  error_policy:
    - { statuses: [401, 403], action: auth }
    - { statuses: [408, 429, 500, 502, 503, 504], action: retry }

${paginator(o.paging)}
# Where the records are in the response body: [] for a top-level array, [data] for {"data": [...]}.
selector:
  path: [data]

# Incremental sync: each sync asks only for records updated since the last one (the filter is ">=").
# Delete this block if the API cannot filter by update time; every sync then reads everything.
incremental:
  cursor_field: updated_at
  filter_param: updated_since

# Which stream \`tributary check\` reads one page of.
check:
  stream: ${o.stream}

streams:
  - name: ${o.stream}
    path: ${o.stream} # relative to base_url
    primary_key: [id]
    # A placeholder: review it, or let \`tributary discover --write-schemas\` write one from real records.
    schema: schemas/${o.stream}.json
`;
}

function configExample(o: ScaffoldOptions): string {
  const env = o.name.toUpperCase();
  const lines: Record<AuthKind, string> = {
    bearer: `api_token: \${${env}_API_TOKEN}\n`,
    api_key: `api_key: \${${env}_API_KEY}\n`,
    basic: `username: \${${env}_USERNAME}\npassword: \${${env}_PASSWORD}\n`,
    none: '',
  };
  return `# Config for ./${o.name}: \${VAR} is read from the environment when the sync runs.\n${lines[o.auth]}base_url: ${o.baseUrl}\n`;
}

function readme(o: ScaffoldOptions): string {
  const rows: string[] = [];
  const secret = 'secret: masked everywhere, never stored in state';
  if (o.auth === 'bearer') rows.push(`| \`api_token\` | yes | | string | ${secret} |`);
  if (o.auth === 'api_key') rows.push(`| \`api_key\` | yes | | string | ${secret} |`);
  if (o.auth === 'basic') {
    rows.push('| `username` | yes | | string | |');
    rows.push(`| \`password\` | yes | | string | ${secret} |`);
  }
  rows.push(`| \`base_url\` | no | \`${o.baseUrl}\` | http(s) URL | |`);
  if (o.paging !== 'none') rows.push('| `page_size` | no | 100 | 1–1000 | records asked per page |');
  return `# ${o.name}

## Sync overview

Reads \`${o.stream}\` from ${o.baseUrl}. It syncs **incrementally** by \`updated_at\`: a re-sync asks only for
records updated since the last committed cursor (\`updated_since\`) and upserts them by \`id\`. A
\`--full-refresh\` re-reads everything.

### Output schema

| stream | endpoint | primary key | cursor |
|---|---|---|---|
| ${o.stream} | \`GET /${o.stream}\` | id | updated_at |

The schema in \`schemas/${o.stream}.json\` is a placeholder (\`{"type": "object"}\`): until it declares
properties, column types are inferred from the records (integers, numbers, booleans, date-times). To pin them,
run \`tributary discover ./${o.name} --config CONFIG --write-schemas\`: it writes the inferred schema over the
placeholder from the first pages it reads. Review the result and commit it.

## Getting started

### Configuration

| key | required | default | allowed | notes |
|---|---|---|---|---|
${rows.join('\n')}

\`config.example.yaml\` is a starting point; \`\${VAR}\` is read from the environment.

\`\`\`sh
tributary check ./${o.name} --config ${o.name}/config.example.yaml
tributary sync ./${o.name} --config ${o.name}/config.example.yaml --destination duckdb:${o.name}.duckdb
\`\`\`

### Test

\`node --test ${o.name}/test/connector.test.mjs\` reads the connector against a tiny local server that serves
made-up records (edit the server to answer like your API).

## Changelog

- 0.1.0: created with \`tributary init\`.
`;
}

/** The tiny local server a scaffold's test reads against, answering like the manifest expects. */
function testFile(o: ScaffoldOptions): string {
  const authCheck: Record<AuthKind, string> = {
    bearer: "req.headers.authorization === 'Bearer test-token'",
    api_key: "req.headers['x-api-key'] === 'test-token'",
    basic: `req.headers.authorization === 'Basic ' + Buffer.from('user:test-token').toString('base64')`,
    none: 'true',
  };
  const config: Record<AuthKind, string> = {
    bearer: "api_token: 'test-token', ",
    api_key: "api_key: 'test-token', ",
    basic: "username: 'user', password: 'test-token', ",
    none: '',
  };
  const paging: Record<PagingKind, string> = {
    page: `const size = Number(url.searchParams.get('per_page') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const data = rows.slice((page - 1) * size, page * size);
    return { data };`,
    offset: `const size = Number(url.searchParams.get('limit') ?? 100);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    return { data: rows.slice(offset, offset + size) };`,
    cursor: `const size = Number(url.searchParams.get('limit') ?? 100);
    const at = Number(url.searchParams.get('cursor') ?? 0);
    const next = at + size < rows.length ? String(at + size) : null;
    return { data: rows.slice(at, at + size), next_cursor: next };`,
    link: `const size = Number(url.searchParams.get('per_page') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    if (page * size < rows.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      res.setHeader('link', \`<\${next.href}>; rel="next"\`);
    }
    return { data: rows.slice((page - 1) * size, page * size) };`,
    none: 'return { data: rows };',
  };
  return `// Reads ./${o.name} against a tiny local server with tributary's library: run \`node --test\` on this file.
// Edit the server below so it answers like your API does.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DeclarativeSource, loadConnector, resolveConnectorConfig } from 'tributary';

const folder = join(dirname(fileURLToPath(import.meta.url)), '..');
const records = Array.from({ length: 25 }, (_, i) => ({
  id: i + 1,
  name: \`record \${i + 1}\`,
  updated_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
}));

let server;
let baseUrl;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!(${authCheck[o.auth]})) {
      res.writeHead(401).end();
      return;
    }
    if (url.pathname !== '/${o.stream}') {
      res.writeHead(404).end();
      return;
    }
    const since = url.searchParams.get('updated_since');
    const rows = records.filter((r) => since === null || r.updated_at >= since);
    const body = (() => {
      ${paging[o.paging]}
    })();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = \`http://127.0.0.1:\${server.address().port}\`;
});

after(() => server.close());

test('reads every record of ${o.stream}', async () => {
  const connector = await loadConnector(folder);
  const config = resolveConnectorConfig(connector, { ${config[o.auth]}base_url: baseUrl });
  const source = new DeclarativeSource(connector, config);
  const ids = [];
  try {
    for await (const page of source.read('${o.stream}', { syncMode: 'full_refresh', state: undefined })) {
      for (const r of page.records) ids.push(r.id);
    }
  } finally {
    await source.close();
  }
  assert.deepEqual(
    ids.map(Number).sort((a, b) => a - b),
    records.map((r) => r.id),
  );
});
`;
}

/** The folder's files, path (relative to the folder) to content. The manifest is checked by the real parser. */
export function scaffoldFiles(o: ScaffoldOptions): Record<string, string> {
  const manifest = manifestYaml(o);
  parseManifest(manifest, `${o.name}/manifest.yaml`);
  return {
    'manifest.yaml': manifest,
    [`schemas/${o.stream}.json`]: `${JSON.stringify({ type: 'object' }, null, 2)}\n`,
    'README.md': readme(o),
    'config.example.yaml': configExample(o),
    'test/connector.test.mjs': testFile(o),
  };
}

/** The kinds this version's manifest schema accepts: a scaffold with each is parsed, and those that fail are left out. */
export function availableKinds(): { auth: AuthKind[]; paging: PagingKind[] } {
  const base: ScaffoldOptions = {
    name: 'probe',
    baseUrl: 'https://example.com',
    auth: 'none',
    paging: 'none',
    stream: 'items',
  };
  const ok = (o: ScaffoldOptions) => {
    try {
      parseManifest(manifestYaml(o), 'probe');
      return true;
    } catch {
      return false;
    }
  };
  return {
    auth: AUTH_KINDS.filter((auth) => ok({ ...base, auth })),
    paging: PAGING_KINDS.filter((paging) => ok({ ...base, paging })),
  };
}
