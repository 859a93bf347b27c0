/**
 * Which states only their own task writes. A state keyed by a task (`held: map[task, id] -> Mode`)
 * is *task-owned* when every rule that writes it names the event's own task (`pid`) at each of its
 * task key positions: then events lost from one task (a gap) cannot have changed another task's
 * entries, and what a known task holds there stays trustworthy across the gap. Every other state
 * (keyed by objects, or written for other tasks) may have been changed by events a gap lost.
 * A loop's binder pinned to the event's task (`for (t, l) in held where t == pid { delete
 * held[t, l] }`: its filter, or the index its domain is read by) names that task too.
 */
import type { TExpr, TStmt, TypedSpec } from './ir.js';

export function taskOwnedStates(spec: TypedSpec): Set<string> {
  const keyed = new Map<string, number[]>();
  for (const [name, st] of spec.states) {
    const positions = st.taskPositions.filter((p) => p >= 0);
    if (positions.length > 0) keyed.set(name, positions);
  }
  const foreign = new Set<string>();
  /** Loop binders (slots) that hold the event's own task wherever the loop body runs. */
  const pinned = new Set<number>();
  const isPid = (e: TExpr | null | undefined): boolean => e !== undefined && e !== null && e.k === 'field' && e.name === 'pid' && e.from === 'implicit';
  const isOwnPid = (e: TExpr | undefined): boolean => isPid(e) || (e !== undefined && e.k === 'local' && pinned.has(e.slot));
  /** The slots a loop's filter pins to the event's task: `t == pid` among the conjuncts of its `and` chain. */
  const pinnedBy = (f: TExpr | null, out: number[]): void => {
    if (f === null || f.k !== 'bin') return;
    if (f.op === 'and') { pinnedBy(f.left, out); pinnedBy(f.right, out); return; }
    if (f.op !== '==') return;
    if (f.left.k === 'local' && isPid(f.right)) out.push(f.left.slot);
    else if (f.right.k === 'local' && isPid(f.left)) out.push(f.right.slot);
  };
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
      case 'for': {
        const mine: number[] = [];
        pinnedBy(s.filter, mine);
        const index = s.domain.k === 'state' ? s.domain.index : undefined;
        if (index && isPid(index.value) && s.slots[index.pos] !== undefined) mine.push(s.slots[index.pos]!);
        // The loop's binders are its own in its body: pinned there exactly when this loop pins them.
        const before = [...pinned];
        for (const slot of s.slots) pinned.delete(slot);
        for (const slot of mine) pinned.add(slot);
        s.body.forEach(visit);
        pinned.clear();
        for (const slot of before) pinned.add(slot);
        return;
      }
    }
  };
  for (const r of spec.rules) r.body.forEach(visit);
  return new Set([...keyed.keys()].filter((n) => !foreign.has(n)));
}
