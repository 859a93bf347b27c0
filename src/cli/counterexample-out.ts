/**
 * `--itf FILE` and `--html FILE` of `kinv explore`, `kinv fuzz` and `kinv sim`: a run of the model
 * as an ITF trace (the spec's state after each event) or as the HTML timeline of `kinv check`.
 */
import { writeFileSync } from 'node:fs';
import type { CompiledSpec, Verdict } from '../checker/engine.js';
import { itfJson, itfOf } from '../report/itf.js';
import { timelineOf } from '../report/timeline.js';
import type { TraceEvent } from '../trace/event.js';
import { preparePictures, writePictures } from './visual-out.js';
import { UsageError } from './args.js';

export interface CounterexampleTargets {
  itf: string | undefined;
  html: string | undefined;
}

export function counterexampleTargets(values: Record<string, unknown>): CounterexampleTargets {
  const t = { itf: values.itf as string | undefined, html: values.html as string | undefined };
  preparePictures({ perfetto: undefined, dot: undefined, html: t.html });
  if (t.itf !== undefined) {
    try { writeFileSync(t.itf, ''); } catch (e) { throw new UsageError(`cannot write --itf ${t.itf}: ${(e as Error).message}`); }
  }
  return t;
}

/** Writes the requested files for one run; false when one could not be written (reported). */
export function writeCounterexample(t: CounterexampleTargets, events: readonly TraceEvent[], compiled: CompiledSpec, verdicts: Verdict[], sources: Map<string,
  string>, title: string): boolean {
  let ok = true;
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
