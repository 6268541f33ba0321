// Before/after of a change, measured in one run (scenario 7's comparison, on its own):
//   node bench/compare-builds.js --before <repo dir with dist/> [--after <dir>] [--records 100000] [--runs 3]
//                                [--paths humaans-sync,airbyte-read,hellobaton-sync]
import { parseArgs } from 'node:util';
import { ROOT } from './lib.js';
import { compareBuilds, PATHS } from './scenarios/verify.js';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: ROOT },
    records: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    paths: { type: 'string', default: PATHS.join(',') },
  },
});
if (!values.before) throw new Error('--before <repo dir> is required');
const runs = Number(values.runs);
const { table } = await compareBuilds({
  before: values.before,
  after: values.after,
  records: Number(values.records),
  runs,
  paths: values.paths.split(','),
});
process.stdout.write(
  `${runs} alternating run(s) per build, median (min–max); requests as the sync counted them (airbyte read: as the simulator counted them).\n\n${table}\n`,
);
