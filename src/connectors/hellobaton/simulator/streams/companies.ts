/** /api/companies/: the tenant itself first, then its clients and vendors. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { CLIENTS } from './vocabulary.js';

export const companies: BatonStreamDef = {
  name: 'companies',
  weight: 0.01,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('companies'), i);
    const [created, modified] = createdModified(stamps, rng);
    const round = Math.floor((i - 1) / CLIENTS.length);
    const client = `${CLIENTS[(i - 1) % CLIENTS.length]}${round > 0 ? ` ${round + 1}` : ''}`;
    return new JsonWriter()
      .num('id', i + 1)
      .str('_self', refs.url('companies', i + 1))
      .text('name', i === 0 ? refs.company.charAt(0).toUpperCase() + refs.company.slice(1) : client)
      .str('type', i === 0 ? 'internal' : rng.chance(0.85) ? 'client' : 'vendor')
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.type = rng.pick(['client', 'vendor']);
  },
};
