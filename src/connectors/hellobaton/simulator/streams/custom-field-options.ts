/** /api/custom_field_options/: choices of select-type custom fields (shaped after the tap's schema). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { OPTION_VALUES } from './vocabulary.js';

export const customFieldOptions: BatonStreamDef = {
  name: 'custom_field_options',
  weight: 0.02,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('custom_field_options'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('custom_field_options', id))
      .str('field', refs.ref('custom_fields', rng))
      .str('value', OPTION_VALUES[i % OPTION_VALUES.length])
      .bool('default', i % OPTION_VALUES.length === 0)
      .bool('archived', rng.chance(0.1))
      .str('created_by', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record) {
    record.archived = !record.archived;
  },
};

/** The nested form custom field values embed. */
export function optionSummary(id: number, self: string): string {
  const value = OPTION_VALUES[(id - 1) % OPTION_VALUES.length];
  return `{"id":${id},"_self":"${self}","value":"${value}","default":${(id - 1) % OPTION_VALUES.length === 0}}`;
}
