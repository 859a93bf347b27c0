/**
 * What one atomic step of one task works with: the scenario, the state, the task, the chooser
 * its nondeterminism comes from, and the trace the step appends to — with the operations every
 * routine shares (emitting Contract 2 events, calling and returning from a routine, allocating
 * dentry ids, ending an in-lookup state).
 */
import type { Scalar, TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { deleteFromRecord, type ModelState, type Pc, type Routine, type RoutineLabels, type Scenario, type TaskState, type Vars } from './state.js';

/** A routine's steps: one function per label, run when a task's program counter is `routine:label`. */
export type RoutineSteps<R extends Routine> = Record<RoutineLabels[R], (x: TaskStep) => void>;

export class TaskStep {
  readonly t: TaskState;
  readonly v: Vars;

  constructor(readonly sc: Scenario, readonly s: ModelState, readonly i: number, readonly ch: Chooser, readonly out: TraceEvent[]) {
    this.t = s.tasks[i]!;
    this.v = this.t.v;
  }

  /** The directory of the current syscall. */
  get dir(): string { return this.v.dir ?? ''; }

  emit(ev: string, args: Record<string, Scalar> = {}, extra: { fn?: string; ret?: Scalar } = {}): void {
    const e: TraceEvent = { seq: this.s.seq++, pid: this.t.pid, ev, args, comm: this.t.comm };
    if (extra.fn !== undefined) e.fn = extra.fn;
    if (extra.ret !== undefined) e.ret = extra.ret;
    this.out.push(e);
  }
  call(fn: string, args: Record<string, Scalar>): void { this.emit('call', args, { fn }); }
  ret(fn: string, value: Scalar, args: Record<string, Scalar> = {}): void { this.emit('ret', args, { fn, ret: value }); }
  newId(prefix: string): string { return `${prefix}${this.s.nextId++}`; }

  /** Continues at `pc` with the next step. */
  goto(pc: Pc): void { this.t.pc = pc; }
  /** Enters a routine at `entry` with the next step; its return continues at `returnTo`. */
  enter(entry: Pc, returnTo: Pc): void {
    this.t.stack.push(returnTo);
    this.t.pc = entry;
  }
  /** Returns from the current routine to its caller's return point. */
  leave(): void {
    const back = this.t.stack.pop();
    if (back === undefined) throw new Error(`internal: task ${this.t.pid} returns from ${this.t.pc} with no caller`);
    this.t.pc = back;
  }

  /** Ends the in-lookup state of dentry `d` (if it is in lookup) and wakes the tasks asleep on it. */
  endInLookup(d: string): void {
    const k = this.s.dentryKey[d];
    if (k === undefined) return;
    deleteFromRecord(this.s, 'inLookup', k);
    deleteFromRecord(this.s, 'dentryKey', d);
    this.emit('il_end', { dentry: d });
    const tasks = this.s.tasks;
    for (let j = 0; j < tasks.length; j++) if (tasks[j]!.status === 'inlookup' && tasks[j]!.waitDentry === d) this.other(j).status = 'run';
  }

  /**
   * Task `j`'s state, to be changed by this step (woken, granted the lock): this step's own task
   * as it is; another task's as a new object in its place, since copies of a state made for a
   * step may share the other tasks' objects (`kinv conform`'s search does).
   */
  other(j: number): TaskState {
    const t = this.s.tasks[j]!;
    if (t === this.t) return t;
    const copy = { ...t };
    this.s.tasks[j] = copy;
    return copy;
  }
}

/** The dcache key of a name in a directory. */
export function dcacheKey(dir: string | undefined, name: string | undefined): string {
  return `${String(dir)}/${String(name)}`;
}

/** Exact-case on-disk name matching `name` in `dir`, or undefined (a negative lookup). */
export function onDisk(sc: Scenario, dir: string, name: string): string | undefined {
  const d = sc.dirs.find((x) => x.id === dir);
  if (!d) return undefined;
  if (d.entries.includes(name)) return name;
  return d.ci ? d.entries.find((e) => e.toLowerCase() === name.toLowerCase()) : undefined;
}
