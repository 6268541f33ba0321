/** /api/activity/: the project feed; the biggest stream with tasks. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, dt } from '../stream-def.js';
import { ACTIVITY_KINDS, TASK_STATUSES } from './vocabulary.js';

export const activity: BatonStreamDef = {
  name: 'activity',
  weight: 0.25,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('activity'), i);
    const kind = rng.pick(ACTIVITY_KINDS);
    const [created, modified] = createdModified(stamps, rng);
    const project = refs.pick('projects', rng);
    const parent =
      kind.parentType === 'milestone'
        ? refs.ref('milestones', rng)
        : kind.parentType === 'task'
          ? refs.ref('tasks', rng)
          : null;
    const child =
      kind.childType === 'task'
        ? refs.ref('tasks', rng)
        : kind.childType === 'comment'
          ? refs.ref('comments', rng)
          : null;
    let meta = 'null';
    if (kind.type === 'task_status_changed') {
      const prev = rng.int(TASK_STATUSES.length - 1);
      meta = `{"new_status":${prev + 1},"previous_status":${prev}}`;
    } else if (kind.type === 'task_assigned') {
      meta = `{"new_assignee":${refs.pick('users', rng)},"previous_assignee":${rng.chance(0.5) ? refs.pick('users', rng) : 'null'}}`;
    } else if (kind.type === 'due_date_changed') {
      const due = stamps.created + (3 + rng.int(30)) * 86_400_000;
      meta = `{"new_due_date":"${dt(due, rng)}","previous_due_date":"${dt(due - 7 * 86_400_000, rng)}"}`;
    }
    return new JsonWriter()
      .num('id', i + 1)
      .str('_self', refs.url('activity', i + 1))
      .str('type', kind.type)
      .str('group', kind.group)
      .str('parent', parent)
      .str('child', child)
      .str('actor', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('project', refs.url('projects', project))
      .str('parent_type', kind.parentType)
      .str('child_type', kind.childType)
      .raw('meta', meta)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.actor = record.actor ?? null;
    record.meta = { new_status: rng.int(TASK_STATUSES.length), previous_status: 0 };
  },
};
