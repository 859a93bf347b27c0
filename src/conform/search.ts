/**
 * The search of `kinv conform` for one parent directory: the set of model states consistent with
 * the observations so far. A state is the simulator's own (src/sim/state.ts), stepped by the
 * simulator's routines and rwsem (src/sim/model.ts, src/sim/rwsem.ts); conformance adds only
 * - sessions: each task's syscall on the directory is a model task started lazily at its first
 *   observed event, as any operation the model has (stat, open(O_CREAT), creation through a plain
 *   d_alloc) or as a hold (the rwsem taken and released by an operation outside the lookup
 *   protocol: readdir, unlink, rename, a creation found in the dcache), the observations choosing;
 * - lazy stepping: a task's internal steps run when its next event is observed, until they emit an
 *   event the capture can show, which must be that event (the events of one model step may be
 *   observed apart, other tasks' events between them);
 * - the environment: the dcache outside the tracked lookups (names cached before the capture, or
 *   by operations out of scope, or evicted) and the directory's on-disk names are what the
 *   observations say: where a step reads the dcache both answers are tried, and the name
 *   `->lookup` matches is the one `d_add_ci` is observed with.
 */
import { UndecidedWaiter, acquire, acquired, beforeWriterSteal, noReaders, release, rwsemStepNext } from '../sim/rwsem.js';
import { step } from '../sim/model.js';
import type { Chooser } from '../sim/chooser.js';
import {
  LOOKUP_SHARED, recordWith, recordWithout, type DAddCiShape, type DirSpec, type LockOrder, type Mode, type ModelState, type Op, type OpKind, type RwsemState,
  type Scenario, type TaskSpec, type TaskState,
} from '../sim/state.js';
import { TaskStep, dcacheKey } from '../sim/task-step.js';
import type { TraceEvent } from '../trace/event.js';
import { isErrorPointer } from '../analysis/builtins.js';
import { inScope, obsKey, sameKey, type Obs } from './project.js';

/**
 * What a session of a task is: one of the model's operations, or a hold of the lock in a mode; or,
 * until the lock it begins with is taken, `lockR`/`lockW`: every operation that begins by taking
 * the parent lock does the same until then, so which one it is is chosen after the acquisition
 * (else every queued writer would multiply the candidates by the operations it may be).
 */
export type SessionKind = OpKind | 'holdR' | 'holdW' | 'lockR' | 'lockW';
const KINDS: SessionKind[] = ['stat', 'open_creat', 'mkdir', 'rename', 'holdR', 'holdW'];
/** What a session that took the lock in a mode may be, by lock order. */
const AFTER_LOCK: Record<LockOrder, Record<Mode, SessionKind[]>> = {
  current: { R: ['stat', 'holdR'], W: ['open_creat', 'mkdir', 'rename', 'holdW'] },
  new: { R: ['holdR'], W: ['mkdir', 'rename', 'holdW'] },
};

/** A placeholder name, bound by the first observed event that names it. */
const UNBOUND = '?';

/** One candidate: a model state with the scenario its tasks run, and what each task has emitted but not yet been observed doing. */
export interface Candidate {
  sc: Scenario;
  s: ModelState;
  kind: SessionKind[];
  /** Hold sessions: whether the lock is taken yet. */
  held: boolean[];
  pend: TraceEvent[][];
  /**
   * The task's `acq_req` was observed but its step not run (1; else 0): the probe fires at the
   * entry of down_read/down_write, and the rwsem decides later, after any number of other tasks'
   * events: down_read and down_write begin with might_sleep() (kernel/locking/rwsem.c:1519, 1572
   * in 6.1), a preemption point, before their trylock; an interrupt may delay it too; and a writer
   * may spin on the owner before it queues (rwsem_optimistic_spin). The step then runs at the
   * task's next observation, its `acq_req` already matched.
   */
  req: number[];
  /**
   * Waiters not yet decided: the candidate stands for two states per waiter, one where the task
   * queued when it requested the lock (its state in `s`, its queue entry marked `maybe`), and one
   * where its request is still undecided (`req` 1, with the task as it was before the request,
   * kept here, and no queue entry). Undefined when there is none. See undecided().
   */
  und?: readonly Undecided[] | undefined;
}

/** A waiter's state while its request is undecided (Candidate.und): what its task's parts of the candidate are then. */
export interface Undecided {
  pid: number;
  t: TaskState;
  kind: SessionKind;
  held: boolean;
  pend: TraceEvent[];
}

export interface SearchLimits {
  /** Candidate states kept per directory. */
  maxStates: number;
  /** Internal steps of one task between two observed events. */
  maxSilent: number;
  /**
   * Not a bound: every step is taken on a deep copy of its candidate, none in place (see stepAll,
   * clone), and candidates are compared by their JSON forms (dedupe). The results are the same
   * either way; tests compare the two.
   */
  generalOnly?: boolean;
  /**
   * Not a bound: every request is decided when observed, queued there or left undecided, as two
   * candidates (no Candidate.und). The verdicts are the same either way; a report of the
   * candidates before a non-conformance is made so (DirSearch.exact), and tests compare the two.
   */
  eager?: boolean;
  /**
   * Not a bound: a candidate another one covers (every state it stands for is one the other stands
   * for: the same with fewer waiters undecided, dropCovered) is kept. The states the candidates
   * stand for are the same either way; tests compare the two.
   */
  keepCovered?: boolean;
  /**
   * Not a bound: a reader that takes the lock at its request is decided there (took it then, or
   * its request still undecided: two candidates), not left undecided in one (DirSearch.undecided).
   * The states the candidates stand for are the same either way; tests compare the two.
   */
  grantsDecided?: boolean;
}

/**
 * The bound on candidates: a busy directory's requests multiply them, and past the bound the answer
 * is unknown. Decided at once, eleven tasks waiting behind a writer made over 7,000 at
 * 6.1-wild:161953; undecided (Candidate.und), the busiest directory of the wild captures kept at
 * most 2,455 (6.12-wild), and 6.1-wild-legacy's 3,793 where it passed 21,000; 6.1-netfs's 2,176,
 * where it passed 10,000 while readers granted in another order were other states. With a reader
 * that takes the lock at its request undecided too, and candidates another covers dropped
 * (dropCovered): at most 208 on 6.1-wild, 329 on 6.12-wild, 354 on 6.1-wild-legacy, 255 and 364 on
 * 6.1-netfs and 6.12-netfs.
 */
export const DEFAULT_LIMITS: SearchLimits = { maxStates: 10_000, maxSilent: 64 };

/** What the capture can show of the model's events, and what it tells of the directory's names. */
export interface Observability {
  /**
   * Whether the capture shows model events of this kind (`ev`, of function `fn`), in directory
   * `dir` where that matters, at trace event index `at` where that matters (a probe on for part of
   * the capture shows its kind only there).
   */
  shows(ev: string, fn: string | undefined, dir?: string, at?: number): boolean;
  /** The exact name a `d_add_ci` is called with inside the `->lookup` this observation opens or continues. */
  ciExact(o: Obs): string | undefined;
  /** Whether the directory's ->lookup is a case-insensitive XFS's. */
  caseInsensitive(dir: string): boolean;
  /** Whether the directory's ->lookup is ext4's, which hashes no negative dentry when the directory is casefolded. */
  mayCasefold(dir: string): boolean;
  /** Whether the directory's filesystem has ->d_revalidate (its ->lookup is vfat's). */
  revalidates(dir: string): boolean;
  /** Whether the capture shows an allocation failure (an E outcome, an error from d_add_ci): else the model's are not tried. */
  allocFailures: boolean;
  /** Whether the capture shows a ->lookup returning an error: else the model's failing ->lookup is not tried. */
  lookupFailures?: boolean;
  /**
   * Whether the capture tells a d_alloc_parallel that waited for another lookup and then found the
   * name hashed (W) from a plain hit (H): an ftrace capture reads the outcome from the returned
   * dentry's flags, which are the same, so it shows both as H.
   */
  showsWaitedOutcome: boolean;
}

/** Why an advance found no successor, or ran past a bound. */
export interface Advance {
  next: Candidate[];
  /** A bound was exceeded: the successors may be incomplete. */
  bound?: string | undefined;
}

export class DirSearch {
  cands: Candidate[];
  /** Every step taken on a copy (an observation taken again after a step in place branched, a report). */
  private copying = false;
  /** Whether the capture shows a wait for another lookup (d_wait_lookup not inlined). */
  private readonly waitsShown: boolean;
  /**
   * The last candidates that were one state (no undecided waiter), and what was taken since: a
   * report replays them eagerly (exact), so that it lists the candidates as the eager search has them.
   */
  private base: Candidate[];
  private log: (Obs | { gap: number[] | undefined })[] = [];
  /** Waiters decided so far (decide): a count, to tell whether an observation decided any. */
  private decisions = 0;
  /** The chooser of the steps stepAll takes on copies. */
  private readonly chooser = new PrefixChooser();

  constructor(readonly dir: string, readonly shape: DAddCiShape, readonly order: LockOrder, private readonly obs: Observability,
    private readonly limits: SearchLimits) {
    this.waitsShown = obs.shows('il_wait_begin', undefined);
    const sc: Scenario = {
      dirs: [{ id: dir, ci: obs.caseInsensitive(dir), entries: [], revalidates: obs.revalidates(dir) }], tasks: [], dAddCi: shape, order,
      faults: { allocFail: obs.allocFailures, exactHashed: false, lookupFail: obs.lookupFailures === true }, handoff: true,
    };
    const s: ModelState = {
      locks: { [dir]: { writer: null, readers: [], queue: [], handoff: false } }, hashed: record(), inLookup: record(), dentryKey: record(), tasks: [],
      nextId: 100, seq: 0,
    };
    this.cands = [{ sc: withTasks(sc, [], this.general), s, kind: [], held: [], pend: [], req: [] }];
    this.base = this.cands;
  }

  /** The candidates after observation `o` (those take returned). */
  accept(o: Obs, next: Candidate[]): void {
    this.cands = next;
    if (this.limits.eager === true) return;
    if (next.length === 1 && next[0]!.und === undefined) {
      this.base = next;
      this.log = [];
    } else {
      this.log.push(o);
    }
  }

