/**
 * /api/projects/: the hub every other stream links to. `cost` is an integer or null, as Airbyte's schema
 * types it (the swagger says decimal; see the connector README, "Facts and their confidence").
 */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, decimal, dt } from '../stream-def.js';
import { CLIENTS, PROJECT_NAMES, PROJECT_STATUSES, RISK_LEVELS, SYSTEMS } from './vocabulary.js';

const DAY = 86_400_000;
const PHASE_KEYS = ['_self', 'created', 'id', 'modified', 'name', 'order'];

export const projects: BatonStreamDef = {
  name: 'projects',
  weight: 0.03,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('projects'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const status = rng.pick(PROJECT_STATUSES);
    const start = stamps.created + rng.int(14) * DAY;
    const deadline = start + (30 + rng.int(120)) * DAY;
    const started = status !== 'draft';
    const complete = status === 'complete';
    const companyCount = 1 + rng.int(2);
    const companyLinks: string[] = [];
    for (let k = 0; k < companyCount; k++) companyLinks.push(refs.ref('companies', rng));
    const fromTemplate = rng.chance(0.6);
    const risks: string[] = [];
    for (let k = 0, n = rng.int(3); k < n; k++) {
      risks.push(
        new JsonWriter()
          .str('formula', 'deadline_variance')
          .num('id', id * 10 + k)
          .str('level', rng.pick(RISK_LEVELS))
          .str('projected_golive_datetime', rng.chance(0.8) ? dt(deadline + rng.int(20) * DAY, rng) : null)
          .num('risk_score', Math.round(rng.next() * 1000) / 100)
          .num('variance', rng.int(30) - 10)
          .end(),
      );
    }
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('projects', id))
      .str('title', `${rng.pick(CLIENTS)} ${rng.pick(PROJECT_NAMES)}`)
      .str('status', status)
      .bool('archived', rng.chance(0.1))
      .str('annual_contract_value', rng.chance(0.7) ? decimal(10_000 + rng.int(490_000)) : null)
      .str('implementation_budget', decimal(1_000 + rng.int(99_000)))
      .num('cost', rng.chance(0.6) ? 500 + rng.int(50_000) : null)
      .str('client_systems', rng.pick(SYSTEMS))
      .strs('companies', companyLinks)
      .str('completed_datetime', complete ? dt(deadline - rng.int(10) * DAY, rng) : null)
      .str('created_from', fromTemplate ? refs.ref('templates', rng) : null)
      .str('created_from_template', fromTemplate ? refs.ref('templates', rng) : null)
      .str('creator', rng.chance(0.95) ? refs.ref('users', rng) : null)
      .str('custom_field_list', refs.list('custom_field_values', 'project', id))
      .str('deadline_datetime', rng.chance(0.9) ? dt(deadline, rng) : null)
      .num('estimated_duration', rng.chance(0.8) ? 20 + rng.int(200) : null)
      .str('milestone_feedback_list', refs.list('milestone_feedback', 'project', id))
      .str('milestone_list', refs.list('milestones', 'project', id))
      .raw('phase', rng.chance(0.85) ? refs.phase(rng, PHASE_KEYS) : 'null')
      .str('project_phases_list', refs.list('project_phases', 'project', id))
      .str('project_user_list', refs.list('project_users', 'project', id))
      .raw('risk_profiles', `[${risks.join(',')}]`)
      .str('start_datetime', dt(start, rng))
      .str('started_datetime', started ? dt(start + rng.int(3) * DAY, rng) : null)
      .str('task_list', refs.list('tasks', 'project', id))
      .str('time_entry_list', refs.list('time_entries', 'project', id))
      .str('attachment_list', refs.list('project_attachments', 'project', id))
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.status = rng.pick(PROJECT_STATUSES);
    record.cost = 500 + rng.int(50_000);
  },
};
