/**
 * What schema inference costs per record: the column tracker converting records to rows for a stream with
 * a schema file (declared types) and without one (inferred: date-time checks on timestamp columns), and
 * `SchemaInference.observe` (the JSON Schema `discover --write-schemas` writes; it reads only a few pages).
 *
 *   npx tsx bench/schema-inference.ts [--records 1000] [--pages 100] [--runs 7]
 *
 * Records are ordinary API records after snake_case (integers, floats, booleans, text, date and date-time
 * strings, a nullable field, a nested object). Variants run interleaved, `--runs` times; each figure is the
 * median. Prints a Markdown table.
 */
import { ColumnTracker } from '../src/engine/column-tracker.js';
import { SchemaInference } from '../src/engine/schema-inference.js';
import { arg } from './arg.js';

const RECORDS = Number(arg('records', '1000'));
const PAGES = Number(arg('pages', '100'));
const RUNS = Number(arg('runs', '7'));

function record(i: number): Record<string, unknown> {
  return {
    id: i,
    name: `order ${i}`,
    total: i * 1.5,
    paid: i % 2 === 0,
    created_at: new Date(1.7e12 + i * 1000).toISOString(),
    ship_day: '2024-01-05',
    note: i % 3 ? null : 'gift',
    customer: { id: i % 977, email: `c${i % 977}@example.com` },
    status: i % 5 ? 'open' : 'closed',
    qty: i % 7,
  };
}

const DECLARED = {
  id: 'bigint',
  name: 'varchar',
  total: 'double',
  paid: 'boolean',
  created_at: 'timestamp',
  ship_day: 'varchar',
  note: 'varchar',
  customer: 'varchar',
  status: 'varchar',
  qty: 'bigint',
} as const;

/** A fresh page for every conversion: the tracker converts records in place. */
const page = () => Array.from({ length: RECORDS }, (_, i) => record(i));

/** Each variant makes a fresh consumer per run; the consumer takes one page at a time. */
const variants: Record<string, () => (records: Record<string, unknown>[]) => void> = {
  'tracker, schema file (declared)': () => {
    const t = new ColumnTracker('orders', ['id'], { ...DECLARED });
    return (rs) => {
      for (const r of rs) t.toRow(r);
    };
  },
  'tracker, no schema file (inferred)': () => {
    const t = new ColumnTracker('orders', ['id'], {}, { infer: true });
    return (rs) => {
      for (const r of rs) t.toRow(r);
    };
  },
  'SchemaInference.observe': () => {
    const s = new SchemaInference();
    return (rs) => {
      for (const r of rs) s.observe(r);
    };
  },
};

const times = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (const make of Object.values(variants)) for (let i = 0; i < 5; i++) make()(page()); // warm up
for (let run = 0; run < RUNS; run++) {
  for (const [name, make] of Object.entries(variants)) {
    const pages = Array.from({ length: PAGES }, page);
    const consume = make();
    const start = process.hrtime.bigint();
    for (const p of pages) consume(p);
    times.get(name)!.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perRecord = (name: string) => (median(times.get(name)!) * 1e9) / (RECORDS * PAGES);
console.log(`${RECORDS} records/page, ${PAGES} pages, median of ${RUNS} interleaved runs\n`);
console.log('| variant | ns/record | records/s |');
console.log('|---|---:|---:|');
for (const name of Object.keys(variants)) {
  const ns = perRecord(name);
  console.log(`| ${name} | ${Math.round(ns)} | ${Math.round(1e9 / ns).toLocaleString('en-US')} |`);
}