  /**
   * This search as the eager one (SearchLimits.eager) would have it before observation `o`: its
   * candidates in its order, for a report of a non-conformance. Replayed from the last candidates
   * that were one state; when that replay runs past the bound on candidates (the eager search would
   * have stopped there, unknown), or does not end where this one does, every candidate decided instead.
   */
  exact(o: Obs): { search: DirSearch; takes?: Candidate[] } {
    if (this.limits.eager === true) return { search: this };
    const e = new DirSearch(this.dir, this.shape, this.order, this.obs, { ...this.limits, eager: true });
    e.cands = this.base;
    for (const st of this.log) {
      if ('gap' in st) { e.forget(st.gap); continue; }
      const r = e.take(st);
      if (r.next.length === 0 || r.next.length > this.limits.maxStates) return { search: this.decidedView() };
      e.cands = r.next;
    }
    const r = e.take(o);
    // Some eager candidate takes `o`: not a non-conformance (the candidates would be a wrong
    // account of the eager ones); the search goes on from the eager successors.
    return r.next.length === 0 ? { search: e } : { search: e, takes: r.next };
  }

  /** The states candidate `c` stands for: `c` with every undecided waiter decided, both ways (tests). */
  statesOf(c: Candidate): Candidate[] {
    const out: Candidate[] = [];
    const visit = (d: Candidate): void => {
      const u = d.und?.[0];
      if (u === undefined) out.push(d); else for (const e of this.decide(d, u.pid)) visit(e);
    };
    visit(c);
    return out;
  }

  /** A search whose candidates are these with every waiter decided (in order, both ways, up to the bound). */
  private decidedView(): DirSearch {
    const e = new DirSearch(this.dir, this.shape, this.order, this.obs, { ...this.limits, eager: true });
    const out: Candidate[] = [];
    const visit = (c: Candidate): void => {
      if (out.length > this.limits.maxStates) return;
      const u = c.und?.[0];
      if (u === undefined) { out.push(c); return; }
      for (const d of this.decide(c, u.pid)) visit(d);
    };
    for (const c of this.cands) visit(c);
    e.cands = dedupe(this.fastDedupe, out);
    return e;
  }

  /** Drops the sessions of `pids` (every task when undefined): a gap made them unknown; what they held is forgotten. */
  forget(pids: number[] | undefined): void {
    if (this.limits.eager !== true) this.log.push({ gap: pids });
    // A forgotten waiter is decided first: its two states differ in the queue the others see.
    const decided: Candidate[] = [];
    const visit = (c: Candidate): void => {
      const u = c.und?.find((x) => pids === undefined || pids.includes(x.pid));
      if (u === undefined) decided.push(c); else for (const d of this.decide(c, u.pid)) visit(d);
    };
    for (const c of this.cands) visit(c);
    this.cands = dedupe(this.fastDedupe, decided.map((c) => {
      let d = c;
      for (let i = d.s.tasks.length - 1; i >= 0; i--) {
        const pid = d.s.tasks[i]!.pid;
        if (pids !== undefined && !pids.includes(pid)) continue;
        d = removeTask(d, i, false, this.own(NONE), this.general);
        const l = d.s.locks[this.dir]!;
        l.readers = l.readers.filter((r) => r !== pid);
        if (l.writer === pid) l.writer = null;
        l.queue = l.queue.filter((q) => q.pid !== pid);
      }
      return d;
    }));
  }

  /** Whether some candidate has `pid` holding this directory's lock in `mode` (a reader granted undecided counts). */
  holds(pid: number, mode: string | undefined): boolean {
    for (const c of this.cands) {
      const l = c.s.locks[this.dir];
      if (l !== undefined && (mode === 'W' ? l.writer === pid : l.readers.includes(pid))) return true;
    }
    return false;
  }

  /** Whether some candidate has a session of `pid`. */
  has(pid: number): boolean {
    for (const c of this.cands) if (taskOf(c, pid) >= 0) return true;
    return false;
  }

  /** The successors of every candidate that take observation `o`. */
  /**
   * The candidates after `steps` taken in every order that keeps each task's own steps in order
   * (records whose order across tasks the log does not tell), as one set; undefined when the orders
   * are more than `maxOrders` positions or a bound is passed (no verdict can rest on them). A
   * syscall end of a task no candidate has a session of is nothing here, as in the forward search.
   */
  takeAnyOrder(steps: Obs[], maxOrders = 512): Candidate[] | undefined {
    const tasks = [...new Set(steps.map((s) => s.pid))];
    const queues = tasks.map((p) => steps.filter((s) => s.pid === p));
    if (queues.reduce((n, q) => n * (q.length + 1), 1) > maxOrders) return undefined;
    const start = this.cands;
    let frontier = new Map<string, { pos: number[]; cands: Candidate[] }>([['', { pos: tasks.map(() => 0), cands: start }]]);
    this.copying = true;
    try {
      for (let depth = 0; depth < steps.length; depth++) {
        const next = new Map<string, { pos: number[]; cands: Candidate[] }>();
        for (const { pos, cands } of frontier.values()) {
          for (let t = 0; t < tasks.length; t++) {
            const o = queues[t]![pos[t]!];
            if (o === undefined) continue;
            this.cands = cands;
            let out = cands;
            if (o.ev !== 'sync' || this.has(o.pid)) {
              const r = this.takeOnce(o);
              if (r.bound !== undefined) return undefined;
              out = r.next;
            }
            if (out.length === 0) continue;
            const np = pos.slice();
            np[t]!++;
            const k = np.join(',');
            const prev = next.get(k);
            const merged = prev === undefined ? out : dedupe(this.fastDedupe, [...prev.cands, ...out]);
            if (merged.length > this.limits.maxStates) return undefined;
            next.set(k, { pos: np, cands: merged });
          }
        }
        frontier = next;
      }
    } finally {
      this.cands = start;
      this.copying = false;
    }
    return frontier.get(queues.map((q) => q.length).join(','))?.cands ?? [];
  }

  take(o: Obs): Advance {
    // Steps are taken in place where they have one outcome on candidates made for the observation
    // (those kept from the last observation stay as they are, but where a step binds a name, see
    // walk: where no candidate takes the observation, the report describes them); a step that
    // turns out to branch there has lost the state it branches from, and the observation is taken
    // again, copying at every step.
    try {
      return this.takeOnce(o);
    } catch (e) {
      if (e !== BRANCHED) throw e;
    }
    this.copying = true;
    try {
      return this.takeOnce(o);
    } finally {
      this.copying = false;
    }
  }

  private takeOnce(o: Obs): Advance {
    const decisions = this.decisions;
    const out: Candidate[] = [];
    let bound: string | undefined;
    for (const c of this.cands) {
      const b = this.visit(c, o, out);
      bound ??= b;
    }
    if (o.ev === 'rel') this.writerSteals(out);
    const next = dedupe(this.fastDedupe, out);
    // Candidates one covers another of are made where waiters are decided (in one, not in another).
    return { next: this.limits.keepCovered === true || this.decisions === decisions ? next : dropCovered(next, this.dir), bound };
  }

  /** After a release, candidates `out` with the states before a writer's steal (in place). */
  private writerSteals(out: Candidate[]): void {
    // A release's wake-up of queued readers may be beaten by a spinning writer: the readers stay
    // queued, the undecided ones undecided (beforeWriterSteal); where every reader the wake-up
    // granted is undecided, the states in which none was granted have no such step (someQueued).
    // A reader undecided since it took the lock at its request holds it in some of the states its
    // candidate stands for and not in others, where the readers a wake-up granted may be all the
    // lock's: decided first (each undecided reader of a candidate is one kind or the other, and
    // beforeWriterSteal reads the granted ones only).
    if (out.some((c) => this.tookUndecided(c) !== undefined)) {
      const all = out.splice(0);
      const expand = (c: Candidate): void => {
        const pid = this.tookUndecided(c);
        if (pid === undefined) out.push(c); else for (const d of this.decide(c, pid)) expand(d);
      };
      for (const c of all) expand(c);
    }
    for (let k = out.length - 1; k >= 0; k--) {
      const c = out[k]!;
      const before = beforeWriterSteal(c.s, this.dir);
      if (before === undefined) continue;
      const d = { ...clone(c, this.own(NONE)), s: before };
      const m = c.s.locks[this.dir]!.maybeReaders;
      if (m === undefined || c.s.tasks.some((t) => t.granted && t.waitLock === this.dir && t.waitMode === 'R' && !m.includes(t.pid))) out.push(d);
      else for (const e of this.someQueued(d, m)) out.push(e);
    }
  }

  /**
   * Appends the successors of candidate `c` that take observation `o` to `out`; returns the bound
   * that cut them short, if any. A candidate with undecided waiters is decided where the
   * observation is one of them, or where a step reads whether one is queued (UndecidedWaiter): both
   * ways, in its place.
   */
  private visit(c: Candidate, o: Obs, out: Candidate[]): string | undefined {
    const u = c.und;
    if (u !== undefined && findUndecided(u, o.pid) !== undefined) return this.visitDecided(c, o.pid, o, out);
    const from = out.length;
    let bound: string | undefined;
    try {
      const retries = this.withRetries(c, o.pid);
      const n = retries === undefined ? 1 : retries.length;
      for (let k = 0; k < n; k++) {
        const d = retries === undefined ? c : retries[k]!;
        const r = o.ev === 'sync' ? this.finish(d, o.pid) : this.advance(d, o);
        for (const x of r.next) out.push(x);
        bound ??= r.bound;
      }
    } catch (e) {
      if (!(e instanceof UndecidedWaiter) || u === undefined) throw e;
      // (what this candidate's steps gave is dropped: it is decided first)
      out.length = from;
      return this.visitDecided(c, e.pid, o, out);
    }
    return bound;
  }

  /** visit for each of the two states candidate `c` stands for with waiter `pid` decided, in order. */
  private visitDecided(c: Candidate, pid: number, o: Obs, out: Candidate[]): string | undefined {
    let bound: string | undefined;
    for (const d of this.decide(c, pid)) {
      const b = this.visit(d, o, out);
      bound ??= b;
    }
    return bound;
  }

