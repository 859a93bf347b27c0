/**
 * The directory rwsem (`i_rwsem`) as 6.1's kernel/locking/rwsem.c runs it: down_read/down_write
 * with the FIFO wait queue, reader optimistic lock stealing, the writer hand-off bit, up_read/
 * up_write and rwsem_mark_wake. What the model keeps of the kernel's rules:
 * - a reader takes the lock on the fast path only when no waiter flag is set (rwsem_read_trylock);
 *   in the slow path it queues when readers hold the lock, and otherwise steals it unless a writer
 *   holds it or the hand-off bit is set: a free lock with waiters queued lets an arriving reader in
 *   (rwsem_down_read_slowpath, "reader optimistic lock stealing"); the first stealing reader wakes
 *   the queued readers when a reader heads the queue (RWSEM_WAKE_READ_OWNED);
 * - a writer takes a free lock unless a waiter set the hand-off bit (rwsem_write_trylock, then
 *   rwsem_try_write_lock once queued); otherwise it queues and may set the hand-off bit;
 * - a release wakes the head of the queue: readers are granted the lock by the waker, all of
 *   them (phase-fair); a writer is only woken and takes the lock as its own step (the lock is free
 *   with waiters queued until it runs, and a reader may steal it meanwhile).
 * - with `spin`, writer optimistic spinning (rwsem_down_write_slowpath → rwsem_can_spin_on_owner,
 *   rwsem_optimistic_spin): a writer that finds the lock taken may spin instead of queueing, unless
 *   its owner is a writer that is not running (rwsem_can_spin_on_owner, rwsem_spin_on_owner's
 *   `!owner_on_cpu`); at each of its steps a spinner takes the lock if it is free and the hand-off
 *   bit is clear (rwsem_try_write_lock_unqueued), ahead of every queued waiter, or gives up and
 *   queues (a writer owner stopped running, the reader-owned spin ran past its threshold,
 *   need_resched); and it may take the lock between a release and the waker's grant to queued
 *   readers, which then stay queued (rwsem_mark_wake: "Writers might steal the lock before we grant
 *   it to the next reader"). Spinning on readers is bounded by time, so a spinner always either
 *   takes the lock or queues: the model lets it do either at any step.
 */
import { cloneState, type ModelState, type Mode, type Pc, type RwsemState } from './state.js';
import type { TaskStep } from './task-step.js';

/**
 * A step read a waiter `kinv conform` has not decided (RwsemState.queue's `maybe`): whether it is
 * queued there changes the step's outcome, so the search decides it (both ways) and takes the step
 * again. The simulator and exploration never see it: they make no undecided waiters.
 */
export class UndecidedWaiter extends Error {
  constructor(readonly pid: number) {
    // Thrown and caught by the search many times a run: no stack trace is taken (it is no failure).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`internal: the step depends on whether task ${pid} is queued`);
    Error.stackTraceLimit = limit;
  }
}

/** The head of the queue, which must be a decided waiter. */
function headOf(l: RwsemState): RwsemState['queue'][number] | undefined {
  const h = l.queue[0];
  if (h?.maybe === true) throw new UndecidedWaiter(h.pid);
  return h;
}

/**
 * Whether the queue's first waiter is a reader (undefined: no waiter). Undecided readers ahead of a
 * decided reader do not change it (whichever of them is queued first is a reader too); an
 * undecided waiter that does must be decided.
 */
function headReader(l: RwsemState): boolean | undefined {
  const q = l.queue;
  if (q.length === 0) return undefined;
  for (let k = 0; k < q.length; k++) {
    const e = q[k]!;
    if (e.maybe !== true) {
      if (e.mode === 'R' || k === 0) return e.mode === 'R';
      break;
    }
    if (e.mode === 'W') break;
  }
  throw new UndecidedWaiter(q[0]!.pid);
}

