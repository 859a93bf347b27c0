/**
 * A deterministic model of the VFS lookup path, as small atomic steps: directory rwsems with the
 * kernel's queueing, reader stealing and writer hand-off; the dcache's hashed names and in-lookup
 * dentries; and task programs for `stat` (lookup_slow), `open(O_CREAT)` (lookup_open, parent held
 * exclusive) and `mkdir`-like creation (lookup_one_qstr_excl: plain d_alloc, parent exclusive),
 * with the three shapes of d_add_ci and the two lock orders. The model never judges: it emits
 * Contract 2 events and the spec's monitors judge them.
 *
 * State is plain data (structuredClone-able) so exploration can branch from any state.
 */
import type { Scalar, TraceEvent } from '../trace/event.js';
import type { Chooser } from './chooser.js';
import { cyclePids, waitCycle } from './wait-for.js';

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

interface RwsemState {
  writer: number | null;
  readers: number[];
  /** Waiters in queue order. */
  queue: { pid: number; mode: Mode }[];
  handoff: boolean;
}

/** What a task's current syscall knows (all optional: filled in as the program runs). */
interface Vars {
  dir?: string; name?: string; flags?: number; mode?: Mode;
  dapName?: string; dapRet?: string; dapOutcome?: 'H' | 'W' | 'N' | 'E'; dapWaited?: boolean;
  d1?: string; result?: string | null; exact?: string;
  dciDentry?: string; dciInLookup?: boolean; dciRet?: string | null; found?: string;
  spliceDentry?: string; spliceKey?: string; spliceInode?: string | null;
}

