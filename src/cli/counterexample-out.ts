/**
 * `--itf FILE` and `--html FILE` of `kinv explore`, `kinv fuzz` and `kinv sim`: a run of the model
 * as an ITF trace (the spec's state after each event) or as the HTML timeline of `kinv check`.
 */
import { writeFileSync } from 'node:fs';
import type { CompiledSpec, Verdict } from '../checker/engine.js';
import { itfJson, itfOf } from '../report/itf.js';
import { timelineOf } from '../report/timeline.js';
import type { TraceEvent } from '../trace/event.js';
import { notStdout, preparePictures, writePictures } from './visual-out.js';
import { UsageError } from './args.js';
import { writeTrace } from './trace-out.js';

export interface CounterexampleTargets {
  itf: string | undefined;
  html: string | undefined;
  /** `-o FILE` of explore and fuzz: the first counterexample's trace as NDJSON. */
  out: string | undefined;
}

/**
 * The files a run writes its first counterexample to, each made (empty) before the run: a path
 * that cannot be written is a usage error then, not a lost search. `withOut`: `-o` is one of them.
 */
export function counterexampleTargets(values: Record<string, unknown>, withOut = false): CounterexampleTargets {
  const t = { itf: values.itf as string | undefined, html: values.html as string | undefined, out: withOut ? values.out as string | undefined : undefined };
  preparePictures({ perfetto: undefined, dot: undefined, html: t.html });
  for (const [option, path] of [['--itf', t.itf], ['-o', t.out]] as const) {
    if (path === undefined) continue;
    notStdout(option, path);
    try { writeFileSync(path, ''); } catch (e) { throw new UsageError(`cannot write ${option} ${path}: ${(e as Error).message}`); }
  }
  return t;
}

/** Writes the requested files for one run; false when one could not be written (reported). */
export function writeCounterexample(t: CounterexampleTargets, events: readonly TraceEvent[], compiled: CompiledSpec, verdicts: Verdict[], sources: Map<string,
  string>, title: string): boolean {
  let ok = true;
  if (t.out !== undefined) {
    try {
      writeTrace(t.out, events);
    } catch (e) {
      process.stderr.write(`kinv: cannot write -o ${t.out}: ${(e as Error).message}\n`);
      ok = false;
    }
  }
  if (t.itf !== undefined) {
    try {
      writeFileSync(t.itf, itfJson(itfOf(events, compiled, title)));
    } catch (e) {
      process.stderr.write(`kinv: cannot write --itf ${t.itf}: ${(e as Error).message}\n`);
      ok = false;
    }
  }
  if (t.html !== undefined) ok = writePictures({ perfetto: undefined, dot: undefined, html: t.html }, timelineOf(events), verdicts, sources, title) && ok;
  return ok;
}
