// Preloaded into every benchmarked process (`node --require bench/rusage.cjs …`): at exit it writes the
// process's own peak RSS and CPU time to $BENCH_RUSAGE_OUT, the same way for tributary, the raw client and
// the peer, so their figures compare.
const out = process.env.BENCH_RUSAGE_OUT;
if (out) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    require('node:fs').writeFileSync(
      out,
      JSON.stringify({ maxRssKb: r.maxRSS, userCpuUs: r.userCPUTime, systemCpuUs: r.systemCPUTime }),
    );
  });
}