/** Whether no task holds the lock shared: false when a decided reader does, undecided when only undecided ones may. */
export function noReaders(l: RwsemState): boolean {
  const m = l.maybeReaders;
  if (m === undefined) return l.readers.length === 0;
  for (const r of l.readers) if (!m.includes(r)) return false;
  throw new UndecidedWaiter(m[0]!);
}

/** Whether reader `pid` (holding the lock) is its only reader. */
function soleReader(l: RwsemState, pid: number): boolean {
  if (l.readers.length === 1) return true;
  const m = l.maybeReaders;
  if (m === undefined) return false;
  for (const r of l.readers) if (r !== pid && !m.includes(r)) return false;
  throw new UndecidedWaiter(m[0]!);
}

/** Whether no task is queued: false when a decided waiter is, undecided when only undecided ones may be. */
function queueEmpty(l: RwsemState): boolean {
  let undecided: number | undefined;
  for (const q of l.queue) {
    if (q.maybe !== true) return false;
    undecided ??= q.pid;
  }
  if (undecided !== undefined) throw new UndecidedWaiter(undecided);
  return true;
}

/**
 * down_read/down_write: emits `acq_req`, then `acq` when granted now; otherwise queues the task,
 * which sleeps until the lock is granted (a reader) or it is woken to try again (a writer); its
 * `acq` is emitted when it next runs. Either way the task continues at `next`.
 */
export function acquire(x: TaskStep, lock: string, mode: Mode, next: Pc): void {
  const { s, t } = x;
  x.emit('acq_req', { lock, mode, kind: 'blocking' });
  const l = s.locks[lock]!;
  let grant: boolean;
  if (l.writer !== null) grant = false;
  else if (mode === 'W') grant = !l.handoff && noReaders(l);
  // Fast path: no waiters. Slow path: queue behind active readers; steal a free lock unless hand-off is set.
  else grant = (!l.handoff && noReaders(l)) || queueEmpty(l);
  if (grant) {
    if (mode === 'W') l.writer = t.pid; else addReader(l, t.pid);
    x.emit('acq', { lock, mode });
    x.goto(next);
    // The first reader of a stolen lock wakes the queued readers when one heads the queue.
    if (mode === 'R' && soleReader(l, t.pid) && headReader(l) === true) wakeReaders(x, lock);
    return;
  }
  x.goto(next);
  if (mode === 'W' && x.sc.spin === true && ownerSpinnable(s, lock) && x.ch.choose(2, 'writer-spin') === 1) {
    // Spinning: running, not queued; its next steps try the lock (acquired).
    t.waitLock = lock;
    t.waitMode = 'W';
    return;
  }
  enqueue(x, lock, mode);
}

/**
 * The slow path's queueing: the task joins the wait queue and sleeps (a writer may set the hand-off
 * bit); queued on a free lock (the hand-off bit kept it out), rwsem_cond_wake_waiter wakes the head.
 */
function enqueue(x: TaskStep, lock: string, mode: Mode): void {
  const l = x.s.locks[lock]!;
  l.queue.push({ pid: x.t.pid, mode });
  if (mode === 'W' && x.sc.handoff && !l.handoff && x.ch.choose(2, 'writer-handoff') === 1) l.handoff = true;
  sleep(x, lock, mode);
  if (l.writer === null && noReaders(l)) wake(x, lock);
}

/** rwsem_can_spin_on_owner: a writer may spin unless the lock's owner is a writer that is not running. */
function ownerSpinnable(s: ModelState, lock: string): boolean {
  const w = s.locks[lock]!.writer;
  return w === null || s.tasks.find((t) => t.pid === w)?.status === 'run';
}

/** Whether task `t` spins on `lock`: running, waiting for it, neither queued nor granted it. */
function spinning(s: ModelState, t: ModelState['tasks'][number], lock: string): boolean {
  return t.status === 'run' && !t.granted && t.waitLock === lock && t.waitMode === 'W' && !s.locks[lock]!.queue.some((q) => q.pid === t.pid);
}

