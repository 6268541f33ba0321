/** /api/time_entries/: hours logged against a project. No created/modified. */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { type BatonStreamDef, decimal, dt } from '../stream-def.js';

const HOUR = 3_600_000;

export const timeEntries: BatonStreamDef = {
  name: 'time_entries',
  weight: 0.03,
  hasModified: false,

  record(i, stamps, refs) {
    const rng = recordRng(refs.seed, refs.salt('time_entries'), i);
    const id = i + 1;
    const day = Math.floor(stamps.created / 86_400_000) * 86_400_000;
    const timed = rng.chance(0.6);
    const started = day + (8 + rng.int(8)) * HOUR;
    const minutes = 15 * (1 + rng.int(24));
    const user = refs.ref('users', rng);
    return new JsonWriter()
      .num('id', id)
      .str('_self', refs.url('time_entries', id))
      .str('user', user)
      .str('created_by', rng.chance(0.9) ? user : refs.ref('users', rng))
      .str('project', refs.ref('projects', rng))
      .str('task', rng.chance(0.7) ? refs.ref('tasks', rng) : null)
      .raw(
        'rate',
        rng.chance(0.7) ? `{"id":${1 + rng.int(5)},"hourly_rate":"${decimal(80 + rng.int(120))}"}` : 'null',
      )
      .str('started_at', timed ? dt(started, rng) : null)
      .str('ended_at', timed ? dt(started + minutes * 60_000, rng) : null)
      .str('reference_date', dt(day, rng))
      .bool('billable', rng.chance(0.7))
      .num('calculated_duration', timed ? minutes * 60 : null)
      .num('inputted_duration', timed ? null : minutes * 60)
      .str('notes', rng.chance(0.5) ? 'Client workshop' : '')
      .end();
  },

  touch(record, rng: Rng) {
    record.billable = !record.billable;
    record.notes = rng.pick(['Adjusted after review', 'Corrected duration']);
  },
};
