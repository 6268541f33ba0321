/** /api/tasks/: the work items; the biggest stream. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, dt } from '../stream-def.js';
import { RISK_LEVELS, TASK_OBJECTS, TASK_STATUSES, TASK_VERBS } from './vocabulary.js';

const DAY = 86_400_000;

export const tasks: BatonStreamDef = {
  name: 'tasks',
  weight: 0.29,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('tasks'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const status = rng.pick(TASK_STATUSES);
    const start = stamps.created + rng.int(10) * DAY;
    const due = start + (1 + rng.int(20)) * DAY;
    const started = status !== 'not_started';
    const done = status === 'complete';
    const deps: string[] = [];
    for (let k = 0, n = i > 0 && rng.chance(0.3) ? 1 + rng.int(2) : 0; k < n; k++) {
      deps.push(refs.url('tasks', 1 + rng.int(i)));
    }
    const risks: string[] = [];
    if (rng.chance(0.3)) {
      risks.push(
        new JsonWriter()
          .num('cool_down', rng.int(5))
          .num('duration', 1 + rng.int(10))
          .num('estimated_duration', 1 + rng.int(10))
          .str('formula', 'task_overrun')
          .num('id', id)
          .num('over_run', rng.int(5))
          .num('reason', rng.int(4))
          .str('risk_level', rng.pick(RISK_LEVELS))
          .num('task_variance', rng.int(10) - 3)
          .end(),
      );
    }
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('tasks', id))
      .str('title', `${rng.pick(TASK_VERBS)} ${rng.pick(TASK_OBJECTS)}`)
      .str('description', rng.chance(0.4) ? 'See the attached checklist.' : null)
      .str('status', status)
      .str('project', refs.ref('projects', rng))
      .str('milestone', refs.ref('milestones', rng))
      .str('assigned_to', rng.chance(0.8) ? refs.ref('users', rng) : null)
      .str('created_by', rng.chance(0.95) ? refs.ref('users', rng) : null)
      .str('created_from', rng.chance(0.3) ? refs.ref('templates', rng) : null)
      .strs('dependencies', deps)
      .str('due_datetime', dt(due, rng))
      .num('estimated_duration', rng.chance(0.7) ? 1 + rng.int(40) : null)
      .str('start_datetime', rng.chance(0.9) ? dt(start, rng) : null)
      .str('started_datetime', started ? dt(start + rng.int(2) * DAY, rng) : null)
      .str('started_overridden_datetime', started && rng.chance(0.1) ? dt(start, rng) : null)
      .str('finished_datetime', done ? dt(due - rng.int(2) * DAY, rng) : null)
      .str('finished_overridden_datetime', done && rng.chance(0.1) ? dt(due, rng) : null)
      .str('attachment_list', refs.list('task_attachments', 'task', id))
      .str('time_entry_list', refs.list('time_entries', 'task', id))
      .raw('risk_profiles', `[${risks.join(',')}]`)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.status = rng.pick(TASK_STATUSES);
    record.title = `${String(record.title).replace(/ \(edited\)$/, '')} (edited)`;
  },
};
