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
 * | `il_end` of a dentry the task got new from `d_alloc_parallel` | that call's directory |
 * | other `il_end`, `il_wait_begin`, `il_wait_end` | the directory of the task's innermost open call, else of its last one |
 *
 * (`__lookup_slow` ends the in-lookup state after `->lookup` has returned, so an `il_end` may follow the last call.
 * Lookups nest: overlayfs's `->lookup` looks the name up in each layer's directory, each a
 * `__lookup_slow` of its own, and then ends the overlay's in-lookup dentry, after the layers' calls.)
 * | `syscall_exit` | every directory: the task holds no parent lock and is in no lookup after it |
 * | `task_exit` | the same as `syscall_exit` |
 * | `call`/`ret` of `lookup_slow`, `lookup_open` | away: the capture probes `__lookup_slow`, inside the lock, the model marks the syscall |
 * | `call`/`ret` of `d_alloc` | away: 6.1's `d_alloc_parallel` calls `d_alloc` itself, which the model does not show |
 * | `call`/`ret` of `d_splice_alias` | away: a filesystem's `->lookup` may hash through `d_add` instead |
 * | anything else (`d_drop`, `dput_final`, `retire`, other functions) | away: outside the protocol |
 *
 * A capture's directory enters the scope at the first lock event on it: a capture's lock probes are
 * filtered to the directories it watches, and the lookups under other directories are not the
 * model's. A complete trace's enters it at its first event (conform.ts, firstPass).
 */
import { isErrorPointer } from '../analysis/builtins.js';
import type { Scalar, TraceEvent } from '../trace/event.js';

/**
 * What conformance compares of an event: its kind, the task, and the arguments that are not
 * addresses; and what a report says of the event (its sequence number, place, task name). Made
 * once per event by the projection, always with the same fields in the same order (one hidden
 * class for every observation the search reads), and holding nothing of the reader's record, so
 * that a long capture's kept observations hold no more of the trace than that.
 */
export interface Obs {
  /** `acq_req`, `acq`, `rel`, `call`, `ret`, `il_end`, `il_wait_begin`, `il_wait_end`, or `sync` (a syscall exit). */
  ev: string;
  pid: number;
  fn: string | undefined;
  mode: string | undefined;
  name: string | undefined;
  outcome: string | undefined;
  /** The index of the trace event (0-based, in trace order). */
  index: number;
  /** The directory it is projected onto (undefined for `sync`: every directory). */
  dir: string | undefined;
  /** The trace event's kind (`syscall_exit` or `task_exit` for a `sync`), sequence number, task name and place. */
  traceEv: string;
  seq: number;
  comm: string | undefined;
  file: string | undefined;
  line: number | undefined;
  /** The exact name a `d_add_ci` is called with inside the `->lookup` this observation opens or is (the first pass fills it in). */
  exact: string | undefined;
  /** A `ret lookup` that returned an error pointer: only a failing `->lookup` of the model is it, and only it is one. */
  failed?: boolean;
}

function observation(e: TraceEvent, index: number, ev: string, dir: string | undefined, fn: string | undefined, mode: string | undefined,
  name: string | undefined, outcome: string | undefined): Obs {
  return { ev, pid: e.pid, fn, mode, name, outcome, index, dir, traceEv: e.ev, seq: e.seq, comm: e.comm, file: e.file, line: e.line, exact: undefined };
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

/**
 * Whether a model event has observation `o`'s key (`obsKey(ev, fn, args) === keyOfObs(o)`), without
 * writing either: the key is the kind, then the parts its kind has, joined by spaces, and neither
 * the model's kinds and functions nor the projection's functions hold a space, so two keys are
 * equal exactly where their parts are. `name`: the model event's name as compared.
 */
export function sameKey(ev: string, fn: string | undefined, args: Record<string, Scalar>, name: Scalar | undefined, o: Obs): boolean {
  if (ev !== o.ev) return false;
  switch (ev) {
    case 'acq_req': case 'acq': case 'rel':
      return String(args.mode) === String(o.mode);
    case 'call':
      return fn === o.fn && String(name ?? '') === (o.name ?? '');
    case 'ret':
      return fn === o.fn && (fn !== 'd_alloc_parallel' || String(args.outcome ?? '') === (o.outcome ?? ''));
    default:
      return true;
  }
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
  /** pid → the in-lookup dentries d_alloc_parallel gave it (outcome N) → their directory, until they end. */
  private readonly owned = new Map<number, Map<string, string>>();

  /**
   * The observation of an event, with the directory it belongs to (`sync` for a syscall or task
   * exit: every directory); undefined when it is projected away.
   */
  project(e: TraceEvent, index: number): Obs | undefined {
    const ev = e.ev;
    if (ev === 'acq_req' || ev === 'acq' || ev === 'rel') {
      const lock = String(e.args.lock);
      this.locks.add(lock);
      return observation(e, index, ev, lock, undefined, String(e.args.mode), undefined, undefined);
    }
    if (ev === 'syscall_exit' || ev === 'task_exit') {
      this.open.delete(e.pid);
      this.last.delete(e.pid);
      this.owned.delete(e.pid);
      return observation(e, index, 'sync', undefined, undefined, undefined, undefined, undefined);
    }
    if (IN_LOOKUP_EVENTS.has(ev)) {
      if (ev === 'il_end') {
        const mine = this.owned.get(e.pid);
        const dentry = e.args.dentry;
        const dir = mine !== undefined && dentry !== undefined ? mine.get(String(dentry)) : undefined;
        if (dir !== undefined) {
          mine!.delete(String(dentry));
          return observation(e, index, ev, dir, undefined, undefined, undefined, undefined);
        }
      }
      const top = this.innermost(e.pid);
      return top === undefined ? undefined : observation(e, index, ev, top, undefined, undefined, undefined, undefined);
    }
    const fn = e.fn;
    if ((ev !== 'call' && ev !== 'ret') || fn === undefined || !SCOPED_FUNCTIONS.has(fn)) return undefined;
    let stack = this.open.get(e.pid);
    if (ev === 'call') {
      const dir = String(e.args.dir);
      if (stack === undefined) this.open.set(e.pid, stack = []);
      stack.push([fn, dir]);
      this.last.set(e.pid, dir);
      const name = e.args.name;
      return observation(e, index, 'call', dir, fn, undefined, name === undefined ? undefined : String(name), undefined);
    }
    // A return closes the innermost open call of the same function (calls whose return was lost are dropped).
    if (stack === undefined) return undefined;
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k]![0] !== fn) continue;
      const dir = stack[k]![1];
      stack.length = k;
      const outcome = fn === 'd_alloc_parallel' && e.args.outcome !== undefined ? String(e.args.outcome) : undefined;
      if (outcome === 'N' && e.ret !== undefined && e.ret !== null) {
        let mine = this.owned.get(e.pid);
        if (mine === undefined) this.owned.set(e.pid, mine = new Map());
        mine.set(String(e.ret), dir);
      }
      const obs = observation(e, index, 'ret', dir, fn, undefined, undefined, outcome);
      if (fn === 'lookup') obs.failed = isErrorPointer(e.ret ?? e.args.ret);
      return obs;
    }
    return undefined;
  }

  /** Forgets a task's open calls (a gap: its history is incomplete). */
  forget(pid: number | undefined): void {
    if (pid === undefined) { this.open.clear(); this.last.clear(); this.owned.clear(); return; }
    this.open.delete(pid);
    this.last.delete(pid);
    this.owned.delete(pid);
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
