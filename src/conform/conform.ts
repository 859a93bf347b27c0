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
 *   `down_read_killable`, say) and may miss some: not when the probes it is known to have
 *   (`--probes`, `--functions`) cover every acquisition variant of that mode the kernel has, as
 *   `kinv check` judges rel_held; otherwise it does not conform.
 * A gap makes the verdict unknown at best; a bound exceeded makes it unknown.
 */
import type { CheckFileOptions } from '../checker/file.js';
import { damagedText, readTraceFile, type ReadTrace } from '../checker/file.js';
import type { SpecSet } from '../checker/spec-set.js';
import type { DAddCiShape, LockOrder } from '../sim/state.js';
import { isGap, TIED_ACROSS_CPUS, type Scalar, type TraceEvent, type TraceGap, type TraceItem } from '../trace/event.js';
import { detach } from '../trace/ftrace/bytes.js';
import { AllocBeforeLookup } from './alloc-before-lookup.js';
import { LookupOneHolds, PrimingReaddirHolds } from './lookup-one.js';
import { ProbeWindows } from './probe-windows.js';
import { isGapStep, type Capture, type Step } from './capture.js';
import { judgeAll, type ShapeResult } from './judge.js';
import { isErrorPointer } from '../analysis/builtins.js';
import { Projector, type Obs } from './project.js';
import { DEFAULT_LIMITS, type SearchLimits } from './search.js';

export type { NonConformance, ShapeResult } from './judge.js';

export const SHAPES: DAddCiShape[] = ['mainline', 'draft', 'fixed'];

export interface ConformOptions extends Pick<CheckFileOptions, 'from' | 'params' | 'onDiagnostic' | 'probes' | 'kernelFunctions' | 'kernelSymbols'> {
  shapes: DAddCiShape[];
  order: LockOrder;
  limits?: Partial<SearchLimits>;
  /**
   * Called as a capture is read ahead (the lines so far), as the trace is read (after each batch of
   * events) and as it is judged (every few thousand steps, and at the last).
   */
  onProgress?: (p: ConformProgress) => void;
}

/** How far a conformance is: a capture's read ahead, the first pass's lines and events read so far; the judging's steps taken of all. */
export type ConformProgress = { phase: 'ahead'; lines: number } | { phase: 'read'; lines: number; events: number }
  | { phase: 'judge'; steps: number; of: number };

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
  /**
   * Directories of a capture in which d_alloc_parallel made in-lookup dentries and no ->lookup is
   * ever shown: their filesystem's ->lookup is not probed (procfs, sysfs, overlayfs, btrfs...), or it
   * opens atomically (NFS, FUSE): not followed.
   */
  unshownLookupDirs: number;
  /** Events of exclusive holds under which the task looks names up through __lookup_slow (lookup_one callers): not judged. */
  lookupOneHoldEvents: number;
  /** Events of readdirs that allocate in-lookup dentries under their shared hold (FUSE's readdirplus, NFS, procfs): not judged. */
  primingReaddirEvents: number;
  /** d_add_ci calls judged: the shapes differ only inside d_add_ci, so a capture without one cannot tell them apart. */
  dAddCiCalls: number;
  gaps: number;
  results: ShapeResult[];
}

/** A gap of the trace as the verdict names it: what was lost, how much and where, when the input says. */
function gapWhat(g: TraceGap): string {
  const lost = g.lost !== undefined ? `: ${g.lost} event${g.lost === 1 ? '' : 's'} lost` : '';
  const cpu = g.cpu !== undefined ? ` on CPU ${g.cpu}` : '';
  const span = g.window === 'opens' && g.until !== undefined && g.line !== undefined ? `, somewhere between line ${g.line} and line ${g.until}` : '';
  return `a gap (${g.reason}${lost}${cpu}${span})`;
}

/**
 * The `fs` of the ->lookup mappings (spec/vfs/ftrace.kinv) whose filesystem has ->d_revalidate: a
 * dentry d_alloc_parallel finds hashed may be invalidated and looked up again. vfat (a negative
 * dentry is stale once the directory changed), FUSE (fuse_dentry_revalidate: a FUSE_LOOKUP once the
 * entry timed out, 0 when the server's answer differs) and 9p (v9fs_lookup_revalidate with a cache).
 */
const REVALIDATING_FS = new Set(['vfat', 'fuse', '9p']);

