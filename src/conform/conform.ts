/**
 * `kinv conform`: is a trace a behaviour of the model? TLA+-style trace validation (Cirstea, Kuppe,
 * Loillier, Merz 2024) of the lookup protocol: the trace is read as `kinv check` reads it, projected
 * onto its parent directories (project.ts), and for each directory the set of model states
 * consistent with the observations so far is carried forward (search.ts). The trace conforms when
 * every observation is taken by some state; it does not at the first observation no state can take.
 *
 * What the capture cannot show is unobserved, not absent:
 * - an event kind the capture never shows (a function not probed, an inlined one) is dropped from
 *   the model's events too;
 * - a task is unknown until its first syscall exit in an ftrace capture (it may have started its
 *   syscall before the capture), after a gap that names it (or every task), and on a directory that
 *   enters the scope while it is inside a lookup there: its events on that directory are not judged
 *   until its next syscall exit;
 * - a release by a task the model has in no session is an acquisition the capture did not show,
 *   when the capture shows fewer acquisitions than releases of that mode (an unprobed
 *   `down_read_killable`, say); otherwise it does not conform.
 * A gap makes the verdict unknown at best; a bound exceeded makes it unknown.
 */
import type { CheckFileOptions } from '../checker/file.js';
import { readTraceFile } from '../checker/file.js';
import type { SpecSet } from '../checker/spec-set.js';
import type { DAddCiShape, LockOrder } from '../sim/state.js';
import { isGap, NO_ARGS, type TraceEvent, type TraceItem } from '../trace/event.js';
import { detach } from '../trace/ftrace/bytes.js';
import { keyOfObs, Projector, type Obs } from './project.js';
import { DEFAULT_LIMITS, DirSearch, describeCandidate, type SearchLimits } from './search.js';

export const SHAPES: DAddCiShape[] = ['mainline', 'draft', 'fixed'];

export interface ConformOptions extends Pick<CheckFileOptions, 'from' | 'params' | 'onDiagnostic' | 'probes' | 'kernelFunctions' | 'kernelSymbols'> {
  shapes: DAddCiShape[];
  order: LockOrder;
  limits?: Partial<SearchLimits>;
}

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

export interface ConformReport {
  file: string;
  format: string;
  events: number;
  /** Observations judged (in scope, of known tasks). */
  judged: number;
  directories: number;
  /** Releases taken as the end of an acquisition the capture did not show. */
  unobservedAcquisitions: number;
  /** Events not judged because their task was unknown there. */
  unknownTaskEvents: number;
  /** Locks the capture acquires and never releases: not followed (their release probes were filtered out, or they are no directory's). */
  unreleasedLocks: number;
  gaps: number;
  results: ShapeResult[];
}

type Step = { kind: 'obs'; dir: string; obs: Obs } | { kind: 'sync'; obs: Obs }
  | { kind: 'gap'; pids: number[] | undefined; line: number | undefined; file: string | undefined };

/** What the first pass learns about the capture. */
interface Capture {
  steps: Step[];
  shown: Set<string>;
  ciExact: Map<number, string>;
  /** Directories whose ->lookup is a case-insensitive XFS's (the `fs` of their `lookup` calls). */
  ciDirs: Set<string>;
  /** Directories whose ->lookup is ext4's (casefolded or not). */
  ext4Dirs: Set<string>;
  /** Directories whose ->lookup is vfat's (a filesystem with ->d_revalidate). */
  vfatDirs: Set<string>;
  allocFailures: boolean;
  /** Whether the capture shows a W outcome of d_alloc_parallel (an ftrace capture shows it as H). */
  showsWaitedOutcome: boolean;
  missingAcquisitions: Set<string>;
  unreleasedLocks: number;
  events: number;
  unknownTaskEvents: number;
  gaps: number;
}

/** Conforms one trace file to each shape asked for. `undefined` when the input cannot be read (diagnosed). */
export async function conformTraceFile(path: string, specs: SpecSet, opts: ConformOptions): Promise<ConformReport | undefined> {
  const opened = await readTraceFile(path, specs, opts);
  if (opened === undefined) return undefined;
  const cap = await firstPass(opened.source, opened.tasksStartUnknown);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const results = opts.shapes.map((shape) => judge(cap, shape, opts.order, limits));
  const dirs = new Set<string>();
  let judged = 0;
  for (const s of cap.steps) if (s.kind === 'obs') { dirs.add(s.dir); judged++; }
  return {
    file: opened.file, format: opened.format, events: cap.events, judged, directories: dirs.size,
    unobservedAcquisitions: results[0]?.phantoms ?? 0, unknownTaskEvents: cap.unknownTaskEvents, unreleasedLocks: cap.unreleasedLocks, gaps: cap.gaps,
    results: results.map((r) => r.result),
  };
}

