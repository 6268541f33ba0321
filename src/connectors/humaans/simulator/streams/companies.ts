/**
 * /api/companies: always three, with the real fields plus the example's description, website, phone and
 * address. The second company has `address: null`, the case that crashes the Fivetran example's mapper;
 * the third has no description and a null address line.
 */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate, isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef } from '../stream-def.js';
import { COMPANIES } from '../vocabulary.js';

const SALT = 0xc0;
const STATUSES = ['active', 'trialing', 'active'];
const PACKAGES = ['growth', 'scale', 'starter'];

export const companies: HumaansStreamDef = {
  name: 'companies',
  path: 'companies',
  size: () => 3,

  record(i, createdAt, updatedAt, refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const c = COMPANIES[i % COMPANIES.length];
    const name = i < COMPANIES.length ? c.name : `${c.name} ${i}`;
    const w = new JsonWriter()
      .str('id', refs.ids('companies').id(i))
      .str('name', name)
      .strs('domains', [c.domain])
      .str('trialEndDate', isoDate(createdAt + 14 * 86_400_000))
      .str('status', STATUSES[i % STATUSES.length])
      .str('paymentStatus', 'ok')
      .str('package', PACKAGES[i % PACKAGES.length])
      .bool('isTimesheetEnabled', rng.chance(0.5))
      .bool('autogenerateEmployeeId', rng.chance(0.5))
      .bool('autogenerateEmployeeIdForNewHires', rng.chance(0.5))
      .num('nextEmployeeId', 100 + rng.int(900))
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt));
    if (c.description !== null) w.str('description', c.description);
    w.str('website', `https://www.${c.domain}`).str('phone', c.phone);
    const a = c.address;
    if (a === null) w.raw('address', 'null');
    else
      w.raw(
        'address',
        new JsonWriter()
          .str('line1', a.line1)
          .str('line2', a.line2)
          .str('city', a.city)
          .str('state', a.state)
          .str('postalCode', a.postalCode)
          .str('country', a.country)
          .end(),
      );
    return w.end();
  },

  touch(record, rng: Rng) {
    record.nextEmployeeId = 100 + rng.int(900);
    record.isTimesheetEnabled = !record.isTimesheetEnabled;
  },
};
