/**
 * `npm run bench`: kinv's throughput and memory figures against the design targets, measured in
 * one run. It prints figures and ratios and never fails on speed.
 *
 * Sections are a registry (`registerSection`); each prints its own lines. Built in:
 * - `ndjson`: the full VFS spec on a generated NDJSON workload (cached under bench/out/) against its
 *   floor, a plain Node loop that reads the file and JSON.parses each line (bench/floors.ts), and
 *   line scans of the same file (readline, a raw Buffer.indexOf scan); peak RSS at 1×, 4× and 16×
 *   trace length (each check in a fresh process, so peaks do not mix);
 * - `ftrace`: a function_graph log and a kprobe-dense log (every line a mapped record), each
 *   checked in full against its floor, a naive regex parser that splits the fields (bench/floors.ts),
 *   plus the reader alone vs a newline scan (bench/ftrace.ts);
 * - `sim`: when bench/sim.ts is present, whatever figures its exported function returns;
 * - `tracedat`: trace.dat read throughput beside the text path on the same records (bench/tracedat.ts);
 * - `parallel`: a set of trace files checked with `kinv check --jobs 1, 2, ...`: throughput per core and scaling.
 *
 * The library is loaded from the build (dist/) when it is up to date, so the figures are those of
 * the shipped code; `--src` runs the sources through tsx instead. `npm run bench` builds first and
 * passes `--built`, so the build is used even when a file in src/ changed after it (another
 * engineer's work in progress).
 *
 * Options: --events N (base NDJSON length, default 1000000; the flatness runs use N, 4N, 16N),
 * --ftrace-mb N (ftrace log size, default 200), --only a,b (sections), --src, --built.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { distIsFresh } from './fresh.js';
import { jsonParseLoop, naiveFtraceParse } from './floors.js';
import { newlineScan } from './scan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const MB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Registry

export interface BenchContext {
  /** Where generated workloads are cached (gitignored). */
  outDir: string;
  /** Base NDJSON length in events. */
  events: number;
  ftraceMB: number;
  /** Library modules: the build when fresh, else the sources. */
  lib: Lib;
  print: (line?: string) => void;
  /** Runs a full `checkTraceFile` of `file` in a fresh process and returns its figures. */
  /** The check of `file` in a process of its own, by the bundled spec or by the spec files given. */
  checkInChild: (file: string, specFiles?: string[]) => Promise<CheckFigures>;
}

export interface BenchSection {
  name: string;
  /** One line on what the section measures. */
  about: string;
  /** Returns a reason to skip (e.g. a missing module), or undefined to run. */
  available?: () => Promise<string | undefined> | string | undefined;
  run: (ctx: BenchContext) => Promise<void>;
}

const sections: BenchSection[] = [];

/** Adds a section; later sections run after the built-in ones, in registration order. */
export function registerSection(s: BenchSection): void {
  sections.push(s);
}

// ---------------------------------------------------------------------------------------------
// Library loading (build or sources)

type FileMod = typeof import('../src/checker/file.js');
type LoadMod = typeof import('../src/analysis/load.js');
type CheckMod = typeof import('../src/checker/check.js');
type NdjsonMod = typeof import('../src/trace/ndjson.js');
type SpecSetMod = typeof import('../src/checker/spec-set.js');
interface Lib { from: 'dist' | 'src'; file: FileMod; load: LoadMod; check: CheckMod; ndjson: NdjsonMod; specSet: SpecSetMod }