/** Reads the whole trace once: projects it, and learns what it can show. */
async function firstPass(source: AsyncIterable<TraceItem[]>, startUnknown: boolean): Promise<Capture> {
  const proj = new Projector();
  const steps: Step[] = [];
  const shown = new Set<string>();
  const ciExact = new Map<number, string>();
  const ciDirs = new Set<string>();
  const ext4Dirs = new Set<string>();
  const vfatDirs = new Set<string>();
  let allocFailures = false;
  let showsWaitedOutcome = false;
  const openLookup = new Map<number, number>();
  const counts = new Map<string, number>();
  /** Tasks not yet known (no syscall exit seen): undefined = every task is known until a gap. */
  const synced = new Set<number>();
  let everyUnknown = startUnknown;
  const unknown = new Set<number>();
  /** dir → tasks unknown there until their next syscall exit. */
  const unknownOn = new Map<string, Set<number>>();
  /** pid → the directories its current syscall has touched. */
  const touched = new Map<number, Set<string>>();
  /** pid → the directories its current syscall has had a lock event on. */
  const anchored = new Map<number, Set<string>>();
  /** pid → dir → the steps of its current syscall there before its first lock event there. */
  const before = new Map<number, Map<string, Step[]>>();
  /** Steps before a syscall's first lock event on a directory when that event is a release of mode R or W (an acquisition the capture may not show). */
  const beforeRelease: Record<string, Step[]> = { R: [], W: [] };
  const released = new Set<string>();
  const names = new Map<string, string>();
  let index = 0;
  let unknownTaskEvents = 0;
  let gaps = 0;
  const isUnknown = (pid: number): boolean => (everyUnknown && !synced.has(pid)) || unknown.has(pid);
  for await (const batch of source) {
    for (const item of batch) {
      if (isGap(item)) {
        gaps++;
        if (item.pids === undefined) { everyUnknown = true; synced.clear(); unknown.clear(); proj.forget(undefined); touched.clear(); }
        else for (const p of item.pids) { unknown.add(p); proj.forget(p); touched.delete(p); }
        steps.push({ kind: 'gap', pids: item.pids, line: item.line, file: item.file });
        continue;
      }
      const e: TraceEvent = item;
      const i = index++;
      shown.add(`${e.ev}:${e.fn ?? ''}`);
      if (e.ev === 'acq' || e.ev === 'rel') counts.set(`${e.ev} ${String(e.args.mode)}`, (counts.get(`${e.ev} ${String(e.args.mode)}`) ?? 0) + 1);
      const known = proj.locks.size;
      const lockBefore = e.ev === 'acq_req' || e.ev === 'acq' || e.ev === 'rel' ? proj.locks.has(String(e.args.lock)) : true;
      const p = proj.project(e, i);
      if (p === undefined) continue;
      const { dir, obs } = p;
      // A lookup's d_add_ci names the on-disk name its ->lookup matched.
      if (obs.ev === 'ret' && (obs.outcome === 'E' || (obs.fn === 'd_add_ci' && isErrorPointer(e.ret)))) allocFailures = true;
      if (obs.ev === 'ret' && obs.fn === 'd_alloc_parallel' && obs.outcome === 'W') showsWaitedOutcome = true;
      if (obs.ev === 'call' && obs.fn === 'lookup') {
        openLookup.set(e.pid, i);
        if (e.args.fs === 'xfs-ci' && dir !== undefined) ciDirs.add(dir);
        if (e.args.fs === 'ext4' && dir !== undefined) ext4Dirs.add(dir);
        if (e.args.fs === 'vfat' && dir !== undefined) vfatDirs.add(dir);
      }
      if (obs.ev === 'call' && obs.fn === 'd_add_ci' && obs.name !== undefined) {
        const l = openLookup.get(e.pid);
        if (l !== undefined && !ciExact.has(l)) ciExact.set(l, obs.name);
        ciExact.set(i, obs.name);
      }
      if (obs.ev === 'sync') {
        const was = isUnknown(e.pid);
        synced.add(e.pid);
        unknown.delete(e.pid);
        for (const s of unknownOn.values()) s.delete(e.pid);
        openLookup.delete(e.pid);
        touched.delete(e.pid);
        anchored.delete(e.pid);
        before.delete(e.pid);
        if (!was) steps.push({ kind: 'sync', obs: kept(obs) });
        continue;
      }
      if (dir === undefined) continue;
      // A directory enters the scope at its first lock event; tasks already inside a lookup there are unknown on it.
      if (!lockBefore && proj.locks.size > known) {
        const inside = new Set<number>();
        for (const [pid, ds] of touched) if (ds.has(dir)) inside.add(pid);
        unknownOn.set(dir, inside);
      }
      let ds = touched.get(e.pid);
      if (ds === undefined) touched.set(e.pid, ds = new Set());
      ds.add(dir);
      if (!proj.locks.has(dir)) continue;
      if (isUnknown(e.pid) || unknownOn.get(dir)?.has(e.pid)) { unknownTaskEvents++; continue; }
      if (obs.ev === 'rel') released.add(dir);
      const st: Step = { kind: 'obs', dir: interned(names, dir), obs: kept(obs) };
      steps.push(st);
      let anchors = anchored.get(e.pid);
      if (anchors === undefined) anchored.set(e.pid, anchors = new Set());
      if (anchors.has(dir)) continue;
      let pending = before.get(e.pid);
      if (pending === undefined) before.set(e.pid, pending = new Map());
      if (obs.ev === 'acq_req' || obs.ev === 'acq' || obs.ev === 'rel') {
        anchors.add(dir);
        if (obs.ev === 'rel') beforeRelease[obs.mode ?? '']?.push(...(pending.get(dir) ?? []));
        pending.delete(dir);
      } else {
        const waiting = pending.get(dir);
        if (waiting === undefined) pending.set(dir, [st]); else waiting.push(st);
      }
    }
  }
  const missingAcquisitions = new Set<string>();
  for (const m of ['R', 'W']) if ((counts.get(`rel ${m}`) ?? 0) > (counts.get(`acq ${m}`) ?? 0)) missingAcquisitions.add(m);
  // A lock the capture never releases is not followed: its release probes were filtered out (a
  // capture filtered by lock on its releases only), or it is no directory's (an mm lock).
  const unreleased = new Set([...proj.locks].filter((l) => !released.has(l)));
  // When the capture misses acquisitions of a mode (an unprobed down_write_nested or
  // down_read_killable), a syscall whose first lock event on a directory is a release of that mode
  // did its events there before it under an acquisition the capture does not show: they are not
  // judged (the release is taken as the end of that acquisition).
  const unseenHold = new Set([...missingAcquisitions].flatMap((m) => beforeRelease[m] ?? []));
  const judgedSteps = steps.filter((st) => {
    if (st.kind !== 'obs') return true;
    if (unreleased.has(st.dir)) return false;
    if (unseenHold.has(st)) { unknownTaskEvents++; return false; }
    return true;
  });
  return { steps: judgedSteps, shown, ciExact, ciDirs, ext4Dirs, vfatDirs, allocFailures, showsWaitedOutcome, missingAcquisitions,
    unreleasedLocks: unreleased.size,
    events: index, unknownTaskEvents, gaps };
}

