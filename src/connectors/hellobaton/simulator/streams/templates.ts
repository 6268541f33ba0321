/** /api/templates/: project blueprints. No created/modified; `cost` here is a decimal string. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, decimal } from '../stream-def.js';
import { PROJECT_NAMES, SYSTEMS } from './vocabulary.js';

const PHASE_KEYS = ['_self', 'created', 'id', 'modified', 'order'];

export const templates: BatonStreamDef = {
  name: 'templates',
  weight: 0.01,
  hasModified: false,

  record(i, _stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('templates'), i);
    const id = i + 1;
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('templates', id))
      .str(
        'title',
        `${PROJECT_NAMES[i % PROJECT_NAMES.length]} template${i >= PROJECT_NAMES.length ? ` ${id}` : ''}`,
      )
      .str('status', 'template')
      .str('annual_contract_value', rng.chance(0.5) ? decimal(10_000 + rng.int(90_000)) : null)
      .str('client_systems', rng.pick(SYSTEMS))
      .str('completed_datetime', null)
      .str('cost', rng.chance(0.5) ? decimal(500 + rng.int(20_000)) : null)
      .str('created_from', null)
      .str('created_from_template', i > 0 && rng.chance(0.2) ? refs.url('templates', 1 + rng.int(i)) : null)
      .str('creator', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('deadline_datetime', null)
      .num('estimated_duration', rng.chance(0.8) ? 20 + rng.int(100) : null)
      .str('implementation_budget', rng.chance(0.6) ? decimal(1_000 + rng.int(30_000)) : null)
      .raw('phase', rng.chance(0.5) ? refs.phase(rng, PHASE_KEYS) : 'null')
      .str('start_datetime', null)
      .str('started_datetime', null)
      .str('task_list', refs.list('tasks', 'project', id))
      .str('milestone_list', refs.list('milestones', 'project', id))
      .end();
  },

  touch(record, rng: Rng) {
    record.estimated_duration = 20 + rng.int(100);
  },
};
