/** /api/people: one person per ten records, with the real Person fields (a representative subset). */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoDate, isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef } from '../stream-def.js';
import {
  CITIES,
  DEPARTMENTS,
  FIRST_NAMES,
  JOB_TITLES,
  LANGUAGES,
  LAST_NAMES,
  NATIONALITIES,
  STREETS,
  TEAMS,
} from '../vocabulary.js';

const SALT = 0x9e0;
const DAY = 86_400_000;

export const people: HumaansStreamDef = {
  name: 'people',
  path: 'people',
  size: (records) => Math.ceil(Math.max(0, records) / 10),

  record(i, createdAt, updatedAt, refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const email = `${first}.${last}.${i}@acme.example`.toLowerCase();
    const place = rng.pick(CITIES);
    const remote = rng.chance(0.2);
    const start = createdAt + rng.int(30) * DAY;
    const left = rng.chance(0.1);
    const end = left ? start + (90 + rng.int(600)) * DAY : null;
    const phone = `+44 7700 ${String(900000 + (i % 100000)).slice(-6)}`;
    return new JsonWriter()
      .str('id', refs.ids('people').id(i))
      .str('companyId', refs.idOf('companies', 0))
      .str('firstName', first)
      .str('middleName', null)
      .str('lastName', last)
      .str('preferredName', rng.chance(0.2) ? first.slice(0, 3) : null)
      .str('email', email)
      .str('locationId', remote ? null : refs.pick('locations', rng))
      .str('remoteCity', remote ? place.city : null)
      .str('remoteRegionCode', null)
      .str('remoteCountryCode', remote ? place.countryCode : null)
      .str('remoteTimezone', remote ? place.timezone : null)
      .str('personalEmail', rng.chance(0.5) ? `${first}${i}@mail.example`.toLowerCase() : null)
      .str('phoneNumber', phone)
      .str('formattedPhoneNumber', phone)
      .str('gender', rng.pick(['female', 'male', 'non-binary', null]))
      .str('birthday', isoDate(Date.UTC(1965 + rng.int(40), rng.int(12), 1 + rng.int(28))))
      .str('nationality', rng.pick(NATIONALITIES))
      .strs('nationalities', rng.some(NATIONALITIES, 2))
      .strs('spokenLanguages', rng.some(LANGUAGES, 3))
      .str('address', `${1 + rng.int(200)} ${rng.pick(STREETS)}`)
      .str('city', place.city)
      .str('state', place.state)
      .str('postcode', String(10000 + rng.int(89999)))
      .str('countryCode', place.countryCode)
      .str('country', place.country)
      .str('bio', null)
      .str(
        'linkedIn',
        rng.chance(0.5) ? `https://www.linkedin.com/in/${first}-${last}-${i}`.toLowerCase() : null,
      )
      .str('employmentStartDate', isoDate(start))
      .str('firstWorkingDay', isoDate(start))
      .str('employmentEndDate', end === null ? null : isoDate(end))
      .str('lastWorkingDay', end === null ? null : isoDate(end))
      .str('probationEndDate', isoDate(start + 90 * DAY))
      .str('employeeId', String(1000 + i))
      .raw('teams', `[{"name":"${rng.pick(TEAMS)}"}]`)
      .str('jobTitle', rng.pick(JOB_TITLES))
      .str('department', rng.pick(DEPARTMENTS))
      .str('status', left ? 'offboarded' : 'active')
      .bool('isVerified', rng.chance(0.9))
      .str('role', i === 0 ? 'admin' : 'user')
      .str('timezone', place.timezone)
      .bool('demo', false)
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt))
      .end();
  },

  touch(record, rng: Rng) {
    record.jobTitle = rng.pick(JOB_TITLES);
    record.department = rng.pick(DEPARTMENTS);
  },
};
