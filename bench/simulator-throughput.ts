/**
 * How fast the Humaans simulator serves a large dataset: starts it with 1M documents in a child process
 * (so server and client each get a core, as in the real benchmark) and reads every page with
 * `$limit=250` through undici, parsing each body, one request at a time like a connector does.
 *
 *   npx tsx bench/simulator-throughput.ts [--records 1000000] [--limit 250] [--concurrency 1] [--in-process]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startHumaansSimulator } from '../src/connectors/humaans/simulator/index.js';
import type { SimulatorHandle } from '../src/simulator/types.js';

const TOKEN = 'bench-token';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    limit: { type: 'string', default: '250' },
    concurrency: { type: 'string', default: '1' },
    'in-process': { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
  },
});
const records = Number(values.records);

if (values.serve) {
  // Child mode: run the simulator and report its address to the parent.
  const sim = await startHumaansSimulator({ records, token: TOKEN });
  process.send?.({ baseUrl: sim.baseUrl });
  process.on('message', (m) => {
    // The parent asks for our CPU time at the end, so the report holds up on a shared machine.
    if (m === 'cpu') process.send?.({ cpuMs: cpuMs(process.cpuUsage()) });
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  const limit = Number(values.limit);
  const concurrency = Math.max(1, Number(values.concurrency));
  const t0 = performance.now();
  const { baseUrl, stop, serverCpuMs } = values['in-process'] ? await inProcess() : await inChild();
  const startMs = performance.now() - t0;

  const url = new URL(baseUrl);
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 });
  const pages = Math.ceil(records / limit) + (records % limit === 0 ? 1 : 0);
  let received = 0;
  let bytes = 0;
  let next = 0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const server0 = await serverCpuMs();
  const worker = async () => {
    for (let page = next++; page < pages; page = next++) {
      const res = await pool.request({
        method: 'GET',
        path: `${url.pathname}/documents?%24limit=${limit}&%24skip=${page * limit}`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      if (res.statusCode !== 200) throw new Error(`page ${page}: HTTP ${res.statusCode}`);
      const text = await res.body.text();
      bytes += text.length;
      received += (JSON.parse(text) as { data: unknown[] }).data.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t1) / 1000;
  const clientMs = cpuMs(process.cpuUsage(cpu0));
  const serverMs = (await serverCpuMs()) - server0;
  await pool.close();
  await stop();

  if (received !== records) throw new Error(`expected ${records} records, got ${received}`);
  const rate = Math.round(received / seconds);
  console.log(
    `humaans simulator: ${received.toLocaleString('en-US')} documents in ${pages} pages ` +
      `($limit=${limit}, concurrency ${concurrency}, ${values['in-process'] ? 'same process' : 'separate process'})`,
  );
  console.log(
    `  ${seconds.toFixed(2)} s, ${rate.toLocaleString('en-US')} records/s, ` +
      `${(bytes / seconds / 1e6).toFixed(0)} MB/s, startup ${startMs.toFixed(0)} ms`,
  );
  if (!values['in-process']) {
    // Wall time suffers when other work shares the cores; CPU time says what each side costs.
    console.log(
      `  cpu: server ${(serverMs / 1000).toFixed(2)} s (${((serverMs * 1000) / received).toFixed(2)} us/record), ` +
        `client ${(clientMs / 1000).toFixed(2)} s (${((clientMs * 1000) / received).toFixed(2)} us/record); ` +
        `server-bound ceiling ${Math.round(received / (serverMs / 1000)).toLocaleString('en-US')} records/s`,
    );
  }
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

interface Served {
  baseUrl: string;
  stop: () => Promise<void>;
  serverCpuMs: () => Promise<number>;
}

async function inProcess(): Promise<Served> {
  const sim: SimulatorHandle = await startHumaansSimulator({ records, token: TOKEN });
  return { baseUrl: sim.baseUrl, stop: () => sim.close(), serverCpuMs: async () => 0 };
}

async function inChild(): Promise<Served> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--records', String(records)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { baseUrl: string }).baseUrl));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    baseUrl,
    serverCpuMs: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { cpuMs: number }).cpuMs));
        child.send('cpu');
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      await exited;
    },
  };
}