/** Conforms one trace file to each shape asked for. `undefined` when the input cannot be read (diagnosed). */
export async function conformTraceFile(path: string, specs: SpecSet, opts: ConformOptions): Promise<ConformReport | undefined> {
  const progress = opts.onProgress;
  const opened = await readTraceFile(path, specs, { ...opts, onReadAhead: progress && ((lines) => progress({ phase: 'ahead', lines })) });
  if (opened === undefined) return undefined;
  return conformRead(opened, opts);
}

/** Conforms a trace opened by readTraceFile to each shape asked for. */
export async function conformRead(
  opened: Pick<ReadTrace, 'file' | 'format' | 'source' | 'tasksStartUnknown'> & Partial<Pick<ReadTrace, 'coverage' | 'compiled' | 'stats' | 'damaged'>>,
  opts: ConformOptions,
): Promise<ConformReport> {
  const mayMiss = (mode: string): boolean => mayMissAcquisitions(opened, mode);
  const progress = opts.onProgress;
  const cap = await firstPass(opened.source, opened.tasksStartUnknown, mayMiss,
    progress && ((events) => progress({ phase: 'read', lines: opened.stats?.lines ?? 0, events })));
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const results = judgeAll(cap, opts.shapes, opts.order, limits, progress && ((steps, of) => progress({ phase: 'judge', steps, of })));
  // A capture whose records are filtered by task or by mode (read ahead: KV327, KV329, KV330, KV331), or
  // that does not probe a step the model's lookups take, hides steps the model takes: an event no
  // state takes there says nothing of the kernel.
  const filtered = [opened.coverage?.filteredRecords(), cap.lookupsWithoutAlloc].filter((x) => x !== undefined).join('; ') || undefined;
  const unprobed = cap.complete ? [] : unprobedSteps(cap);
  // A compressed stream that fails to decode part-way or fails its checksum gave text that may be
  // garbled anywhere before the failure showed (see `distrustDamaged` in checker/file.ts): the event
  // no state takes may be the damage's own.
  const damage = opened.damaged?.();
  if (damage !== undefined || filtered !== undefined || unprobed.length > 0) {
    const why = damage !== undefined
      ? damagedText(damage)
      : filtered !== undefined
        ? `the capture's records are filtered (${filtered}): the steps the filter left out may be those the model needs`
        : `the capture does not probe ${unprobed.join(', ')}: the model's steps there cannot be followed`;
    for (const r of results) {
      if (r.result.verdict !== 'does not conform') continue;
      r.result = { shape: r.result.shape, verdict: 'unknown', afterGap: r.result.failure, unknown: why };
    }
  }
  return {
    file: opened.file, format: opened.format, events: cap.events, judged: cap.judged, directories: cap.directories,
    unobservedAcquisitions: results[0]?.phantoms ?? 0, unknownTaskEvents: cap.unknownTaskEvents, unreleasedLocks: cap.unreleasedLocks,
    unshownLookupDirs: cap.unshownLookupDirs, lookupOneHoldEvents: cap.lookupOneHoldEvents, primingReaddirEvents: cap.primingReaddirEvents,
    dAddCiCalls: cap.dAddCiCalls, gaps: cap.gaps,
    results: results.map((r) => r.result),
  };
}

/**
 * The lookup steps a capture does not probe though the model takes them there: `__lookup_slow`,
 * a filesystem's `->lookup` (none probed), d_alloc_parallel (or its return), and
 * `d_add_ci` where a case-insensitive XFS's `->lookup` shows it would be called.
 */
function unprobedSteps(cap: Capture): string[] {
  const shows = (ev: string, fn: string): boolean => cap.shown.get(ev)?.has(fn) === true;
  const out: string[] = [];
  if (!shows('call', 'lookup_slow')) out.push('__lookup_slow');
  if (!shows('call', 'lookup')) out.push('any ->lookup');
  // Without d_alloc_parallel, an in-lookup dentry's end cannot be placed in its directory.
  if (!shows('call', 'd_alloc_parallel')) out.push('d_alloc_parallel');
  else if (!shows('ret', 'd_alloc_parallel')) out.push('the returns of d_alloc_parallel');
  if (cap.ciDirs.size > 0 && !shows('call', 'd_add_ci')) out.push('d_add_ci');
  return out;
}

/** Reads the whole trace once: projects it, and learns what it can show. */
/**
 * Whether the capture may miss acquisitions in `mode` ('R', 'W'): some variant of that mode the
 * kernel may have (the spec's `read_acquirers`, `write_acquirers`) has no probe on its entry or
 * its return, as the capture's coverage knows it once read (the probes it logged, and those
 * `--probes` declares, among the functions `--functions` lists), which is what `kinv check`'s
 * rel_held asks (`unseen_acquirers`). A trace without coverage (NDJSON) shows what it shows.
 */
