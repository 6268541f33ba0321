import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHellobatonSimulator } from '../../src/connectors/hellobaton/simulator/index.js';
import type { SimulatorHandle } from '../../src/simulator/types.js';

/**
 * Airbyte's canonical schemas for its 11 streams; the Singer tap's for the 6 extra endpoints. Vendored verbatim,
 * origin in test/fixtures/README.md.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/hellobaton/', import.meta.url));
const AIRBYTE = [
  'activity',
  'companies',
  'milestones',
  'phases',
  'project_attachments',
  'projects',
  'task_attachments',
  'tasks',
  'templates',
  'time_entries',
  'users',
];
const TAP: Record<string, string> = {
  comments: 'comments',
  custom_fields: 'custom_fields',
  custom_field_options: 'custom_field_options',
  custom_field_values: 'custom_field_values',
  milestone_feedback: 'milestone_feedbacks',
  project_users: 'project_users',
};

// RFC 3339 date-time, which is what `format: date-time` means; ajv-formats is not a dependency.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function loadSchema(path: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // Ajv 8 does not ship draft-04; these schemas use nothing draft-04 specific.
  delete schema.$schema;
  return schema;
}

function validators() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
  const out = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const s of AIRBYTE) out.set(s, ajv.compile(loadSchema(`${FIXTURES}airbyte_schemas/${s}.json`)));
  for (const [s, file] of Object.entries(TAP)) {
    out.set(s, ajv.compile(loadSchema(`${FIXTURES}tap_hellobaton_schemas/${file}.json`)));
  }
  return out;
}

describe('Hellobaton data validates against the published schemas', () => {
  let sim: SimulatorHandle;
  const compiled = validators();
  beforeAll(async () => {
    sim = await startHellobatonSimulator({ records: 3000, seed: 123 });
    // Mutated records must stay valid too.
    for (const s of sim.streams()) sim.mutate({ stream: s, creates: 3, updates: 5, deletes: 1 });
  });
  afterAll(() => sim.close());

  it('covers all 17 streams', () => {
    expect([...compiled.keys()].sort()).toEqual([...sim.streams()].sort());
  });

  it.each([...AIRBYTE, ...Object.keys(TAP)])('%s', (stream) => {
    const validate = compiled.get(stream);
    if (!validate) throw new Error(`no schema for ${stream}`);
    const records = sim.records(stream);
    expect(records.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const r of records) {
      if (!validate(r)) failures.push(`id ${r.id}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      if (!Number.isInteger(r.id) || (r.id as number) < 1) failures.push(`bad id ${r.id}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('would catch a record that breaks its schema', () => {
    const projects = compiled.get('projects');
    const p = sim.records('projects')[0];
    expect(projects?.({ ...p, cost: '12.00' })).toBe(false);
    expect(projects?.({ ...p, created: '2024-01-01 10:00' })).toBe(false);
    expect(
      compiled.get('custom_field_values')?.({ ...sim.records('custom_field_values')[0], field: null }),
    ).toBe(false);
  });

  it('fills every schema property somewhere in the data', () => {
    // A field the generator forgot would still validate (everything is optional), so check coverage.
    for (const stream of AIRBYTE) {
      const schema = loadSchema(`${FIXTURES}airbyte_schemas/${stream}.json`) as {
        properties: Record<string, unknown>;
      };
      const records = sim.records(stream);
      for (const field of Object.keys(schema.properties)) {
        expect(
          records.some((r) => field in r),
          `${stream}.${field}`,
        ).toBe(true);
      }
    }
  });
});
