/**
 * The simulator's data: the scenario a run plays (directories, task programs, the protocol's
 * d_add_ci shape and lock order, which faults exist) and the model state it steps through. State
 * is plain data (structuredClone-able, JSON-keyed) so exploration can branch from any state.
 *
 * A task's program counter names a routine and a point in it (`d_add_ci:relock`): the labels of
 * each routine are a union of literals, so a mistyped label is a compile error.
 */

import { KeyWriter, type KeyReader } from './key-code.js';

export type DAddCiShape = 'mainline' | 'draft' | 'fixed';
export type LockOrder = 'current' | 'new';
export type Mode = 'R' | 'W';
export type OpKind = 'stat' | 'open_creat' | 'mkdir' | 'rename';

export interface DirSpec {
  id: string;
  /** ASCII case-insensitive (XFS `-n version=ci`): a lookup matches on-disk names ignoring case, then d_add_ci caches the exact name. */
  ci: boolean;
  /** On-disk names, exact case. */
  entries: string[];
  /**
   * A miss hashes no negative dentry: ->lookup returns NULL without d_splice_alias, and the
   * in-lookup state ends at the caller's d_lookup_done. xfs_vn_ci_lookup always does (`ci`);
   * ext4_lookup does on a casefolded directory (fs/ext4/namei.c:1879, "prevent the negative
   * dentry from being cached").
   */
  noNegative?: boolean;
  /**
   * The filesystem has ->d_revalidate (vfat: a negative dentry is stale once the directory has
   * changed): a dentry d_alloc_parallel finds hashed may be invalidated, and the lookup goes again.
   */
  revalidates?: boolean;
}

/**
 * One syscall on a directory. `rename` is a rename within one directory: `lock_rename` of one parent
 * takes its lock once, exclusive, and looks up `name` (the old name) and then `name2` (the new one).
 */
export interface Op { kind: OpKind; dir: string; name: string; name2?: string }
export interface TaskSpec { pid: number; comm: string; ops: Op[] }

export interface Scenario {
  dirs: DirSpec[];
  tasks: TaskSpec[];
  dAddCi: DAddCiShape;
  order: LockOrder;
  /** Which fault choices exist: allocation failure in d_alloc_parallel/d_alloc; the exact-case name hashed concurrently (just before d_add_ci looks). */
  /**
   * lookupFail: a ->lookup may fail with an error before it hashes anything (9p's v9fs_vfs_lookup
   * when the server loses the name between its walk and its getattr: d_splice_alias of an ERR_PTR
   * inode returns the error without ending the in-lookup state, which the caller's d_lookup_done
   * ends after ->lookup returns).
   */
  faults: { allocFail: boolean; exactHashed: boolean; lookupFail?: boolean };
  /** Whether a waiting writer may set the hand-off bit (which stops reader stealing). */
  handoff: boolean;
  /**
   * Whether a writer may spin on the lock's owner before it queues (CONFIG_RWSEM_SPIN_ON_OWNER,
   * rwsem_optimistic_spin), taking the lock when it finds it free, ahead of queued waiters.
   */
  spin?: boolean;
}

export const LOOKUP_SHARED = 0x100000;

export interface RwsemState {
  writer: number | null;
  readers: number[];
  /**
   * Waiters in queue order. `maybe`: a waiter `kinv conform` has not decided (it queued here when
   * it requested the lock, or its request is still undecided); the simulator never sets it, and a
   * step whose outcome depends on whether it is there throws UndecidedWaiter (rwsem.ts).
   */
  queue: { pid: number; mode: Mode; maybe?: true }[];
  handoff: boolean;
  /**
   * Readers (in `readers`) that `kinv conform` has not decided: granted by a wake-up while queued
   * undecided, they hold the lock, or their request is still undecided. Undefined when none.
   */
  maybeReaders?: number[] | undefined;
}

