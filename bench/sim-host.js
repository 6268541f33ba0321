// A simulator in its own process for the benchmarks, driven over stdin/stdout: argv[2] is the connector,
// argv[3] the SimulatorOptions as JSON. Prints `listening <baseUrl>`; then each stdin line is a command,
// answered with one JSON line: {"mutate": MutationRequest} | {"requestCount": stream?} | {"resetStats": true}
// | {"requestTimes": true} (the epoch ms of each logged request by status class: {served: [...], http429: n}).
import { createInterface } from 'node:readline';
import { simulators } from '../dist/simulator/registry.js';

const [connector, optsJson] = process.argv.slice(2);
const sim = await simulators[connector](JSON.parse(optsJson ?? '{}'));
process.stdout.write(`listening ${sim.baseUrl}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  let out;
  if (cmd.mutate) out = sim.mutate(cmd.mutate);
  else if ('requestCount' in cmd) out = sim.requestCount(cmd.requestCount ?? undefined);
  else if (cmd.resetStats) out = sim.resetStats() ?? true;
  else if (cmd.requestTimes) {
    const entries = sim.requests();
    out = {
      served: entries.filter((e) => e.status !== 429).map((e) => e.at),
      http429: entries.filter((e) => e.status === 429).length,
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
await sim.close();
