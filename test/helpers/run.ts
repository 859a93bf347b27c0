/** Test helpers: load specs from text, build events tersely, run checks in memory. */
import { loadSpec, loadSpecText } from '../../src/analysis/load.js';
import { checkEvents, CompiledSpec, type CheckReport } from '../../src/checker/check.js';
import type { TraceEvent, TraceGap } from '../../src/trace/event.js';

export function compileText(text: string, params: Record<string, string> = {}): CompiledSpec {
  const r = loadSpecText(text, 'test.kinv', { params });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return new CompiledSpec(r.value.spec);
}

let bundled: Map<string, CompiledSpec> | undefined;
export function compileBundled(params: Record<string, string> = {}): CompiledSpec {
  bundled ??= new Map();
  const key = JSON.stringify(params);
  let c = bundled.get(key);
  if (!c) {
    const r = loadSpec([], { params });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    c = new CompiledSpec(r.value.spec);
    bundled.set(key, c);
  }
  return c;
}

export { ev, call, ret, gap } from '../../src/testing/events.js';

/** Numbers events by position and checks them. */
export function run(spec: CompiledSpec, items: (TraceEvent | TraceGap)[], opts: { all?: boolean; tasksStartUnknown?: boolean; evaluationBudget?: number } = {}): CheckReport {
  let seq = 0;
  const numbered = items.map((i) => ('kind' in i ? i : { ...i, seq: seq++ }));
  return checkEvents(spec, numbered, opts);
}

/** [kind, invariant, seq] of each verdict, in report order. */
export function verdicts(r: CheckReport): [string, string, number | null][] {
  return r.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq ?? null]);
}
