/**
 * Checking traces from a user's own test suite: `checkTrace(spec, events)` and a matcher for
 * vitest/jest-style `expect.extend`, whose failure message is kinv's counterexample.
 *
 *   import { expect } from 'vitest';
 *   import { kinvMatchers, bundledSpec } from 'kinv';
 *   expect.extend(kinvMatchers);
 *   expect(events).toSatisfySpec(bundledSpec());
 */
import { isAbsolute, join, relative } from 'node:path';
import { bundledSpecDir, loadSpec, loadSpecText } from '../analysis/load.js';
import { CompiledSpec, checkEvents, type CheckReport } from '../checker/check.js';
import { renderVerdict } from '../checker/report.js';
import { renderDiagnostic } from '../diag/render.js';
import type { TraceEvent, TraceGap } from '../trace/event.js';

/** A compiled spec together with its sources (for rendering locations). */
export interface SpecHandle {
  compiled: CompiledSpec;
  sources: Map<string, string>;
}

function handle(r: ReturnType<typeof loadSpec>): SpecHandle {
  if (!r.ok) throw new Error('spec has errors:\n' + r.diagnostics.map((d) => renderDiagnostic(d, r.sources)).join('\n'));
  return { compiled: new CompiledSpec(r.value.spec), sources: r.sources };
}

/** The bundled VFS spec (optionally with `--param`-style parameters). */
export function bundledSpec(params: Record<string, string> = {}): SpecHandle {
  return handle(loadSpec([], { params }));
}

/** A spec from files or folders. */
export function specFrom(paths: string[], params: Record<string, string> = {}): SpecHandle {
  return handle(loadSpec(paths, { params }));
}

/**
 * A spec from text (e.g. a new invariant written inside a test). The text is read as if it sat
 * beside the bundled VFS spec files, so `import "events.kinv"` names the bundled vocabulary
 * wherever kinv is installed; absolute paths import any other file.
 */
export function specText(text: string, params: Record<string, string> = {}): SpecHandle {
  return handle(loadSpecText(text, shownPath(join(bundledSpecDir(), 'inline.kinv')), { params }));
}

// The loader names files relative to the working folder when they are inside it; the inline text
// must be registered under the name the loader will look it up by.
function shownPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** Checks events in memory. Their `seq` is kept when it increases along the list, else it becomes the position. */
export function checkTrace(spec: SpecHandle, events: Iterable<TraceEvent | TraceGap>, opts: { all?: boolean } = {}): CheckReport {
  const list = [...events];
  const evs = list.filter((e): e is TraceEvent => !('kind' in e));
  const ordered = evs.every((e, i) => i === 0 || e.seq > evs[i - 1]!.seq);
  let i = 0;
  const numbered = list.map((e) => ('kind' in e ? e : { ...e, seq: ordered ? e.seq : i++ }));
  return checkEvents(spec.compiled, numbered, opts);
}

/** The counterexample text of a report (empty when every invariant holds). */
export function explain(spec: SpecHandle, report: CheckReport): string {
  const plain = { bold: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s, cyan: (s: string) => s, dim: (s: string) => s };
  return report.verdicts.filter((v) => v.kind === 'violation').map((v) => renderVerdict(v, spec.sources, plain)).join('\n\n');
}

/** Matchers for `expect.extend`: `toSatisfySpec(spec)` passes when no invariant is violated. */
export const kinvMatchers = {
  toSatisfySpec(received: (TraceEvent | TraceGap)[], spec: SpecHandle) {
    const report = checkTrace(spec, received);
    const pass = report.violations === 0;
    return {
      pass,
      message: () => (pass ? `expected a violation, but all ${report.stats.events} events satisfy the spec` : `trace violates the spec:\n\n${explain(spec,
        report)}`),
    };
  },
};