function sleep(x: TaskStep, lock: string, mode: Mode): void {
  x.t.status = 'lock';
  x.t.waitLock = lock;
  x.t.waitMode = mode;
}

/**
 * The step of a task the rwsem let run again: a granted reader emits its `acq`; a woken writer
 * tries the lock (rwsem_try_write_lock) and takes it when it is free, or sleeps again (and may now
 * set the hand-off bit, having waited).
 */
export function acquired(x: TaskStep): void {
  const { t, s } = x;
  const lock = t.waitLock!;
  const mode = t.waitMode!;
  if (!t.granted && spinning(s, t, lock)) {
    const l = s.locks[lock]!;
    // rwsem_try_write_lock_unqueued: a free lock without the hand-off bit is the spinner's, queue or not.
    if (l.writer === null && !l.handoff && noReaders(l)) {
      l.writer = t.pid;
    } else {
      // Still taken: spin on (a writer owner must be running), or give up and queue.
      if (!ownerSpinnable(s, lock) || x.ch.choose(2, 'writer-spin') === 0) enqueue(x, lock, mode);
      return;
    }
  } else if (!t.granted) {
    const l = s.locks[lock]!;
    if (l.writer !== null || !noReaders(l)) {
      if (x.sc.handoff && !l.handoff && x.ch.choose(2, 'writer-handoff') === 1) l.handoff = true;
      sleep(x, lock, mode);
      return;
    }
    l.writer = t.pid;
    l.handoff = false;
    l.queue = l.queue.filter((q) => q.pid !== t.pid);
  }
  t.granted = false;
  x.emit('acq', { lock, mode });
  t.waitLock = null;
  t.waitMode = null;
}

/** Whether task `i` runs its rwsem step next (a granted reader's `acq`, a woken writer's try). */
export function rwsemStepNext(s: ModelState, i: number): boolean {
  const t = s.tasks[i]!;
  return t.granted || (t.status === 'run' && t.waitLock !== null);
}

/** up_read/up_write, then the wake-up of the queue's head. */
export function release(x: TaskStep, lock: string, mode: Mode): void {
  const { s, t } = x;
  x.emit('rel', { lock, mode });
  const l = s.locks[lock]!;
  if (mode === 'W' && l.writer === t.pid) l.writer = null;
  else {
    const k = l.readers.indexOf(t.pid);
    // An up_read by a non-holder still drops a reader count, as the rwsem does (which reader's is
    // a fiction of the model, which names its readers: the last in pid order).
    if (k >= 0) l.readers.splice(k, 1);
    else if (mode === 'R' && l.readers.length) {
      const last = l.readers[l.readers.length - 1]!;
      if (l.maybeReaders?.includes(last) === true) throw new UndecidedWaiter(last);
      l.readers.pop();
    } else if (mode === 'W') l.writer = null;
  }
  if (l.writer !== null || !noReaders(l)) return;
  // A spinning writer may take the lock before the waker grants it to queued readers, which stay queued.
  const spinners = x.sc.spin === true && !l.handoff && headOf(l)?.mode === 'R' ? s.tasks.filter((w) => spinning(s, w, lock)) : [];
  const k = spinners.length > 0 ? x.ch.choose(spinners.length + 1, 'writer-spin-steal') : 0;
  if (k > 0) {
    l.writer = spinners[k - 1]!.pid;
    x.other(s.tasks.indexOf(spinners[k - 1]!)).granted = true;
    return;
  }
  wake(x, lock);
}

/**
 * rwsem_mark_wake(RWSEM_WAKE_ANY) on a free lock: a writer at the head is woken (it takes the lock
 * in its own step); a reader at the head opens a reader phase in which every queued reader is
 * granted at once, "irrespective of their order in the queue", while the writers keep their places
 * (phase-fair: a reader queued behind a writer does not wait for it when a reader heads the queue).
 */