/** One frame of a task's program: where to continue and what it knows. */
interface TaskState {
  pid: number;
  comm: string;
  op: number;
  pc: string;
  /** Variables of the current syscall. */
  v: Vars;
  /** Return points for the shared d_alloc_parallel and d_add_ci routines. */
  stack: string[];
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
    tasks: sc.tasks.map((t) => ({ pid: t.pid, comm: t.comm, op: 0, pc: t.ops.length ? 'start' : 'exit', v: {}, stack: [], status: 'run', waitLock: null, waitMode: null, waitDentry: null, granted: false })),
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

/** The wait-for edges of blocked tasks (for deadlock reports): task → tasks it waits for. */
export function waitsFor(s: ModelState): { pid: number; on: string; for: number[] }[] {
  const out: { pid: number; on: string; for: number[] }[] = [];
  for (const t of s.tasks) {
    if (t.status === 'lock' && t.waitLock) {
      const l = s.locks[t.waitLock]!;
      const holders = l.writer !== null ? [l.writer] : [...new Set(l.readers)];
      const ahead: number[] = [];
      for (const q of l.queue) { if (q.pid === t.pid) break; if (q.mode === 'W') ahead.push(q.pid); }
      out.push({ pid: t.pid, on: `i_rwsem ${t.waitLock} (${t.waitMode})`, for: [...new Set([...holders, ...(t.waitMode === 'R' ? ahead : [])])].filter((p) => p !== t.pid || holders.includes(p)) });
    } else if (t.status === 'inlookup' && t.waitDentry) {
      const key = s.dentryKey[t.waitDentry];
      const owner = key ? s.inLookup[key]?.owner : undefined;
      out.push({ pid: t.pid, on: `in-lookup ${t.waitDentry}`, for: owner === undefined ? [] : [owner] });
    }
  }
  return out;
}

/** A cycle in the wait-for graph, as pids (first repeated at the end), if any (full search: see wait-for.ts). */
export function deadlockCycle(s: ModelState): number[] | undefined {
  const c = waitCycle(s);
  return c ? cyclePids(c) : undefined;
}

function key(dir: string | undefined, name: string | undefined): string {
  return `${String(dir)}/${String(name)}`;
}

/** Exact-case on-disk name matching `name` in `dir`, or undefined (a negative lookup). */
function onDisk(sc: Scenario, dir: string, name: string): string | undefined {
  const d = sc.dirs.find((x) => x.id === dir);
  if (!d) return undefined;
  if (d.entries.includes(name)) return name;
  return d.ci ? d.entries.find((e) => e.toLowerCase() === name.toLowerCase()) : undefined;
}

/**
 * Runs one atomic step of task `i`, appending its events to `out`. Choices (faults, hand-off,
 * stealing) are drawn from `ch`.
 */
export function step(sc: Scenario, s: ModelState, i: number, ch: Chooser, out: TraceEvent[]): void {
  const t = s.tasks[i]!;
  const op = sc.tasks[i]!.ops[t.op];
  const emit = (ev: string, args: Record<string, Scalar> = {}, extra: { fn?: string; ret?: Scalar } = {}): void => {
    const e: TraceEvent = { seq: s.seq++, pid: t.pid, ev, args, comm: t.comm };
    if (extra.fn !== undefined) e.fn = extra.fn;
    if (extra.ret !== undefined) e.ret = extra.ret;
    out.push(e);
  };
  const call = (fn: string, args: Record<string, Scalar>): void => emit('call', args, { fn });
  const ret = (fn: string, value: Scalar, args: Record<string, Scalar> = {}): void => emit('ret', args, { fn, ret: value });
  const newId = (prefix: string): string => `${prefix}${s.nextId++}`;
  const v = t.v;
  const dir = v.dir ?? '';

  /** Starts acquiring; returns true if granted now (acq emitted), false if the task now sleeps. */
  const acquire = (lock: string, mode: Mode, next: string): void => {
    emit('acq_req', { lock, mode, kind: 'blocking' });
    const l = s.locks[lock]!;
    let grant: boolean;
    if (mode === 'W') grant = l.writer === null && l.readers.length === 0 && l.queue.length === 0;
    else if (l.writer !== null) grant = false;
    else if (l.queue.length === 0) grant = true;
    // Readers may steal a reader-owned lock past queued writers unless a writer set the hand-off bit.
    else grant = !l.handoff && l.readers.length > 0 && ch.choose(2, 'reader-steal') === 1;
    if (grant) {
      if (mode === 'W') l.writer = t.pid; else l.readers.push(t.pid);
      emit('acq', { lock, mode });
      t.pc = next;
      return;
    }
    l.queue.push({ pid: t.pid, mode });
    if (mode === 'W' && sc.handoff && !l.handoff && ch.choose(2, 'writer-handoff') === 1) l.handoff = true;
    t.status = 'lock';
    t.waitLock = lock;
    t.waitMode = mode;
    t.pc = next;
  };
  const release = (lock: string, mode: Mode): void => {
    emit('rel', { lock, mode });
    const l = s.locks[lock]!;
    if (mode === 'W' && l.writer === t.pid) l.writer = null;
    else {
      const k = l.readers.indexOf(t.pid);
      // An up_read by a non-holder still drops a reader count, as the rwsem does.
      if (k >= 0) l.readers.splice(k, 1); else if (mode === 'R' && l.readers.length) l.readers.pop(); else if (mode === 'W') l.writer = null;
    }
    wake(s, lock);
  };

  if (t.granted) {
    t.granted = false;
    emit('acq', { lock: t.waitLock!, mode: t.waitMode! });
    t.waitLock = null;
    t.waitMode = null;
    return;
  }

  switch (t.pc) {
    case 'start': {
      v.dir = op!.dir;
      v.name = op!.name;
      if (op!.kind === 'stat') { v.flags = LOOKUP_SHARED; v.mode = 'R'; call('lookup_slow', { dir: op!.dir, name: op!.name, flags: LOOKUP_SHARED }); t.pc = sc.order === 'new' ? 'slow:dap' : 'slow:lock'; }
      else if (op!.kind === 'open_creat') { v.flags = 0; v.mode = 'W'; call('lookup_open', { dir: op!.dir, name: op!.name, flags: 0 }); t.pc = sc.order === 'new' ? 'slow:dap' : 'slow:lock'; }
      else { v.flags = 0; v.mode = 'W'; t.pc = 'mk:lock'; }
      return;
    }
    // ---- lookup_slow / lookup_open ----
    case 'slow:lock': acquire(dir, v.mode as Mode, sc.order === 'new' ? 'slow:lookup' : 'slow:dap'); return;
    case 'slow:dap': t.stack.push('slow:after-dap'); v.dapName = v.name; t.pc = 'dap:call'; return;
    case 'slow:after-dap': {
      v.d1 = v.dapRet;
      if (v.dapOutcome === 'N') { t.pc = sc.order === 'new' ? 'slow:lock' : 'slow:lookup'; return; }
      // A hit or an error: no ->lookup. Under the new order the lock was never taken.
      v.result = v.dapRet;
      t.pc = sc.order === 'new' ? 'slow:ret-nolock' : 'slow:unlock';
      return;
    }
    case 'slow:lookup': {
      const d = sc.dirs.find((x) => x.id === dir)!;
      call('lookup', { dir, dentry: v.d1 as string, name: v.name as string, flags: v.flags as number, fs: d.ci ? 'xfs-ci' : 'ext4' });
      t.pc = 'fs:lookup';
      return;
    }
    case 'fs:lookup': {
      const exact = onDisk(sc, dir, v.name as string);
      if (exact !== undefined && exact !== v.name) {
        v.exact = exact;
        v.dciDentry = v.d1;
        v.dciInLookup = true;
        t.stack.push('fs:after-dci');
        t.pc = 'dci:call';
        return;
      }
      v.spliceDentry = v.d1;
      v.spliceKey = key(dir, v.name);
      v.spliceInode = exact === undefined ? null : `I${exact.length}${exact.toLowerCase()}`;
      t.stack.push('fs:after-splice');
      t.pc = 'splice:call';
      return;
    }
    case 'fs:after-splice': ret('lookup', null); v.result = v.d1; t.pc = 'slow:done-lookup'; return;
    case 'fs:after-dci': ret('lookup', v.dciRet as Scalar); v.result = v.dciRet; t.pc = 'slow:done-lookup'; return;
    case 'slow:done-lookup': {
      if (sc.order === 'new') { t.pc = 'slow:unlock'; return; }
      endInLookup(v.d1 as string);
      t.pc = 'slow:unlock';
      return;
    }
    case 'slow:unlock': {
      release(dir, v.mode as Mode);
      if (sc.order === 'new' && v.d1 !== undefined && s.dentryKey[v.d1 as string] !== undefined) { endInLookup(v.d1 as string); }
      t.pc = 'slow:ret';
      return;
    }
    case 'slow:ret-nolock': t.pc = 'slow:ret'; return;
    case 'slow:ret': {
      const opk = sc.tasks[i]!.ops[t.op]!.kind;
      if (opk === 'open_creat' && v.dapOutcome === 'N' && s.hashed[key(dir, v.name)] === undefined) s.hashed[key(dir, v.name)] = v.d1 as string;
      ret(opk === 'stat' ? 'lookup_slow' : 'lookup_open', (v.result ?? null) as Scalar);
      t.pc = 'sysexit';
      return;
    }
    // ---- mkdir-like creation: lookup_one_qstr_excl with a plain d_alloc ----
    case 'mk:lock': acquire(dir, 'W', 'mk:alloc'); return;
    case 'mk:alloc': {
      call('d_alloc', { dir, name: v.name as string });
      if (sc.faults.allocFail && ch.choose(2, 'alloc-fail') === 1) { ret('d_alloc', null); t.pc = 'mk:unlock'; return; }
      v.d1 = newId('D');
      ret('d_alloc', v.d1);
      const d = sc.dirs.find((x) => x.id === dir)!;
      call('lookup', { dir, dentry: v.d1, name: v.name as string, flags: 0, fs: d.ci ? 'xfs-ci' : 'ext4' });
      const exact = onDisk(sc, dir, v.name as string);
      if (exact !== undefined && exact !== v.name) {
        v.exact = exact; v.dciDentry = v.d1; v.dciInLookup = false;
        t.stack.push('mk:after-lookup');
        t.pc = 'dci:call';
        return;
      }
      v.dciRet = null;
      t.pc = 'mk:after-lookup';
      return;
    }
    case 'mk:after-lookup': ret('lookup', (v.dciRet ?? null) as Scalar); t.pc = 'mk:unlock'; return;
    case 'mk:unlock': release(dir, 'W'); t.pc = 'sysexit'; return;
    // ---- d_alloc_parallel(dir, dapName) → dapRet, dapOutcome ----
    case 'dap:call': call('d_alloc_parallel', { dir, name: v.dapName as string }); v.dapWaited = false; t.pc = 'dap:try'; return;
    case 'dap:try': {
      if (sc.faults.allocFail && !v.dapWaited && ch.choose(2, 'alloc-fail') === 1) return dapReturn('ERR:-12', 'E');
      const k = key(dir, v.dapName);
      const h = s.hashed[k];
      if (h !== undefined) return dapReturn(h, v.dapWaited ? 'W' : 'H');
      const il = s.inLookup[k];
      if (il !== undefined) {
        emit('il_wait_begin', { dentry: il.dentry });
        t.status = 'inlookup';
        t.waitDentry = il.dentry;
        t.pc = 'dap:woken';
        return;
      }
      const d = newId('D');
      s.inLookup[k] = { dentry: d, owner: t.pid };
      s.dentryKey[d] = k;
      return dapReturn(d, 'N');
    }
    case 'dap:woken': emit('il_wait_end', { dentry: t.waitDentry! }); t.waitDentry = null; v.dapWaited = true; t.pc = 'dap:try'; return;
    // ---- d_add_ci(dciDentry, exact) → dciRet ----
    case 'dci:call': {
      call('d_add_ci', { dir, dentry: v.dciDentry as string, name: v.exact as string, flags: v.flags as number });
      t.pc = 'dci:hashlookup';
      return;
    }
    case 'dci:hashlookup': {
      // d_hash_and_lookup(parent, exact): an existing hashed dentry is returned at once, lock untouched.
      const h = s.hashed[key(dir, v.exact)];
      if (h !== undefined) return dciReturn(h);
      if (sc.dAddCi === 'mainline' || (sc.dAddCi === 'fixed' && !v.dciInLookup)) { t.pc = 'dci:alloc'; return; }
      release(dir, v.mode as Mode);
      t.pc = 'dci:alloc';
      return;
    }
    case 'dci:alloc': {
      if (v.dciInLookup) {
        // Another lookup may hash the exact-case name between d_hash_and_lookup and d_alloc_parallel.
        if (sc.faults.exactHashed && s.hashed[key(dir, v.exact)] === undefined && s.inLookup[key(dir, v.exact)] === undefined && ch.choose(2, 'exact-hashed') === 1) {
          s.hashed[key(dir, v.exact)] = newId('D');
        }
        t.stack.push('dci:after-dap');
        v.dapName = v.exact;
        t.pc = 'dap:call';
        return;
      }
      call('d_alloc', { dir, name: v.exact as string });
      if (sc.faults.allocFail && ch.choose(2, 'alloc-fail') === 1) {
        ret('d_alloc', null);
        // -ENOMEM; in the draft (E3) the lock dropped before d_alloc is not re-taken.
        return dciReturn('ERR:-12');
      }
      v.found = newId('D');
      ret('d_alloc', v.found);
      t.pc = sc.dAddCi === 'draft' ? 'dci:relock' : 'dci:splice';
      return;
    }
    case 'dci:after-dap': {
      v.found = v.dapRet;
      if (sc.dAddCi === 'fixed') { t.pc = 'dci:relock'; return; }
      // E1 (error) and E2 (not in-lookup) return at once: in the draft, without the relock.
      if (v.dapOutcome !== 'N') return dciReturn(v.dapRet ?? null);
      t.pc = sc.dAddCi === 'draft' ? 'dci:relock' : 'dci:splice';
      return;
    }
    case 'dci:relock': acquire(dir, v.mode as Mode, 'dci:after-relock'); return;
    case 'dci:after-relock': {
      if (v.dciInLookup && v.dapOutcome !== 'N') return dciReturn(v.dapRet ?? null);
      t.pc = 'dci:splice';
      return;
    }
    case 'dci:splice': { v.spliceDentry = v.found; v.spliceKey = key(dir, v.exact); v.spliceInode = `I${String(v.exact).length}${String(v.exact).toLowerCase()}`; t.stack.push('dci:after-splice'); t.pc = 'splice:call'; return; }
    case 'dci:after-splice': return dciReturn(v.found ?? null);
    // ---- d_splice_alias(inode, spliceDentry): ends the in-lookup state, hashes the name ----
    case 'splice:call': {
      const d = v.spliceDentry as string;
      call('d_splice_alias', { dentry: d, inode: (v.spliceInode ?? null) as Scalar });
      s.hashed[v.spliceKey as string] = d;
      if (s.dentryKey[d] !== undefined) endInLookup(d);
      ret('d_splice_alias', null);
      t.pc = t.stack.pop()!;
      return;
    }
    case 'sysexit': {
      emit('syscall_exit');
      t.v = {};
      t.op++;
      t.pc = t.op < sc.tasks[i]!.ops.length ? 'start' : 'exit';
      return;
    }
    case 'exit': emit('task_exit'); t.status = 'done'; return;
    default: throw new Error(`internal: unknown program point ${t.pc}`);
  }

  function dapReturn(value: string, outcome: 'H' | 'W' | 'N' | 'E'): void {
    ret('d_alloc_parallel', value, { outcome });
    v.dapRet = value;
    v.dapOutcome = outcome;
    t.pc = t.stack.pop()!;
  }
  function dciReturn(value: string | null): void {
    ret('d_add_ci', value);
    v.dciRet = value;
    t.pc = t.stack.pop()!;
  }
  function endInLookup(d: string): void {
    const k = s.dentryKey[d];
    if (k === undefined) return;
    delete s.inLookup[k];
    delete s.dentryKey[d];
    emit('il_end', { dentry: d });
    for (const w of s.tasks) if (w.status === 'inlookup' && w.waitDentry === d) w.status = 'run';
  }
}

/** Grants a released lock to the waiters at the head of its queue. */
function wake(s: ModelState, lock: string): void {
  const l = s.locks[lock]!;
  while (l.queue.length) {
    const head = l.queue[0]!;
    if (head.mode === 'W') {
      if (l.writer !== null || l.readers.length) return;
      l.writer = head.pid;
      l.handoff = false;
    } else {
      if (l.writer !== null) return;
      l.readers.push(head.pid);
    }
    l.queue.shift();
    const t = s.tasks.find((x) => x.pid === head.pid)!;
    t.status = 'run';
    t.granted = true;
    if (head.mode === 'W') return;
  }
}
