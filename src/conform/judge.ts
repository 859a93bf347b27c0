/**
 * The judging of `kinv conform`: for each shape asked for, the searches of the capture's
 * directories (search.ts) over the steps of the first pass (capture.ts), step by step, to the first
 * observation no candidate state takes, or to the end; what the verdict says where the capture
 * cannot tell (a gap, records whose order the log does not show, a bound), and what a
 * non-conformance names.
 */
import type { DAddCiShape, LockOrder } from '../sim/state.js';
import { isGapStep, type Capture, type Step } from './capture.js';
import type { ShownSpan } from './probe-windows.js';
import { keyOfObs, type Obs } from './project.js';
import { DirSearch, describeCandidate, type Advance, type Observability, type SearchLimits } from './search.js';

/** Where the trace stopped conforming. */
export interface NonConformance {
  /** The event's index among the trace's events (0-based) and where it is. */
  index: number;
  file: string | undefined;
  line: number | undefined;
  seq: number;
  pid: number;
  /** The event as compared (`acq_req R`, `ret d_add_ci`, `call d_alloc_parallel Abc0`, `syscall exit`). */
  event: string;
  dir: string;
  /** What the task could have done there instead, in some candidate state. */
  expected: string[];
  /** The candidate states just before the event (at most 8). */
  candidates: string[];
  candidateCount: number;
}

export interface ShapeResult {
  shape: DAddCiShape;
  verdict: 'conforms' | 'does not conform' | 'unknown';
  failure?: NonConformance | undefined;
  /** Why the verdict is unknown (a gap, a bound). */
  unknown?: string | undefined;
  /** A non-conformance found after a gap (not a verdict: the gap may explain it). */
  afterGap?: NonConformance | undefined;
}

/** A shape's verdict, and the releases it took as the ends of acquisitions the capture does not show. */
export interface Judged { result: ShapeResult; phantoms: number }

/**
 * The searches for each shape over the projected trace, step by step together: a directory whose
 * search is the same for every shape (SharedSearch) is searched once. `onProgress`: the steps
 * taken of all, every PROGRESS_STEPS steps and at the last.
 */
export function judgeAll(cap: Capture, shapes: DAddCiShape[], order: LockOrder, limits: SearchLimits,
  onProgress?: (steps: number, of: number) => void): Judged[] {
  const shared = shapes.length > 1 ? new Map<string, SharedSearch>() : undefined;
  const judges = shapes.map((shape) => judge(cap, shape, order, limits, shared));
  const results: (Judged | undefined)[] = judges.map(() => undefined);
  let running = judges.length;
  let k = 0;
  for (; k < cap.steps.length && running > 0; k++) {
    const st = cap.steps[k]!;
    for (let j = 0; j < judges.length; j++) {
      if (results[j] !== undefined) continue;
      const r = judges[j]!.step(st, k);
      if (r !== undefined) { results[j] = r; running--; }
    }
    if (onProgress !== undefined && (k + 1) % PROGRESS_STEPS === 0) onProgress(k + 1, cap.steps.length);
  }
  onProgress?.(k, cap.steps.length);
  return judges.map((j, x) => results[x] ?? j.end());
}

/** Steps between two calls of judgeAll's onProgress. */
const PROGRESS_STEPS = 4096;

/** What taking an observation did to a directory's search (SharedSearch.take). */
type TakeOutcome =
  /** A release of an acquisition the capture does not show: not taken. */
  | { kind: 'phantom' }
  /** Taken: the candidates are its successors. */
  | { kind: 'took'; r: Advance }
  /** Its successors are more than the bound: not taken. */
  | { kind: 'many'; r: Advance }
  /** No candidate took it, but an eager candidate does (DirSearch.exact): taken. */
  | { kind: 'exact' }
  /** No candidate takes it. */
  | { kind: 'failed'; r: Advance; failure: NonConformance };