async function loadLib(forceSrc: boolean, built: boolean): Promise<Lib> {
  const fresh = !forceSrc && existsSync(join(ROOT, 'dist', 'checker', 'file.js')) && (built || distIsFresh(ROOT, 'checker/file.js'));
  const base = fresh ? join(ROOT, 'dist') : join(ROOT, 'src');
  const ext = fresh ? '.js' : '.ts';
  const imp = async <T>(p: string): Promise<T> => (await import(pathToFileURL(join(base, p + ext)).href)) as T;
  return {
    from: fresh ? 'dist' : 'src', file: await imp<FileMod>('checker/file'), load: await imp<LoadMod>('analysis/load'),
    check: await imp<CheckMod>('checker/check'), ndjson: await imp<NdjsonMod>('trace/ndjson'), specSet: await imp<SpecSetMod>('checker/spec-set'),
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements

export interface ScanFigures { bytes: number; lines: number; seconds: number; MBps: number; linesPerSec: number }

export interface CheckFigures {
  file: string;
  bytes: number;
  lines: number;
  events: number;
  violations: number;
  pending: number;
  seconds: number;
  eventsPerSec: number;
  MBps: number;
  /** Largest process.memoryUsage().rss sampled during the check (bytes). */
  peakRss: number;
  /** The kernel's maximum resident set size of the process (bytes), as a cross-check. */
  maxRss: number;
  /** CPU seconds of the process (user + system, GC threads included): steadier than wall time under load. */
  cpuSeconds: number;
  /** CPU seconds of the check alone (user + system, from its start to its end; the process's start left out). */
  checkCpuSeconds: number;
  /** Entries of the spec's states that hold 1,000 or more at the end of the trace. */
  live: Record<string, number>;
  /** Heap in use after the check and a full GC (bytes): the live state without garbage. */
  liveHeap: number;
  from: 'dist' | 'src';
}

function figures(bytes: number, lines: number, seconds: number): ScanFigures {
  return { bytes, lines, seconds, MBps: bytes / MB / seconds, linesPerSec: lines / seconds };
}

/** A plain Node line scan: readline over a file stream, one string per line. */
export async function readlineScan(file: string): Promise<ScanFigures> {
  const t0 = performance.now();
  let lines = 0;
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of rl) { if (line.length >= 0) lines++; }
  return figures(statSync(file).size, lines, (performance.now() - t0) / 1000);
}

/** The cheapest newline scan (bench/scan.ts). */
export async function rawScan(file: string): Promise<ScanFigures> {
  const r = await newlineScan(file);
  return figures(r.bytes, r.lines, r.seconds);
}

/** The NDJSON reader alone (bytes to events, no checking): how much of the check is reading. */
export async function readerOnly(file: string, lib: Lib): Promise<ScanFigures> {
  const t0 = performance.now();
  let events = 0;
  for await (const batch of lib.ndjson.readNdjson(createReadStream(file, { highWaterMark: 1 << 20 }), { file, onDiagnostic: () => undefined })) events += batch.length;
  return figures(statSync(file).size, events, (performance.now() - t0) / 1000);
}

/**
 * The full check of `file` in a fresh process (bench/check-child.mjs), so each peak RSS is its own;
 * a check of the build runs on plain node, without the tsx loader this script runs under.
 */
function checkInChild(file: string, lib: Lib, specFiles?: string[]): Promise<CheckFigures> {
  return new Promise((resolve, reject) => {
    const script = join(ROOT, 'bench', 'check-child.mjs');
    const spec = specFiles === undefined ? [] : [specFiles.join(',')];
    const args = lib.from === 'src' ? [...process.execArgv, '--expose-gc', script, file, 'src', ...spec] : ['--expose-gc', script, file, 'dist', ...spec];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`check of ${file} exited with ${code}`)); return; }
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as CheckFigures);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Printing

const f1 = (x: number): string => x.toFixed(1);
const mib = (b: number): string => `${f1(b / MB)} MB`;
const rate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}K`);
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function printCheck(print: (l?: string) => void, label: string, c: CheckFigures): void {
  print(`  ${label.padEnd(22)} ${rate(c.eventsPerSec)} events/s, ${f1(c.MBps)} MB/s  (${c.events} events, ${mib(c.bytes)}, ${c.seconds.toFixed(2)} s; ${c.violations} violations, ${c.pending} pending; peak RSS ${mib(c.peakRss)}, max RSS ${mib(c.maxRss)})`);
}

/** The spec's larger states at the end of a check, and the heap they keep. */
function printLive(print: (l?: string) => void, c: CheckFigures): void {
  const states = Object.entries(c.live ?? {}).map(([k, n]) => `${k} ${n}`).join(', ');
  print(`  ${''.padEnd(22)} live after the check: ${mib(c.liveHeap)} heap; ${states || 'no state of 1,000 entries'}; ${c.cpuSeconds.toFixed(1)} CPU s`);
}

// ---------------------------------------------------------------------------------------------
// Built-in sections

/** The lookup workload of `n` events (bench/gen-ndjson.ts; the name changes with the workload's shape). */
async function ndjsonFile(n: number): Promise<string> {
  const path = join(OUT, `lookup-evicting-${n}.ndjson`);
  if (existsSync(path)) return path;
  const { generateNdjson } = await import('./gen-ndjson.js');
  const t0 = performance.now();
  await generateNdjson(path + '.tmp', n);
  const { renameSync } = await import('node:fs');
  renameSync(path + '.tmp', path);
  console.log(`  (generated ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return path;
}