function mayMissAcquisitions(opened: Partial<Pick<ReadTrace, 'coverage' | 'compiled'>>, mode: string): boolean {
  const list = opened.compiled?.spec.params.get(mode === 'R' ? 'read_acquirers' : 'write_acquirers')?.value;
  if (opened.coverage === undefined || typeof list !== 'string') return true;
  return opened.coverage.unprobedCalls(list) !== '';
}

async function firstPass(source: AsyncIterable<TraceItem[]>, startUnknown: boolean, mayMiss: (mode: string) => boolean,
  onBatch?: (events: number) => void): Promise<Capture> {
  const proj = new Projector();
  const steps: Step[] = [];
  const shown = new Map<string, Set<string>>();
  /** The last kind of event noted as shown (most events repeat the kind before them). */
  let shownEv: string | undefined;
  let shownFn: string | undefined;
  const ciDirs = new Set<string>();
  const ext4Dirs = new Set<string>();
  const vfatDirs = new Set<string>();
  let allocFailures = false;
  let lookupFailures = false;
  let showsWaitedOutcome = false;
  /** pid → the observation of its open ->lookup call. */
  const openLookup = new Map<number, Obs>();
  let acqR = 0;
  let acqW = 0;
  let relR = 0;
  let relW = 0;
  /** Tasks not yet known (no syscall exit seen): undefined = every task is known until a gap. */
  const synced = new Set<number>();
  let everyUnknown = startUnknown;
  const unknown = new Set<number>();
  /** dir → tasks unknown there until their next syscall exit. */
  const unknownOn = new Map<string, Set<number>>();
  /** pid → the directories its current syscall has touched. */
  const touched = new Map<number, Set<string>>();
  /** pid → `dir mode` of each acquisition (or request) its current syscall has shown; of those not released since. */
  const acquiredIn = new Map<number, Set<string>>();
  const holdingIn = new Map<number, Set<string>>();
  /** pid → dir → the steps of its current syscall there since its last lock event there. */
  const sinceLockEvent = new Map<number, Map<string, Obs[]>>();
  /**
   * Releases of mode R or W on a directory where their syscall has shown no acquisition of that
   * mode (an acquisition the capture may not show), and the steps of that syscall there between
   * its lock event before and each such release.
   */
  const unmatchedRelease: Record<string, Obs[]> = { R: [], W: [] };
  const beforeRelease: Record<string, Obs[]> = { R: [], W: [] };
  const released = new Set<string>();
  const names = new Map<string, string>();
  let index = 0;
  let unknownTaskEvents = 0;
  let gaps = 0;
  const isUnknown = (pid: number): boolean => (everyUnknown && !synced.has(pid)) || unknown.has(pid);
  /** pid → its judged acquisition request still without an outcome, and the request's kind. */
  const requests = new Map<number, { obs: Obs; kind: Scalar | undefined }>();
  /** Trylock and killable requests that failed: dropped from the steps. */
  const failedRequests = new Set<Obs>();
  /** Directories in which the capture shows a ->lookup call; in which d_alloc_parallel made an in-lookup dentry. */
  const lookupDirs = new Set<string>();
  const newDentryDirs = new Set<string>();
  /** Directories in which the capture shows a ->lookup return (its filesystem's return probe is on). */
  const lookupReturnDirs = new Set<string>();
  const windows = new ProbeWindows();
  /** Directories in which d_add_ci is called, and the first such call's place. */
  const dciDirs = new Map<string, string>();
  const lookupOne = new LookupOneHolds();
  const priming = new PrimingReaddirHolds();
  const allocBeforeLookup = new AllocBeforeLookup();
  /** Directories in scope: a capture's, those with a lock event (the projector's locks); a complete trace's, every one named. */
  const scope = startUnknown ? proj.locks : new Set<string>();
  for await (const batch of source) {
    for (const item of batch) {
      if (isGap(item)) {
        if (item.reason === TIED_ACROSS_CPUS) {
          // (not lost: the tasks stay followed, and what the log's order of the tie cannot tell is
          // said where a candidate state fails)
          if (item.window !== undefined) steps.push({ ev: 'gap', pids: item.pids, line: item.line, file: item.file, tie: item.window, what: gapWhat(item) });
          continue;
        }
        gaps++;
        windows.forget(item.pids);
        if (item.pids === undefined) {
          everyUnknown = true; synced.clear(); unknown.clear(); proj.forget(undefined); touched.clear(); lookupOne.forget(undefined); priming.forget(undefined);
          allocBeforeLookup.forget(undefined);
        }
        else {
          for (const p of item.pids) { unknown.add(p); proj.forget(p); touched.delete(p); lookupOne.forget(p); priming.forget(p); allocBeforeLookup.forget(p); }
        }
        steps.push({ ev: 'gap', pids: item.pids, line: item.line, file: item.file, what: gapWhat(item) });
        continue;
      }
      const e: TraceEvent = item;
      const i = index++;
      const ev = e.ev;
      if (ev !== shownEv || e.fn !== shownFn) {
        shownEv = ev;
        shownFn = e.fn;
        let fns = shown.get(ev);
        if (fns === undefined) shown.set(ev, fns = new Set());
        fns.add(e.fn ?? '');
      }
      // The model's tasks take a lock only by waiting for it. A trylock is one step of the rwsem
      // (__down_read_trylock, __down_write_trylock: a cmpxchg on the count): one that succeeded is a
      // wait that ended at once, and one that failed left the rwsem as it was, so it is dropped. A
      // killable wait that failed (a fatal signal) is dropped too, as its task then neither holds
      // nor waits; but it left the queue, which may have woken or held back others, a step the
      // model has not: the other tasks inside a syscall on that directory are not known after it.
      if (ev === 'acq_fail') {
        const req = requests.get(e.pid);
        requests.delete(e.pid);
        const lock = String(e.args.lock);
        if (req !== undefined && req.obs.dir === lock && (req.kind === 'try' || req.kind === 'killable')) {
          failedRequests.add(req.obs);
          const others = req.kind === 'killable' ? [...touched].filter(([p, ds]) => p !== e.pid && ds.has(lock)).map(([p]) => p) : [];
          if (others.length > 0) {
            for (const p of others) { unknown.add(p); proj.forget(p); touched.delete(p); }
            steps.push({ ev: 'gap', pids: others, line: e.line, file: e.file, what: 'a killable acquisition that failed' });
          }
        }
        continue;
      }
      if (ev === 'acq') requests.delete(e.pid);
      const lockEvent = ev === 'acq_req' || ev === 'acq' || ev === 'rel';
      if (ev === 'acq' || ev === 'rel') {
        const mode = e.args.mode;
        if (mode === 'R') { if (ev === 'acq') acqR++; else relR++; } else if (mode === 'W') { if (ev === 'acq') acqW++; else relW++; }
      }
      const known = proj.locks.size;
      const lockBefore = lockEvent ? proj.locks.has(String(e.args.lock)) : true;
      if (ev === 'call' && e.fn === 'lookup_slow' && !isUnknown(e.pid)) {
        lookupOne.lookupSlow(e.pid, String(e.args.dir));
        priming.lookupSlow(e.pid, String(e.args.dir));
      }
      if ((ev === 'call' || ev === 'ret') && e.fn !== undefined) {
        if (ev === 'call') windows.call(e.pid, e.fn, i); else windows.ret(e.pid, e.fn, i);
      } else if (ev === 'syscall_exit' || ev === 'task_exit') windows.sync(e.pid);
      if (ev === 'call' || ev === 'ret') {
        const fn = e.fn;
        if (fn === 'lookup_slow') { if (ev === 'call') allocBeforeLookup.lookupSlowCall(e.pid); else allocBeforeLookup.lookupSlowReturn(e.pid); }
        else if (ev === 'call' && fn === 'd_alloc_parallel') allocBeforeLookup.allocation(e.pid);
        else if (ev === 'call' && fn === 'lookup') allocBeforeLookup.lookup(e.pid, e.line !== undefined ? `${e.file ?? ''}:${e.line}` : `event ${i}`);
      }
      const obs = proj.project(e, i);
      if (obs === undefined) continue;
      const dir = obs.dir;
      const oev = obs.ev;
      if (oev === 'ret' && (obs.outcome === 'E' || (obs.fn === 'd_add_ci' && isErrorPointer(e.ret)))) allocFailures = true;
      if (oev === 'ret' && obs.fn === 'd_alloc_parallel' && obs.outcome === 'W') showsWaitedOutcome = true;
      if (oev === 'ret' && obs.fn === 'd_alloc_parallel' && obs.outcome === 'N' && dir !== undefined) newDentryDirs.add(dir);
      if (oev === 'ret' && obs.fn === 'lookup' && dir !== undefined) lookupReturnDirs.add(dir);
      if (oev === 'ret' && obs.failed === true) lookupFailures = true;
      if (oev === 'call') {
        if (obs.fn === 'lookup') {
          openLookup.set(e.pid, obs);
          if (dir !== undefined) lookupDirs.add(dir);
          const fs = e.args.fs;
          if (fs === 'xfs-ci' && dir !== undefined) ciDirs.add(dir);
          if (fs === 'ext4' && dir !== undefined) ext4Dirs.add(dir);
          if (fs !== undefined && REVALIDATING_FS.has(String(fs)) && dir !== undefined) vfatDirs.add(dir);
        } else if (obs.fn === 'd_add_ci' && obs.name !== undefined) {
          // A lookup's d_add_ci names the on-disk name its ->lookup matched.
          const l = openLookup.get(e.pid);
          if (l !== undefined && l.exact === undefined) l.exact = obs.name;
          obs.exact = obs.name;
          if (dir !== undefined && !dciDirs.has(dir)) dciDirs.set(dir, e.line !== undefined ? `${e.file ?? ''}:${e.line}` : `event ${i}`);
          // Only a case-insensitive directory's ->lookup calls d_add_ci, whatever the trace names
          // its filesystem (a hand-written trace's `fs: "xfs"`, not the mapping's `xfs-ci`).
          if (dir !== undefined) ciDirs.add(dir);
        }
      }
      if (oev === 'sync') {
        allocBeforeLookup.forget(e.pid);
        lookupOne.endAll(e.pid);
        priming.endAll(e.pid);
        requests.delete(e.pid);
        const was = isUnknown(e.pid);
        synced.add(e.pid);
        unknown.delete(e.pid);
        for (const s of unknownOn.values()) s.delete(e.pid);
        openLookup.delete(e.pid);
        touched.delete(e.pid);
        acquiredIn.delete(e.pid);
        holdingIn.delete(e.pid);
        sinceLockEvent.delete(e.pid);
        if (!was) steps.push(obs);
        continue;
      }
      if (dir === undefined) continue;
      // A capture's directory enters the scope at its first lock event (its lock probes are
      // filtered to the directories it watches); tasks already inside a lookup there are unknown
      // on it. A complete trace shows every event: a directory is in scope from its first, which
      // under the new order is a d_alloc_parallel before the lock.
      if (startUnknown ? !lockBefore && proj.locks.size > known : !scope.has(dir)) {
        scope.add(dir);
        const inside = new Set<number>();
        for (const [pid, ds] of touched) if (ds.has(dir)) inside.add(pid);
        unknownOn.set(dir, inside);
      }
      let ds = touched.get(e.pid);
      if (ds === undefined) touched.set(e.pid, ds = new Set());
      ds.add(dir);
      if (!scope.has(dir)) continue;
      if (isUnknown(e.pid) || unknownOn.get(dir)?.has(e.pid)) { unknownTaskEvents++; continue; }
      if (oev === 'rel') released.add(dir);
      obs.dir = interned(names, dir);
      steps.push(obs);
      lookupOne.step(e.pid, dir, obs);
      priming.step(e.pid, dir, obs, e.args.kind);
      if (oev === 'acq_req') requests.set(e.pid, { obs, kind: e.args.kind });
      let pending = sinceLockEvent.get(e.pid);
      if (pending === undefined) sinceLockEvent.set(e.pid, pending = new Map());
      if (oev === 'acq_req' || oev === 'acq' || oev === 'rel') {
        let acquired = acquiredIn.get(e.pid);
        if (acquired === undefined) acquiredIn.set(e.pid, acquired = new Set());
        let holding = holdingIn.get(e.pid);
        if (holding === undefined) holdingIn.set(e.pid, holding = new Set());
        const mode = obs.mode ?? '';
        const held = `${dir} ${mode}`;
        // (`dir *`: the syscall has had a lock event there)
        const anchor = `${dir} *`;
        if (oev !== 'rel') { acquired.add(held); holding.add(held); }
        else {
          // A syscall's first lock event on the directory may end an acquisition the trace does not
          // show; a later one only in a capture, whose probe set may lack a variant the syscall took
          // it with again. (A task holding the lock in the other mode takes no unseen hold of it:
          // that would deadlock.)
          if ((startUnknown || !acquired.has(anchor)) && !acquired.has(held) && !holding.has(`${dir} ${mode === 'R' ? 'W' : 'R'}`)) {
            unmatchedRelease[mode]?.push(obs);
            beforeRelease[mode]?.push(...(pending.get(dir) ?? []));
          }
          holding.delete(held);
        }
        acquired.add(anchor);
        pending.delete(dir);
      } else {
        const waiting = pending.get(dir);
        if (waiting === undefined) pending.set(dir, [obs]); else waiting.push(obs);
      }
    }
    onBatch?.(index);
  }
  const missingAcquisitions = new Set<string>();
  // (asked once the whole capture is read: its coverage has every probe it logged by then)
  if (relR > acqR && mayMiss('R')) missingAcquisitions.add('R');
  if (relW > acqW && mayMiss('W')) missingAcquisitions.add('W');
  // A lock the capture never releases is not followed: its release probes were filtered out (a
  // capture filtered by lock on its releases only), or it is no directory's (an mm lock).
  lookupOne.endAll(undefined);
  priming.endAll(undefined);
  // A complete trace shows every release: a lock it never releases is held at its end (a deadlock, a cut run).
  const unreleased = new Set(startUnknown ? [...proj.locks].filter((l) => !released.has(l)) : []);
  // A capture shows the ->lookup of the filesystems it probes: in a directory where d_alloc_parallel
  // made in-lookup dentries and no ->lookup is ever shown, every lookup is a step the model takes and
  // the capture cannot show, so that directory is not followed (a complete trace shows every one, and
  // a capture that shows no ->lookup anywhere drops the model's everywhere, see shows).
  const unshownLookup = new Set(startUnknown && shown.get('call')?.has('lookup') === true
    ? [...newDentryDirs].filter((d) => !lookupDirs.has(d) && scope.has(d) && !unreleased.has(d)) : []);
  // ...unless it calls d_add_ci, where the shapes differ: the capture cannot tell them apart there.
  const unshownDciDir = [...unshownLookup].find((d) => dciDirs.has(d));
  const unshownDci = unshownDciDir === undefined ? undefined
    : `directory ${unshownDciDir} calls d_add_ci (${dciDirs.get(unshownDciDir)!}), but the capture shows none of its ->lookup calls: `
      + 'it is not followed, and there the shapes differ';
  // When the capture misses acquisitions of a mode (an unprobed down_write_nested or
  // down_read_killable), a release of that mode on a directory where its syscall has shown no
  // acquisition of that mode ends an acquisition the capture does not show: the syscall's events
  // there since its lock event before it were under that acquisition, and are not judged. (A
  // release after the syscall's own acquisition and release, the draft's double release, is not one.)
  const unseenHold = new Set([...missingAcquisitions].flatMap((m) => beforeRelease[m] ?? []));
  const unseenReleases = new Set([...missingAcquisitions].flatMap((m) => unmatchedRelease[m] ?? []));
  // The steps judged: the others are dropped in place (no second list of them).
  const dirs = new Set<string>();
  let judged = 0;
  let kept = 0;
  let lookupOneHoldEvents = 0;
  let primingReaddirEvents = 0;
  let dAddCiCalls = 0;
  for (const st of steps) {
    if (!isGapStep(st) && failedRequests.has(st)) continue;
    if (!isGapStep(st) && lookupOne.unjudged.has(st)) { lookupOneHoldEvents++; continue; }
    if (!isGapStep(st) && st.dir !== undefined) {
      if (unreleased.has(st.dir) || unshownLookup.has(st.dir)) continue;
      if (priming.unjudged.has(st)) { primingReaddirEvents++; continue; }
      if (unseenHold.size > 0 && unseenHold.has(st)) { unknownTaskEvents++; continue; }
      dirs.add(st.dir);
      judged++;
      if (st.ev === 'call' && st.fn === 'd_add_ci') dAddCiCalls++;
    }
    steps[kept++] = st;
  }
  steps.length = kept;
  return { steps, complete: !startUnknown, shown, lookupReturnDirs, shownSpans: windows.spans(), ciDirs, ext4Dirs, vfatDirs, allocFailures, lookupFailures,
    showsWaitedOutcome,
    missingAcquisitions, unseenReleases,
    lookupsWithoutAlloc: shown.get('call')?.has('d_alloc_parallel') === true ? allocBeforeLookup.described() : undefined,
    unreleasedLocks: unreleased.size, unshownLookupDirs: unshownLookup.size, unshownDci, lookupOneHoldEvents, primingReaddirEvents, dAddCiCalls,
    events: index, judged, directories: dirs.size, unknownTaskEvents, gaps };
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


