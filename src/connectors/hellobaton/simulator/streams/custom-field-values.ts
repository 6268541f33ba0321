/**
 * /api/custom_field_values/: a project's value for a custom field, with the field (and the chosen option)
 * nested (shaped after the tap's schema).
 */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate } from '../../../../simulator/timestamps.js';
import { type BatonStreamDef, createdModified } from '../stream-def.js';
import { customFieldKind, customFieldTitle } from './custom-fields.js';
import { optionSummary } from './custom-field-options.js';
import { CLIENTS } from './vocabulary.js';

export const customFieldValues: BatonStreamDef = {
  name: 'custom_field_values',
  weight: 0.04,
  hasModified: true,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('custom_field_values'), i);
    const id = i + 1;
    const [created, modified] = createdModified(stamps, rng);
    const fieldId = refs.pick('custom_fields', rng);
    const kind = customFieldKind(fieldId - 1);
    const field = `{"id":${fieldId},"_self":"${refs.url('custom_fields', fieldId)}","title":"${customFieldTitle(fieldId - 1)}","type":"${kind.type}"}`;
    const optionId = refs.pick('custom_field_options', rng);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('custom_field_values', id))
      .str('project', refs.ref('projects', rng))
      .raw('field', field)
      .num('value_numeric', kind.type === 'number' ? Math.round(rng.next() * 1_000_000) / 100 : null)
      .str('value_text', kind.type === 'text' ? rng.pick(CLIENTS) : null)
      .str('value_date', kind.type === 'date' ? isoDate(stamps.created + rng.int(200) * 86_400_000) : null)
      .raw(
        'selected_option',
        kind.type === 'select' ? optionSummary(optionId, refs.url('custom_field_options', optionId)) : 'null',
      )
      .str('created', created)
      .str('modified', modified)
      .end();
  },

  touch(record, rng: Rng) {
    if (typeof record.value_numeric === 'number')
      record.value_numeric = Math.round(rng.next() * 1_000_000) / 100;
    else if (typeof record.value_text === 'string') record.value_text = rng.pick(CLIENTS);
    else record.value_text = null;
  },
};