registerSection({
  name: 'ndjson',
  about: 'full VFS spec on NDJSON vs its floor (readline + JSON.parse per line); peak RSS at 1x, 4x, 16x trace length',
  run: async (ctx) => {
    const { print } = ctx;
    const sizes = [ctx.events, 4 * ctx.events, 16 * ctx.events];
    const files: string[] = [];
    for (const n of sizes) files.push(await ndjsonFile(n));
    const main = files[0]!;
    print(`  workload: ${main} (${mib(statSync(main).size)})`);
    // Floor and check alternate, twice, on the same file: on a shared machine the ratio of
    // neighbouring runs is the figure, and the better of two of each evens out a burst of load.
    const floors: number[] = [];
    const floorCpu: number[] = [];
    const checks: CheckFigures[] = [];
    for (let i = 0; i < 2; i++) {
      const f = await jsonParseLoop(main);
      floors.push(f.MBps);
      floorCpu.push(f.cpuSeconds);
      checks.push(await ctx.checkInChild(main));
    }
    const floor = Math.max(...floors);
    const full = checks.reduce((a, b) => (b.MBps > a.MBps ? b : a));
    const cpuRatio = Math.min(...floorCpu) / Math.min(...checks.map((c) => c.cpuSeconds));
    const rl = await readlineScan(main);
    const raw = await rawScan(main);
    print(`  floor: readline + JSON.parse ${f1(floor)} MB/s  (best of ${floors.map(f1).join(', ')})`);
    print(`  readline scan          ${rate(rl.linesPerSec)} lines/s, ${f1(rl.MBps)} MB/s  (${rl.seconds.toFixed(2)} s)`);
    print(`  raw indexOf scan       ${rate(raw.linesPerSec)} lines/s, ${f1(raw.MBps)} MB/s  (${raw.seconds.toFixed(2)} s)`);
    const rd = await readerOnly(main, ctx.lib);
    print(`  NDJSON reader only     ${rate(rd.linesPerSec)} events/s, ${f1(rd.MBps)} MB/s  (${rd.seconds.toFixed(2)} s; bytes to events, no checking)`);
    printCheck(print, `check (${full.from})`, full);
    print(`  ratio check / JSON.parse loop: ${(full.MBps / floor).toFixed(2)}x   (target >= 0.5x: ${full.MBps / floor >= 0.5 ? 'met' : 'not met'})`);
    print(`  ratio by CPU time (best of two each; the check's process includes start-up and GC threads): ${cpuRatio.toFixed(2)}x`
      + `  (floor ${Math.min(...floorCpu).toFixed(2)} CPU s, check ${Math.min(...checks.map((c) => c.cpuSeconds)).toFixed(2)} CPU s)`);
    print(`  ratio check / readline scan: ${pct(full.MBps / rl.MBps)};  check / raw indexOf scan: ${pct(full.MBps / raw.MBps)}`);
    // Where the check's time goes: the bundled spec's files added one at a time (each file needs
    // the ones before it), each check in a process of its own. The vocabulary alone is the floor of
    // reading, validating and dispatching; each file's rules and invariants cost what it adds.
    print('  CPU seconds by the spec\'s files, added in turn (each check in a process of its own):');
    const vfs = join(ROOT, 'spec', 'vfs');
    const layers = ['events', 'locks', 'inlookup', 'order', 'ftrace'];
    let before = 0;
    for (let i = 0; i < layers.length; i++) {
      const c = await ctx.checkInChild(main, layers.slice(0, i + 1).map((f) => join(vfs, `${f}.kinv`)));
      const what = i === 0 ? 'events.kinv (the vocabulary: no rules, no invariants)' : `+ ${layers[i]}.kinv`;
      const floorShare = i === 0 ? `; ${(Math.min(...floorCpu) / c.cpuSeconds).toFixed(2)}x the JSON.parse loop by CPU` : '';
      print(`    ${what.padEnd(56)} ${c.cpuSeconds.toFixed(2)} CPU s${i === 0 ? '' : ` (+${(c.cpuSeconds - before).toFixed(2)})`}, ${rate(c.eventsPerSec)} events/s${floorShare}`);
      before = c.cpuSeconds;
    }
    print('  memory flatness (each in a fresh process):');
    const runs: CheckFigures[] = [full];
    for (let i = 1; i < files.length; i++) runs.push(await ctx.checkInChild(files[i]!));
    runs.forEach((r, i) => { printCheck(print, `${[1, 4, 16][i]}x (${r.events} events)`, r); printLive(print, r); });
    const top = Math.max(...runs.map((r) => r.maxRss));
    print(`  max RSS 16x / 1x: ${(runs[2]!.maxRss / runs[0]!.maxRss).toFixed(2)}; largest ${mib(top)}  (target <= 200 MB at every length: ${top <= 200 * MB ? 'met' : 'not met'})`);
    // The workload frees dentries before a name is looked up again and evicts directories (as a
    // kernel under memory pressure does), so what the spec must keep is bounded: a growing peak is
    // the checker's own. The per-name line shows what each hashed (directory, name) costs.
    const [a, , b] = runs;
    const pairs = (r: CheckFigures): number => r.live.pos_at ?? 0;
    print(`  hashed (directory, name) kept by the spec at the end: ${runs.map(pairs).join(' / ')}`);
    if (pairs(b!) > pairs(a!)) {
      const per = (x: number): string => `${((x) / (pairs(b!) - pairs(a!))).toFixed(0)} B`;
      print(`  per hashed (directory, name), 1x to 16x: live heap ${per(b!.liveHeap - a!.liveHeap)}, peak RSS ${per(b!.peakRss - a!.peakRss)}`);
    }
  },
});

