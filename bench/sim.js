// Start a simulator in its own process (bench/sim-host.js), so server and client each get a core as in
// production. The handle can mutate the data and count requests, server side.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export function startSim(connector, opts) {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'sim-host.js'), connector, JSON.stringify(opts)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`simulator ${connector} exited`);
    return value;
  };
  const call = async (cmd) => {
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    return JSON.parse(await next());
  };
  return next().then((first) => {
    const m = /^listening (\S+)/.exec(first);
    if (!m) throw new Error(`simulator ${connector}: unexpected first line ${first}`);
    return {
      baseUrl: m[1],
      mutate: (req) => call({ mutate: req }),
      requestCount: (stream) => call({ requestCount: stream ?? null }),
      resetStats: () => call({ resetStats: true }),
      /** Server-side arrival times (epoch ms) of the requests it served, and how many it answered 429. */
      requestTimes: () => call({ requestTimes: true }),
      stop: () =>
        new Promise((r) => {
          child.once('exit', r);
          child.stdin.end();
          setTimeout(() => child.kill('SIGTERM'), 2000).unref();
        }),
    };
  });
}
