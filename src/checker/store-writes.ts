/**
 * Which stores each event handler's rules may write, read off the spec's statements: an engine
 * cloned for exploration shares its stores with its original and copies only these before a step
 * (`Engine.clone`). Invariants, obligations and the explanation only read stores; past-time tables
 * and the engine's own bookkeeping are not stores and are handled by the engine.
 */
import type { TStmt } from '../analysis/ir.js';
import { dispatchKey, type MonitorSpec } from '../monitor/spec.js';

const BY_SPEC = new WeakMap<MonitorSpec, readonly (readonly number[])[]>();

/** Per handler id, the indexes (into the engine's stores) of the states its rules assign, delete, add to or remove from. */
export function storesWrittenByHandler(compiled: MonitorSpec): readonly (readonly number[])[] {
  let out = BY_SPEC.get(compiled);
  if (out !== undefined) return out;
  const sets: Set<number>[] = Array.from({ length: compiled.handlers.size }, () => new Set<number>());
  const collect = (stmts: readonly TStmt[], into: Set<number>): void => {
    for (const s of stmts) {
      if (s.k === 'if') { collect(s.then, into); collect(s.otherwise, into); }
      else if (s.k === 'for') collect(s.body, into);
      else {
        const i = compiled.storeIndex.get(s.state);
        if (i === undefined) throw new Error(`internal: a rule writes state ${s.state}, which has no store`);
        into.add(i);
      }
    }
  };
  for (const r of compiled.spec.rules) {
    for (const t of r.triggers) {
      const h = compiled.handlers.get(dispatchKey(t.phase, t.name));
      if (h !== undefined) collect(r.body, sets[h.id]!);
    }
  }
  out = sets.map((s) => [...s].sort((a, b) => a - b));
  BY_SPEC.set(compiled, out);
  return out;
}