function wake(x: TaskStep, lock: string): void {
  const l = x.s.locks[lock]!;
  const reader = headReader(l);
  if (reader === undefined) return;
  if (!reader) {
    x.other(taskIndex(x.s, l.queue[0]!.pid)).status = 'run';
    return;
  }
  wakeReaders(x, lock);
}

function wakeReaders(x: TaskStep, lock: string): void {
  const l = x.s.locks[lock]!;
  const readers = l.queue.filter((q) => q.mode === 'R');
  l.queue = l.queue.filter((q) => q.mode === 'W');
  for (const r of readers) {
    addReader(l, r.pid);
    // A reader `kinv conform` has not decided holds the lock undecided (granted, or its request still undecided).
    if (r.maybe === true) l.maybeReaders = [...l.maybeReaders ?? [], r.pid];
    grant(x, r.pid);
  }
}

/** The task sleeping on a lock now holds it: it runs again and emits its `acq`. */
function grant(x: TaskStep, pid: number): void {
  const t = x.other(taskIndex(x.s, pid));
  t.status = 'run';
  t.granted = true;
}

function taskIndex(s: ModelState, pid: number): number {
  const j = s.tasks.findIndex((t) => t.pid === pid);
  if (j < 0) throw new Error(`internal: no task ${pid}`);
  return j;
}

/**
 * A writer that spins on the lock (rwsem_optimistic_spin) may take it between an up_write or
 * up_read and the waker's grant to the queued readers: rwsem_mark_wake then sees the writer bit
 * and backs off ("Writers might steal the lock before we grant it to the next reader"), and the
 * readers stay queued. The state before such a steal: the readers granted by the last wake-up and
 * not yet running are queued again at the head, in order, and the lock is free. Undefined when no
 * reader is waiting for its granted `acq` or other readers still hold the lock.
 * The simulator takes this step with `spin` (release, "writer-spin-steal"), from a spinner it
 * tracks; `kinv conform`, whose writers' spinning is an undecided request, admits it from here.
 * A reader `kinv conform` has not decided (RwsemState.maybeReaders: granted, or its request not
 * yet decided) is queued again undecided (`maybe`): of the states it stands for, the granted one
 * is queued again and the other stays as it was. The caller keeps only the states in which some
 * reader was granted, when every granted one is undecided.
 */
export function beforeWriterSteal(s: ModelState, lock: string): ModelState | undefined {
  const l = s.locks[lock]!;
  if (l.writer !== null) return undefined;
  // Most states have no granted reader: found without the lists made below.
  let any = false;
  for (const t of s.tasks) if (t.granted && t.waitLock === lock && t.waitMode === 'R') { any = true; break; }
  if (!any) return undefined;
  const granted = s.tasks.filter((t) => t.granted && t.waitLock === lock && t.waitMode === 'R');
  if (granted.length === 0 || l.writer !== null || l.readers.some((r) => !granted.some((t) => t.pid === r))) return undefined;
  // The tasks changed are new objects: copies of a state may share the others' (TaskStep.other).
  const d = cloneState(s);
  const dl = d.locks[lock]!;
  const m = l.maybeReaders;
  dl.readers = [];
  dl.maybeReaders = undefined;
  dl.queue = [...l.readers.map((pid) => (m?.includes(pid) === true ? { pid, mode: 'R' as const, maybe: true as const } : { pid, mode: 'R' as const })),
    ...dl.queue];
  for (let j = 0; j < d.tasks.length; j++) {
    const t = d.tasks[j]!;
    if (t.granted && t.waitLock === lock) d.tasks[j] = { ...t, granted: false, status: 'lock' };
  }
  return d;
}

/**
 * Reader `pid` now holds the lock. The kernel counts its readers and keeps no order among them, so
 * the model keeps them as a set, in pid order: states that differ only in the order readers were
 * granted are one state (a wake-up grants a batch, a stealing reader one at a time).
 */
function addReader(l: RwsemState, pid: number): void {
  let k = l.readers.length;
  while (k > 0 && l.readers[k - 1]! > pid) k--;
  l.readers.splice(k, 0, pid);
}
