/**
 * /api/job-roles: the real id/companyId/name plus the example's department, location, employmentType,
 * salaryRange{min,max,currency}, requirements[], responsibilities[], benefits[] and isActive. The second
 * role has `salaryRange: null` (the example's mapper crashes on it); others leave fields out.
 */
import { JsonWriter } from '../../../../simulator/json-writer.js';
import { recordRng, type Rng } from '../../../../simulator/prng.js';
import { isoMillis } from '../../../../simulator/timestamps.js';
import type { HumaansStreamDef } from '../stream-def.js';
import {
  BENEFITS,
  CITIES,
  CURRENCIES,
  DEPARTMENTS,
  EMPLOYMENT_TYPES,
  JOB_TITLES,
  REQUIREMENTS,
  RESPONSIBILITIES,
} from '../vocabulary.js';
import { optional } from './optional.js';

const SALT = 0x10b;

export const jobRoles: HumaansStreamDef = {
  name: 'job_roles',
  path: 'job-roles',
  size: (records) => Math.ceil(Math.max(0, records) / 50),

  record(i, createdAt, updatedAt, refs) {
    const rng = recordRng(refs.seed, SALT, i);
    const title = JOB_TITLES[i % JOB_TITLES.length];
    const level = Math.floor(i / JOB_TITLES.length);
    const w = new JsonWriter()
      .str('id', refs.ids('job_roles').id(i))
      .str('companyId', refs.idOf('companies', 0))
      .str('name', level === 0 ? title : `${title} ${level + 1}`)
      .str('createdAt', isoMillis(createdAt))
      .str('updatedAt', isoMillis(updatedAt));
    w.append(optional(rng, 'description', 0.7, 0.2, `"${title} in the ${rng.pick(DEPARTMENTS)} team"`))
      .str('department', rng.pick(DEPARTMENTS))
      .append(optional(rng, 'location', 0.8, 0.1, `"${rng.pick(CITIES).city}"`))
      .str('employmentType', rng.pick(EMPLOYMENT_TYPES));
    if (i === 1) {
      w.raw('salaryRange', 'null');
    } else if (rng.chance(0.9)) {
      const min = 30 + rng.int(70);
      w.raw(
        'salaryRange',
        `{"min":${min * 1000},"max":${(min + 10 + rng.int(40)) * 1000},"currency":"${rng.pick(CURRENCIES)}"}`,
      );
    }
    w.strs('requirements', rng.some(REQUIREMENTS, 4))
      .strs('responsibilities', rng.some(RESPONSIBILITIES, 4))
      .strs('benefits', rng.some(BENEFITS, 5));
    if (rng.chance(0.9)) w.bool('isActive', rng.chance(0.85));
    return w.end();
  },

  touch(record, rng: Rng) {
    record.isActive = !record.isActive;
    record.department = rng.pick(DEPARTMENTS);
  },
};
