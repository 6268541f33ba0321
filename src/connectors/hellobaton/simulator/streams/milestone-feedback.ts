/** /api/milestone_feedback/: client ratings of finished milestones (shaped after the tap's schema). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { FEEDBACK } from './vocabulary.js';

export const milestoneFeedback: BatonStreamDef = {
  name: 'milestone_feedback',
  weight: 0.02,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('milestone_feedback'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('milestone_feedback', id))
      .num('rating', 1 + rng.int(5))
      .str('comment', rng.pick(FEEDBACK))
      .str('milestone', refs.ref('milestones', rng))
      .str('project', refs.ref('projects', rng))
      .str('created_by', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.rating = 1 + rng.int(5);
  },
};
