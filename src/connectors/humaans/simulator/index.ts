/**
 * The Humaans API simulator. Resources and sizes (from `records`, default 1000): documents = records,
 * people = records/10, time_away = records/5, job_roles = records/50, locations = records/200 (at least
 * 1), companies = 3. Every record is generated from (seed, index) on demand.
 */
import { ContractPlan, TIE_GROUP } from '../../../simulator/contract.js';
import { FeathersCollection } from '../../../simulator/dialects/feathers.js';
import { makeHandle } from '../../../simulator/handle.js';
import { MutationClock } from '../../../simulator/mutation-clock.js';
import { hashInts, Rng } from '../../../simulator/prng.js';
import { SimulatorServer } from '../../../simulator/server.js';
import type { TimelineShape } from '../../../simulator/timeline.js';
import type {
  SimulatorDemo,
  SimulatorFactory,
  SimulatorHandle,
  SimulatorOptions,
} from '../../../simulator/types.js';
import { humaansDialect } from './dialect.js';
import { type HumaansStreamDef, type HumaansStreamName, Refs } from './stream-def.js';
import { companies } from './streams/companies.js';
import { documents } from './streams/documents.js';
import { jobRoles } from './streams/job-roles.js';
import { locations } from './streams/locations.js';
import { people } from './streams/people.js';
import { timeAway } from './streams/time-away.js';

export const HUMAANS_STREAMS: readonly HumaansStreamDef[] = [
  companies,
  documents,
  jobRoles,
  locations,
  people,
  timeAway,
];

export const DEFAULT_HUMAANS_TOKEN = 'sim-token';

/** Humaans history: from June 2024, about a year and a half, stamped in whole seconds. */
const HISTORY: TimelineShape = { epochMs: Date.UTC(2024, 5, 1), spanMs: 540 * 86_400_000, unitMs: 1000 };

export async function startHumaansSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const seed = opts.seed ?? 42;
  const records = opts.records ?? 1000;
  const sizes = Object.fromEntries(HUMAANS_STREAMS.map((d) => [d.name, d.size(records)])) as Record<
    HumaansStreamName,
    number
  >;
  const refs = new Refs(seed, sizes);
  const contract = new ContractPlan(opts.contract, seed);
  const collections = new Map<string, FeathersCollection<Refs>>(
    HUMAANS_STREAMS.map((d) => [
      d.name,
      new FeathersCollection(d, {
        seed,
        size: sizes[d.name],
        ctx: refs,
        ids: refs.ids(d.name),
        history: HISTORY,
        dataModes: contract.data,
      }),
    ]),
  );
  const byPath = new Map([...collections.values()].map((c) => [c.def.path, c]));
  const clock = new MutationClock(
    Math.max(...[...collections.values()].map((c) => c.generatedUntil)) + 1,
    contract.data.has('tied-timestamps') ? TIE_GROUP : 1,
  );

  const server = await SimulatorServer.start(
    humaansDialect({ byPath, token: opts.token ?? DEFAULT_HUMAANS_TOKEN, contract, clock }),
    {
      host: opts.host,
      port: opts.port,
      seed,
      latencyMs: opts.latencyMs,
      faults: opts.faults,
      rateLimitPerMinute: opts.rateLimitPerMinute,
    },
  );

  const lookup = (stream: string): FeathersCollection<Refs> => {
    const col = collections.get(stream.replace(/-/g, '_'));
    if (!col)
      throw new Error(`unknown Humaans stream '${stream}' (known: ${[...collections.keys()].join(', ')})`);
    return col;
  };
  let mutations = 0;

  return makeHandle(server, {
    baseUrl: `${server.origin}/api`,
    contract,
    mutate: (m) => {
      const col = lookup(m.stream ?? 'documents');
      const rng = new Rng(m.seed ?? hashInts(seed, 0x6d757461, mutations++));
      return col.mutate(m, rng, clock);
    },
    records: (stream) => lookup(stream).materialise(),
    streams: () => [...collections.keys()],
  });
}

/** What the simulator kit discovers in this folder (src/simulator/registry.ts). */
export const startSimulator: SimulatorFactory = startHumaansSimulator;

/** `tributary demo`: pages of 250, all history on the first run, then increments. */
export const demo: SimulatorDemo = {
  token: 'demo-humaans-token',
  config: (baseUrl) => ({
    api_token: 'demo-humaans-token',
    base_url: baseUrl,
    initial_sync_days: 0,
    max_records_per_page: 250,
  }),
  mutateStream: 'documents',
  incremental: 'updatedAt, 5-minute lookback',
};
