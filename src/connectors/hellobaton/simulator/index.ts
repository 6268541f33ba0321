/**
 * The Hellobaton (Baton) API simulator: 17 list endpoints under /api/, sized from `records` (default
 * 1000) by each stream's weight, at least one record each. Every record is generated from (seed, id) on
 * demand; links point back at whatever host the client dialled.
 */
import { ContractPlan } from '../../../simulator/contract.js';
import { DrfCollection } from '../../../simulator/dialects/django-rest.js';
import { makeHandle } from '../../../simulator/handle.js';
import { MutationClock } from '../../../simulator/mutation-clock.js';
import { hashInts, Rng } from '../../../simulator/prng.js';
import { SimulatorServer } from '../../../simulator/server.js';
import type { TimelineShape } from '../../../simulator/timeline.js';
import type {
  MutationResult,
  SimulatorDemo,
  SimulatorFactory,
  SimulatorHandle,
  SimulatorOptions,
} from '../../../simulator/types.js';
import { batonDialect } from './dialect.js';
import {
  API_PREFIX,
  BATON_STREAMS,
  BatonRefs,
  type BatonStreamDef,
  type BatonStreamName,
} from './stream-def.js';
import { activity } from './streams/activity.js';
import { comments } from './streams/comments.js';
import { companies } from './streams/companies.js';
import { customFieldOptions } from './streams/custom-field-options.js';
import { customFieldValues } from './streams/custom-field-values.js';
import { customFields } from './streams/custom-fields.js';
import { milestoneFeedback } from './streams/milestone-feedback.js';
import { milestones } from './streams/milestones.js';
import { phases } from './streams/phases.js';
import { projectAttachments } from './streams/project-attachments.js';
import { projectUsers } from './streams/project-users.js';
import { projects } from './streams/projects.js';
import { taskAttachments } from './streams/task-attachments.js';
import { tasks } from './streams/tasks.js';
import { templates } from './streams/templates.js';
import { timeEntries } from './streams/time-entries.js';
import { users } from './streams/users.js';

const DEFS: Record<BatonStreamName, BatonStreamDef> = {
  activity,
  companies,
  milestones,
  phases,
  project_attachments: projectAttachments,
  projects,
  task_attachments: taskAttachments,
  tasks,
  templates,
  time_entries: timeEntries,
  users,
  comments,
  custom_fields: customFields,
  custom_field_options: customFieldOptions,
  custom_field_values: customFieldValues,
  milestone_feedback: milestoneFeedback,
  project_users: projectUsers,
};

/** Baton history: from January 2023, about twenty months. */
const HISTORY: TimelineShape = { epochMs: Date.UTC(2023, 0, 1), spanMs: 600 * 86_400_000, unitMs: 1 };

export const DEFAULT_HELLOBATON_KEY = 'sim-key';
export const DEFAULT_FORBIDDEN_KEY = 'forbidden-key';
/** Baton's documented limit: 1000 requests per minute per API key. */
export const DEFAULT_HELLOBATON_RATE_LIMIT = 1000;

export interface HellobatonSimulatorOptions extends SimulatorOptions {
  /** The tenant name (`<company>.hellobaton.com`); appears in the data. Default 'acme'. */
  company?: string;
  /** DRF max_page_size. Default 100. */
  pageSizeMax?: number;
  /** A key that is recognised but not allowed to read: answers 403. Default 'forbidden-key'. */
  forbiddenKey?: string;
}

/** Records per stream for a dataset of `records`. */
export function hellobatonSizes(records: number): Record<BatonStreamName, number> {
  return Object.fromEntries(
    BATON_STREAMS.map((s) => [s, Math.max(1, Math.round(Math.max(0, records) * DEFS[s].weight))]),
  ) as Record<BatonStreamName, number>;
}

export async function startHellobatonSimulator(
  opts: HellobatonSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const seed = opts.seed ?? 42;
  const sizes = hellobatonSizes(opts.records ?? 1000);
  const collections = new Map<string, DrfCollection<BatonRefs>>();
  const contract = new ContractPlan(opts.contract, seed);
  const refs = new BatonRefs(seed, opts.company ?? 'acme', sizes, (stream, index) =>
    (collections.get(stream) as DrfCollection<BatonRefs>).data.base.json(index),
  );
  for (const name of BATON_STREAMS) {
    collections.set(
      name,
      new DrfCollection(DEFS[name], {
        seed,
        size: sizes[name],
        ctx: refs,
        history: HISTORY,
        prefix: API_PREFIX,
        dataModes: contract.data,
      }),
    );
  }
  const clock = new MutationClock(Math.max(...[...collections.values()].map((c) => c.generatedUntil)) + 1);

  const server = await SimulatorServer.start(
    batonDialect({
      collections,
      apiKey: opts.token ?? DEFAULT_HELLOBATON_KEY,
      forbiddenKey: opts.forbiddenKey ?? DEFAULT_FORBIDDEN_KEY,
      pageSizeMax: Math.max(1, opts.pageSizeMax ?? 100),
      contract,
      clock,
    }),
    {
      host: opts.host,
      port: opts.port,
      seed,
      latencyMs: opts.latencyMs,
      faults: opts.faults,
      rateLimitPerMinute: opts.rateLimitPerMinute ?? DEFAULT_HELLOBATON_RATE_LIMIT,
    },
  );

  const lookup = (stream: string): DrfCollection<BatonRefs> => {
    const col = collections.get(stream);
    if (!col) throw new Error(`unknown Hellobaton stream '${stream}' (known: ${BATON_STREAMS.join(', ')})`);
    return col;
  };
  let mutations = 0;

  return makeHandle(server, {
    baseUrl: `${server.origin}/${API_PREFIX}/`,
    contract,
    mutate: (m) => {
      const col = lookup(m.stream ?? 'tasks');
      const rng = new Rng(m.seed ?? hashInts(seed, 0x6d757461, mutations++));
      // Ids are numbers, except under the 'big-ids' data mode, where they are exact decimal strings.
      return col.mutate(m, rng, clock) as MutationResult;
    },
    records: (stream) => lookup(stream).materialise(server.origin),
    streams: () => [...BATON_STREAMS],
  });
}

/** What the simulator kit discovers in this folder (src/simulator/registry.ts). */
export const startSimulator: SimulatorFactory = startHellobatonSimulator;

/** `tributary demo`: a full refresh every run (Baton lists have no change cursor). */
export const demo: SimulatorDemo = {
  token: 'demo-hellobaton-key',
  config: (baseUrl) => ({ api_key: 'demo-hellobaton-key', company: 'demo', base_url: baseUrl }),
};