/**
 * `o` as the search keeps it until the end of the trace: its event with what the search and its
 * report read of it (the task, kind, function, sequence number, place), not the reader's whole
 * record (its arguments, the addresses they hold), so that a long capture's kept observations
 * hold no more of the trace than that.
 */
function kept(o: Obs): Obs {
  const e = o.event;
  const slim: TraceEvent = { seq: e.seq, pid: e.pid, ev: e.ev, args: NO_ARGS, comm: e.comm, file: e.file, line: e.line };
  if (e.fn !== undefined) slim.fn = e.fn;
  o.event = slim;
  return o;
}

/**
 * One copy of each directory id for every step of it: the reader's may be a slice of a line of the
 * trace, which would keep the whole line (or more) alive as long as the step.
 */
function interned(names: Map<string, string>, s: string): string {
  let r = names.get(s);
  if (r === undefined) {
    r = detach(s);
    names.set(r, r);
  }
  return r;
}

/** The search for one shape over the projected trace. */
function judge(cap: Capture, shape: DAddCiShape, order: LockOrder, limits: SearchLimits): { result: ShapeResult; phantoms: number } {
  const observability = {
    shows: (e: TraceEvent) => cap.shown.has(`${e.ev}:${e.fn ?? ''}`),
    ciExact: (o: Obs) => (o.ev === 'call' && o.fn === 'd_add_ci' ? o.name : cap.ciExact.get(o.index)),
    caseInsensitive: (dir: string) => cap.ciDirs.has(dir),
    mayCasefold: (dir: string) => cap.ext4Dirs.has(dir),
    revalidates: (dir: string) => cap.vfatDirs.has(dir),
    allocFailures: cap.allocFailures,
    showsWaitedOutcome: cap.showsWaitedOutcome,
  };
  const dirs = new Map<string, DirSearch>();
  let gapAt: string | undefined;
  let phantoms = 0;
  const result = (r: Omit<ShapeResult, 'shape'>): { result: ShapeResult; phantoms: number } => ({ result: { shape, ...r }, phantoms });
  for (const st of cap.steps) {
    if (st.kind === 'gap') {
      gapAt ??= `a gap${st.line !== undefined ? ` at ${st.file ?? ''}:${st.line}` : ''}${st.pids ? ` (tasks ${st.pids.join(', ')})` : ' (every task)'}`;
      for (const d of dirs.values()) d.forget(st.pids);
      continue;
    }
    const targets = st.kind === 'sync' ? [...dirs.values()].filter((d) => d.has(st.obs.pid)) : [dirOf(dirs, st.dir, shape, order, observability, limits)];
    for (const d of targets) {
      const o = st.obs;
      if (o.ev === 'rel' && !d.has(o.pid) && cap.missingAcquisitions.has(o.mode ?? '')) { phantoms++; continue; }
      const r = d.take(o);
      if (r.next.length === 0) {
        const failure = describeFailure(d, o, r.bound);
        if (gapAt !== undefined) return result({ verdict: 'unknown', unknown: `${gapAt}: the model's state after it is not known`, afterGap: failure });
        if (r.bound !== undefined) return result({ verdict: 'unknown', unknown: `${r.bound} at ${where(o)}` });
        return result({ verdict: 'does not conform', failure });
      }
      if (r.next.length > limits.maxStates) {
        return result({ verdict: 'unknown', unknown: `more than ${limits.maxStates} candidate states for directory ${d.dir} at ${where(o)}` });
      }
      d.cands = r.next;
    }
  }
  if (gapAt !== undefined) return result({ verdict: 'unknown', unknown: `${gapAt}: the model's state after it is not known` });
  return result({ verdict: 'conforms' });
}