/**
 * The points of each routine a task can be at between two atomic steps. Each routine's module under
 * routines/ adds its own by declaration merging: `declare module '../state.js' { interface
 * RoutineLabels { name: 'call' | ... } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by each routine's module
export interface RoutineLabels {}

export type Routine = keyof RoutineLabels;
/** A program point: `routine:label`. */
export type Pc = { [R in Routine]: `${R}:${RoutineLabels[R]}` }[Routine];

/**
 * Program points whose step is task-local: it reads and writes only the task's own `pc`, `v` and
 * `stack` (and the scenario), never the locks, the dcache, the id counter or another task, and
 * draws no choice. Such a step commutes with every other task's steps; when it also emits no event
 * (decided by the task's own variables) the monitors never see it, and exploration's partial-order
 * reduction takes it alone. test/sim/local-points.test.ts runs each on states whose shared parts
 * throw when touched. A point added here must keep chains of local steps short (no loop).
 */
export const LOCAL_POINTS: ReadonlySet<Pc> = new Set<Pc>([
  'task:start', 'lookup_slow:dap', 'lookup_slow:after-dap', 'lookup_slow:ret-nolock', 'fs_lookup:lookup',
  'd_add_ci:after-dap', 'd_add_ci:after-relock', 'd_add_ci:splice',
]);

/** What a task's current syscall knows (all optional: filled in as the program runs). */
export interface Vars {
  dir?: string; name?: string; flags?: number; mode?: Mode;
  dapName?: string; dapRet?: string; dapOutcome?: 'H' | 'W' | 'N' | 'E'; dapWaited?: boolean;
  d1?: string; result?: string | null; exact?: string;
  dciDentry?: string; dciInLookup?: boolean; dciRet?: string | null; found?: string;
  spliceDentry?: string; spliceKey?: string; spliceInode?: string | null;
  /** A rename's second lookup (the new name) is under way. */
  renameNew?: boolean;
}

/** One task: where it is, what its syscall knows, and what it is blocked on. */
export interface TaskState {
  pid: number;
  comm: string;
  op: number;
  pc: Pc;
  /** Variables of the current syscall. */
  v: Vars;
  /** Return points of the routines called and not yet returned from (d_alloc_parallel, d_add_ci, ...). */
  stack: Pc[];
  status: 'run' | 'lock' | 'inlookup' | 'done';
  /** What the task is blocked on. */
  waitLock: string | null;
  waitMode: Mode | null;
  waitDentry: string | null;
  /** The lock was granted while the task slept: emit `acq` when it runs. */
  granted: boolean;
}

export interface ModelState {
  locks: Record<string, RwsemState>;
  /** `${dir}/${name}` → dentry id, for hashed names. */
  hashed: Record<string, string>;
  /** `${dir}/${name}` → in-lookup dentry and its owner. */
  inLookup: Record<string, { dentry: string; owner: number }>;
  /** dentry → its key while in lookup. */
  dentryKey: Record<string, string>;
  tasks: TaskState[];
  nextId: number;
  seq: number;
  /**
   * Which dcache records this state made and shares with no other state (`OWN_*` bits), so that a
   * step changes them in place (`setRecord`, `deleteFromRecord`); one it shares it replaces by a
   * changed copy, which it then owns. A state without this field (`kinv conform`'s candidates,
   * which share records in ways of their own) replaces every record it changes, and owns none. A
   * run's one state owns them all from the start; a search's copies share them (`cloneState`).
   */
  owns?: number;
}

/** Bits of `ModelState.owns`. */
const OWN_BIT = { hashed: 1, inLookup: 2, dentryKey: 4 } as const;
const OWN_RECORDS = 7;
type DcacheRecord = keyof typeof OWN_BIT;

export function initialState(sc: Scenario): ModelState {
  const locks: Record<string, RwsemState> = {};
  const hashed: Record<string, string> = {};
  const nextId = 100;
  // On-disk names start uncached: every first lookup takes the slow path.
  for (const d of sc.dirs) locks[d.id] = { writer: null, readers: [], queue: [], handoff: false };
  return {
    locks, hashed, inLookup: {}, dentryKey: {}, nextId, seq: 0,
    tasks: sc.tasks.map((t) => ({
      pid: t.pid, comm: t.comm, op: 0, pc: t.ops.length ? 'task:start' : 'task:exit', v: {}, stack: [],
      status: 'run', waitLock: null, waitMode: null, waitDentry: null, granted: false,
    })),
    // (last, as every other state's literal has it: one object shape for all)
    owns: OWN_RECORDS,
  };
}