registerSection({
  name: 'ftrace',
  about: 'ftrace text (function_graph and kprobe-dense): full check vs its floor (a naive regex parser); reader vs newline scan',
  available: () => (existsSync(join(ROOT, 'bench', 'gen-ftrace.ts')) ? undefined : 'bench/gen-ftrace.ts missing'),
  run: async (ctx) => {
    const { print } = ctx;
    const gen = await import('./gen-ftrace.js');
    const logs = [
      { what: 'function_graph', path: join(OUT, `vfs-${ctx.ftraceMB}MB.ftrace.txt`), make: gen.generateFtrace },
      { what: 'kprobe-dense', path: join(OUT, `vfs-kprobe-${ctx.ftraceMB}MB.ftrace.txt`), make: gen.generateKprobeFtrace },
    ];
    for (const log of logs) {
      if (!existsSync(log.path)) {
        await log.make(log.path + '.tmp', ctx.ftraceMB * MB);
        const { renameSync } = await import('node:fs');
        renameSync(log.path + '.tmp', log.path);
      }
      print(`  ${log.what}: ${log.path} (${mib(statSync(log.path).size)})`);
      const floors: number[] = [];
      const floorCpu: number[] = [];
      const checks: CheckFigures[] = [];
      for (let i = 0; i < 2; i++) {
        const c0 = process.cpuUsage();
        floors.push((await naiveFtraceParse(log.path)).MBps);
        const c1 = process.cpuUsage(c0);
        floorCpu.push((c1.user + c1.system) / 1e6);
        checks.push(await ctx.checkInChild(log.path));
      }
      const floor = Math.max(...floors);
      const full = checks.reduce((a, b) => (b.MBps > a.MBps ? b : a));
      print(`    floor: naive regex parser ${f1(floor)} MB/s  (best of ${floors.map(f1).join(', ')})`);
      printCheck((l) => print('  ' + (l ?? '')), `check (${full.from})`, full);
      print(`    ratio check / naive regex parser: ${(full.MBps / floor).toFixed(2)}x   (target >= 2x: ${full.MBps / floor >= 2 ? 'met' : 'not met'})`);
      // By CPU time (steadier than wall time on a loaded machine): MB per CPU second, the best run of each.
      const mb = statSync(log.path).size / MB;
      const floorPerCpu = mb / Math.min(...floorCpu);
      const checkPerCpu = mb / Math.min(...checks.map((c) => c.checkCpuSeconds));
      print(`    by CPU time: naive regex parser ${f1(floorPerCpu)} MB per CPU s (${floorCpu.map((x) => x.toFixed(2)).join(', ')} CPU s), `
        + `check ${f1(checkPerCpu)} MB per CPU s (${checks.map((c) => c.checkCpuSeconds.toFixed(2)).join(', ')} CPU s, the process's start left out): ${(checkPerCpu / floorPerCpu).toFixed(2)}x`);
      const raw = await rawScan(log.path);
      print(`    ratio check / raw newline scan: ${pct(full.MBps / raw.MBps)}`);
    }
    const mod = (await import('./ftrace.js')) as { benchFtrace?: (file: string) => Promise<{ scan: { MBps: number }; reader: { MBps: number; records?: number; events?: number }; ratio: number }> };
    if (mod.benchFtrace) {
      const r = await mod.benchFtrace(logs[0]!.path);
      print(`  function_graph reader alone (bench/ftrace.ts, sources) ${f1(r.reader.MBps)} MB/s vs newline scan ${f1(r.scan.MBps)} MB/s: ${pct(r.ratio)}`);
    }
  },
});