  /**
   * Candidate `c`, and for each woken writer (other than `pid`) that finds the lock taken, the
   * state after its retry: rwsem_try_write_lock fails, sets the hand-off bit (it has waited), and
   * the writer sleeps again. The retry shows no event, so lazy stepping would never run it. Undefined where there is none.
   */
  private withRetries(c: Candidate, pid: number): Candidate[] | undefined {
    /** `c` with the retries so far; undefined while there is none (`c` alone). */
    let out: Candidate[] | undefined;
    const l = c.s.locks[this.dir]!;
    if (l.handoff || (l.writer === null && noReaders(l))) return undefined;
    const tasks = c.s.tasks;
    for (let j = 0; j < tasks.length; j++) {
      const t = tasks[j]!;
      if (t.pid === pid || t.granted || t.status !== 'run' || t.waitLock === null) continue;
      const d = clone(c, this.own(NONE));
      d.s.locks[this.dir]!.handoff = true;
      // A new object: copies share the other tasks' (see clone).
      d.s.tasks[j] = { ...d.s.tasks[j]!, status: 'lock' };
      out ??= [c];
      out.push(d);
    }
    return out;
  }

  /**
   * Which task's variables and stack a copy made for a step of task `i` (NONE: for no step) copies:
   * the others are shared (see clone); every task's when only the general path is asked for.
   */
  private own(i: number): number {
    return this.limits.generalOnly === true ? ALL : i;
  }

  /** Whether dedupe compares candidates part by part (sameState), not by their JSON forms (only the general path asked for). */
  private get fastDedupe(): boolean {
    return this.limits.generalOnly !== true;
  }

  /** Whether events are compared with observations by their keys as written (only the general path asked for). */
  private get general(): boolean {
    return this.limits.generalOnly === true;
  }

  /** Whether a candidate the caller owns may be changed in place (not when only the general path is asked for). */
  private inPlace(owned: boolean): boolean {
    return owned && !this.copying && this.limits.generalOnly !== true;
  }

  /** A task's syscall ended: its session must end without another event the capture would show. */
  private finish(c: Candidate, pid: number): Advance {
    const i = taskOf(c, pid);
    if (i < 0) return { next: [c] };
    if (c.pend[i]!.length > 0) return { next: [] };
    let frontier = [c];
    const done: Candidate[] = [];
    for (let n = 0; n < this.limits.maxSilent && frontier.length > 0; n++) {
      const next: Candidate[] = [];
      for (const f of frontier) {
        const t = f.s.tasks[i]!;
        if (t.status === 'done') { done.push(removeTask(f, i, this.inPlace(n > 0), this.own(NONE), this.general)); continue; }
        if (t.status !== 'run') continue;
        for (const r of this.stepAll(f, i, undefined, n > 0)) if (r.events.length === 0) next.push(r.cand);
      }
      frontier = dedupe(this.fastDedupe, next);
      if (frontier.length > this.limits.maxStates) return { next: done, bound: this.tooMany(pid) };
    }
    return { next: done, bound: frontier.length > 0 ? `more than ${this.limits.maxSilent} internal steps of task ${pid}` : undefined };
  }

  /** Steps task `o.pid` until it emits an event the capture shows, which must be `o`; a task without a session starts one. */
  private advance(c: Candidate, o: Obs): Advance {
    const i = taskOf(c, o.pid);
    if (i >= 0 && c.pend[i]!.length > 0) {
      if (!matches(c, i, c.pend[i]![0]!, o, this.general)) return { next: [] };
      // Candidates are not changed once made: a new one shares the model state, with one event fewer to show.
      return { next: [{ ...c, pend: c.pend.map((p, k) => (k === i ? p.slice(1) : p)) }] };
    }
    const hits: Candidate[] = [];
    /** The states before a request whose undecided successor is among the hits: in one candidate with its queued one, or alone. */
    let merged: Candidate[] | undefined;
    let apart: Candidate[] | undefined;
    const bound = this.walk(i >= 0 ? [c] : this.sessions(c, o), i < 0, o.pid, o, (cand, j, shown, before) => {
      if (!matches(cand, j, shown[0]!, o, this.general)) return;
      cand.pend = withAt(cand.pend, j, shown.slice(1));
      if (o.ev !== 'acq_req' || before.req[j]) { hits.push(cand); return; }
      if (merged?.includes(before) === true) { hits.push(cand); return; }
      const both = apart?.includes(before) === true ? undefined : this.undecided(cand, before, j);
      if (both !== undefined) {
        (merged ??= []).push(before);
        hits.push(both);
        return;
      }
      hits.push(cand);
      if (apart?.includes(before) === true) return;
      (apart ??= []).push(before);
      const later = clone(before, this.own(NONE));
      later.req = withAt(later.req, j, 1);
      hits.push(later);
    });
    return { next: hits, bound };
  }

  /**
   * `cand`, in which task j queued at its request, or (a reader) took the lock there, and the state
   * `before` the request (the request undecided) as one candidate with an undecided waiter, when
   * they differ in nothing else: the task's parts, and its queue entry (appended), or its place
   * among the readers (the reader is then one of the lock's undecided readers, as one a wake-up
   * granted while undecided, and its `acq` is still to show). Else undefined. The two states the
   * candidate stands for are those the eager search keeps (SearchLimits.eager); decide() makes them.
   */
  private undecided(cand: Candidate, before: Candidate, j: number): Candidate | undefined {
    if (this.limits.eager === true || cand.sc !== before.sc || cand.und !== before.und) return undefined;
    const s = cand.s;
    const b = before.s;
    const t = s.tasks[j]!;
    if (t.granted || s.tasks.length !== b.tasks.length || s.nextId !== b.nextId) return undefined;
    if (!isEmpty(s.hashed) || !isEmpty(b.hashed)) return undefined;
    const l = s.locks[this.dir]!;
    const m = b.locks[this.dir]!;
    const n = m.queue.length;
    if (l.writer !== m.writer || l.handoff !== m.handoff || !sameList(l.maybeReaders ?? [], m.maybeReaders ?? [])) return undefined;
    const pend = cand.pend[j]!;
    let took: boolean;
    if (pend.length === 0 && t.status === 'lock' && t.waitLock === this.dir) {
      // Queued: its entry is the last.
      if (!sameList(l.readers, m.readers) || l.queue.length !== n + 1) return undefined;
      const last = l.queue[n]!;
      if (last.pid !== t.pid || last.maybe === true) return undefined;
      took = false;
    } else if (this.undecidedGrants && pend.length === 1 && pend[0]!.ev === 'acq' && pend[0]!.args.mode === 'R' && t.status === 'run' && t.waitLock === null
      && l.writer === null && l.queue.length === n && l.readers.length === m.readers.length + 1 && l.readers.includes(t.pid) && !m.readers.includes(t.pid)
      && (l.maybeReaders === undefined || !l.maybeReaders.includes(t.pid))) {
      // Took the lock shared: among the readers, the others as they were.
      for (const r of m.readers) if (!l.readers.includes(r)) return undefined;
      took = true;
    } else {
      return undefined;
    }
    for (let k = 0; k < n; k++) if (!sameEntry(l.queue[k]!, m.queue[k]!)) return undefined;
    if (!sameRecord(s.inLookup, b.inLookup, sameInLookup) || !sameRecord(s.dentryKey, b.dentryKey, (x, y) => x === y)) return undefined;
    for (let k = 0; k < s.tasks.length; k++) {
      if (k === j) continue;
      if (cand.kind[k] !== before.kind[k] || cand.held[k] !== before.held[k] || cand.req[k] !== before.req[k] || cand.pend[k] !== before.pend[k]
        || !sameTaskParts(s.tasks[k]!, b.tasks[k]!)) return undefined;
    }
    if (took) {
      l.maybeReaders = [...l.maybeReaders ?? [], t.pid];
    } else {
      const last = l.queue[n]!;
      l.queue[n] = { pid: last.pid, mode: last.mode, maybe: true };
    }
    cand.und = [...before.und ?? [], { pid: t.pid, t: b.tasks[j]!, kind: before.kind[j]!, held: before.held[j]!, pend: before.pend[j]! }];
    return cand;
  }

  /**
   * A reader of candidate `c` undecided since it took the lock at its request (not granted by a
   * wake-up), where that may change whether a writer's steal from the readers a wake-up granted is
   * possible (beforeWriterSteal: the lock free of writers, some reader granted and waiting to run).
   */
  private tookUndecided(c: Candidate): number | undefined {
    const l = c.s.locks[this.dir]!;
    const m = l.maybeReaders;
    if (m === undefined || l.writer !== null) return undefined;
    const tasks = c.s.tasks;
    if (!tasks.some((t) => t.granted && t.waitLock === this.dir && t.waitMode === 'R')) return undefined;
    for (const pid of m) {
      const t = tasks[taskOf(c, pid)];
      if (t !== undefined && !t.granted) return pid;
    }
    return undefined;
  }

  /** Whether a reader that takes the lock at its request is left undecided (SearchLimits.grantsDecided). */
  private get undecidedGrants(): boolean {
    return this.limits.grantsDecided !== true;
  }

  /**
   * The states candidate `c` stands for in which at least one of its undecided waiters `pids` is
   * queued: for each in turn, that one queued and those before it not yet decided.
   */
  private someQueued(c: Candidate, pids: readonly number[]): Candidate[] {
    const out: Candidate[] = [];
    let rest = c;
    for (const pid of pids) {
      const [queued, later] = this.decide(rest, pid);
      out.push(queued!);
      rest = later!;
    }
    return out;
  }