/** Tasks that can take a step now. */
export function runnable(s: ModelState): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.tasks.length; i++) if (s.tasks[i]!.status === 'run') out.push(i);
  return out;
}

export function live(s: ModelState): boolean {
  for (const t of s.tasks) if (t.status !== 'done') return true;
  return false;
}

/**
 * A copy of `s` that a step of task `stepper` may change without changing `s` (what
 * `structuredClone` gives, without its generic walk, and without copying what that step cannot
 * change): exploration copies a state for every successor it tries. Shared with `s`: the entries of
 * a lock's queue and of the in-lookup names (records the model replaces, never changes), and with
 * a `stepper` the dcache records themselves (replaced when changed, see `setRecord`) and every
 * task but `stepper` (a step changes its own task; another only by waking it, through
 * `TaskStep.other`, which puts a copy in its place). Without `stepper`, every task is copied.
 * With `stepper`, `s` no longer owns its dcache records either (`ModelState.owns`): both replace
 * them when they change them.
 */
export function cloneState(s: ModelState, stepper?: number): ModelState {
  // A copy for one task's step shares the dcache records too: a state changes a record it
  // shares only by replacing it (`setRecord`, `deleteFromRecord`).
  const records = stepper !== undefined;
  const locks: Record<string, RwsemState> = {};
  for (const k in s.locks) {
    const l = s.locks[k]!;
    locks[k] = { writer: l.writer, readers: l.readers.slice(), queue: l.queue.slice(), handoff: l.handoff };
  }
  const tasks: TaskState[] = [];
  for (let i = 0; i < s.tasks.length; i++) {
    const t = s.tasks[i]!;
    // Another task's object is shared: a step replaces the tasks it wakes (`TaskStep.other`).
    if (stepper !== undefined && i !== stepper) { tasks.push(t); continue; }
    tasks.push({
      pid: t.pid, comm: t.comm, op: t.op, pc: t.pc, v: { ...t.v }, stack: t.stack.slice(), status: t.status,
      waitLock: t.waitLock, waitMode: t.waitMode, waitDentry: t.waitDentry, granted: t.granted,
    });
  }
  // Shared from now on: neither state changes them in place any more.
  if (records) s.owns = 0;
  return {
    locks, hashed: records ? s.hashed : { ...s.hashed }, inLookup: records ? s.inLookup : { ...s.inLookup },
    dentryKey: records ? s.dentryKey : { ...s.dentryKey }, nextId: s.nextId, seq: s.seq, tasks, owns: records ? 0 : OWN_RECORDS,
  };
}

/**
 * Sets `k` to `v` in the state's dcache record `which`: in place when the state owns it
 * (`ModelState.owns`), else in a copy that it then owns. The key order is the same either way.
 */
export function setRecord<W extends DcacheRecord>(s: ModelState, which: W, k: string, v: ModelState[W][string]): void {
  const r = s[which] as Record<string, ModelState[W][string]>;
  if (owned(s, which)) { r[k] = v; return; }
  (s[which] as Record<string, ModelState[W][string]>) = recordWith(r, k, v);
  if (s.owns !== undefined) s.owns |= OWN_BIT[which];
}

/** Removes `k` from the state's dcache record `which` (see `setRecord`); nothing when it has none. */
export function deleteFromRecord(s: ModelState, which: DcacheRecord, k: string): void {
  const r = s[which] as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(r, k)) return;
  if (owned(s, which)) { delete r[k]; return; }
  (s[which] as Record<string, unknown>) = recordWithout(r, k);
  if (s.owns !== undefined) s.owns |= OWN_BIT[which];
}

/** Whether the state may change its record `which` in place (`ModelState.owns`). */
function owned(s: ModelState, which: DcacheRecord): boolean {
  return s.owns !== undefined && (s.owns & OWN_BIT[which]) !== 0;
}