registerSection({
  name: 'sim',
  about: 'simulator steps/s and exploration (bench/sim.ts)',
  available: () => (existsSync(join(ROOT, 'bench', 'sim.ts')) ? undefined : 'bench/sim.ts not present'),
  run: async (ctx) => {
    const mod = (await import(pathToFileURL(join(ROOT, 'bench', 'sim.ts')).href)) as Record<string, unknown>;
    const fn = (['benchSim', 'run', 'default'] as const).map((k) => mod[k]).find((x) => typeof x === 'function') as ((c: BenchContext) => unknown) | undefined;
    if (!fn) { ctx.print('  bench/sim.ts exports no benchSim/run/default function'); return; }
    const r = await fn(ctx);
    if (r !== undefined) for (const line of JSON.stringify(r, null, 2).split('\n')) ctx.print('  ' + line);
  },
});

registerSection({
  name: 'hostile',
  about: 'hostile input shapes at 1x, 2x, 4x size: time and growth per doubling (bench/hostile.ts)',
  run: async (ctx) => {
    const { benchHostile } = (await import(pathToFileURL(join(ROOT, 'bench', 'hostile.ts')).href)) as typeof import('./hostile.js');
    await benchHostile(ctx);
  },
});

registerSection({
  name: 'conform',
  about: 'kinv conform on the bundled real captures, each against its own shape: read alone, and read + conformance (bench/conform.ts)',
  available: () => (existsSync(join(ROOT, 'traces', 'kernel', 'trace.gz')) ? undefined : 'traces/kernel/trace.gz not present'),
  async run({ print }) {
    const { benchConform } = (await import(pathToFileURL(join(ROOT, 'bench', 'conform.ts')).href)) as typeof import('./conform.js');
    await benchConform(ROOT, print);
  },
});

// ---------------------------------------------------------------------------------------------
// Main

registerSection({
  name: 'tracedat',
  about: 'trace.dat (record-v6.dat, pages repeated 200 times) vs the tracefs text of the same records, through the ftrace reader (bench/tracedat.ts)',
  available: () => (existsSync(join(ROOT, 'traces', 'tracedat', 'record-v6.dat')) ? undefined : 'traces/tracedat/record-v6.dat not present'),
  async run({ print, outDir }) {
    const { benchTraceDat } = (await import(pathToFileURL(join(ROOT, 'bench', 'tracedat.ts')).href)) as typeof import('./tracedat.js');
    const r = await benchTraceDat(ROOT, outDir);
    const line = (what: string, f: typeof r.dat): string =>
      `  ${what} ${rate(f.recordsPerSec)} records/s, ${f1(f.MB / f.seconds)} MB/s  (${f.records} records in ${f.seconds.toFixed(2)} s, ${f1(f.MB)} MB; CPU ${f.cpuSeconds.toFixed(2)} s)`;
    print(line('trace.dat (version 6)', r.dat));
    print(line('tracefs text         ', r.text));
    print(`  ratio trace.dat / text (records/s): ${pct(r.ratio)}; by CPU time: ${pct(r.cpuRatio)}`);
  },
});

