/**
 * The function a probe record probes, as the passes over a capture that run before its records
 * are mapped read it (the read ahead, the release edges): from the record's head, from a binary
 * record's decoded fields, or, for a head that prints a bare address (trace-cmd report, perf
 * script), from the sites the capture's probe definitions and symbols name.
 */
import type { LineScan } from './line.js';
import type { SiteResolution } from './sites.js';

/** Names a bare-address probe site (sites.ts: ProbeSites). */
export interface SiteNames {
  resolve(kind: 'kprobe' | 'kretprobe', event: string, hex: string): SiteResolution;
}

/**
 * The function probe record `sc` probes, a compiler's clone (`down_read.cold`) as the function it
 * was cut from; undefined where the record does not tell. `byEvent`: the function of a
 * bare-address site nothing names, by the probe's event name (a probe set's own names).
 */
export function probedFunction(sc: LineScan, sites: SiteNames | undefined, byEvent?: Readonly<Record<string, string | undefined>>): string | undefined {
  let fn: string | undefined;
  if (sc.decoded !== undefined) fn = sc.decoded.probedSym;
  else if (sc.symS < 0) return undefined;
  else if (sc.hexHead) {
    const r = sites?.resolve(sc.kind === 'kretprobe' ? 'kretprobe' : 'kprobe', sc.name, sc.text.slice(sc.symS, sc.symE));
    fn = r !== undefined && 'fn' in r ? r.fn : byEvent?.[sc.name];
  } else fn = sc.text.slice(sc.symS, sc.symE);
  return fn === undefined ? undefined : baseName(fn);
}

/** A function's name without a compiler clone's suffix (`down_read` of `down_read.cold`). */
export function baseName(probed: string): string {
  const dot = probed.indexOf('.');
  return dot === -1 ? probed : probed.slice(0, dot);
}
