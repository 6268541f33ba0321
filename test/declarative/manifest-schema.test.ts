import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Manifest, manifestJsonSchema } from '../../src/declarative/manifest-schema.js';

const connectorsDir = join(import.meta.dirname, '..', '..', 'src', 'connectors');
const shipped = ['humaans', 'hellobaton'].map((name) => ({
  name,
  raw: parse(readFileSync(join(connectorsDir, name, 'manifest.yaml'), 'utf8')) as Record<string, unknown>,
}));

function minimal(): Record<string, unknown> {
  return {
    version: 1,
    name: 'acme',
    title: 'Acme',
    spec: { required: ['api_key'], properties: { api_key: { type: 'string', secret: true } } },
    requester: {
      base_url: 'https://api.acme.example',
      authenticator: { type: 'bearer', token: '{{ config.api_key }}' },
    },
    check: { stream: 'people' },
    streams: [{ name: 'people', path: '/people', primary_key: ['id'], schema: 'schemas/people.json' }],
  };
}

function issuesOf(value: unknown): { path: (string | number)[]; message: string }[] {
  const r = Manifest.safeParse(value);
  expect(r.success).toBe(false);
  return r.success
    ? []
    : r.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validate = ajv.compile(manifestJsonSchema());

describe('Manifest (zod)', () => {
  it('accepts a minimal manifest and fills the defaults', () => {
    const m = Manifest.parse(minimal());
    expect(m.paginator).toEqual({ type: 'none' });
    expect(m.selector).toEqual({ path: [] });
    expect(m.transforms).toEqual([]);
    expect(m.requester.timeout_seconds).toBe(30);
    expect(m.requester.max_retries).toBe(3);
    expect(m.requester.error_policy).toEqual([]);
    expect(m.spec.required).toEqual(['api_key']);
  });

  it.each(shipped)('accepts the shipped $name manifest', ({ raw }) => {
    const r = Manifest.safeParse(raw);
    expect(r.success, r.success ? '' : JSON.stringify(r.error.issues.slice(0, 3))).toBe(true);
  });

  it('rejects an unknown key with the path of the object that holds it', () => {
    const m = minimal();
    (m.requester as Record<string, unknown>).retries = 3;
    const [issue] = issuesOf(m);
    expect(issue!.path).toEqual(['requester']);
    expect(issue!.message).toContain('retries');
  });

  it('rejects a stream name that is not snake_case, with the path to it', () => {
    const m = minimal();
    (m.streams as Record<string, unknown>[])[0]!.name = 'People';
    const [issue] = issuesOf(m);
    expect(issue!.path).toEqual(['streams', 0, 'name']);
    expect(issue!.message).toBe('stream names are snake_case');
  });

  it('rejects an unknown paginator type and a bad paginator field', () => {
    const m = minimal();
    m.paginator = { type: 'cursor_magic' };
    expect(issuesOf(m)[0]!.path).toEqual(['paginator', 'type']);
    const m2 = minimal();
    m2.paginator = { type: 'offset', limit_param: '$limit', offset_param: '$skip' };
    expect(issuesOf(m2)[0]!.path).toEqual(['paginator', 'page_size']);
  });

  it('rejects an error rule with a status outside 100–599 and an empty stream list', () => {
    const m = minimal();
    (m.requester as Record<string, unknown>).error_policy = [{ statuses: [404, 700], action: 'fail' }];
    expect(issuesOf(m)[0]!.path).toEqual(['requester', 'error_policy', 0, 'statuses', 1]);
    const m2 = minimal();
    m2.streams = [];
    expect(issuesOf(m2)[0]!.path).toEqual(['streams']);
  });

  it('rejects a wrong version and a missing required section', () => {
    const m = minimal();
    m.version = 2;
    expect(issuesOf(m)[0]!.path).toEqual(['version']);
    const m2 = minimal();
    delete m2.requester;
    expect(issuesOf(m2)[0]!.path).toEqual(['requester']);
  });

  it('rejects an empty primary key and a transform with a misspelt option', () => {
    const m = minimal();
    (m.streams as Record<string, unknown>[])[0]!.primary_key = [];
    expect(issuesOf(m)[0]!.path).toEqual(['streams', 0, 'primary_key']);
    const m2 = minimal();
    m2.transforms = [{ type: 'flatten', seperator: '.' }];
    expect(issuesOf(m2)[0]!.path).toEqual(['transforms', 0]);
  });
});

describe('manifestJsonSchema (generated from zod)', () => {
  it('is a 2020-12 JSON Schema describing the top-level sections', () => {
    const s = manifestJsonSchema();
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.type).toBe('object');
    expect(Object.keys(s.properties as object)).toEqual(
      expect.arrayContaining([
        'version',
        'name',
        'title',
        'spec',
        'requester',
        'paginator',
        'streams',
        'check',
        'incremental',
      ]),
    );
    expect(s.required).toEqual(
      expect.arrayContaining(['version', 'name', 'title', 'spec', 'requester', 'check', 'streams']),
    );
    expect(s.required).not.toContain('paginator');
  });

  it('validates the minimal and the shipped manifests', () => {
    for (const m of [minimal(), ...shipped.map((s) => s.raw)]) {
      expect(validate(m), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    }
  });

  it('agrees with zod on invalid manifests, and names the place', () => {
    const cases: [Record<string, unknown>, string][] = [];
    const a = minimal();
    (a.streams as Record<string, unknown>[])[0]!.name = 'People';
    cases.push([a, '/streams/0/name']);
    const b = minimal();
    (b.requester as Record<string, unknown>).retries = 3;
    cases.push([b, '/requester']);
    const c = minimal();
    (c.requester as Record<string, unknown>).error_policy = [{ statuses: [700], action: 'fail' }];
    cases.push([c, '/requester/error_policy/0/statuses/0']);
    for (const [m, where] of cases) {
      expect(Manifest.safeParse(m).success).toBe(false);
      expect(validate(m)).toBe(false);
      expect(validate.errors!.map((e) => e.instancePath)).toContain(where);
    }
  });
});
