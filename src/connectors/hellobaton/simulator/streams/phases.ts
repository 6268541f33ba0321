/** /api/phases/: the company's project phases, in order. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { PHASES } from './vocabulary.js';

export const phases: BatonStreamDef = {
  name: 'phases',
  weight: 0.01,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('phases'), i);
    const [created, modified] = createdModified(stamps, rng);
    const round = Math.floor(i / PHASES.length);
    return new JsonWriter()
      .num('id', i + 1)
      .str('_self', refs.url('phases', i + 1))
      .str(
        'name',
        rng.chance(0.05) ? null : `${PHASES[i % PHASES.length]}${round > 0 ? ` ${round + 1}` : ''}`,
      )
      .num('order', i)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.name = `${String(record.name ?? 'Phase').replace(/ \(renamed\)$/, '')} (renamed)`;
    record.order = rng.int(20);
  },
};