  /**
   * The two states candidate `c` stands for with waiter `pid` decided: queued where its entry is,
   * then its request still undecided (no entry; the task as before the request, `req` 1).
   */
  private decide(c: Candidate, pid: number): Candidate[] {
    this.decisions++;
    const und = c.und ?? [];
    const u = und.find((x) => x.pid === pid);
    if (u === undefined) throw new Error(`internal: task ${pid} is no undecided waiter`);
    const rest = und.length === 1 ? undefined : und.filter((x) => x !== u);
    // Queued there (or, granted by a wake-up since, holding the lock shared)...
    const queued = clone(c, this.own(NONE));
    queued.und = rest;
    const l = queued.s.locks[this.dir]!;
    const at = l.queue.findIndex((q) => q.pid === pid);
    if (at >= 0) {
      const e = l.queue[at]!;
      l.queue[at] = { pid: e.pid, mode: e.mode };
    } else {
      l.maybeReaders = without(l.maybeReaders, pid);
    }
    // ... or not yet decided: neither queued nor holding.
    const later = clone(c, this.own(NONE));
    later.und = rest;
    const m = later.s.locks[this.dir]!;
    if (at >= 0) {
      m.queue.splice(at, 1);
    } else {
      m.readers.splice(m.readers.indexOf(pid), 1);
      m.maybeReaders = without(m.maybeReaders, pid);
    }
    const j = taskOf(later, pid);
    later.s.tasks[j] = this.general ? { ...u.t, v: { ...u.t.v }, stack: u.t.stack.slice() } : u.t;
    later.kind = withAt(later.kind, j, u.kind);
    later.held = withAt(later.held, j, u.held);
    later.pend = withAt(later.pend, j, u.pend);
    later.req = withAt(later.req, j, 1);
    return [queued, later];
  }

  /** The bound on the model states a task's internal steps between two observations may reach. */
  private tooMany(pid: number): string {
    return `more than ${this.limits.maxStates} model states in the internal steps of task ${pid}`;
  }

  /**
   * Steps task `pid` of each candidate until a step emits events the capture shows, handing them to
   * `found`; a session that ends without one is followed by a new one (when `o` is given). Returns
   * the bound it ran into, if any: candidates still silent after `maxSilent` steps, or more than
   * `maxStates` of them at one step (where the capture shows no lock event, a hold is a session
   * that ends silently, and sessions follow each other). `startOwned`: the start candidates were
   * made for this walk (the candidates it makes are its own, and may be stepped in place).
   */
  private walk(start: Candidate[], startOwned: boolean, pid: number, o: Obs | undefined,
    found: (c: Candidate, i: number, shown: TraceEvent[], before: Candidate) => void): string | undefined {
    let frontier = start;
    for (let n = 0; n < this.limits.maxSilent && frontier.length > 0; n++) {
      const next: Candidate[] = [];
      for (const f of frontier) {
        const j = taskOf(f, pid);
        const t = f.s.tasks[j];
        if (t === undefined) continue;
        // A session that ended without another shown event: the observation starts the next one.
        if (t.status === 'done') {
          if (o !== undefined) next.push(...this.sessions(removeTask(f, j, this.inPlace(n > 0 || startOwned), this.own(NONE), this.general), o));
          continue;
        }
        if (t.status !== 'run') continue;
        if (o !== undefined) bindName(f, j, o, this.general);
        for (const r of this.stepAll(f, j, o, n > 0 || startOwned)) {
          if (r.events.length === 0) next.push(r.cand); else found(r.cand, j, r.events, f);
        }
      }
      frontier = dedupe(this.fastDedupe, next);
      if (frontier.length > this.limits.maxStates) return this.tooMany(pid);
    }
    return frontier.length > 0 ? `more than ${this.limits.maxSilent} internal steps of task ${pid}` : undefined;
  }

  /** What task `pid` could show next in any candidate (for a report): the keys of its next shown events. */
  nextShown(pid: number, o: Obs): string[] {
    this.copying = true;
    try {
      return this.nextShownCopying(pid, o);
    } finally {
      this.copying = false;
    }
  }

  private nextShownCopying(pid: number, o: Obs): string[] {
    const out = new Set<string>();
    for (const c of this.cands) {
      const i = taskOf(c, pid);
      if (i >= 0 && c.pend[i]!.length > 0) { out.add(obsKey(c.pend[i]![0]!.ev, c.pend[i]![0]!.fn, c.pend[i]![0]!.args)); continue; }
      if (i >= 0 && c.s.tasks[i]!.status !== 'run') { out.add(`nothing: task ${pid} sleeps (${c.s.tasks[i]!.status})`); continue; }
      const probe = { ...o, ev: 'none' };
      this.walk(i >= 0 ? [c] : this.sessions(c, o), i < 0, pid, probe, (_c, _j, shown) => { out.add(obsKey(shown[0]!.ev, shown[0]!.fn, shown[0]!.args)); });
      if (i >= 0) {
        const f = this.finish(c, pid);
        if (f.next.length > 0) out.add('the end of its syscall');
      }
    }
    return [...out].map((k) => k.replace(/ \?$/, ' (any name)'));
  }

  /** `c` with a new session of `o.pid` appended, one candidate per kind of session (of the observed lock mode, if any). */
  private sessions(c: Candidate, o: Obs): Candidate[] {
    const kinds: SessionKind[] = o.mode === 'R' ? ['lockR'] : o.mode === 'W' ? ['lockW'] : this.order === 'new' ? ['stat', 'open_creat'] : KINDS;
    return kinds.map((kind) => {
      const d = clone(c, this.own(NONE));
      const t: TaskState = { pid: o.pid, comm: String(o.comm ?? ''), op: 0, pc: 'task:start', v: {}, stack: [], status: 'run',
        waitLock: null, waitMode: null, waitDentry: null, granted: false };
      d.s.tasks.push(t);
      const op: Op = { kind: isOp(kind) ? kind : 'stat', dir: this.dir, name: UNBOUND };
      d.sc = withTasks(d.sc, [...d.sc.tasks, taskSpec({ pid: o.pid, comm: t.comm, ops: [op] }, this.general)], this.general);
      d.kind = [...d.kind, kind];
      d.held = [...d.held, false];
      d.pend = [...d.pend, []];
      d.req = [...d.req, 0];
      return d;
    });
  }

  /**
   * Every outcome of one step of task `i`: one per answer of the environment where the step reads
   * the dcache, times one per choice sequence of the model (allocation failure, hand-off). Each
   * with the events of the step that the capture shows.
   *
   * Each outcome is a copy of `c`, except that a candidate `owned` by the caller (made for this
   * search step, referenced nowhere else, its task `i`'s state its own), whose environment has one
   * answer, as it is, takes its step in place; a step that then draws a choice throws BRANCHED, and
   * take starts the observation again, copying at every step.
   */
  private stepAll(c: Candidate, i: number, o: Obs | undefined, owned: boolean): { cand: Candidate; events: TraceEvent[] }[] {
    const kind = c.kind[i]!;
    if ((kind === 'lockR' || kind === 'lockW') && c.held[i] && !rwsemStepNext(c.s, i) && c.s.tasks[i]!.status === 'run') {
      const out: { cand: Candidate; events: TraceEvent[] }[] = [];
      for (const r of this.resolve(c, i, kind === 'lockR' ? 'R' : 'W', this.inPlace(owned))) for (const x of this.stepAll(r, i, o, true)) out.push(x);
      return out;
    }
    const variants = this.environments(c, i, o);
    // (an observed request keeps the state before the step: the rwsem may decide later)
    if (variants === undefined && this.inPlace(owned) && o?.ev !== 'acq_req') {
      const raw: TraceEvent[] = [];
      this.stepTask(c, i, ONE_OUTCOME, raw);
      return [{ cand: c, events: this.shownOfStep(c, i, raw, o?.index) }];
    }
    const out: { cand: Candidate; events: TraceEvent[] }[] = [];
    const ch = this.chooser;
    const n = variants === undefined ? 1 : variants.length;
    for (let k = 0; k < n; k++) {
      const variant = variants?.[k];
      // Every choice sequence of the step, depth first: the prefixes still to take, the last first.
      const todo: number[][] = [];
      let prefix: readonly number[] = NO_CHOICES;
      for (;;) {
        const d = variant === undefined ? clone(c, this.own(i)) : variant();
        ch.start(prefix);
        const raw: TraceEvent[] = [];
        this.stepTask(d, i, ch, raw);
        for (let q = prefix.length; q < ch.log.length; q++) {
          for (let p = 1; p < ch.log[q]!; p++) todo.push([...ch.picks.slice(0, q), p]);
        }
        out.push({ cand: d, events: this.shownOfStep(d, i, raw, o?.index) });
        const next = todo.pop();
        if (next === undefined) break;
        prefix = next;
      }
    }
    return out;
  }

  /**
   * A session that has taken the lock in `mode`, as each operation that begins so: the model's
   * routine at the point after its lock (as task:start and the routine's lock step leave it), or a
   * hold. `inPlace`: `c` may be changed (see stepAll), and is the last of them.
   */
  private resolve(c: Candidate, i: number, mode: Mode, inPlace: boolean): Candidate[] {
    const kinds = AFTER_LOCK[this.order][mode];
    return kinds.map((kind, k) => {
      const d = inPlace && k === kinds.length - 1 ? c : clone(c, this.own(i));
      d.kind = withAt(d.kind, i, kind);
      if (!isOp(kind)) return d;
      const t = d.s.tasks[i]!;
      const op = setOp(d, i, kind === 'rename' ? { kind, name2: UNBOUND } : { kind }, this.general);
      t.v = { dir: this.dir, name: op.name, flags: kind === 'stat' ? LOOKUP_SHARED : 0, mode };
      t.stack = ['task:syscall-exit'];
      t.pc = kind === 'mkdir' || kind === 'rename' ? 'lookup_one_qstr_excl:alloc' : 'lookup_slow:dap';
      return d;
    });
  }

  /** A model event as the capture would show it: a waited-for hit is a hit where the capture cannot tell them apart. */
  /**
   * What the capture shows of task i's step (its events in scope, as the capture shows them; an
   * acquisition request the candidate already took for it dropped), with the task's state made
   * what the capture can tell.
   */
  private shownOfStep(d: Candidate, i: number, raw: TraceEvent[], at: number | undefined): TraceEvent[] {
    // Where the capture shows a waited-for hit as a hit, the two are one state: the model treats them alike after the return.
    const v = d.s.tasks[i]?.v;
    if (v !== undefined && v.dapOutcome === 'W' && !this.obs.showsWaitedOutcome) v.dapOutcome = 'H';
    const shown: TraceEvent[] = [];
    for (const e of raw) if (inScope(e) && this.obs.shows(e.ev, e.fn, this.dir, at)) shown.push(this.asShown(e));
    if (d.req[i] && shown[0]?.ev === 'acq_req') { shown.shift(); d.req = withAt(d.req, i, 0); }
    return shown;
  }

