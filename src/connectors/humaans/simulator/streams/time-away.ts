/** /api/time-away: one request per five records, in the richer shape humaans-cli types describe. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate, isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef } from '../stream-def.js';
import { TIME_AWAY_NOTES, TIME_AWAY_TYPES } from '../vocabulary.js';

const SALT = 0x7a;
const DAY = 86_400_000;
const PERIODS = ['full', 'am', 'pm'];
const STATUSES = ['approved', 'approved', 'approved', 'pending', 'declined'];

export const timeAway: HumaansStreamDef = {
  name: 'time_away',
  path: 'time-away',
  size: (records) => Math.ceil(Math.max(0, records) / 5),

  record(i, createdAt, updatedAt, refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const typeIndex = rng.int(TIME_AWAY_TYPES.length);
    const start = Math.floor(createdAt / DAY) * DAY + (7 + rng.int(60)) * DAY;
    const days = 1 + rng.int(10);
    const startPeriod = days === 1 ? rng.pick(PERIODS) : 'full';
    const status = rng.pick(STATUSES);
    const breakdown: string[] = [];
    for (let d = 0; d < Math.min(days, 5); d++) {
      breakdown.push(`{"date":"${isoDate(start + d * DAY)}","period":"${d === 0 ? startPeriod : 'full'}"}`);
    }
    return new JsonWriter()
      .str('id', refs.ids('time_away').id(i))
      .str('companyId', refs.idOf('companies', 0))
      .str('personId', refs.pick('people', rng))
      .str('timeAwayTypeId', refs.idOf('time-away-types', typeIndex))
      .str('name', TIME_AWAY_TYPES[typeIndex])
      .bool('isTimeOff', typeIndex !== 3)
      .str('startDate', isoDate(start))
      .str('startPeriod', startPeriod)
      .str('endDate', isoDate(start + (days - 1) * DAY))
      .str('endPeriod', days === 1 ? startPeriod : 'full')
      .num('days', startPeriod === 'full' ? days : 0.5)
      .str('note', rng.chance(0.4) ? rng.pick(TIME_AWAY_NOTES) : null)
      .raw('breakdown', `[${breakdown.join(',')}]`)
      .str('requestStatus', status)
      .str('reviewedBy', status === 'pending' ? null : refs.pick('people', rng))
      .str('reviewedAt', status === 'pending' ? null : isoMillis(createdAt))
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt))
      .end();
  },

  touch(record, rng: Rng) {
    record.requestStatus = rng.pick(['approved', 'declined']);
    record.note = rng.pick(TIME_AWAY_NOTES);
  },
};
