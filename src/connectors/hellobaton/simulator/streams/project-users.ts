/** /api/project_users/: who is on which project, and whether they joined (shaped after the tap's schema). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, dt } from '../stream-def.js';
import { PROJECT_ROLES } from './vocabulary.js';

export const projectUsers: BatonStreamDef = {
  name: 'project_users',
  weight: 0.04,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('project_users'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const invited = rng.chance(0.8);
    const joined = invited && rng.chance(0.75);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('project_users', id))
      .str('project', refs.ref('projects', rng))
      .str('user', refs.ref('users', rng))
      .str('role', rng.pick(PROJECT_ROLES))
      .bool('joined', joined)
      .str('joined_on', joined ? dt(stamps.created + 2 * 86_400_000, rng) : null)
      .bool('invited', invited)
      .str('invited_on', invited ? dt(stamps.created, rng) : null)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.role = rng.pick(PROJECT_ROLES);
  },
};
