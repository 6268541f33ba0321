/** /api/milestones/: checkpoints of a project. `start_datetime` has no format in Airbyte's schema. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, dt } from '../stream-def.js';
import { MILESTONES, RISK_LEVELS } from './vocabulary.js';

const DAY = 86_400_000;
const PHASE_KEYS = ['_self', 'created', 'id', 'modified', 'name'];

export const milestones: BatonStreamDef = {
  name: 'milestones',
  weight: 0.05,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('milestones'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const start = stamps.created + rng.int(20) * DAY;
    const duration = 1 + rng.int(30);
    const finished = rng.chance(0.4);
    const risks: string[] = [];
    for (let k = 0, n = rng.int(2); k < n; k++) {
      risks.push(
        new JsonWriter()
          .str('formula', 'duration_overrun')
          .num('id', id * 10 + k)
          .num('over_run', rng.int(10))
          .str('risk_level', rng.pick(RISK_LEVELS))
          .end(),
      );
    }
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('milestones', id))
      .str('title', rng.pick(MILESTONES))
      .str('description', rng.chance(0.5) ? 'Agreed with the client at kickoff' : null)
      .str('project', refs.ref('projects', rng))
      .raw('phase', rng.chance(0.8) ? refs.phase(rng, PHASE_KEYS) : 'null')
      .str('deadline_datetime', rng.chance(0.85) ? dt(start + duration * DAY, rng) : null)
      .bool('deadline_fixed', rng.chance(0.3))
      .num('duration', duration)
      .str('start_datetime', rng.chance(0.9) ? dt(start, rng) : null)
      .str('finish_datetime', finished ? dt(start + (duration + rng.int(5)) * DAY, rng) : null)
      .str('created_from', rng.chance(0.5) ? refs.ref('templates', rng) : null)
      .str('feedback_list', refs.list('milestone_feedback', 'milestone', id))
      .str('task_list', refs.list('tasks', 'milestone', id))
      .raw('risk_profiles', `[${risks.join(',')}]`)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.deadline_fixed = !record.deadline_fixed;
    record.duration = 1 + rng.int(30);
  },
};
