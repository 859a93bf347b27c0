/**
 * The wait-for graph of a model state, edge for edge as the kernel's queues make it, and a cycle
 * in it found by a full depth-first search. It is the only one: deadlock reports (`kinv sim`,
 * `explore`, `fuzz`) list each blocked task's edges from here, and the cycle is searched here.
 *
 * A reader waits only for what excludes it — the writer holding the lock and the writers queued
 * ahead of the first queued reader (rwsem_mark_wake grants every queued reader once a reader heads
 * the queue), not the readers holding it: on the three-task shared deadlock (a
 * reader queued behind a writer that waits for another reader) an edge to the holding reader
 * would make the two-cycle `reader -> reader`, hiding the queued writer the deadlock is about. A
 * writer waits for every holder and every waiter ahead of it; an in-lookup sleeper waits for the
 * dentry's owner.
 */
import type { Mode, ModelState, TaskState } from './state.js';

/** Why one task waits for another. */
export interface WaitEdge {
  from: number;
  to: number;
  /** `i_rwsem I1 (R)` for an rwsem wait in mode R, `in-lookup D7` for a d_alloc_parallel sleep. */
  on: string;
  /** For rwsem waits: the other task holds the lock (`holder`) or is queued ahead (`queued`); for in-lookup sleeps, it owns the dentry. */
  via: 'holder' | 'queued' | 'owner';
}

/** One blocked task: what it sleeps on and whom it waits for (none, when an in-lookup dentry has no owner left). */
export interface TaskWait {
  pid: number;
  on: string;
  for: number[];
}

/** The wait of one task with its edges, or undefined when the task is not blocked. */
function waitOf(s: ModelState, t: TaskState): { on: string; edges: WaitEdge[] } | undefined {
  if (t.status === 'lock' && t.waitLock !== null && t.waitMode !== null) {
    const l = s.locks[t.waitLock];
    if (l === undefined) return undefined;
    const on = `i_rwsem ${t.waitLock} (${t.waitMode})`;
    const mode: Mode = t.waitMode;
    const edges: WaitEdge[] = [];
    const seen = new Set<number>();
    const add = (to: number, via: WaitEdge['via']): void => {
      if (seen.has(to)) return;
      seen.add(to);
      edges.push({ from: t.pid, to, on, via });
    };
    if (l.writer !== null) add(l.writer, 'holder');
    if (mode === 'W') for (const r of l.readers) add(r, 'holder');
    for (const q of l.queue) {
      if (q.pid === t.pid) break;
      if (mode === 'W') add(q.pid, 'queued');
      // A reader waits for the writers queued before the first queued reader, no further: the
      // reader phase that starts there grants every queued reader at once (rwsem_mark_wake).
      else if (q.mode === 'R') break;
      else add(q.pid, 'queued');
    }
    return { on, edges };
  }
  if (t.status === 'inlookup' && t.waitDentry !== null) {
    const on = `in-lookup ${t.waitDentry}`;
    const key = s.dentryKey[t.waitDentry];
    const owner = key === undefined ? undefined : s.inLookup[key]?.owner;
    return { on, edges: owner === undefined ? [] : [{ from: t.pid, to: owner, on, via: 'owner' }] };
  }
  return undefined;
}

/** Every wait-for edge of the blocked tasks of `s`, in task order, then holders before queued waiters. */
export function waitEdges(s: ModelState): WaitEdge[] {
  return s.tasks.flatMap((t) => waitOf(s, t)?.edges ?? []);
}

/** Each blocked task of `s`, in task order, with the tasks it waits for (the targets of its edges). */
export function taskWaits(s: ModelState): TaskWait[] {
  const out: TaskWait[] = [];
  for (const t of s.tasks) {
    const w = waitOf(s, t);
    if (w) out.push({ pid: t.pid, on: w.on, for: w.edges.map((e) => e.to) });
  }
  return out;
}

/**
 * A cycle of the wait-for graph as its edges in order (the last edge returns to the first task),
 * or undefined. The search starts from tasks in their scenario order and takes edges in the order
 * `waitEdges` lists them, so the answer is deterministic.
 */
export function waitCycle(s: ModelState): WaitEdge[] | undefined {
  const edges = waitEdges(s);
  const out = new Map<number, WaitEdge[]>();
  for (const e of edges) {
    const list = out.get(e.from);
    if (list) list.push(e); else out.set(e.from, [e]);
  }
  const state = new Map<number, 'open' | 'done'>();
  const path: WaitEdge[] = [];
  const visit = (pid: number): WaitEdge[] | undefined => {
    state.set(pid, 'open');
    for (const e of out.get(pid) ?? []) {
      const st = state.get(e.to);
      if (st === 'open') {
        const start = path.findIndex((p) => p.from === e.to);
        return [...path.slice(start === -1 ? path.length : start), e];
      }
      if (st === undefined) {
        path.push(e);
        const found = visit(e.to);
        if (found) return found;
        path.pop();
      }
    }
    state.set(pid, 'done');
    return undefined;
  };
  for (const t of s.tasks) {
    if (state.has(t.pid)) continue;
    const found = visit(t.pid);
    if (found) return found;
  }
  return undefined;
}

/** A cycle as pids, the first repeated at the end (`[101, 103, 102, 101]`), as the monitors print it. */
export function cyclePids(cycle: readonly WaitEdge[]): number[] {
  return cycle.length === 0 ? [] : [...cycle.map((e) => e.from), cycle[0]!.from];
}

/** The pids of a wait-for cycle of `s` (first repeated at the end), if there is one. */
export function deadlockCycle(s: ModelState): number[] | undefined {
  const c = waitCycle(s);
  return c ? cyclePids(c) : undefined;
}