/**
 * A directory's search, as the judges of the shapes asked for read and step it. The shape is read
 * by one routine of the model, d_add_ci, which a task enters only where the directory's ->lookup
 * matches another spelling of the name (fs_lookup, lookup_one_qstr_excl: onDisk, which finds
 * none in a directory that is not case-insensitive): the search of a directory whose ->lookup is
 * not a case-insensitive XFS's is the same for every shape. Such a search is `shared` by the
 * judges, which go through the steps together (judgeAll): the first to reach a step takes it,
 * and the others read what it found, as they would have found it: whether a task had a session
 * before the step (asked before any judge takes it), and what the step did.
 */
class SharedSearch {
  /** The step the answers below are of. */
  private at = -1;
  private hadSession: Map<number, boolean> | undefined;
  private took: TakeOutcome | undefined;
  private forgot = false;

  constructor(readonly search: DirSearch, private readonly shared: boolean, private readonly cap: UnseenAcquisitions,
    private readonly maxStates: number) {}

  get dir(): string {
    return this.search.dir;
  }

  private moveTo(step: number): void {
    if (this.at === step) return;
    this.at = step;
    this.hadSession = undefined;
    this.took = undefined;
    this.forgot = false;
  }

  /** Whether some candidate has a session of `pid` before step `step`. */
  has(pid: number, step: number): boolean {
    if (!this.shared) return this.search.has(pid);
    this.moveTo(step);
    let h = this.hadSession?.get(pid);
    if (h === undefined) {
      if (this.took !== undefined || this.forgot) throw new Error(`internal: directory ${this.dir} asked of task ${pid} after step ${step} was taken`);
      h = this.search.has(pid);
      (this.hadSession ??= new Map()).set(pid, h);
    }
    return h;
  }

  /** Takes observation `o`, step `step` of the trace. */
  take(o: Obs, step: number): TakeOutcome {
    if (this.shared) {
      this.moveTo(step);
      if (this.took !== undefined) return this.took;
    }
    const out = this.takeOnce(o, step);
    if (this.shared) this.took = out;
    return out;
  }

  private takeOnce(o: Obs, step: number): TakeOutcome {
    const d = this.search;
    if (endsUnseenAcquisition(this.cap, o, () => this.has(o.pid, step))) return { kind: 'phantom' };
    const r = d.take(o);
    if (r.next.length === 0) {
      const exact = d.exact(o);
      if (exact.takes !== undefined && exact.takes.length <= this.maxStates) {
        d.accept(o, exact.takes);
        return { kind: 'exact' };
      }
      if (releaseOfNoHold(this.cap, o, d)) return { kind: 'phantom' };
      return { kind: 'failed', r, failure: describeFailure(exact.search, d.dir, o, r.bound) };
    }
    if (r.next.length > this.maxStates) return { kind: 'many', r };
    d.accept(o, r.next);
    return { kind: 'took', r };
  }

  /** Drops the sessions of `pids` (every task when undefined) at gap `step`. */
  forget(pids: number[] | undefined, step: number): void {
    if (this.shared) {
      this.moveTo(step);
      if (this.forgot) return;
      this.forgot = true;
    }
    this.search.forget(pids);
  }
}

/** What a capture's unseen acquisitions make of its releases (firstPass). */
type UnseenAcquisitions = Pick<Capture, 'complete' | 'missingAcquisitions' | 'unseenReleases'>;

/**
 * Whether release `o` ends an acquisition the capture does not show, before any search takes it:
 * the capture misses acquisitions of its mode, and firstPass found its syscall showing none of
 * that mode there (unseenReleases), or no candidate has a session of its task (`hasSession`).
 */
function endsUnseenAcquisition(cap: UnseenAcquisitions, o: Obs, hasSession: () => boolean): boolean {
  return o.ev === 'rel' && cap.missingAcquisitions.has(o.mode ?? '') && (cap.unseenReleases.has(o) || !hasSession());
}

