/** /api/custom_fields/: project fields the tenant defined (shaped after the tap's schema). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { CUSTOM_FIELDS } from './vocabulary.js';

/** The definition behind custom field i, shared with the values that point at it. */
export function customFieldKind(i: number): (typeof CUSTOM_FIELDS)[number] {
  return CUSTOM_FIELDS[i % CUSTOM_FIELDS.length];
}

export function customFieldTitle(i: number): string {
  const round = Math.floor(i / CUSTOM_FIELDS.length);
  return `${customFieldKind(i).title}${round > 0 ? ` ${round + 1}` : ''}`;
}

export const customFields: BatonStreamDef = {
  name: 'custom_fields',
  weight: 0.01,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('custom_fields'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const kind = customFieldKind(i);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('custom_fields', id))
      .str('title', customFieldTitle(i))
      .str('description', rng.chance(0.5) ? `Tracked for every ${kind.type} project field` : null)
      .str('visibility', rng.pick(['internal', 'everyone']))
      .str('type', kind.type)
      .bool('required', rng.chance(0.2))
      .bool('multiselect', kind.type === 'select' && rng.chance(0.3))
      .num('number_scale', kind.type === 'number' ? 2 : null)
      .str('number_display', kind.type === 'number' ? rng.pick(['number', 'currency', 'percent']) : null)
      .str('options', kind.type === 'select' ? refs.list('custom_field_options', 'field', id) : null)
      .str('created_by', rng.chance(0.9) ? refs.ref('users', rng) : null)
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    record.required = !record.required;
    record.visibility = rng.pick(['internal', 'everyone']);
  },
};
