/** Checking a bundled capture of traces/kernel-programs the way its README does (`kinv check --all --probes --functions`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { checkTraceFile, type FileReport } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { parseFunctionList, parseProbeDefinitions } from '../../src/trace/coverage.js';

export const PROGRAMS = 'traces/kernel-programs';
const specSets = new Map<string, SpecSet>();
/** The bundled spec with `--param` values `params`, loaded once per set of values. */
export function specsWith(params: Record<string, string>): SpecSet {
  const key = JSON.stringify(params);
  let s = specSets.get(key);
  if (s === undefined) specSets.set(key, s = new SpecSet([], params));
  return s;
}

/**
 * `kinv check --all` of `path`, with capture `capture`'s probes and functions declared when it is
 * given; each error diagnostic is pushed to `errors` as its code and line, and every diagnostic goes to `onDiagnostic`.
 * `params` are the `--param` values given; the probes named in `undeclared` are left out of the capture's definitions.
 */
export async function checkWithCapture(path: string, capture: string | undefined, errors: string[],
  onDiagnostic?: (d: Diagnostic) => void, params: Record<string, string> = {}, undeclared: readonly string[] = []): Promise<FileReport> {
  const r = await checkTraceFile(path, specsWith(params), {
    all: true,
    params,
    onDiagnostic: (d) => { if (d.severity === 'error') errors.push(`${d.code} ${d.at?.line ?? ''}`); onDiagnostic?.(d); },
    ...(capture === undefined ? {} : {
      probes: parseProbeDefinitions(readFileSync(join(PROGRAMS, capture, 'kprobe_events'), 'latin1')).probes.filter((p) => !undeclared.includes(p.event)),
      kernelFunctions: parseFunctionList(readFileSync(join(PROGRAMS, capture, 'functions'), 'latin1')),
    }),
  });
  expect(r).toBeDefined();
  return r!;
}

/**
 * The capture's lines (1-based, inclusive ranges) of one task each, in the capture's order, and where each landed in the excerpt.
 * With `tracer`, the excerpt starts with the capture's `# tracer:` line, as a `trace` file's does: a file of one task's
 * records without a header, all on a CPU other than CPU 0, reads as that CPU's own file of a machine with more (KV326).
 */
export function excerpt(capture: string, spans: [pid: number, from: number, to: number][], opts: { tracer?: boolean } = {}): { lines: string[]; at: Map<number, number> } {
  const all = gunzipSync(readFileSync(join(PROGRAMS, capture, 'trace.gz'))).toString('latin1').split('\n');
  const lines: string[] = opts.tracer === true ? all.filter((l) => l.startsWith('# tracer:')).slice(0, 1) : [];
  const at = new Map<number, number>();
  for (let n = 1; n <= all.length; n++) {
    const l = all[n - 1]!;
    if (spans.some(([pid, a, b]) => n >= a && n <= b && l.includes(`-${pid} `))) {
      lines.push(l);
      at.set(n, lines.length);
    }
  }
  return { lines, at };
}

/** A bundled capture's trace.gz as lines (latin1, no empty last line). */
export function captureLines(capture: string): string[] {
  return gunzipSync(readFileSync(join(PROGRAMS, capture, 'trace.gz'))).toString('latin1').replace(/\n$/, '').split('\n');
}

/** Writes `lines` as a log file `name` in folder `dir`; its path. */
export function writeLog(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n', 'latin1');
  return path;
}

/** A report's verdicts but pending ones, as kind, invariant and line. */
export const found = (r: FileReport): [string, string, number | undefined][] =>
  r.verdicts.filter((v) => v.kind !== 'pending').map((v) => [v.kind, v.invariant, v.event?.line]);

/**
 * A whole bundled capture of a stock kernel: its ground truth (counts.json) finds every release of
 * a tracked lock matched by an acquisition in its task, and `kinv check` finds no violation and
 * reports no error. The report, for what each capture's test adds.
 */
export async function expectCleanStockCapture(capture: string): Promise<FileReport> {
  const counts = JSON.parse(readFileSync(join(PROGRAMS, capture, 'counts.json'), 'utf8')) as { totals: { releasesWithoutAcquisition: Record<string, number> } };
  expect(counts.totals.releasesWithoutAcquisition).toEqual({});
  const errors: string[] = [];
  const r = await checkWithCapture(join(PROGRAMS, capture, 'trace.gz'), capture, errors);
  expect(errors).toEqual([]);
  expect(r.violations).toBe(0);
  expect(r.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
  return r;
}