  private asShown(e: TraceEvent): TraceEvent {
    if (this.obs.showsWaitedOutcome || e.ev !== 'ret' || e.fn !== 'd_alloc_parallel' || e.args.outcome !== 'W') return e;
    return { ...e, args: { ...e.args, outcome: 'H' } };
  }

  /** One step of a task: a hold's lock or unlock, else the simulator's step. */
  private stepTask(c: Candidate, i: number, ch: Chooser, out: TraceEvent[]): void {
    const kind = c.kind[i]!;
    const sc = c.sc;
    if (isOp(kind)) {
      step(sc, c.s, i, ch, out);
      // What the step hashed is forgotten: the environment answers for the dcache at each step.
      if (!isEmpty(c.s.hashed)) c.s.hashed = record();
      return;
    }
    const x = new TaskStep(sc, c.s, i, ch, out);
    const mode: Mode = kind === 'holdR' || kind === 'lockR' ? 'R' : 'W';
    if (rwsemStepNext(c.s, i)) acquired(x);
    else if (!c.held[i]) { c.held = withAt(c.held, i, true); acquire(x, this.dir, mode, 'task:start'); }
    else { release(x, this.dir, mode); x.t.status = 'done'; }
  }

  /**
   * The states of the environment a step of task `i` may see: where it reads the dcache, both
   * answers, each a copy of `c` for the step. Undefined where there is one answer, `c` as it is.
   */
  private environments(c: Candidate, i: number, o: Obs | undefined): (() => Candidate)[] | undefined {
    const t = c.s.tasks[i]!;
    if (!isOp(c.kind[i]!)) return undefined;
    // ->lookup matches the name d_add_ci is observed with (a case-insensitive hit); the user's
    // spelling itself when the in-lookup state ends inside ->lookup (d_splice_alias of its inode); else none.
    const exact = o === undefined ? undefined : this.obs.ciExact(o);
    setEntries(c.sc.dirs[0]!, exact !== undefined ? exact : o?.ev === 'il_end' ? t.v.name : undefined);
    if (t.granted || t.waitLock !== null) return undefined;
    if (t.pc !== 'fs_lookup:lookup' && t.pc !== 'd_add_ci:hashlookup' && t.pc !== 'd_alloc_parallel:try') return undefined;
    return this.dcacheAnswers(c, i, o);
  }

  /** environments where the step reads the dcache (a copy of `c` for each answer; the closures' context made only here). */
  private dcacheAnswers(c: Candidate, i: number, o: Obs | undefined): (() => Candidate)[] | undefined {
    const t = c.s.tasks[i]!;
    const asIs = (): Candidate => clone(c, this.own(i));
    // ext4 on a casefolded directory keeps no negative dentry; the capture does not say which directories are.
    if (t.pc === 'fs_lookup:lookup' && this.obs.mayCasefold(this.dir)) {
      const dir = c.sc.dirs[0]!;
      return [() => { dir.noNegative = false; return asIs(); }, () => { dir.noNegative = true; return asIs(); }];
    }
    if (t.pc === 'd_add_ci:hashlookup') return [asIs, () => withHashed(c, dcacheKey(this.dir, t.v.exact), this.own(i))];
    if (t.pc === 'd_alloc_parallel:try') {
      const hashed = (): Candidate => withHashed(c, dcacheKey(this.dir, t.v.dapName), this.own(i));
      // A lookup the model does not see ended while the task waited: hashed after waiting (W).
      const waited = (): Candidate => {
        const d = withHashed(c, dcacheKey(this.dir, t.v.dapName), this.own(i));
        d.s.tasks[i]!.v.dapWaited = true;
        return d;
      };
      // The step's shown event is d_alloc_parallel's return when the capture shows it: only the answers that give its outcome.
      if (o?.ev === 'ret' && o.fn === 'd_alloc_parallel' && this.obs.shows(o.traceEv, o.fn)) {
        // A wait the capture does not show (d_wait_lookup inlined) before a hit it cannot tell from a plain one.
        if (o.outcome === 'H') return this.obs.showsWaitedOutcome || this.waitsShown ? [hashed] : [hashed, waited];
        return o.outcome === 'W' ? [asIs, waited] : undefined;
      }
      return [asIs, hashed, waited];
    }
    return undefined;
  }
}

/** The directory's on-disk names for a step: `name` alone, or none (the array replaced only when that changes). */
function setEntries(dir: DirSpec, name: string | undefined): void {
  const was = dir.entries;
  if (name === undefined ? was.length !== 0 : was.length !== 1 || was[0] !== name) dir.entries = name === undefined ? [] : [name];
}

/**
 * Whether model event `e` of task `i` is observation `o`; binds the session's name when `e` carries
 * the placeholder. `general`: by their keys as written (obsKey), else part by part (sameKey).
 */
function matches(c: Candidate, i: number, e: TraceEvent, o: Obs, general: boolean): boolean {
  // A failing ->lookup is a return of an error, and a return of one is a failing ->lookup: the model's
  // failure (lookup-fail) may not stand for a lookup that returned without ending its in-lookup state.
  if (o.failed !== undefined && e.ev === 'ret' && e.fn === o.fn && isErrorPointer(e.ret ?? e.args.ret) !== o.failed) return false;
  const name = e.args.name;
  const bound = name === UNBOUND ? o.name : undefined;
  const binds = bound !== undefined;
  if (general) {
    const args = binds ? { ...e.args, name: bound } : e.args;
    if (obsKey(e.ev, e.fn, args) !== obsKeyOf(o)) return false;
  } else if (!sameKey(e.ev, e.fn, e.args, binds ? bound : name, o)) {
    return false;
  }
  if (binds) bindName(c, i, o, general);
  return true;
}

/** The last observation keyed: every candidate of a step compares its events with the same one. */
let keyed: { o: Obs; key: string } | undefined;

function obsKeyOf(o: Obs): string {
  if (keyed?.o !== o) keyed = { o, key: keyOfObsArgs(o) };
  return keyed.key;
}

function keyOfObsArgs(o: Obs): string {
  const args: Record<string, string> = {};
  if (o.mode !== undefined) args.mode = o.mode;
  if (o.name !== undefined) args.name = o.name;
  if (o.outcome !== undefined) args.outcome = o.outcome;
  return obsKey(o.ev, o.fn, args);
}

/**
 * The first observed name of a session is its name: the user's spelling the syscall looks up (a
 * rename's second lookup binds the new name the same way).
 */
function bindName(c: Candidate, i: number, o: Obs, frozen: boolean): void {
  if (o.ev !== 'call' || o.name === undefined || (o.fn !== 'd_alloc_parallel' && o.fn !== 'lookup')) return;
  const op = c.sc.tasks[i]!.ops[0]!;
  const t = c.s.tasks[i]!;
  const v = t.v;
  if (op.name === UNBOUND) setOp(c, i, { name: o.name }, frozen);
  else if (op.name2 === UNBOUND && v.renameNew) setOp(c, i, { name2: o.name }, frozen);
  else if (v.name !== UNBOUND) return;
  if (v.name !== UNBOUND && v.dapName !== UNBOUND) return;
  // Replaced, not changed: other candidates may share this task's state and variables (see clone).
  const bound = { ...v };
  if (bound.name === UNBOUND) bound.name = o.name;
  if (bound.dapName === UNBOUND) bound.dapName = o.name;
  c.s.tasks[i] = { ...t, v: bound };
}

/** The index of task `pid` in the candidate's state, or -1. */
function taskOf(c: Candidate, pid: number): number {
  const tasks = c.s.tasks;
  for (let j = 0; j < tasks.length; j++) if (tasks[j]!.pid === pid) return j;
  return -1;
}

function isOp(k: SessionKind): k is OpKind {
  return k === 'stat' || k === 'open_creat' || k === 'mkdir' || k === 'rename';
}

/**
 * Copies of a candidate share its scenario (the model only reads it), so the search replaces what it
 * changes: `c`'s scenario with task `i`'s operation changed. `frozen` (the general path, which the
 * tests run beside the fast one): a scenario's tasks and operations are frozen, so that a change
 * made in place, which would change every copy, fails at once there.
 */
function setOp(c: Candidate, i: number, change: Partial<Op>, frozen: boolean): Op {
  const tasks = c.sc.tasks.slice();
  const t = tasks[i]!;
  tasks[i] = taskSpec({ ...t, ops: [{ ...t.ops[0]!, ...change }, ...t.ops.slice(1)] }, frozen);
  c.sc = withTasks(c.sc, tasks, frozen);
  return tasks[i].ops[0]!;
}

/** A task of a shared scenario, made for it (a new object, with a new list of operations); `frozen`: frozen, with its operations. */
function taskSpec(t: TaskSpec, frozen: boolean): TaskSpec {
  return frozen ? Object.freeze({ ...t, ops: Object.freeze(t.ops.map((op) => Object.freeze(op))) as Op[] }) : t;
}

/** `sc` with `tasks` (each made by taskSpec); `frozen`: frozen but for its directories (the environment the search sets). */
function withTasks(sc: Scenario, tasks: TaskSpec[], frozen: boolean): Scenario {
  if (frozen) return Object.freeze({ ...sc, tasks: Object.freeze(tasks) as TaskSpec[] });
  // Written out, every part named (a part added to Scenario fails to compile here): a spread with
  // one part replaced takes about fifteen times as long.
  const out = {
    dirs: sc.dirs, tasks, dAddCi: sc.dAddCi, order: sc.order, faults: sc.faults, handoff: sc.handoff, spin: sc.spin,
  } satisfies Record<keyof Scenario, unknown>;
  return out as Scenario;
}

function withHashed(c: Candidate, key: string, own: number): Candidate {
  const d = clone(c, own);
  d.s.hashed = recordWith(d.s.hashed, key, `D${d.s.nextId++}`);
  return d;
}

