/**
 * `kinv conform` throughput on the bundled real captures, each against the shape its kernel ran:
 * the trace read alone (the checker's reader, no judging) and read plus conformance, in events of
 * the trace per second, in this process; and the whole command in a process of its own (start-up,
 * loading the spec, reading, judging), as a user runs it, in events per second of its wall time
 * against the target of 50 K events per second, and per second of its CPU time (every thread's,
 * the optimising compiler's included: on a shared machine the wall clock measures the neighbours
 * too, so both are shown, with the load average), and its peak RSS. Uses the compiled build when
 * it is fresh, else the sources. Each capture is also conformed to every shape at once
 * (`--d-add-ci auto`), the whole command's wall time beside.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distIsFresh } from './fresh.js';

type ConformMod = typeof import('../src/conform/conform.js');
type FileMod = typeof import('../src/checker/file.js');
type SpecSetMod = typeof import('../src/checker/spec-set.js');
type LoadMod = typeof import('../src/analysis/load.js');

/**
 * The captures and the shape each is held to: the three d_add_ci captures, then the busy ones,
 * whose contended directories carry hundreds of candidate states (their target, as the others':
 * the whole command at 50 K events per second or more, TARGET).
 */
export const CONFORM_CAPTURES: [string, 'mainline' | 'draft' | 'fixed'][] = [
  ['traces/kernel/trace.gz', 'mainline'], ['traces/kernel-buggy/trace.gz', 'draft'], ['traces/kernel-fixed/trace.gz', 'fixed'],
  ['traces/kernel-programs/6.1-wild/trace.gz', 'mainline'], ['traces/kernel-programs/6.12-wild/trace.gz', 'mainline'],
  ['traces/kernel-churn/trace.gz', 'mainline'], ['traces/kernel-programs/6.1-wild-legacy/trace.gz', 'mainline'],
];

/** The whole command's target, in events per second of its wall time. */
const TARGET = 50_000;