function dirOf(dirs: Map<string, DirSearch>, dir: string, shape: DAddCiShape, order: LockOrder, obs: ConstructorParameters<typeof DirSearch>[3],
  limits: SearchLimits): DirSearch {
  let d = dirs.get(dir);
  if (d === undefined) dirs.set(dir, d = new DirSearch(dir, shape, order, obs, limits));
  return d;
}

function describeFailure(d: DirSearch, o: Obs, bound: string | undefined): NonConformance {
  const e = o.event;
  return {
    index: o.index, file: e.file, line: e.line, seq: e.seq, pid: o.pid, dir: d.dir,
    event: o.ev === 'sync' ? `${e.ev === 'task_exit' ? 'task exit' : 'syscall exit'}` : keyOfObs(o),
    expected: o.ev === 'sync' ? d.nextShown(o.pid, { ...o, ev: 'none' }) : d.nextShown(o.pid, o),
    candidates: d.cands.slice(0, 8).map((c) => describeCandidate(c, d.dir)).concat(bound ? [`(${bound})`] : []),
    candidateCount: d.cands.length,
  };
}

function where(o: Obs): string {
  const e = o.event;
  return e.line !== undefined ? `${e.file ?? ''}:${e.line}` : `event ${o.index} (seq ${e.seq})`;
}

/** An ERR_PTR: the model's `ERR:-12`, or a kernel address in the last page (-4095..-1). */
function isErrorPointer(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  if (v.startsWith('ERR:')) return true;
  return /^0xfffffffffffff[0-9a-f]{3}$/i.test(v);
}
