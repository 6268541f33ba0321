// The raw limit of scenario 1: the same keyset pages a Humaans sync requests
// (`updatedAt[$gte]=<bound>&$sort[updatedAt]=1&$limit=N&$skip=k`), fetched one after another with undici and
// JSON.parse'd, nothing else: no transforms, no state, no destination. Prints {records, requests} as JSON.
//   node bench/raw-limit.js <baseUrl> <token> <pageSize> <stream path>
import { Pool } from 'undici';

const [baseUrl, token, pageSizeArg, path = '/documents'] = process.argv.slice(2);
const pageSize = Number(pageSizeArg);
const base = new URL(baseUrl);
const pool = new Pool(base.origin, { connections: 1 });
const seen = new Set(); // ids at the current bound, as the paginator keeps them, so the count is exact
let bound;
let skip = 0;
let records = 0;
let requests = 0;
for (;;) {
  const q = new URLSearchParams({ $limit: String(pageSize), $skip: String(skip), '$sort[updatedAt]': '1' });
  if (bound !== undefined) q.set('updatedAt[$gte]', bound);
  const res = await pool.request({
    method: 'GET',
    path: `${base.pathname}${path}?${q}`,
    headers: { authorization: `Bearer ${token}` },
  });
  requests++;
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} on ${path}`);
  const body = JSON.parse(await res.body.text());
  const data = body.data;
  const n = data.length;
  for (const r of data) if (!(r.updatedAt === bound && seen.has(r.id))) records++;
  if (n < pageSize || skip + n >= body.total) break;
  const last = data[n - 1].updatedAt;
  let same = 0;
  while (same < n && data[n - 1 - same].updatedAt === last) same++;
  if (last === bound) {
    skip += n;
  } else {
    seen.clear();
    bound = last;
    skip = same < n ? 0 : same;
  }
  for (let i = n - same; i < n; i++) seen.add(data[i].id);
}
await pool.close();
process.stdout.write(`${JSON.stringify({ records, requests })}\n`);
