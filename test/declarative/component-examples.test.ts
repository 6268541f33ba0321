/**
 * The worked examples of the components added for real APIs (issue 16 part 7) are real: each parses with its
 * own schema, and a manifest using all of them together parses. (The generated reference renders them.)
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseManifest } from '../../src/connectors/registry.js';
import {
  Authenticator,
  Condition,
  Paginator,
  ParentDef,
  RecordFilter,
} from '../../src/declarative/manifest-schema.js';

type Meta = { title?: string; examples?: unknown[] };
const metaOf = (s: z.ZodType) => (s.meta() ?? {}) as Meta;

const NEW = [
  'Authenticator: basic',
  'Authenticator: oauth2_client_credentials',
  'Paginator: cursor',
  'Paginator: link_header',
  'Record filter',
  'Parent stream',
  'Condition: comparison',
  'Condition: in',
  'Condition: exists',
  'Condition: all',
  'Condition: any',
];

describe('worked examples of the new components', () => {
  const conditionVariants = (
    Condition as unknown as { _zod: { def: { getter: () => { options: z.ZodType[] } } } }
  )._zod.def.getter().options;
  const components: z.ZodType[] = [
    ...Authenticator.options,
    ...Paginator.options,
    RecordFilter,
    ParentDef,
    ...conditionVariants,
  ];

  it('every new component has a title and at least one example, and each example parses', () => {
    const seen: string[] = [];
    for (const c of components) {
      const m = metaOf(c);
      if (!m.title || !NEW.includes(m.title)) continue;
      seen.push(m.title);
      expect(m.examples?.length, m.title).toBeGreaterThan(0);
      for (const ex of m.examples!)
        expect(c.safeParse(ex).success, `${m.title}: ${JSON.stringify(ex)}`).toBe(true);
    }
    expect(seen.sort()).toEqual([...NEW].sort());
  });

  it('a manifest using them together parses', () => {
    const m = parseManifest(
      `
version: 1
name: together
title: Together
spec:
  properties:
    client_id: { type: string }
    client_secret: { type: string, secret: true }
requester:
  base_url: https://api.example.com/v2
  authenticator:
    type: oauth2_client_credentials
    token_url: https://auth.example.com/oauth/token
    client_id: "{{ config.client_id }}"
    client_secret: "{{ config.client_secret }}"
    scopes: [read]
paginator: { type: link_header, page_size_param: per_page, page_size: 100 }
check: { stream: projects }
streams:
  - name: projects
    path: projects
    primary_key: [id]
    schema: schemas/projects.json
  - name: tasks
    path: projects/{{ parent.id }}/tasks
    primary_key: [project_id, id]
    schema: schemas/tasks.json
    parent: { stream: projects, key: id, partition_field: project_id }
    paginator: { type: cursor, cursor_path: [meta, next_cursor], cursor_param: cursor }
    record_filter:
      condition:
        any:
          - { field: status, op: in, value: [open, blocked] }
          - { field: [assignee, id], op: exists }
`,
      'together',
    );
    expect(m.streams[1]!.parent).toEqual({ stream: 'projects', key: 'id', partition_field: 'project_id' });
    expect(m.requester.authenticator).toMatchObject({ client_auth: 'body', refresh_before_seconds: 60 });
  });
});
