/**
 * The directory rwsem (`i_rwsem`): down_read/down_write with the kernel's FIFO queue, reader
 * stealing past queued writers and the writer hand-off bit; up_read/up_write and the wake-up of
 * the waiters at the head of the queue.
 */
import type { ModelState, Mode, Pc } from './state.js';
import type { TaskStep } from './task-step.js';

/**
 * down_read/down_write: emits `acq_req`, then `acq` when granted now; otherwise queues the task,
 * which sleeps until `wake` grants it (its `acq` is emitted when it next runs). Either way the task
 * continues at `next`.
 */
export function acquire(x: TaskStep, lock: string, mode: Mode, next: Pc): void {
  const { s, t, ch } = x;
  x.emit('acq_req', { lock, mode, kind: 'blocking' });
  const l = s.locks[lock]!;
  let grant: boolean;
  if (mode === 'W') grant = l.writer === null && l.readers.length === 0 && l.queue.length === 0;
  else if (l.writer !== null) grant = false;
  else if (l.queue.length === 0) grant = true;
  // Readers may steal a reader-owned lock past queued writers unless a writer set the hand-off bit.
  else grant = !l.handoff && l.readers.length > 0 && ch.choose(2, 'reader-steal') === 1;
  if (grant) {
    if (mode === 'W') l.writer = t.pid; else l.readers.push(t.pid);
    x.emit('acq', { lock, mode });
    x.goto(next);
    return;
  }
  l.queue.push({ pid: t.pid, mode });
  if (mode === 'W' && x.sc.handoff && !l.handoff && ch.choose(2, 'writer-handoff') === 1) l.handoff = true;
  t.status = 'lock';
  t.waitLock = lock;
  t.waitMode = mode;
  x.goto(next);
}

/** The `acq` of a lock granted while the task slept, emitted when it runs again. */
export function acquired(x: TaskStep): void {
  const { t } = x;
  t.granted = false;
  x.emit('acq', { lock: t.waitLock!, mode: t.waitMode! });
  t.waitLock = null;
  t.waitMode = null;
}

/** up_read/up_write, then the wake-up of the queue's head. */
export function release(x: TaskStep, lock: string, mode: Mode): void {
  const { s, t } = x;
  x.emit('rel', { lock, mode });
  const l = s.locks[lock]!;
  if (mode === 'W' && l.writer === t.pid) l.writer = null;
  else {
    const k = l.readers.indexOf(t.pid);
    // An up_read by a non-holder still drops a reader count, as the rwsem does.
    if (k >= 0) l.readers.splice(k, 1); else if (mode === 'R' && l.readers.length) l.readers.pop(); else if (mode === 'W') l.writer = null;
  }
  wake(s, lock);
}

/**
 * Grants a released lock to the waiters its queue lets in, as 6.1's rwsem_mark_wake does: a writer
 * at the head gets the lock alone once it is free; a reader at the head opens a reader phase in
 * which every queued reader is granted at once, "irrespective of their order in the queue", while
 * the writers keep their places (phase-fair: a reader queued behind a writer does not wait for it
 * when a reader heads the queue).
 */
function wake(s: ModelState, lock: string): void {
  const l = s.locks[lock]!;
  const head = l.queue[0];
  if (head === undefined) return;
  if (head.mode === 'W') {
    if (l.writer !== null || l.readers.length) return;
    l.writer = head.pid;
    l.handoff = false;
    l.queue.shift();
    grant(s, head.pid);
    return;
  }
  if (l.writer !== null) return;
  const readers = l.queue.filter((q) => q.mode === 'R');
  l.queue = l.queue.filter((q) => q.mode === 'W');
  for (const r of readers) {
    l.readers.push(r.pid);
    grant(s, r.pid);
  }
}

/** The task sleeping on a lock now holds it: it runs again and emits its `acq`. */
function grant(s: ModelState, pid: number): void {
  const t = s.tasks.find((x) => x.pid === pid)!;
  t.status = 'run';
  t.granted = true;
}
