/**
 * The simulator's data: the scenario a run plays (directories, task programs, the protocol's
 * d_add_ci shape and lock order, which faults exist) and the model state it steps through. State
 * is plain data (structuredClone-able, JSON-keyed) so exploration can branch from any state.
 *
 * A task's program counter names a routine and a point in it (`d_add_ci:relock`): the labels of
 * each routine are a union of literals, so a mistyped label is a compile error.
 */

export type DAddCiShape = 'mainline' | 'draft' | 'fixed';
export type LockOrder = 'current' | 'new';
export type Mode = 'R' | 'W';
export type OpKind = 'stat' | 'open_creat' | 'mkdir';

export interface DirSpec {
  id: string;
  /** ASCII case-insensitive (XFS `-n version=ci`): a lookup matches on-disk names ignoring case, then d_add_ci caches the exact name. */
  ci: boolean;
  /** On-disk names, exact case. */
  entries: string[];
}

export interface Op { kind: OpKind; dir: string; name: string }
export interface TaskSpec { pid: number; comm: string; ops: Op[] }

export interface Scenario {
  dirs: DirSpec[];
  tasks: TaskSpec[];
  dAddCi: DAddCiShape;
  order: LockOrder;
  /** Which fault choices exist: allocation failure in d_alloc_parallel/d_alloc; the exact-case name hashed concurrently (just before d_add_ci looks). */
  faults: { allocFail: boolean; exactHashed: boolean };
  /** Whether a waiting writer may set the hand-off bit (which stops reader stealing). */
  handoff: boolean;
}

export const LOOKUP_SHARED = 0x100000;

export interface RwsemState {
  writer: number | null;
  readers: number[];
  /** Waiters in queue order. */
  queue: { pid: number; mode: Mode }[];
  handoff: boolean;
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

/** What a task's current syscall knows (all optional: filled in as the program runs). */
export interface Vars {
  dir?: string; name?: string; flags?: number; mode?: Mode;
  dapName?: string; dapRet?: string; dapOutcome?: 'H' | 'W' | 'N' | 'E'; dapWaited?: boolean;
  d1?: string; result?: string | null; exact?: string;
  dciDentry?: string; dciInLookup?: boolean; dciRet?: string | null; found?: string;
  spliceDentry?: string; spliceKey?: string; spliceInode?: string | null;
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
}

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
  };
}

/** Tasks that can take a step now. */
export function runnable(s: ModelState): number[] {
  const out: number[] = [];
  s.tasks.forEach((t, i) => { if (t.status === 'run') out.push(i); });
  return out;
}

export function live(s: ModelState): boolean {
  return s.tasks.some((t) => t.status !== 'done');
}
