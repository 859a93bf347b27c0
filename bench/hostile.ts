/**
 * Size sweeps of hostile input shapes, each at 1×, 2× and 4×: the time of a whole check (or of
 * loading a spec) and its growth, which for a linear cost stays near 2× per doubling. Figures only;
 * nothing here fails on speed.
 *
 * - an NDJSON line with no newline (skipped past the 1 MiB bound, never joined again and again);
 * - tasks still holding a lock when they return to user space (one verdict each: the state shown
 *   per verdict is found through the store's task index, not a scan of every task's state);
 * - thousands of tasks reading one lock at once (a reader's checks ask the lock's writers only);
 * - short-lived tasks, each exiting (what the engine keeps per task goes with it: flat memory);
 * - a flat `or` of thousands of terms (balanced after parsing: no deep recursion);
 * - a kprobe capture with its header's entry count (the count is checked by a second read).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './run.js';

interface Step { size: number; seconds: number }

async function sweep(sizes: number[], make: (n: number) => Promise<() => Promise<unknown>>): Promise<Step[]> {
  const out: Step[] = [];
  for (const n of sizes) {
    const run = await make(n);
    const t0 = performance.now();
    await run();
    out.push({ size: n, seconds: (performance.now() - t0) / 1000 });
  }
  return out;
}

function show(ctx: BenchContext, what: string, unit: string, steps: Step[]): void {
  const cells = steps.map((s, i) => `${s.size.toLocaleString()} ${unit}: ${s.seconds.toFixed(3)} s${i > 0 ? ` (×${(s.seconds / steps[i - 1]!.seconds).toFixed(2)})` : ''}`);
  ctx.print(`  ${what.padEnd(34)} ${cells.join('   ')}`);
}

export async function benchHostile(ctx: BenchContext): Promise<void> {
  const { lib } = ctx;
  const specs = new lib.specSet.SpecSet([], {});
  const check = (path: string) => async () => lib.file.checkTraceFile(path, specs, { onDiagnostic: () => {} });
  const file = (name: string, content: string | Buffer): string => { const p = join(ctx.outDir, name); writeFileSync(p, content); return p; };

  show(ctx, 'NDJSON line with no newline', 'MB', await sweep([16, 32, 64], async (mb) =>
    check(file(`hostile-line-${mb}.ndjson`, '{"pid":1,"ev":"syscall_exit"}\n{"pid":1,"ev":"x","a":"' + 'a'.repeat(mb << 20)))));

  show(ctx, 'tasks holding a lock at exit', 'tasks', await sweep([5000, 10000, 20000], async (n) => {
    const lines: string[] = [];
    for (let p = 1; p <= n; p++) lines.push(`{"pid":${p},"ev":"syscall_exit"}`, `{"pid":${p},"ev":"acq_req","args":{"lock":"L${p}","mode":"R","kind":"blocking"}}`, `{"pid":${p},"ev":"acq","args":{"lock":"L${p}","mode":"R"}}`);
    for (let p = 1; p <= n; p++) lines.push(`{"pid":${p},"ev":"syscall_exit"}`);
    return check(file(`hostile-held-${n}.ndjson`, lines.join('\n') + '\n'));
  }));

  show(ctx, 'concurrent readers of one lock', 'tasks', await sweep([10000, 20000, 40000], async (n) => {
    const lines: string[] = [];
    for (let p = 1; p <= n; p++) lines.push(`{"pid":${p},"ev":"syscall_exit"}`, `{"pid":${p},"ev":"acq_req","args":{"lock":"L1","mode":"R","kind":"blocking"}}`, `{"pid":${p},"ev":"acq","args":{"lock":"L1","mode":"R"}}`);
    for (let p = 1; p <= n; p++) lines.push(`{"pid":${p},"ev":"rel","args":{"lock":"L1","mode":"R"}}`, `{"pid":${p},"ev":"syscall_exit"}`);
    return check(file(`hostile-readers-${n}.ndjson`, lines.join('\n') + '\n'));
  }));

  const exits: Step[] = [];
  for (const n of [100_000, 200_000, 400_000]) {
    const lines: string[] = [];
    for (let p = 1; p <= n; p++) {
      lines.push(`{"pid":${p},"ev":"syscall_exit"}`, `{"pid":${p},"ev":"acq_req","args":{"lock":"L${p % 50}","mode":"R","kind":"blocking"}}`,
        `{"pid":${p},"ev":"acq","args":{"lock":"L${p % 50}","mode":"R"}}`, `{"pid":${p},"ev":"rel","args":{"lock":"L${p % 50}","mode":"R"}}`, `{"pid":${p},"ev":"task_exit"}`);
    }
    const path = file(`hostile-exits-${n}.ndjson`, lines.join('\n') + '\n');
    let peak = 0;
    const t0 = performance.now();
    await lib.file.checkTraceFile(path, specs, { onDiagnostic: () => {}, onBatch: () => { peak = Math.max(peak, process.memoryUsage().heapUsed); } });
    exits.push({ size: n, seconds: (performance.now() - t0) / 1000 });
    ctx.print(`  ${'short-lived tasks: peak heap'.padEnd(34)} ${n.toLocaleString()} tasks: ${(peak / 2 ** 20).toFixed(0)} MB`);
  }
  show(ctx, 'short-lived tasks, each exiting', 'tasks', exits);

  show(ctx, 'spec with a flat `or` of N terms', 'terms', await sweep([2000, 4000, 8000], async (n) => {
    const terms = Array.from({ length: n }, (_, i) => `pid == ${i}`).join(' or ');
    const path = file(`hostile-or-${n}.kinv`, `import "${join(process.cwd(), 'spec/vfs/events.kinv')}"\ninvariant big on syscall_exit: not (${terms})\n`);
    return async () => { const r = lib.load.loadSpec([path]); if (!r.ok) throw new Error(r.diagnostics[0]?.message); return new lib.check.CompiledSpec(r.value.spec); };
  }));

  show(ctx, 'kprobe capture with a header count', 'lines', await sweep([100_000, 200_000, 400_000], async (n) => {
    const head = `# tracer: nop\n#\n# entries-in-buffer/entries-written: ${n}/${n}   #P:1\n#\n`;
    const body: string[] = [];
    for (let i = 0; i < n; i++) body.push(`            stat-${100 + (i % 7)}     [000] .....   ${(100 + i / 1e6).toFixed(6)}: ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0`);
    return check(file(`hostile-count-${n}.txt`, head + body.join('\n') + '\n'));
  }));
}