export async function benchConform(root: string, print: (line: string) => void): Promise<void> {
  const built = distIsFresh(root, 'conform/conform.js');
  const base = built ? join(root, 'dist') : join(root, 'src');
  const ext = built ? '.js' : '.ts';
  const imp = async <T>(p: string): Promise<T> => (await import(pathToFileURL(join(base, p + ext)).href)) as T;
  const conform = await imp<ConformMod>('conform/conform');
  const file = await imp<FileMod>('checker/file');
  const { SpecSet } = await imp<SpecSetMod>('checker/spec-set');
  const { bundledSpecDir } = await imp<LoadMod>('analysis/load');
  const specs = new SpecSet([bundledSpecDir()], {});
  print(`  (${built ? 'compiled build' : 'sources'}; target: the whole command at ${TARGET / 1000} K events per second of wall time or more;`
    + ` load average now ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  const tmp = mkdtempSync(join(tmpdir(), 'kinv-bench-conform-'));
  const cpuFile = join(tmp, 'cpu.json');
  for (const [path, shape] of CONFORM_CAPTURES) {
    const full = join(root, path);
    if (!existsSync(full)) { print(`  ${path}: not present`); continue; }
    let t0 = process.hrtime.bigint();
    const opened = await file.readTraceFile(full, specs, { onDiagnostic: () => undefined });
    let events = 0;
    if (opened) for await (const batch of opened.source) events += batch.length;
    const read = Number(process.hrtime.bigint() - t0) / 1e9;
    t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const r = await conform.conformTraceFile(full, specs, { shapes: [shape], order: 'current', onDiagnostic: () => undefined });
    const total = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const n = r?.events ?? 0;
    t0 = process.hrtime.bigint();
    rmSync(cpuFile, { force: true });
    const whole = spawnSync(process.execPath, ['--require', join(root, 'bench', 'cpu-at-exit.cjs'), join(root, 'bin', 'kinv.js'), 'conform', '--d-add-ci', shape, full],
      { stdio: 'ignore', env: { ...process.env, KINV_BENCH_CPU: cpuFile } });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const child = existsSync(cpuFile) ? JSON.parse(readFileSync(cpuFile, 'utf8')) as { user: number; system: number; maxRSS: number } : undefined;
    const childCpu = child === undefined ? undefined : (child.user + child.system) / 1e6;
    const perCpu = childCpu === undefined ? 'CPU time not known' : `${(n / childCpu / 1000).toFixed(1)} K events per CPU s`
      + ` (${childCpu.toFixed(2)} CPU s), peak RSS ${(child!.maxRSS / 1024).toFixed(0)} MB`;
    const verdict = r?.results[0]?.verdict === 'unknown' ? `unknown (${r.results[0].unknown ?? ''})` : r?.results[0]?.verdict ?? 'unreadable';
    print(`  ${path} (${shape}): ${verdict}; ${n} events; read ${(events / read / 1000).toFixed(1)} K events/s (${read.toFixed(2)} s),`
      + ` read + conform ${(n / total / 1000).toFixed(1)} K events/s (${total.toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s),`
      + ` whole command ${(n / wall / 1000).toFixed(1)} K events/s of wall time (${wall.toFixed(2)} s${whole.status === 0 ? '' : `, exit ${String(whole.status)}`};`
      + ` ${n / wall >= TARGET ? 'meets' : 'below'} the target), ${perCpu}`);
    // Every shape at once, as a user who does not know the kernel's runs it: a case-insensitive
    // directory is searched once per shape (the others are shared).
    t0 = process.hrtime.bigint();
    const auto = spawnSync(process.execPath, [join(root, 'bin', 'kinv.js'), 'conform', '--d-add-ci', 'auto', full], { stdio: 'ignore' });
    const autoWall = Number(process.hrtime.bigint() - t0) / 1e9;
    print(`    --d-add-ci auto: whole command ${(n / autoWall / 1000).toFixed(1)} K events/s of wall time (${autoWall.toFixed(2)} s, exit ${String(auto.status)})`);
  }
  rmSync(tmp, { recursive: true, force: true });
  await benchConformJobs(root, print);
}

/**
 * The captures held to mainline conformed by one command, `kinv conform --jobs J` (J = 1, 2, the
 * cores): the events of all of them per second of wall time, process start included, and whether
 * the output is the one of --jobs 1. Interleaved, best of two.
 */
async function benchConformJobs(root: string, print: (line: string) => void): Promise<void> {
  const { availableParallelism } = await import('node:os');
  const files = CONFORM_CAPTURES.filter(([p, shape]) => shape === 'mainline' && existsSync(join(root, p))).map(([p]) => join(root, p));
  if (files.length < 2) return;
  const cores = availableParallelism();
  const run = (jobs: number): { seconds: number; events: number; out: string } => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(root, 'bin', 'kinv.js'), 'conform', '--d-add-ci', 'mainline', '--format', 'json', '--jobs', String(jobs), ...files],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status === null || r.status > 1) throw new Error(`kinv conform --jobs ${jobs} exited ${String(r.status)}: ${r.stderr.slice(0, 500)}`);
    let events = 0;
    for (const line of r.stdout.trim().split('\n')) {
      const o = JSON.parse(line) as { kind?: string; events?: number };
      if (o.kind === 'conformance') events += o.events ?? 0;
    }
    return { seconds, events, out: r.stdout + r.stderr };
  };
  const counts = [...new Set([1, 2, cores])].sort((a, b) => a - b);
  const best = new Map<number, { seconds: number; events: number; out: string }>();
  for (let round = 0; round < 2; round++) {
    for (const j of counts) {
      const r = run(j);
      const had = best.get(j);
      if (!had || r.seconds < had.seconds) best.set(j, r);
    }
  }
  const base = best.get(1)!;
  print(`  ${files.length} captures held to mainline, one command (\`kinv conform --jobs J\`; ${cores} core${cores === 1 ? '' : 's'}):`);
  for (const j of counts) {
    const r = best.get(j)!;
    const perSecond = r.events / r.seconds;
    print(`  --jobs ${j}: ${(perSecond / 1000).toFixed(1)} K events/s of wall time (${r.events} events, ${r.seconds.toFixed(2)} s, process start included),`
      + ` ${perSecond >= TARGET ? 'at or above' : 'below'} ${TARGET / 1000} K events per wall second; x${(perSecond / (base.events / base.seconds)).toFixed(2)} over --jobs 1;`
      + ` ${r.out === base.out ? 'output identical to --jobs 1' : 'OUTPUT DIFFERS from --jobs 1'}`);
  }
}
