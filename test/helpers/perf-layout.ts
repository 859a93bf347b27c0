/**
 * Lays out the records of a `trace-cmd report` text as `perf script` prints them by default
 * (tools/perf/builtin-script.c: `%16s %5d [%03d] %lu.%06lu: %*s: TRACE`, events named
 * SYSTEM:EVENT and right-aligned to the widest name; checked against real perf 6.1 output in
 * traces/ftrace/perf/syscalls*.txt). The TRACE part is the same in both tools: libtraceevent's
 * rendering of the event's print format. A counter timestamp N becomes `N.000000`.
 */
export function perfScriptOf(report: string, limit = Infinity): string {
  const rows: { comm: string; tid: string; cpu: string; ts: string; ev: string; body: string }[] = [];
  for (const l of report.split('\n')) {
    const m = /^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+(\d+): (\S+):\s+(.*)$/.exec(l);
    if (!m) continue;
    const sys = m[5] === 'sys_exit' ? 'raw_syscalls' : m[5] === 'sched_process_exit' ? 'sched' : 'kprobes';
    rows.push({ comm: m[1]!, tid: m[2]!, cpu: m[3]!, ts: m[4]!, ev: `${sys}:${m[5]!}`, body: m[6]! });
  }
  const width = Math.max(...rows.map((r) => r.ev.length));
  return rows.slice(0, limit).map((r) => `${r.comm.padStart(16)} ${r.tid.padStart(5)} [${r.cpu.padStart(3, '0')}] ${r.ts}.000000: ${r.ev.padStart(width)}: ${r.body}\n`).join('');
}
