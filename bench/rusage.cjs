// Preloaded into every benchmarked process (`node --require bench/rusage.cjs …`): at exit it writes the
// process's own peak RSS and CPU time to $BENCH_RUSAGE_OUT, the same way for tributary, the raw client and
// the peer, so their figures compare. With $BENCH_MEM_SPLIT set it also samples memory every 50 ms and
// records how RSS split at its highest sample: file-backed pages (node's and DuckDB's code), the V8 heap,
// external/array buffers, and the rest of the anonymous memory (native allocations: DuckDB, V8 and Node
// internals). Linux only (/proc/self/status).
const fs = require('node:fs');
const out = process.env.BENCH_RUSAGE_OUT;
if (out) {
  let split;
  if (process.env.BENCH_MEM_SPLIT) {
    split = { rss: 0 };
    const kb = (status, key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss <= split.rss) return;
      const status = fs.readFileSync('/proc/self/status', 'utf8');
      split = {
        rss: m.rss,
        fileKb: kb(status, 'RssFile'),
        anonKb: kb(status, 'RssAnon'),
        heapTotal: m.heapTotal,
        heapUsed: m.heapUsed,
        external: m.external,
      };
    }, 50);
    timer.unref();
  }
  process.on('exit', () => {
    const r = process.resourceUsage();
    fs.writeFileSync(
      out,
      JSON.stringify({ maxRssKb: r.maxRSS, userCpuUs: r.userCPUTime, systemCpuUs: r.systemCPUTime, split }),
    );
  });
}
