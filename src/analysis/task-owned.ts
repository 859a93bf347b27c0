/**
 * Which states only their own task writes. A state keyed by a task (`held: map[task, id] -> Mode`)
 * is *task-owned* when every rule that writes it names the event's own task (`pid`) at each of its
 * task key positions: then events lost from one task (a gap) cannot have changed another task's
 * entries, and what a known task holds there stays trustworthy across the gap. Every other state
 * (keyed by objects, or written for other tasks) may have been changed by events a gap lost.
 */
import type { TExpr, TStmt, TypedSpec } from './ir.js';

export function taskOwnedStates(spec: TypedSpec): Set<string> {
  const keyed = new Map<string, number[]>();
  for (const [name, st] of spec.states) {
    const positions = st.taskPositions.filter((p) => p >= 0);
    if (positions.length > 0) keyed.set(name, positions);
  }
  const foreign = new Set<string>();
  const isOwnPid = (e: TExpr | undefined): boolean => e !== undefined && e.k === 'field' && e.name === 'pid' && e.from === 'implicit';
  const visit = (s: TStmt): void => {
    switch (s.k) {
      case 'assign': case 'delete': {
        const positions = keyed.get(s.state);
        if (positions && !positions.every((p) => isOwnPid(s.keys[p]))) foreign.add(s.state);
        return;
      }
      case 'add': case 'remove': {
        const positions = keyed.get(s.state);
        if (positions && !positions.every((p) => isOwnPid(s.value[p]))) foreign.add(s.state);
        return;
      }
      case 'if': s.then.forEach(visit); s.otherwise.forEach(visit); return;
      case 'for': s.body.forEach(visit); return;
    }
  };
  for (const r of spec.rules) r.body.forEach(visit);
  return new Set([...keyed.keys()].filter((n) => !foreign.has(n)));
}