registerSection({
  name: 'parallel',
  about: 'a capture set of 4 NDJSON files (N/4 events each) checked by `kinv check --jobs J`, J = 1, 2, ...: throughput per core and scaling',
  async run({ print, events }) {
    const { availableParallelism } = await import('node:os');
    const { linkSync, rmSync } = await import('node:fs');
    const cores = availableParallelism();
    const one = await ndjsonFile(Math.max(1000, Math.round(events / 4)));
    // Four names for one file (hard links: a folder walk skips symbolic links): the same work per file.
    const dir = join(OUT, 'parallel');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = [0, 1, 2, 3].map((i) => { const f = join(dir, `copy-${i}.ndjson`); linkSync(one, f); return f; });
    print(`  workload: 4 x ${one} (${mib(statSync(one).size)} each); this machine has ${cores} core${cores === 1 ? '' : 's'} (os.availableParallelism)`);
    const bin = join(ROOT, 'bin', 'kinv.js');
    const run = (jobs: number): Promise<{ seconds: number; events: number; out: string }> => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [bin, 'check', '--format', 'json', '--jobs', String(jobs), ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => { out += c; });
      child.on('error', reject);
      child.on('close', (code) => {
        const seconds = (performance.now() - t0) / 1000;
        const summary = JSON.parse(out.trim().split('\n').at(-1)!) as { kind: string; events: number };
        if (summary.kind !== 'summary' || code === null || code > 1) reject(new Error(`kinv check --jobs ${jobs} exited ${code}`));
        else resolve({ seconds, events: summary.events, out: out.replace(/"seconds":[0-9.e-]+/g, '') });
      });
    });
    const counts = [...new Set([1, 2, cores, 4])].filter((j) => j <= 4).sort((a, b) => a - b);
    // Interleaved, best of two: a burst of load on the shared machine hits one run, not one setting.
    const best = new Map<number, { seconds: number; events: number; out: string }>();
    for (let round = 0; round < 2; round++) {
      for (const j of counts) {
        const r = await run(j);
        const had = best.get(j);
        if (!had || r.seconds < had.seconds) best.set(j, r);
      }
    }
    const base = best.get(1)!;
    for (const j of counts) {
      const r = best.get(j)!;
      const perSecond = r.events / r.seconds;
      const used = Math.min(j, cores, files.length);
      const same = r.out === base.out ? 'output identical to --jobs 1' : 'OUTPUT DIFFERS from --jobs 1';
      print(`  --jobs ${j}: ${rate(perSecond)} events/s in all, ${rate(perSecond / used)} events/s per core busy (${used}),`
        + ` ${r.seconds.toFixed(2)} s wall (process start included); scaling x${(perSecond / (base.events / base.seconds)).toFixed(2)} over --jobs 1; ${same}`);
    }
    rmSync(dir, { recursive: true, force: true });
  },
});

const USAGE = `usage: npm run bench -- [--only SECTION,...] [--skip SECTION,...] [--events N] [--ftrace-mb MB] [--built | --src]
  --only, --skip   which sections to run (default: all)
  --events N       events in the generated NDJSON trace (default 1000000)
  --ftrace-mb MB   size of the generated ftrace log (default 200)
  --built          measure the build (dist/) as it is, even if older than the sources (default: the build when fresh)
  --src            measure the sources through tsx (slower than the build)`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        events: { type: 'string' }, 'ftrace-mb': { type: 'string' }, only: { type: 'string' }, skip: { type: 'string' },
        src: { type: 'boolean' }, built: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (values.help === true) { console.log(USAGE); return; }
  const forceSrc = values.src === true;
  const lib = await loadLib(forceSrc, values.built === true);
  mkdirSync(OUT, { recursive: true });
  const only = values.only?.split(',').map((s) => s.trim());
  const skip = values.skip?.split(',').map((s) => s.trim()) ?? [];
  const unknown = [...(only ?? []), ...skip].filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length > 0) {
    console.error(`bench: no section ${unknown.map((n) => `'${n}'`).join(', ')}; the sections are ${sections.map((s) => s.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const ctx: BenchContext = {
    outDir: OUT,
    events: Number(values.events ?? 1_000_000),
    ftraceMB: Number(values['ftrace-mb'] ?? 200),
    lib,
    print: (l = '') => console.log(l),
    checkInChild: (file, specFiles) => checkInChild(file, lib, specFiles),
  };
  console.log(`kinv bench — node ${process.version}, library from ${lib.from === 'dist' ? 'the build (dist/)' : 'the sources (tsx; slower than the build)'}`);
  // Figures on a shared machine move with its load: the ratios of one run are the ones to compare.
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average at start: ${load()}`);
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const s of sections) {
    if (only && !only.includes(s.name)) { skipped.push(`${s.name} (not in --only)`); continue; }
    if (skip.includes(s.name)) { skipped.push(`${s.name} (in --skip)`); continue; }
    const why = await s.available?.();
    if (why) { skipped.push(`${s.name} (${why})`); continue; }
    console.log(`\n[${s.name}] ${s.about}`);
    try {
      await s.run(ctx);
      ran.push(s.name);
    } catch (e) {
      console.log(`  failed: ${(e as Error).stack ?? String(e)}`);
      skipped.push(`${s.name} (failed)`);
    }
  }
  console.log(`\nsections run: ${ran.join(', ') || 'none'}${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`);
  console.log(`load average at end: ${load()}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => { console.error(e); process.exitCode = 1; });
}
