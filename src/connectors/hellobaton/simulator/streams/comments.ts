/** /api/comments/: discussion on tasks (not in the Airbyte connector; shaped after the tap's schema). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { COMMENTS } from './vocabulary.js';

export const comments: BatonStreamDef = {
  name: 'comments',
  weight: 0.08,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('comments'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('comments', id))
      .str('author', rng.chance(0.95) ? refs.ref('users', rng) : null)
      .str('task', refs.ref('tasks', rng))
      .str('project', refs.ref('projects', rng))
      .str('content', rng.pick(COMMENTS))
      .bool('is_internal', rng.chance(0.3))
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.content = `${rng.pick(COMMENTS)} (edited)`;
  },
};