/** `c` without task `i`'s session; `inPlace`: `c` itself, when the caller owns it; `frozen`: see setOp. */
function removeTask(c: Candidate, i: number, inPlace: boolean, own: number, frozen: boolean): Candidate {
  const d = inPlace ? c : clone(c, own);
  const pid = d.s.tasks[i]!.pid;
  // Replaced, not changed: copies share the dcache records (see clone).
  const inLookup = d.s.inLookup;
  for (const k in inLookup) {
    const il = inLookup[k]!;
    if (il.owner !== pid) continue;
    d.s.inLookup = recordWithout(d.s.inLookup, k);
    d.s.dentryKey = recordWithout(d.s.dentryKey, il.dentry);
  }
  d.s.tasks.splice(i, 1);
  d.sc = withTasks(d.sc, d.sc.tasks.filter((_, k) => k !== i), frozen);
  d.kind = removedAt(d.kind, i);
  d.held = removedAt(d.held, i);
  d.pend = removedAt(d.pend, i);
  d.req = removedAt(d.req, i);
  return d;
}

/** A step taken in place drew a choice: the state it branches from is gone. */
const BRANCHED = new Error('a step taken in place has more than one outcome');

/** The chooser of a step taken in place: one outcome, else BRANCHED. */
const ONE_OUTCOME: Chooser = {
  choose(n) {
    if (n <= 1) return 0;
    throw BRANCHED;
  },
};

/** No choice taken yet: the prefix of a step's first choice sequence. */
const NO_CHOICES: readonly number[] = [];

/**
 * A chooser that follows a prefix, then picks 0, and records every decision's number of options
 * and its pick; one per search, started again for each step it chooses for (stepAll).
 */
class PrefixChooser implements Chooser {
  readonly log: number[] = [];
  readonly picks: number[] = [];
  private prefix: readonly number[] = NO_CHOICES;

  start(prefix: readonly number[]): void {
    this.prefix = prefix;
    this.log.length = 0;
    this.picks.length = 0;
  }

  choose(n: number): number {
    if (n <= 1) return 0;
    const p = this.log.length < this.prefix.length ? this.prefix[this.log.length]! : 0;
    this.log.push(n);
    this.picks.push(p);
    return p;
  }
}

/** clone: copy every task's variables and stack; copy no task's. */
const ALL = -2;
const NONE = -1;

/**
 * A copy of a candidate's state (plain data) for a step of task `own`: every part is copied but
 * the other tasks' states, which are shared (ALL: a deep copy). The search copies a candidate for
 * every step it tries, and a step changes only its own task's state: the model's routines change
 * another task's status and grant only, and then in a new object (TaskStep.other), and the search
 * replaces a task's state where it changes another's (withRetries) or binds a name (bindName), so
 * a shared one is never changed. The copy is written out (no Object.entries, no array
 * callbacks). Shared too, but in a deep copy, is what is replaced where it changes, never changed
 * in place: the scenario (the model only reads it; the search replaces what it changes, setOp),
 * the lists of the tasks' parts (`kind`, `held`, `pend`, `req`: replaced by withAt, and each task's
 * list of pending events is replaced too), the entries of a lock's queue, and the dcache records
 * (`hashed`, `inLookup`, `dentryKey`: the model replaces them where it changes them, recordWith,
 * as the simulator's cloneState shares them, and so does the search, withHashed and removeTask).
 */
export function clone(c: Candidate, own: number): Candidate {
  const s = c.s;
  if (freezingShared && own !== ALL) freezeShared(c);
  const locks: ModelState['locks'] = {};
  for (const k in s.locks) {
    const l = s.locks[k]!;
    const queue: RwsemState['queue'] = new Array<RwsemState['queue'][number]>(l.queue.length);
    for (let q = 0; q < queue.length; q++) queue[q] = own === ALL ? { ...l.queue[q]! } : l.queue[q]!;
    locks[k] = { writer: l.writer, readers: l.readers.slice(), queue, handoff: l.handoff, maybeReaders: l.maybeReaders };
  }
  let inLookup = s.inLookup;
  if (own === ALL) {
    inLookup = record();
    for (const k in s.inLookup) inLookup[k] = { ...s.inLookup[k]! };
  }
  const tasks: TaskState[] = new Array<TaskState>(s.tasks.length);
  for (let j = 0; j < tasks.length; j++) {
    const t = s.tasks[j]!;
    tasks[j] = own === j || own === ALL ? ownCopy(t) : t;
  }
  return {
    sc: c.sc,
    s: {
      locks, hashed: own === ALL ? copyRecord(s.hashed) : s.hashed, inLookup, dentryKey: own === ALL ? copyRecord(s.dentryKey) : s.dentryKey, nextId: s.nextId,
      seq: s.seq, tasks,
    },
    kind: own === ALL ? c.kind.slice() : c.kind,
    held: own === ALL ? c.held.slice() : c.held,
    pend: own === ALL ? c.pend.slice() : c.pend,
    req: own === ALL ? c.req.slice() : c.req,
    und: c.und,
  };
}

let freezingShared = false;

/**
 * Tests: every part a copy shares with the candidate it is made from and that is replaced where it
 * changes (clone: the dcache records, the lists of the tasks' parts) is frozen when a copy is made,
 * so that a change made in place to what copies share fails where it is made.
 */
export function checkSharedParts(on: boolean): void {
  freezingShared = on;
}

function freezeShared(c: Candidate): void {
  Object.freeze(c.s.hashed);
  Object.freeze(c.s.inLookup);
  Object.freeze(c.s.dentryKey);
  Object.freeze(c.kind);
  Object.freeze(c.held);
  Object.freeze(c.pend);
  Object.freeze(c.req);
}

/**
 * A copy of a task's state with variables and a stack of its own, written out field by field in
 * TaskState's order: one hidden class for every copy, and no spread of an object whose fields are
 * then overwritten.
 */
function ownCopy(t: TaskState): TaskState {
  return {
    pid: t.pid, comm: t.comm, op: t.op, pc: t.pc, v: { ...t.v }, stack: t.stack.slice(), status: t.status, waitLock: t.waitLock, waitMode: t.waitMode,
    waitDentry: t.waitDentry, granted: t.granted,
  };
}

/** `list` with `x` at `i`, as a new array: copies of a candidate share its lists of the tasks' parts (see clone). */
function withAt<T>(list: readonly T[], i: number, x: T): T[] {
  const r = list.slice();
  r[i] = x;
  return r;
}

/** `list` without its element at `i`, as a new array (written out: toSpliced is slower). */
function removedAt<T>(list: readonly T[], i: number): T[] {
  const r = new Array<T>(list.length - 1);
  for (let k = 0, j = 0; k < list.length; k++) if (k !== i) r[j++] = list[k]!;
  return r;
}

/** `list` without `x`; undefined when that leaves it empty. */
function without(list: number[] | undefined, x: number): number[] | undefined {
  const r = (list ?? []).filter((y) => y !== x);
  return r.length === 0 ? undefined : r;
}

/**
 * An empty record of names (dcache keys, dentry ids), kept as a dictionary: each state holds names
 * no other state has held (the model numbers its dentries), and an ordinary object would get a new
 * hidden class for each, which makes every copy and lookup of them slow. Same keys, same order.
 */
function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function isEmpty(r: Record<string, unknown>): boolean {
  for (const _ in r) return false;
  return true;
}

function copyRecord<T>(from: Record<string, T>): Record<string, T> {
  const r = record<T>();
  for (const k in from) r[k] = from[k]!;
  return r;
}

/**
 * Candidates with equal states (ids and sequence numbers aside) are one: the first of each is kept,
 * in order. `fast`: only candidates with the same stateHash are compared, by sameState; else
 * (the general path) candidates that agree on a short key made of a few parts of the state
 * (shapeKey) are compared by their JSON forms (jsonStateKey), which agree with sameState.
 */
function dedupe(fast: boolean, cs: Candidate[]): Candidate[] {
  if (cs.length <= 1) return cs;
  // A few candidates are compared pair by pair: sameState compares the parts of the short key
  // first, and candidates it finds the same have the same short key, so the same are dropped.
  if (fast && cs.length <= FEW) {
    const out: Candidate[] = [];
    next: for (const c of cs) {
      for (const d of out) if (sameState(d, c)) continue next;
      out.push(c);
    }
    return out;
  }
  if (fast) {
    // Grouped by a number computed from the parts sameState compares: equal states have equal
    // numbers, and only candidates with the same number are compared.
    const byHash = new Map<number, Candidate | Candidate[]>();
    const out: Candidate[] = [];
    next: for (const c of cs) {
      const h = stateHash(c);
      const same = byHash.get(h);
      if (same === undefined) {
        byHash.set(h, c);
      } else if (Array.isArray(same)) {
        for (const d of same) if (sameState(d, c)) continue next;
        same.push(c);
      } else {
        if (sameState(same, c)) continue;
        byHash.set(h, [same, c]);
      }
      out.push(c);
    }
    return out;
  }
  const byShape = new Map<string, { c: Candidate; key?: string }[]>();
  const out: Candidate[] = [];
  next: for (const c of cs) {
    const shape = shapeKey(c);
    const same = byShape.get(shape);
    if (same === undefined) {
      byShape.set(shape, [{ c }]);
      out.push(c);
      continue;
    }
    const key = jsonStateKey(c);
    for (const d of same) if ((d.key ??= jsonStateKey(d.c)) === key) continue next;
    same.push({ c, key });
    out.push(c);
  }
  return out;
}

/**
 * The candidates less each that another covers (covers): the states they stand for are the same,
 * so every verdict and every later set of states is. A wake-up or a step that reads the queue
 * decides waiters in one candidate and leaves them undecided in another (a reader granted in one
 * and still undecided in the other), and in a busy directory such candidates are most: six
 * readers and three writers behind a writer made 1,672 candidates at 6.1-wild:161142, of which
 * 1,476 stood for states another stood for too. Only candidates with the same coverKey are
 * compared, the ones with more undecided waiters first; a candidate is compared with those kept.
 */