/**
 * Whether release `o`, which no candidate of `d` takes, ends an acquisition the capture does not
 * show: a capture (a complete trace shows every acquisition) that misses acquisitions of that mode
 * (an unprobed variant: down_write_killable), where no candidate has the task holding the lock at
 * all (a task holding it in the other mode takes no hold of it unseen: that would deadlock). A
 * release the model's shape makes of a lock its task no longer holds, the draft's, is taken: no failure.
 */
function releaseOfNoHold(cap: UnseenAcquisitions, o: Obs, d: DirSearch): boolean {
  return !cap.complete && o.ev === 'rel' && cap.missingAcquisitions.has(o.mode ?? '') && !d.holds(o.pid, 'R') && !d.holds(o.pid, 'W');
}

/**
 * The search for one shape over the projected trace, a step at a time: `step` gives the verdict
 * where a step decides it, `end` after the last step. `shared`: the searches the shapes share
 * (SharedSearch), when more than one is judged.
 */
function judge(cap: Capture, shape: DAddCiShape, order: LockOrder, limits: SearchLimits, shared: Map<string, SharedSearch> | undefined):
  { step: (st: Step, index: number) => Judged | undefined; end: () => Judged } {
  const shown = cap.shown;
  const observability: Observability = {
    // A complete trace shows every lock event there was: one it does not hold did not happen.
    shows: (ev, fn, dir, at) => (cap.complete && (ev === 'acq_req' || ev === 'acq' || ev === 'rel'))
      || (shown.get(ev)?.has(fn ?? '') === true
        && (cap.complete || dir === undefined || ev !== 'ret' || fn !== 'lookup' || cap.lookupReturnDirs.has(dir))
        // (most captures have no probe on for part of them only: no key written)
        && (at === undefined || cap.shownSpans.size === 0 || inSpan(cap.shownSpans.get(`${ev} ${fn ?? ''}`), at))),
    ciExact: (o) => (o.ev === 'call' && o.fn === 'd_add_ci' ? o.name : o.exact),
    caseInsensitive: (dir) => cap.ciDirs.has(dir),
    mayCasefold: (dir) => cap.ext4Dirs.has(dir),
    revalidates: (dir) => cap.vfatDirs.has(dir),
    allocFailures: cap.allocFailures,
    lookupFailures: cap.lookupFailures,
    showsWaitedOutcome: cap.showsWaitedOutcome,
  };
  const dirs = new Map<string, SharedSearch>();
  /** The searches in the order their directories first met an observation (a syscall's end goes to each in that order). */
  const searches: SharedSearch[] = [];
  let gapAt: string | undefined;
  /**
   * Runs of records whose order across CPUs the log does not tell (GapStep.tie): per directory, the
   * first that held observations of two tasks it takes (its own, and syscall ends), or, for every
   * directory, the first with syscall ends of two tasks.
   */
  const tieAt = new Map<SharedSearch, string>();
  let tieAtEvery: string | undefined;
  /** The run being read: where it began, and the tasks whose observations each directory took in it ('' for syscall ends). */
  let tieRun: { at: string; tasks: Map<SharedSearch | '', Set<number>> } | undefined;
  const inTieRun = (key: SharedSearch | '', pid: number): void => {
    if (tieRun === undefined) return;
    let s = tieRun.tasks.get(key);
    if (s === undefined) tieRun.tasks.set(key, s = new Set());
    s.add(pid);
  };
  let stepIndex = -1;
  /**
   * Whether some order of the runs of tied records explains the observations of directory `dir` up
   * to step `upTo` and the rest of the run holding it: a replay from the start, each run taken in
   * every order that keeps each task's own steps in order (DirSearch.takeAnyOrder). false: no order
   * does, so the failure stands; undefined: a bound was passed.
   */
  const explainedByTieOrder = (dir: string, upTo: number): boolean | undefined => {
    const e = new DirSearch(dir, shape, order, observability, { ...limits, eager: true });
    let run: Obs[] | undefined;
    const endRun = (): boolean | undefined => {
      if (run === undefined) return true;
      const next = e.takeAnyOrder(run);
      run = undefined;
      if (next === undefined) return undefined;
      if (next.length === 0) return false;
      e.cands = next;
      return true;
    };
    for (let j = 0; j < cap.steps.length; j++) {
      const st = cap.steps[j]!;
      if (isGapStep(st)) {
        if (st.tie === undefined) { e.forget(st.pids); continue; }
        const ended = endRun();
        if (ended !== true || j > upTo) return ended;
        if (st.tie === 'opens') run = [];
        continue;
      }
      if (j > upTo && run === undefined) return true;
      if (st.dir !== undefined && st.dir !== dir) continue;
      if (endsUnseenAcquisition(cap, st, () => e.has(st.pid))) continue;
      if (run !== undefined) { run.push(st); continue; }
      if (st.dir === undefined && !e.has(st.pid)) continue;
      const r = e.take(st);
      if (r.bound !== undefined || r.next.length > limits.maxStates) return undefined;
      if (r.next.length === 0) {
        if (releaseOfNoHold(cap, st, e)) continue;
        return false;
      }
      e.cands = r.next;
    }
    return endRun();
  };
  /** The run being read, when its observations so far on `d` (with syscall ends) are of two tasks. */
  const tieInRun = (d: SharedSearch): string | undefined => {
    if (tieRun === undefined) return undefined;
    const s = new Set([...(tieRun.tasks.get(d) ?? []), ...(tieRun.tasks.get('') ?? [])]);
    return s.size > 1 ? tieRun.at : undefined;
  };
  const endTieRun = (): void => {
    if (tieRun === undefined) return;
    const ends = tieRun.tasks.get('') ?? new Set<number>();
    if (ends.size > 1) tieAtEvery ??= tieRun.at;
    for (const [key, s] of tieRun.tasks) {
      if (key === '' || tieAt.has(key)) continue;
      if (new Set([...s, ...ends]).size > 1) tieAt.set(key, tieRun.at);
    }
    tieRun = undefined;
  };
  /** Per directory, a bound that cut some candidates' successors short: a later event no candidate there takes is then no verdict. */
  const incomplete = new Map<SharedSearch, string>();
  let phantoms = 0;
  const result = (r: Omit<ShapeResult, 'shape'>): Judged => ({ result: { shape, ...r }, phantoms });
  /** Takes `o` on directory `d`, step `index`: a failure's result, or undefined when some candidate took it. */
  const take = (d: SharedSearch, o: Obs, index: number): Judged | undefined => {
    const t = d.take(o, index);
    if (t.kind === 'phantom') { phantoms++; return undefined; }
    if (t.kind === 'exact') return undefined;
    const r = t.r;
    if (t.kind === 'failed') {
      const failure = t.failure;
      if (gapAt !== undefined) return result({ verdict: 'unknown', unknown: `${gapAt}: the model's state after it is not known`, afterGap: failure });
      const tie = tieAt.get(d) ?? tieAtEvery ?? tieInRun(d);
      if (tie !== undefined && explainedByTieOrder(d.dir, stepIndex) !== false) {
        const unknown = `${tie}: the model takes them in the log's order, and another order may explain what follows`;
        return result({ verdict: 'unknown', unknown, afterGap: failure });
      }
      if (r.bound !== undefined) return result({ verdict: 'unknown', unknown: `${r.bound} at ${where(o)}` });
      const cut = incomplete.get(d);
      if (cut !== undefined) {
        const unknown = `no candidate state takes ${where(o)}, but the candidate states were incomplete after ${cut}`;
        return result({ verdict: 'unknown', unknown, afterGap: failure });
      }
      return result({ verdict: 'does not conform', failure });
    }
    // Some successors may be missing: a conformance found later still stands, a failure there does not.
    if (r.bound !== undefined && !incomplete.has(d)) incomplete.set(d, `${r.bound} at ${where(o)}`);
    if (t.kind === 'many') {
      return result({ verdict: 'unknown', unknown: `more than ${limits.maxStates} candidate states for directory ${d.dir} at ${where(o)}` });
    }
    return undefined;
  };
  /** The search of directory `dir`: the shapes' shared one where the shape cannot matter there (SharedSearch). */
  const searchOf = (dir: string): SharedSearch => {
    const sharing = shared !== undefined && !cap.ciDirs.has(dir);
    let s = sharing ? shared.get(dir) : undefined;
    if (s === undefined) {
      s = new SharedSearch(new DirSearch(dir, shape, order, observability, limits), sharing, cap, limits.maxStates);
      if (sharing) shared.set(dir, s);
    }
    return s;
  };
  const step = (st: Step, index: number): Judged | undefined => {
    stepIndex = index;
    if (isGapStep(st) && st.tie !== undefined) {
      endTieRun();
      if (st.tie === 'opens') {
        const at = st.line !== undefined ? ` at ${st.file ?? ''}:${st.line}` : '';
        tieRun = { at: `records of different tasks on different CPUs that share a timestamp${at}`, tasks: new Map() };
      }
      return undefined;
    }
    if (isGapStep(st)) {
      const at = st.line !== undefined ? ` at ${st.file ?? ''}:${st.line}` : '';
      gapAt ??= `${st.what ?? 'a gap'}${at}${st.pids ? ` (tasks ${st.pids.join(', ')})` : ' (every task)'}`;
      for (const d of searches) d.forget(st.pids, index);
      return undefined;
    }
    if (st.dir === undefined) {
      // A syscall's end: every directory where some candidate has a session of the task (asked of each before any takes it).
      const targets = searches.filter((d) => d.has(st.pid, index));
      inTieRun('', st.pid);
      for (const d of targets) {
        const failed = take(d, st, index);
        if (failed !== undefined) return failed;
      }
      return undefined;
    }
    let d = dirs.get(st.dir);
    if (d === undefined) {
      dirs.set(st.dir, d = searchOf(st.dir));
      searches.push(d);
    }
    inTieRun(d, st.pid);
    return take(d, st, index);
  };
  const end = (): Judged => {
    if (gapAt !== undefined) return result({ verdict: 'unknown', unknown: `${gapAt}: the model's state after it is not known` });
    if (cap.unshownDci !== undefined) return result({ verdict: 'unknown', unknown: cap.unshownDci });
    // Nothing judged is nothing shown to conform: a trace with no lookup-path event on a directory followed.
    if (cap.judged === 0) return result({ verdict: 'unknown', unknown: NOTHING_JUDGED });
    return result({ verdict: 'conforms' });
  };
  return { step, end };
}

