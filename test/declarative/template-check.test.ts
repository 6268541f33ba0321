/**
 * Strict templates: a manifest whose template names an undeclared config key or an unknown variable fails
 * to load (TRB_MANIFEST_INVALID), naming the file, the line and the nearest valid name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS_DIR, listConnectors, parseManifest } from '../../src/connectors/registry.js';
import {
  checkExpression,
  findTemplateProblems,
  levenshtein,
  nearest,
  TEMPLATE_ROOTS,
} from '../../src/declarative/template-check.js';
import { ConfigError, exitCodeFor } from '../../src/errors.js';

const FILE = '/home/me/connectors/orders/manifest.yaml';

/** A small valid manifest; `{{ config.api_token }}` sits on line 12. */
function manifest(replace: Record<string, string> = {}): string {
  let text = `version: 1
name: orders
title: Orders
description: Orders from {{ a made-up API }} (descriptions are not templates).
spec:
  required: [api_token]
  properties:
    api_token: { type: string, secret: true, description: "Used as {{ config.api_token }}" }
    page_size: { type: integer, default: 50 }
requester:
  base_url: https://api.example.test
  authenticator: { type: bearer, token: '{{ config.api_token }}' }
  params:
    since: '{{ now }}'
paginator:
  type: page_number
  page_param: page
  page_size_param: per_page
  page_size: '{{ config.page_size }}'
check: { stream: orders }
streams:
  - name: orders
    path: /orders
    primary_key: [id]
    schema: schemas/orders.json
    params:
      region: 'eu-{{ config.page_size }}'
`;
  for (const [from, to] of Object.entries(replace)) {
    expect(text, from).toContain(from);
    text = text.replace(from, to);
  }
  return text;
}

function loadError(text: string): ConfigError {
  try {
    parseManifest(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the manifest to be refused');
}

describe('strict templates at load time', () => {
  it('a valid manifest loads, and so do the bundled connectors', () => {
    expect(parseManifest(manifest(), FILE).name).toBe('orders');
    for (const name of listConnectors()) {
      const file = join(CONNECTORS_DIR, name, 'manifest.yaml');
      expect(() => parseManifest(readFileSync(file, 'utf8'), file), name).not.toThrow();
    }
  });

  it('an undeclared config key names the file, the line and the nearest declared key', () => {
    const e = loadError(manifest({ "token: '{{ config.api_token }}'": "token: '{{ config.apitoken }}'" }));
    expect(e.code).toBe('TRB_MANIFEST_INVALID');
    expect(exitCodeFor(e.code)).toBe(2);
    expect(e.message).toBe(
      `manifest ${FILE} has a template that cannot resolve:\n  ${FILE}:12:42: requester.authenticator.token: "{{ config.apitoken }}" names config key "apitoken", which the spec does not declare; did you mean {{ config.api_token }}? (declared: api_token, page_size)`,
    );
    expect(e.details).toMatchObject({ file: FILE, line: 12 });
  });

  it('lists every bad template, wherever it is (paginator, stream params), each with its line', () => {
    const e = loadError(
      manifest({
        "page_size: '{{ config.page_size }}'": "page_size: '{{ config.pagesize }}'",
        "region: 'eu-{{ config.page_size }}'": "region: 'eu-{{ config.regoin }}'",
        "since: '{{ now }}'": "since: '{{ nwo }}'",
      }),
    );
    const issues = e.details.issues as string[];
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatch(
      new RegExp(
        `^${FILE}:14:13: requester\\.params\\.since: "\\{\\{ nwo \\}\\}" names the unknown variable "nwo" \\(known: config, now, parent\\); did you mean \\{\\{ now \\}\\}\\?$`,
      ),
    );
    expect(issues[1]).toMatch(/:19:15: paginator\.page_size: .*did you mean \{\{ config\.page_size \}\}\?/);
    // Nothing close enough: no suggestion, the declared keys instead.
    expect(issues[2]).toMatch(
      /:27:19: streams\.0\.params\.region: "\{\{ config\.regoin \}\}" names config key "regoin", which the spec does not declare \(declared: api_token, page_size\)$/,
    );
    expect(e.message).toContain('has 3 templates that cannot resolve');
  });

  it('an expression the resolver cannot read is refused too', () => {
    const e = loadError(manifest({ "token: '{{ config.api_token }}'": "token: '{{ config.api-token }}'" }));
    expect(e.message).toMatch(
      /"\{\{ config\.api-token \}\}" is not a template tributary can resolve .*did you mean \{\{ config\.api_token \}\}\?/,
    );
  });

  it('only the top-level description and title are skipped: a param named title is checked', () => {
    expect(
      findTemplateProblems('title: "{{ x }}"\nrequester:\n  params:\n    title: "{{ config.nope }}"\n', [
        'a',
      ]).map((p) => [p.line, p.at]),
    ).toEqual([[4, 'requester.params.title']]);
  });

  it('block scalars report the line of the template inside them', () => {
    const problems = findTemplateProblems(
      'requester:\n  headers:\n    x-note: |\n      first line\n      second {{ config.nope }}\n',
      ['api_token'],
    );
    expect(problems).toEqual([expect.objectContaining({ line: 5, at: 'requester.headers.x-note' })]);
  });
});

describe('template roots', () => {
  const scope = { configKeys: ['api_token', 'base_url'], path: ['requester', 'base_url'] };

  it('config.<key> and now; now takes no field; config needs one', () => {
    expect(checkExpression('config.api_token', scope)).toBeUndefined();
    expect(checkExpression('now', scope)).toBeUndefined();
    expect(checkExpression('now.date', scope)).toBe('takes no field: write {{ now }}');
    expect(checkExpression('config', scope)).toMatch(/^needs a field: config\.<name>/);
  });

  it('parent.<field> only in the path of a stream that has a parent', () => {
    expect(TEMPLATE_ROOTS.parent).toBeDefined();
    const child = { parent: { stream: 'projects' } };
    expect(
      checkExpression('parent.id', { ...scope, stream: child, path: ['streams', 1, 'path'] }),
    ).toBeUndefined();
    expect(checkExpression('parent.id', { ...scope, stream: {}, path: ['streams', 1, 'path'] })).toMatch(
      /^names parent, which does not exist here: the stream has no parent \(parent\.<field> works only in the path of a stream with `parent:`\)$/,
    );
    expect(
      checkExpression('parent.id', { ...scope, stream: child, path: ['streams', 1, 'params', 'x'] }),
    ).toMatch(/^names parent, which does not exist here: parent\.<field> works only in the stream's `path`$/);
    const problems = findTemplateProblems(
      'streams:\n  - name: tasks\n    parent: { stream: projects, key: id }\n    path: /projects/{{ parent.id }}/tasks\n  - name: other\n    path: /x/{{ parent.id }}\n',
      [],
    );
    expect(problems.map((p) => [p.line, p.at])).toEqual([[6, 'streams.1.path']]);
  });

  it('nearest: close typos only', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    const valid = ['config.api_token', 'config.base_url', 'now'];
    expect(nearest('config.apitoken', valid)).toBe('config.api_token');
    expect(nearest('config.API-TOKEN', valid)).toBe('config.api_token');
    expect(nearest('config.baseurl', valid)).toBe('config.base_url');
    expect(nearest('config.region', valid)).toBeUndefined();
    expect(nearest('today', valid)).toBeUndefined();
  });
});