export function dropCovered(cs: Candidate[], dir: string): Candidate[] {
  if (cs.length <= 1) return cs;
  let any = false;
  for (const c of cs) if (c.und !== undefined) { any = true; break; }
  if (!any) return cs;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < cs.length; i++) {
    const k = coverKey(cs[i]!, dir);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [i]); else g.push(i);
  }
  const undecided = (i: number): number => cs[i]!.und?.length ?? 0;
  // The pids of each candidate's undecided waiters, as bits (pid mod 32): a covering one has them all.
  const bits = new Int32Array(cs.length);
  for (let i = 0; i < cs.length; i++) for (const u of cs[i]!.und ?? []) bits[i]! |= 1 << (u.pid & 31);
  let dropped: Uint8Array | undefined;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    g.sort((x, y) => undecided(y) - undecided(x) || x - y);
    if (undecided(g[0]!) === 0) continue;
    const kept: number[] = [];
    for (const i of g) {
      const n = undecided(i);
      let covered = false;
      for (const k of kept) {
        if (undecided(k) <= n) break;
        if ((bits[i]! & ~bits[k]!) === 0 && covers(cs[k]!, cs[i]!, dir)) { covered = true; break; }
      }
      if (covered) (dropped ??= new Uint8Array(cs.length))[i] = 1;
      else kept.push(i);
    }
  }
  return dropped === undefined ? cs : cs.filter((_, i) => dropped[i] !== 1);
}

/**
 * A number of the parts of a candidate that no decision of an undecided waiter changes: the lock's
 * writer and hand-off bit, the tasks' pids, the in-lookup names, and the parts of each task that
 * is no waiter (neither undecided, nor requesting, nor queued, nor holding the lock shared). A
 * candidate and one that covers it have the same number.
 */
function coverKey(c: Candidate, dir: string): number {
  const s = c.s;
  const l = s.locks[dir]!;
  const tasks = s.tasks;
  let h = mix(0x27d4eb2d, tasks.length);
  h = mix(h, l.writer === null ? -1 : l.writer);
  h = mix(h, l.handoff ? 1 : 0);
  for (let j = 0; j < tasks.length; j++) {
    const t = tasks[j]!;
    h = mix(h, t.pid);
    if (c.req[j] === 1 || l.readers.includes(t.pid) || inQueue(l, t.pid) || (c.und !== undefined && findUndecided(c.und, t.pid) !== undefined)) continue;
    h = mix(h, constHash(c.kind[j]!));
    h = mix(h, (c.held[j] ? 1 : 0) | (c.pend[j]!.length << 3));
    h = mix(h, taskHash(t));
  }
  for (const k in s.inLookup) {
    const e = s.inLookup[k]!;
    h = mix(h, strHash(k));
    h = mix(h, e.owner);
  }
  return h & 0x3fffffff;
}

function inQueue(l: RwsemState, pid: number): boolean {
  for (const q of l.queue) if (q.pid === pid) return true;
  return false;
}

function findUndecided(und: readonly Undecided[], pid: number): Undecided | undefined {
  for (const u of und) if (u.pid === pid) return u;
  return undefined;
}

/**
 * Whether every state candidate `a` stands for is one that `b` stands for (DirSearch.decide): `b`
 * has every undecided waiter of `a`, with the same state before its request, and more; each of
 * those more `a` has decided, queued (its entry in the queue, or among the readers a wake-up
 * granted, where `b` has it undecided) or its request still undecided (no entry, its task as `b`
 * keeps it before the request, requesting); and `b` with those decided so is `a` in every part
 * sameState compares (but the order of the undecided waiters, which decide does not read).
 */
export function covers(b: Candidate, a: Candidate, dir: string): boolean {
  const ub = b.und;
  const ua = a.und;
  if (ub === undefined || ub.length <= (ua?.length ?? 0)) return false;
  const s = a.s;
  const u = b.s;
  const n = s.tasks.length;
  if (u.tasks.length !== n || a.kind.length !== b.kind.length || a.pend.length !== b.pend.length) return false;
  const la = s.locks[dir];
  const lb = u.locks[dir];
  if (la === undefined || lb === undefined || la.writer !== lb.writer || la.handoff !== lb.handoff) return false;
  // (a search has its directory's lock only; any other is compared whole)
  if (!sameRecord(s.locks, u.locks, (x, y) => x === la || sameLock(x, y))) return false;
  if (ua !== undefined) {
    for (const x of ua) {
      const y = findUndecided(ub, x.pid);
      if (y === undefined || !sameUndecided(x, y)) return false;
    }
  }
  // The tasks: b's undecided waiters that `a` has decided are queued (or granted) where `a` keeps
  // an entry for them (in the queue, among the readers), else their requests are still undecided;
  // the others are the same.
  let decided: number[] | undefined;
  let later: number[] | undefined;
  for (let j = 0; j < n; j++) {
    const t = s.tasks[j]!;
    const w = u.tasks[j]!;
    if (t.pid !== w.pid) return false;
    const y = ua !== undefined && findUndecided(ua, t.pid) !== undefined ? undefined : findUndecided(ub, t.pid);
    if (y !== undefined && !inQueue(la, t.pid) && !la.readers.includes(t.pid)) {
      if (a.req[j] !== 1 || a.kind[j] !== y.kind || a.held[j] !== y.held || !samePend(a.pend[j]!, y.pend) || !sameTaskParts(t, y.t)) return false;
      (later ??= []).push(t.pid);
    } else if (a.kind[j] !== b.kind[j] || a.held[j] !== b.held[j] || a.req[j] !== b.req[j] || !samePend(a.pend[j]!, b.pend[j]!) || !sameTaskParts(t, w)) {
      return false;
    }
    if (y !== undefined) (decided ??= []).push(t.pid);
  }
  // Each of those b holds undecided: a queue entry marked so, or a reader a wake-up (or its request) granted undecided.
  const maybeReaders = lb.maybeReaders ?? [];
  let count = 0;
  for (const pid of decided ?? []) {
    const at = lb.queue.findIndex((q) => q.pid === pid);
    if (at >= 0 ? lb.queue[at]!.maybe !== true : !(maybeReaders.includes(pid) && lb.readers.includes(pid))) return false;
    count++;
  }
  // (every undecided waiter of b is a task of b)
  if (count + (ua?.length ?? 0) !== ub.length) return false;
  const isLater = (pid: number): boolean => later !== undefined && later.includes(pid);
  const isDecided = (pid: number): boolean => decided !== undefined && decided.includes(pid);
  // The lock: b's, with the waiters decided as `a` has them.
  let k = 0;
  for (const r of lb.readers) {
    if (isLater(r)) continue;
    if (la.readers[k++] !== r) return false;
  }
  if (k !== la.readers.length) return false;
  const ma = la.maybeReaders ?? [];
  k = 0;
  for (const r of maybeReaders) {
    if (isDecided(r)) continue;
    if (ma[k++] !== r) return false;
  }
  if (k !== ma.length) return false;
  k = 0;
  for (const q of lb.queue) {
    if (isLater(q.pid)) continue;
    const e = la.queue[k++];
    if (e === undefined || e.pid !== q.pid || e.mode !== q.mode || e.maybe !== (isDecided(q.pid) ? undefined : q.maybe)) return false;
  }
  if (k !== la.queue.length) return false;
  return sameRecord(s.inLookup, u.inLookup, sameInLookup);
}

/** Two undecided waiters' states before their requests, as sameState compares them. */
function sameUndecided(x: Undecided, y: Undecided): boolean {
  return x.pid === y.pid && x.kind === y.kind && x.held === y.held && samePend(x.pend, y.pend) && sameTaskParts(x.t, y.t);
}

/** Up to this many candidates, dedupe compares every pair rather than first grouping them by their short keys. */
const FEW = 8;

/**
 * A number made of the parts of a candidate that sameState compares (some only by their lengths):
 * candidates that sameState finds the same have the same number. Strings count by their characters
 * (strHash), so the number depends on nothing but the candidate.
 */
export function stateHash(c: Candidate): number {
  const s = c.s;
  const tasks = s.tasks;
  let h = mix(0x9e3779b9, tasks.length);
  for (let j = 0; j < tasks.length; j++) {
    h = mix(h, constHash(c.kind[j]!));
    h = mix(h, (c.held[j] ? 1 : 0) | (c.req[j]! << 1) | (c.pend[j]!.length << 3));
    h = mix(h, taskHash(tasks[j]!));
  }
  for (const k in s.locks) {
    const l = s.locks[k]!;
    h = mix(h, strHash(k));
    h = mix(h, l.writer === null ? -1 : l.writer);
    h = mix(h, l.handoff ? 1 : 0);
    h = mix(h, l.readers.length);
    for (let q = 0; q < l.readers.length; q++) h = mix(h, l.readers[q]!);
    if (l.maybeReaders !== undefined) h = mix(h, l.maybeReaders.length);
    h = mix(h, l.queue.length);
    for (let q = 0; q < l.queue.length; q++) h = mix(h, l.queue[q]!.pid * 4 + (l.queue[q]!.mode === 'W' ? 1 : 0) + (l.queue[q]!.maybe === true ? 2 : 0));
  }
  const und = c.und;
  if (und !== undefined) {
    for (const u of und) {
      h = mix(h, u.pid);
      h = mix(h, constHash(u.t.pc));
      h = mix(h, constHash(u.kind));
    }
  }
  for (const k in s.inLookup) {
    const e = s.inLookup[k]!;
    h = mix(h, strHash(k));
    h = mix(h, strHash(e.dentry));
    h = mix(h, e.owner);
  }
  // A small integer: a Map keyed by it hashes it without a heap number.
  return h & 0x3fffffff;
}

/**
 * The number of a task's parts that sameState compares. Computed where it is read, not kept on the
 * task state: keeping it there (a property no spread copies) cost more than computing it again,
 * and gave task states two hidden classes, which deoptimised the code that reads them.
 */
function taskHash(t: TaskState): number {
  return taskHashOf(t);
}

