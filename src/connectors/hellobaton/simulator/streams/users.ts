/** /api/users/: people in the tenant and its clients. `department` is an object without a fixed shape. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified, dt } from '../stream-def.js';
import { ACCOUNT_TYPES, DEPARTMENTS, FIRST_NAMES, JOB_TITLES, LAST_NAMES } from './vocabulary.js';

export const users: BatonStreamDef = {
  name: 'users',
  weight: 0.03,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('users'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const accountType = i === 0 ? 'admin' : rng.pick(ACCOUNT_TYPES);
    const signedUp = rng.chance(0.85);
    const department = rng.int(DEPARTMENTS.length + 1);
    const domain = `${refs.company.toLowerCase().replace(/[^a-z0-9-]/g, '')}.example.com`;
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('users', id))
      .str('first_name', first)
      .str('last_name', last)
      .str('email', `${first}.${last}.${id}@${domain}`.toLowerCase())
      .str('account_type', accountType)
      .str('job_title', rng.pick(JOB_TITLES))
      .str('company', refs.url('companies', accountType === 'client' ? refs.pick('companies', rng) : 1))
      .str('avatar_url', rng.chance(0.6) ? `https://cdn.hellobaton.com/avatars/${id}.png` : null)
      .str('created_by', i > 0 && rng.chance(0.9) ? refs.url('users', 1 + rng.int(i)) : null)
      .str('signed_up_at', signedUp ? dt(stamps.created + rng.int(5) * 86_400_000, rng) : null)
      .num('capacity', rng.chance(0.7) ? 20 + rng.int(21) : null)
      .raw(
        'department',
        department === DEPARTMENTS.length
          ? 'null'
          : `{"id":${department + 1},"name":"${DEPARTMENTS[department]}"}`,
      )
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.job_title = rng.pick(JOB_TITLES);
    record.capacity = 20 + rng.int(21);
  },
};