/**
 * `r` with `k` set to `v`, as a new record of the same kind (its keys in the order setting `r[k]`
 * would give): the model replaces its dcache records (`hashed`, `inLookup`, `dentryKey`) when it
 * changes them, so that copies of a state may share them (`cloneState`).
 */
export function recordWith<T>(r: Record<string, T>, k: string, v: T): Record<string, T> {
  const c = Object.assign(Object.create(Object.getPrototypeOf(r) as object | null) as Record<string, T>, r);
  c[k] = v;
  return c;
}

/** `r` without `k`, as a new record (see `recordWith`); `r` itself when it has no `k`. */
export function recordWithout<T>(r: Record<string, T>, k: string): Record<string, T> {
  if (!Object.prototype.hasOwnProperty.call(r, k)) return r;
  const c = Object.assign(Object.create(Object.getPrototypeOf(r) as object | null) as Record<string, T>, r);
  delete c[k];
  return c;
}

/** One writer serves every state key: its buffer is reused. */
const KEY = new KeyWriter();

/**
 * The state as a string for a visited set: everything but `seq` (an event counter, not state), and
 * the tasks' `pid` and `comm` (fixed by the scenario). Records are read in insertion order, as
 * JSON.stringify would write them, so two states of one scenario have the same key exactly when
 * their JSON forms (less `seq`) are equal. Each string or number is written as its number (`code`)
 * and every variable-length part after its length, so the key reads back one way only, and a
 * suffix (exploration appends the number of the monitor's digest, `suffix`) cannot run into it; a few
 * dozen UTF-16 units.
 */
export function stateKey(s: ModelState, suffix?: number): string {
  const w = KEY.start();
  writeStateKey(w, s);
  if (suffix !== undefined) w.put(suffix);
  return w.text();
}

/**
 * The key units of the tasks of a state read back from its key (`readStateKey`), by task object:
 * a copy of that state for one task's step shares the other tasks' objects (`cloneState`), and
 * `writeStateKey` writes a task it finds here as these units, not field by field again.
 */
export class TaskUnits {
  units = new Uint16Array(256);
  /** Per task, where its units begin and end in `units`. */
  starts = new Int32Array(0);
  ends = new Int32Array(0);
  tasks: TaskState[] = [];
}

/**
 * Writes `stateKey`'s units to `w` (after what it holds): the visited set takes them as they are,
 * without the string. A task whose object is `known`'s (unchanged since its key was read) is
 * written as its units there.
 */
export function writeStateKey(w: KeyWriter, s: ModelState, known?: TaskUnits): void {
  for (const id in s.locks) {
    const l = s.locks[id]!;
    w.value(id);
    w.value(l.writer);
    w.put(l.readers.length);
    for (const r of l.readers) w.value(r);
    w.put(l.queue.length);
    for (const q of l.queue) { w.value(q.pid); w.value(q.mode); }
    w.value(l.handoff);
  }
  let at = w.reserve();
  let n = 0;
  for (const k in s.hashed) { w.value(k); w.value(s.hashed[k]); n++; }
  w.fill(at, n);
  at = w.reserve();
  n = 0;
  for (const k in s.inLookup) { const e = s.inLookup[k]!; w.value(k); w.value(e.dentry); w.value(e.owner); n++; }
  w.fill(at, n);
  at = w.reserve();
  n = 0;
  for (const d in s.dentryKey) { w.value(d); w.value(s.dentryKey[d]); n++; }
  w.fill(at, n);
  w.value(s.nextId);
  w.put(s.tasks.length);
  for (let i = 0; i < s.tasks.length; i++) {
    const t = s.tasks[i]!;
    if (known !== undefined && known.tasks[i] === t) { w.copy(known.units, known.starts[i]!, known.ends[i]!); continue; }
    w.value(t.op); w.value(t.pc); w.value(t.status); w.value(t.waitLock); w.value(t.waitMode); w.value(t.waitDentry); w.value(t.granted);
    w.put(t.stack.length);
    for (const p of t.stack) w.value(p);
    const v = t.v as Record<string, unknown>;
    at = w.reserve();
    n = 0;
    for (const k in v) if (v[k] !== undefined) { w.value(k); w.value(v[k]); n++; }
    w.fill(at, n);
  }
}