function taskHashOf(t: TaskState): number {
  // Equal parts give equal numbers; where a part's number is made of less than all of it (the
  // status and modes by their first letter, the stack by its length, the lock waited for by
  // whether there is one), states that differ only there are told apart by sameState. The program
  // point is most of what tells tasks apart; it alone is looked up whole.
  let h = mix(0x85ebca6b, t.pid);
  h = mix(h, constHash(t.pc));
  h = mix(h, t.status.charCodeAt(0));
  h = mix(h, (t.waitLock === null ? 0 : 1) | (firstCode(t.waitMode) << 1) | (t.granted ? 1 << 9 : 0) | (t.stack.length << 10));
  const v = t.v;
  h = mix(h, nullishHash(v.name));
  h = mix(h, firstCode(v.dapOutcome) | (firstCode(v.mode) << 8)
    | (v.dciInLookup === undefined ? 2 << 16 : v.dciInLookup ? 1 << 16 : 0));
  h = mix(h, nullishHash(v.exact));
  return h;
}

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) ^ (h >>> 15);
}

/** FNV-1a over a string's characters. */
function strHash(x: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < x.length; k++) h = Math.imul(h ^ x.charCodeAt(k), 0x01000193);
  return h;
}

/**
 * The hash of a string of a small set (program points, statuses, kinds, modes, the directory's
 * lock), kept once computed: a lookup of a string the program holds as a constant, not a walk of
 * its characters.
 */
function constHash(x: string): number {
  let h = CONST_HASH.get(x);
  if (h === undefined) {
    h = strHash(x);
    CONST_HASH.set(x, h);
  }
  return h;
}

const CONST_HASH = new Map<string, number>();

/** A string's first character's code, undefined and null alike (as sameState's nullish), 0. */
function firstCode(x: string | null | undefined): number {
  return x === undefined || x === null || x.length === 0 ? 0 : x.charCodeAt(0);
}

/** A string's hash, undefined and null alike (as sameState's nullish). */
function nullishHash(x: string | null | undefined): number {
  return x === undefined || x === null ? 0 : strHash(x);
}

/** Parts of jsonStateKey: candidates that differ here differ there. */
export function shapeKey(c: Candidate): string {
  let k = c.kind.join(',') + '|' + c.held.join(',') + '|' + c.req.join(',');
  for (const t of c.s.tasks) k += '|' + t.pc + ' ' + t.status;
  return k;
}

/** What of a candidate makes it the state it is, as JSON (dedupe). */
export function jsonStateKey(c: Candidate): string {
  const { s } = c;
  const task = (t: TaskState): unknown[] => [t.pid, t.pc, t.status, t.waitLock, t.waitMode, t.granted, t.stack, t.v.name, t.v.dapOutcome, t.v.exact,
    t.v.dciInLookup, t.v.mode];
  const pend = (p: TraceEvent[]): string[] => p.map((e) => obsKey(e.ev, e.fn, e.args));
  const key: unknown[] = [s.locks, s.inLookup, s.tasks.map(task), c.kind, c.held, c.req, c.pend.map(pend)];
  // Undecided waiters only where there are: the key of a candidate without is as it was.
  if (c.und !== undefined) key.push(c.und.map((u) => [u.pid, task(u.t), u.kind, u.held, pend(u.pend)]));
  return JSON.stringify(key);
}

/**
 * Whether two candidates have the same jsonStateKey, compared part by part without writing it:
 * records in their keys' order, as JSON writes them, and undefined as null where JSON has it in an
 * array (a task's fields).
 */
export function sameState(a: Candidate, b: Candidate): boolean {
  const s = a.s;
  const u = b.s;
  // The parts of the short key (shapeKey) first: most candidates that differ differ there.
  if (s.tasks.length !== u.tasks.length || !sameList(a.kind, b.kind) || !sameList(a.held, b.held) || !sameList(a.req, b.req)) return false;
  for (let j = 0; j < s.tasks.length; j++) if (s.tasks[j]!.pc !== u.tasks[j]!.pc || s.tasks[j]!.status !== u.tasks[j]!.status) return false;
  if (!sameRecord(s.locks, u.locks, sameLock) || !sameRecord(s.inLookup, u.inLookup, sameInLookup)) return false;
  for (let j = 0; j < s.tasks.length; j++) {
    const t = s.tasks[j]!;
    const w = u.tasks[j]!;
    if (t.pid !== w.pid || !nullish(t.waitLock, w.waitLock) || !nullish(t.waitMode, w.waitMode)
      || t.granted !== w.granted || !sameList(t.stack, w.stack)) return false;
    const v = t.v;
    const x = w.v;
    if (!nullish(v.name, x.name) || !nullish(v.dapOutcome, x.dapOutcome) || !nullish(v.exact, x.exact) || !nullish(v.dciInLookup, x.dciInLookup)
      || !nullish(v.mode, x.mode)) return false;
  }
  if (a.pend.length !== b.pend.length) return false;
  for (let j = 0; j < a.pend.length; j++) if (!samePend(a.pend[j]!, b.pend[j]!)) return false;
  const ua = a.und;
  const ub = b.und;
  if (ua === ub) return true;
  if (ua === undefined || ub === undefined || ua.length !== ub.length) return false;
  for (let k = 0; k < ua.length; k++) {
    const x = ua[k]!;
    const y = ub[k]!;
    if (x.pid !== y.pid || x.kind !== y.kind || x.held !== y.held || !samePend(x.pend, y.pend) || !sameTaskParts(x.t, y.t)) return false;
  }
  return true;
}

function samePend(p: TraceEvent[], q: TraceEvent[]): boolean {
  if (p === q) return true;
  if (p.length !== q.length) return false;
  for (let k = 0; k < p.length; k++) if (obsKey(p[k]!.ev, p[k]!.fn, p[k]!.args) !== obsKey(q[k]!.ev, q[k]!.fn, q[k]!.args)) return false;
  return true;
}

/** A task's parts that jsonStateKey writes. */
function sameTaskParts(t: TaskState, w: TaskState): boolean {
  if (t === w) return true;
  if (t.pid !== w.pid || t.pc !== w.pc || t.status !== w.status || !nullish(t.waitLock, w.waitLock) || !nullish(t.waitMode, w.waitMode)
    || t.granted !== w.granted || !sameList(t.stack, w.stack)) return false;
  const v = t.v;
  const x = w.v;
  return nullish(v.name, x.name) && nullish(v.dapOutcome, x.dapOutcome) && nullish(v.exact, x.exact) && nullish(v.dciInLookup, x.dciInLookup)
    && nullish(v.mode, x.mode);
}

/** Equal as elements of a JSON array: undefined is null there. */
function nullish<T>(x: T | null | undefined, y: T | null | undefined): boolean {
  return (x ?? null) === (y ?? null);
}

function sameList<T>(x: readonly T[], y: readonly T[]): boolean {
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}

function sameRecord<T>(x: Record<string, T>, y: Record<string, T>, same: (a: T, b: T) => boolean): boolean {
  // (copies share the dcache records: see clone)
  if (x === y) return true;
  // Most records here have one key or none (a search's locks, its names in lookup): compared without listing their keys.
  const kx = onlyKey(x);
  if (kx !== MANY) {
    const ky = onlyKey(y);
    return kx === ky && (kx === NO_KEY || same(x[kx]!, y[kx]!));
  }
  const keys = Object.keys(x);
  const ky = Object.keys(y);
  if (keys.length !== ky.length) return false;
  for (let k = 0; k < keys.length; k++) if (keys[k] !== ky[k] || !same(x[keys[k]!]!, y[ky[k]!]!)) return false;
  return true;
}

/** onlyKey: a record with no key; one with more than one. (No key of a record is a symbol.) */
const NO_KEY = Symbol('no key');
const MANY = Symbol('more than one key');

/** A record's one key; NO_KEY or MANY where it has none or more than one. */
function onlyKey(r: Record<string, unknown>): string | typeof NO_KEY | typeof MANY {
  let only: string | typeof NO_KEY = NO_KEY;
  for (const k in r) {
    if (only !== NO_KEY) return MANY;
    only = k;
  }
  return only;
}

function sameLock(l: RwsemState, m: RwsemState): boolean {
  if (l.writer !== m.writer || l.handoff !== m.handoff || !sameList(l.readers, m.readers) || l.queue.length !== m.queue.length) return false;
  if (l.maybeReaders !== m.maybeReaders && !sameList(l.maybeReaders ?? [], m.maybeReaders ?? [])) return false;
  for (let k = 0; k < l.queue.length; k++) if (!sameEntry(l.queue[k]!, m.queue[k]!)) return false;
  return true;
}

function sameEntry(q: RwsemState['queue'][number], r: RwsemState['queue'][number]): boolean {
  return q.pid === r.pid && q.mode === r.mode && q.maybe === r.maybe;
}

function sameInLookup(e: { dentry: string; owner: number }, f: { dentry: string; owner: number }): boolean {
  return e.dentry === f.dentry && e.owner === f.owner;
}

/** A short description of a candidate: the lock, and where each task is. */
export function describeCandidate(c: Candidate, dir: string): string {
  const l = c.s.locks[dir]!;
  const reader = (r: number): string => `${r}${l.maybeReaders?.includes(r) === true ? '?' : ''}`;
  const lock = `lock ${l.writer !== null ? `W by ${l.writer}` : l.readers.length ? `R by ${l.readers.map(reader).join(',')}` : 'free'}`
    + (l.queue.length ? `, queue ${l.queue.map((q) => `${q.pid}:${q.mode}${q.maybe === true ? '?' : ''}`).join(' ')}` : '')
    + (l.handoff ? ', hand-off set' : '');
  const tasks = c.s.tasks.map((t, i) => `${t.pid} ${c.kind[i]}${!isOp(c.kind[i]!) ? (c.held[i] ? ' (held)' : '') : ` at ${t.pc}`}`
    + (t.status !== 'run' ? ` [${t.status}]` : '') + (c.req[i] ? ' (requested)' : '')
    + (c.pend[i]!.length ? ` (next ${c.pend[i]!.map((e) => obsKey(e.ev, e.fn, e.args)).join(', ')})` : ''));
  const il = Object.entries(c.s.inLookup).map(([k, v]) => `${k.slice(k.lastIndexOf('/') + 1)} by ${v.owner}`);
  return `${lock}; ${tasks.length ? tasks.join('; ') : 'no task in a session'}${il.length ? `; in lookup: ${il.join(', ')}` : ''}`;
}
