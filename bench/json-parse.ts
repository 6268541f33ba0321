/**
 * What exact-number parsing costs: response bodies are parsed with JSON.parse unless a cheap scan says a
 * number in them may be unsafe (a run of 16+ digits, or a 3-digit exponent), then with lossless-json.
 *
 *   npx tsx bench/json-parse.ts [--records 250] [--pages 400] [--runs 7]
 *
 * Measures records/s for a page of ordinary records (Humaans-document-like: ids, strings, timestamps,
 * small integers and floats, a nested object, an array) through:
 * - `JSON.parse` alone (the previous build's parse),
 * - `parseJsonBody` on the same page (the fast path: the scan, then JSON.parse),
 * - `parseJsonBody` on the same page with one id beyond 2^53 (the slow, exact path),
 * and how much smaller the page is gzip- and brotli-compressed (what `accept-encoding` saves on the wire).
 * Variants run interleaved, `--runs` times; each figure is the median. Prints a Markdown table.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parseJsonBody } from '../src/http/json-body.js';
import { arg } from './arg.js';

const RECORDS = Number(arg('records', '250'));
const PAGES = Number(arg('pages', '400'));
const RUNS = Number(arg('runs', '7'));

/** A deterministic 24-character alphanumeric id, like Humaans's. */
function hid(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let x = n * 2654435761 + 12345;
  let s = '';
  for (let i = 0; i < 24; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += abc[x % abc.length];
  }
  return s;
}

function record(i: number): Record<string, unknown> {
  return {
    id: hid(i),
    companyId: hid(1e9),
    personId: `p${i % 977}`,
    name: `Document number ${i}`,
    type: i % 3 === 0 ? 'contract' : 'payslip',
    issueDate: '2024-01-15',
    sizeBytes: 1000 + i,
    score: (i % 97) / 7,
    file: { id: `f${i}`, url: `https://files.example.com/f${i}`, filename: `doc-${i}.pdf` },
    tags: ['a', 'b', i % 5],
    createdAt: '2024-01-15T12:34:56.789Z',
    updatedAt: '2024-02-15T12:34:56.789Z',
  };
}

const page = { data: Array.from({ length: RECORDS }, (_, i) => record(i)), total: RECORDS * PAGES };
const normal = JSON.stringify(page);
const withBigId = normal.replace('"sizeBytes":1000,', '"sizeBytes":9007199254740993,');
if (withBigId === normal) throw new Error('bench: the big-id page is the same as the normal one');

const variants: Record<string, () => unknown> = {
  'JSON.parse (previous build)': () => JSON.parse(normal),
  'parseJsonBody, ordinary page (fast path)': () => parseJsonBody(normal),
  'parseJsonBody, page with one id > 2^53 (exact path)': () => parseJsonBody(withBigId),
};

const times = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) for (let i = 0; i < 20; i++) fn(); // warm up
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of Object.entries(variants)) {
    const start = process.hrtime.bigint();
    for (let p = 0; p < PAGES; p++) fn();
    times.get(name)!.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (name: string) => (RECORDS * PAGES) / median(times.get(name)!);
const base = rate('JSON.parse (previous build)');
console.log(
  `${RECORDS} records/page, ${PAGES} pages, median of ${RUNS} interleaved runs, ${normal.length} bytes/page\n`,
);
console.log('| parse | records/s | vs JSON.parse |');
console.log('|---|---:|---:|');
for (const name of Object.keys(variants)) {
  console.log(
    `| ${name} | ${Math.round(rate(name)).toLocaleString('en-US')} | ${(rate(name) / base).toFixed(3)} |`,
  );
}
const raw = Buffer.byteLength(normal);
const gz = gzipSync(normal).length;
const br = brotliCompressSync(normal).length;
console.log('\n| encoding | bytes/page | of identity |');
console.log('|---|---:|---:|');
console.log(`| identity | ${raw} | 100% |`);
console.log(`| gzip | ${gz} | ${((100 * gz) / raw).toFixed(1)}% |`);
console.log(`| br | ${br} | ${((100 * br) / raw).toFixed(1)}% |`);