/**
 * The state whose key `writeStateKey` wrote, read back from it: exploration's frontier keeps each
 * state as its key in the visited set, not as objects, which lived through several collections
 * each. The key holds everything but `seq` (given) and what the scenario fixes (the tasks' `pid`
 * and `comm`, and the locks: one per directory, made by `initialState`, never added); records and
 * variables come back in the order they were written, so the state read back has the same key.
 * Not for `kinv conform`'s undecided waiters (`maybe`, `maybeReaders`), which the key leaves out.
 */
export function readStateKey(r: KeyReader, sc: Scenario, seq: number, units?: TaskUnits): ModelState {
  const locks: Record<string, RwsemState> = {};
  for (let d = 0; d < sc.dirs.length; d++) {
    const id = r.string();
    const writer = r.value() as number | null;
    const readers = sized<number>(r.next());
    for (let k = 0; k < readers.length; k++) readers[k] = r.number();
    const queue = sized<RwsemState['queue'][number]>(r.next());
    for (let k = 0; k < queue.length; k++) queue[k] = { pid: r.number(), mode: r.value() as Mode };
    locks[id] = { writer, readers, queue, handoff: r.value() as boolean };
  }
  const hashed: Record<string, string> = {};
  for (let n = r.next(); n > 0; n--) { const k = r.string(); hashed[k] = r.string(); }
  const inLookup: Record<string, { dentry: string; owner: number }> = {};
  for (let n = r.next(); n > 0; n--) { const k = r.string(); inLookup[k] = { dentry: r.string(), owner: r.number() }; }
  const dentryKey: Record<string, string> = {};
  for (let n = r.next(); n > 0; n--) { const d = r.string(); dentryKey[d] = r.string(); }
  const nextId = r.number();
  const count = r.next();
  if (count !== sc.tasks.length) throw new Error(`internal: a state key of ${count} tasks read for a scenario of ${sc.tasks.length}`);
  const tasks = sized<TaskState>(count);
  const begin = r.at;
  if (units !== undefined && units.starts.length < count) { units.starts = new Int32Array(count); units.ends = new Int32Array(count); }
  for (let i = 0; i < count; i++) {
    if (units !== undefined) units.starts[i] = r.at - begin;
    const op = r.number();
    const pc = r.value() as Pc;
    const status = r.value() as TaskState['status'];
    const waitLock = r.value() as string | null;
    const waitMode = r.value() as Mode | null;
    const waitDentry = r.value() as string | null;
    const granted = r.value() as boolean;
    const stack = sized<Pc>(r.next());
    for (let k = 0; k < stack.length; k++) stack[k] = r.value() as Pc;
    const v: Record<string, unknown> = {};
    for (let n = r.next(); n > 0; n--) { const k = r.string(); v[k] = r.value(); }
    const spec = sc.tasks[i]!;
    tasks[i] = { pid: spec.pid, comm: spec.comm, op, pc, v: v as Vars, stack, status, waitLock, waitMode, waitDentry, granted };
    if (units !== undefined) units.ends[i] = r.at - begin;
  }
  if (units !== undefined) {
    const n = r.at - begin;
    if (units.units.length < n) units.units = new Uint16Array(2 * n);
    // Unit by unit: a subarray for `set` would be an object per state read.
    for (let k = 0; k < n; k++) units.units[k] = r.units[begin + k]!;
    units.tasks = tasks;
  }
  return { locks, hashed, inLookup, dentryKey, nextId, seq, tasks, owns: OWN_RECORDS };
}

/**
 * An array of `n` elements to fill by index: of its length exactly, where pushing to an empty
 * array reserves room for 16 (a state read back holds a dozen arrays of one or two elements).
 */
function sized<T>(n: number): T[] {
  return n === 0 ? [] : new Array<T>(n);
}