const NOTHING_JUDGED = 'no event of the trace was judged: none is a lookup-path event of a known task on a directory followed';

/** A non-conformance at `o`, described from `d`: the candidates as the eager search has them (DirSearch.exact). */
function describeFailure(d: DirSearch, dir: string, o: Obs, bound: string | undefined): NonConformance {
  return {
    index: o.index, file: o.file, line: o.line, seq: o.seq, pid: o.pid, dir,
    event: o.ev === 'sync' ? `${o.traceEv === 'task_exit' ? 'task exit' : 'syscall exit'}` : keyOfObs(o),
    expected: o.ev === 'sync' ? d.nextShown(o.pid, { ...o, ev: 'none' }) : d.nextShown(o.pid, o),
    candidates: d.cands.slice(0, 8).map((c) => describeCandidate(c, d.dir)).concat(bound ? [`(${bound})`] : []),
    candidateCount: d.cands.length,
  };
}

function where(o: Obs): string {
  return o.line !== undefined ? `${o.file ?? ''}:${o.line}` : `event ${o.index} (seq ${o.seq})`;
}

/** Whether event index `at` lies in `span` (no span: the kind counts as shown throughout). */
function inSpan(span: ShownSpan | undefined, at: number): boolean {
  return span === undefined || (at >= span.from && at <= span.to);
}
