/** /api/locations: one office per 200 records (at least one). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import type { Rng } from '../../../../simulator/prng.js';
import { isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef } from '../stream-def.js';
import { CITIES } from '../vocabulary.js';

export const locations: HumaansStreamDef = {
  name: 'locations',
  path: 'locations',
  size: (records) => Math.max(1, Math.ceil(records / 200)),

  record(i, createdAt, updatedAt, refs) {
    const c = CITIES[i % CITIES.length];
    const round = Math.floor(i / CITIES.length);
    return new JsonWriter()
      .str('id', refs.ids('locations').id(i))
      .str('companyId', refs.idOf('companies', 0))
      .str('name', round === 0 ? `${c.city} office` : `${c.city} office ${round + 1}`)
      .str('city', c.city)
      .str('countryCode', c.countryCode)
      .str('timezone', c.timezone)
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt))
      .end();
  },

  touch(record, rng: Rng) {
    record.name = `${String(record.name).replace(/ \(.*\)$/, '')} (${rng.pick(['HQ', 'hub', 'satellite'])})`;
  },
};
