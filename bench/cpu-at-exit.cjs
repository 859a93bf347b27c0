// Preloaded (`node --require`) into a command that bench/conform.ts runs in a process of its own:
// at its exit, the process's CPU time (user and system, every thread: the compiler's and the
// collector's too) and peak RSS are written as JSON to the file KINV_BENCH_CPU names. CommonJS,
// as bin/ is, so that the command starts without the ES module loader it does not otherwise use.
'use strict';

process.on('exit', () => {
  const to = process.env.KINV_BENCH_CPU;
  if (!to) return;
  const { writeFileSync } = process.getBuiltinModule('node:fs');
  writeFileSync(to, JSON.stringify({ ...process.cpuUsage(), maxRSS: process.resourceUsage().maxRSS }));
});
