/**
 * The declared mapping from a trace to the model's scope. The model (src/sim/) is the lookup
 * protocol on one parent directory: its i_rwsem and the lookups under it. A capture holds many
 * tasks and many directories, so every event is projected onto the parent directory whose lock
 * protocol it belongs to, or projected away:
 *
 * | trace event | projection |
 * |---|---|
 * | `acq_req`, `acq`, `rel` of lock L | directory L (a parent's lock id is its inode, as the model's) |
 * | `call` of `d_alloc_parallel`, `lookup`, `d_add_ci` with `dir` D | directory D |
 * | `ret` of those | the directory of the task's open call of the same function |
 * | `il_end`, `il_wait_begin`, `il_wait_end` | the directory of the task's innermost open call, else of its last one |
 *
 * (`__lookup_slow` ends the in-lookup state after `->lookup` has returned, so an `il_end` may follow the last call.)
 * | `syscall_exit` | every directory: the task holds no parent lock and is in no lookup after it |
 * | `task_exit` | the same as `syscall_exit` |
 * | `call`/`ret` of `lookup_slow`, `lookup_open` | away: the capture probes `__lookup_slow`, inside the lock, the model marks the syscall |
 * | `call`/`ret` of `d_alloc` | away: 6.1's `d_alloc_parallel` calls `d_alloc` itself, which the model does not show |
 * | `call`/`ret` of `d_splice_alias` | away: a filesystem's `->lookup` may hash through `d_add` instead |
 * | anything else (`d_drop`, `dput_final`, `retire`, other functions) | away: outside the protocol |
 *
 * A directory enters the scope at the first lock event on it: a capture's lock probes are filtered
 * to the directories it watches, and the lookups under other directories are not the model's.
 */
import type { Scalar, TraceEvent } from '../trace/event.js';

/** What conformance compares of an event: its kind, the task, and the arguments that are not addresses. */
export interface Obs {
  /** `acq_req`, `acq`, `rel`, `call`, `ret`, `il_end`, `il_wait_begin`, `il_wait_end`, or `sync` (a syscall exit). */
  ev: string;
  pid: number;
  fn?: string | undefined;
  mode?: string | undefined;
  name?: string | undefined;
  outcome?: string | undefined;
  /** The index of the trace event (0-based, in trace order). */
  index: number;
  event: TraceEvent;
}

/** Functions whose calls and returns are in scope. */
export const SCOPED_FUNCTIONS = new Set(['d_alloc_parallel', 'lookup', 'd_add_ci']);
const LOCK_EVENTS = new Set(['acq_req', 'acq', 'rel']);
const IN_LOOKUP_EVENTS = new Set(['il_end', 'il_wait_begin', 'il_wait_end']);

/** The key conformance compares two events by (model event or trace event). */
export function obsKey(ev: string, fn: string | undefined, args: Record<string, Scalar>): string {
  if (LOCK_EVENTS.has(ev)) return `${ev} ${String(args.mode)}`;
  if (ev === 'call') return `call ${fn} ${String(args.name ?? '')}`;
  if (ev === 'ret') return fn === 'd_alloc_parallel' ? `ret ${fn} ${String(args.outcome ?? '')}` : `ret ${fn}`;
  return ev;
}

/** Whether a model event is one the projection keeps (the simulator emits the same vocabulary). */
export function inScope(e: TraceEvent): boolean {
  if (LOCK_EVENTS.has(e.ev) || IN_LOOKUP_EVENTS.has(e.ev)) return true;
  return (e.ev === 'call' || e.ev === 'ret') && e.fn !== undefined && SCOPED_FUNCTIONS.has(e.fn);
}

/** Projects trace events onto directories, keeping each task's open calls to place returns. */
export class Projector {
  /** pid → stack of open scoped calls: [fn, dir]. */
  private readonly open = new Map<number, [string, string][]>();
  /** pid → the directory of its last scoped call, until its syscall ends. */
  private readonly last = new Map<number, string>();
  /** Directories with a lock event so far. */
  readonly locks = new Set<string>();

  /**
   * The directory an event belongs to and what is compared of it; `sync` for a syscall or task exit
   * (every directory); undefined when it is projected away.
   */
  project(e: TraceEvent, index: number): { dir: string | undefined; obs: Obs } | undefined {
    const base = { pid: e.pid, index, event: e };
    if (LOCK_EVENTS.has(e.ev)) {
      const lock = String(e.args.lock);
      this.locks.add(lock);
      return { dir: lock, obs: { ...base, ev: e.ev, mode: String(e.args.mode) } };
    }
    if (e.ev === 'syscall_exit' || e.ev === 'task_exit') {
      this.open.delete(e.pid);
      this.last.delete(e.pid);
      return { dir: undefined, obs: { ...base, ev: 'sync' } };
    }
    if (IN_LOOKUP_EVENTS.has(e.ev)) {
      const top = this.innermost(e.pid);
      return top === undefined ? undefined : { dir: top, obs: { ...base, ev: e.ev } };
    }
    if ((e.ev !== 'call' && e.ev !== 'ret') || e.fn === undefined || !SCOPED_FUNCTIONS.has(e.fn)) return undefined;
    let stack = this.open.get(e.pid);
    if (e.ev === 'call') {
      const dir = String(e.args.dir);
      if (stack === undefined) this.open.set(e.pid, stack = []);
      stack.push([e.fn, dir]);
      this.last.set(e.pid, dir);
      return { dir, obs: { ...base, ev: 'call', fn: e.fn, name: e.args.name === undefined ? undefined : String(e.args.name) } };
    }
    // A return closes the innermost open call of the same function (calls whose return was lost are dropped).
    if (stack === undefined) return undefined;
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k]![0] !== e.fn) continue;
      const dir = stack[k]![1];
      stack.length = k;
      const outcome = e.fn === 'd_alloc_parallel' && e.args.outcome !== undefined ? String(e.args.outcome) : undefined;
      return { dir, obs: { ...base, ev: 'ret', fn: e.fn, outcome } };
    }
    return undefined;
  }

  /** Forgets a task's open calls (a gap: its history is incomplete). */
  forget(pid: number | undefined): void {
    if (pid === undefined) { this.open.clear(); this.last.clear(); } else { this.open.delete(pid); this.last.delete(pid); }
  }

  /** The directory of the task's innermost open lookup-path call (il_* events belong to it). */
  private innermost(pid: number): string | undefined {
    const stack = this.open.get(pid);
    return stack === undefined || stack.length === 0 ? this.last.get(pid) : stack[stack.length - 1]![1];
  }
}

/** The key of an observation, as `obsKey` makes it for model events. */
export function keyOfObs(o: Obs): string {
  if (o.ev === 'acq_req' || o.ev === 'acq' || o.ev === 'rel') return `${o.ev} ${o.mode}`;
  if (o.ev === 'call') return `call ${o.fn} ${o.name ?? ''}`;
  if (o.ev === 'ret') return o.fn === 'd_alloc_parallel' ? `ret ${o.fn} ${o.outcome ?? ''}` : `ret ${o.fn}`;
  return o.ev;
}
