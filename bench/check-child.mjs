// The full check of one trace file (by the bundled spec, or the spec files given), in a process of its own, printing its figures as one JSON line
// (bench/run.ts's `CheckFigures`): `node bench/check-child.mjs FILE dist|src`. Plain JavaScript, so
// that a check of the build runs on plain node: the peak RSS it reports is kinv's alone, without
// the tsx loader that bench/run.ts itself needs (about 40 MB). A check of the sources runs under
// `node --import tsx`. RSS is sampled every 10 ms, and the kernel's maximum RSS is the cross-check.
// After the check it counts the entries of the spec's larger states and, run with --expose-gc,
// the heap still in use: the live state behind the peak.
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import process from 'node:process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// An optional third argument: the spec as a comma-separated list of files (default: the bundled spec).
const [file, from, specFiles] = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const base = from === 'src' ? join(root, 'src') : join(root, 'dist');
const ext = from === 'src' ? '.ts' : '.js';
const imp = (p) => import(pathToFileURL(join(base, p + ext)).href);
const fileMod = await imp('checker/file');
const specSet = await imp('checker/spec-set');
const engineMod = await imp('checker/engine');
const storeMod = await imp('monitor/store');

// The engine of the check, to count the state it holds at the end (what a long trace makes grow).
let engine;
const start = engineMod.CompiledSpec.prototype.start;
engineMod.CompiledSpec.prototype.start = function (opts) { engine = start.call(this, opts); return engine; };

// As `kinv check` does for its process (src/checker/heap.ts).
(await imp('checker/heap')).boundHeapGrowth();
const specs = new specSet.SpecSet(specFiles ? specFiles.split(',') : [], {});
if (!specs.base) throw new Error(specs.diagnostics.map((d) => d.message).join('; '));
let peakRss = process.memoryUsage().rss;
const timer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 10);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const r = await fileMod.checkTraceFile(file, specs, {});
const seconds = (performance.now() - t0) / 1000;
const cpu1 = process.cpuUsage(cpu0);
clearInterval(timer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
if (!r) throw new Error(`cannot check ${file}`);
// Entries per state of the spec (stores of 1,000 or more) and the heap they keep, after a full GC
// when the child runs with --expose-gc: the live state, without the garbage a peak RSS includes.
const live = {};
engine.compiled.stateList.forEach((st, i) => {
  const s = engine.rt.stores[i];
  const n = s instanceof storeMod.KeyedStore || s instanceof storeMod.Relation ? s.size : 0;
  if (n >= 1000) live[st.name] = n;
});
// Past-time histories (`previously`, `since`), per pattern: keyed by what the pattern names.
engine.rt.temporal.forEach((t, i) => { if (t.last.size >= 1000) live[`past-time #${i}`] = t.last.size; });
if (typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc(); }
const liveHeap = process.memoryUsage().heapUsed;
const bytes = statSync(file).size;
const MB = 1024 * 1024;
process.stdout.write(JSON.stringify({
  file, bytes, lines: r.stats.lines, events: r.stats.events, violations: r.violations, pending: r.pending, seconds,
  eventsPerSec: r.stats.events / seconds, MBps: bytes / MB / seconds, peakRss, maxRss: process.resourceUsage().maxRSS * 1024,
  cpuSeconds: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
  checkCpuSeconds: (cpu1.user + cpu1.system) / 1e6,
  live, liveHeap, from: from === 'src' ? 'src' : 'dist',
}) + '\n');
