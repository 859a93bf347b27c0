/**
 * The rwsems a whole capture shows taken (an entry probe of a `down_*` function) and never
 * released (no `up_read`, `up_write` or `up_read_non_owner` of the same address anywhere). A
 * capture whose filter keeps a lock's releases out (a `sem ==` filter on the release probes but not
 * on every acquisition variant) shows such locks as held forever: what holds them cannot be told.
 *
 * Records are taken as the reader scans them (see read-ahead.ts), in every layout it reads: a
 * probe printed with a bare-address site (trace-cmd report, perf script) counts when `sites` names
 * its function, as the reader would name it.
 */
import { addressDigits, printedAddress } from './address.js';
import * as chars from './chars.js';
import { L_MARKER, L_RECORD, type LineScan } from './line.js';
import * as payloadMod from './payload.js';
import { baseName, probedFunction, type SiteNames } from './probed-function.js';

// Local bindings: see chars.ts.
const { findStr } = chars;
const { parseKeyValues } = payloadMod;

const RELEASES = new Set(['up_read', 'up_write', 'up_read_non_owner']);

/** A lock mode as the spec names it: R shared, W exclusive. */
export type LockMode = 'R' | 'W';

/**
 * What a probed rwsem function does: take the lock (`acquires`, in mode `takes` where its name
 * says one), release it in a mode, or both at once (downgrade_write, which never leaves it free).
 */
interface LockRole { acquires: boolean; takes?: LockMode; releases?: LockMode; downgrades?: true; nonOwner?: true }

export class RwsemReleases {
  /** address (hex, no leading zeros) → the line of its first acquisition */
  private readonly taken = new Map<string, number>();
  private readonly released = new Set<string>();
  /** Per mode: address → the line of its first acquisition in that mode; the addresses released in it. */
  private readonly takenIn = { R: new Map<string, number>(), W: new Map<string, number>() };
  private readonly releasedIn = { R: new Set<string>(), W: new Set<string>() };
  /**
   * Per task: the rwsems it took in each mode since its last return to user space, and those it
   * took before one (a task blocked for good, in a deadlock, or cut off by the end of the capture,
   * has not returned since); the line of its first acquisition in each mode; the tasks that
   * release in each mode.
   */
  private readonly takenSinceExit = new Map<number, Record<LockMode, Set<string>>>();
  private readonly takenBeforeExit = new Map<number, Record<LockMode, Set<string>>>();
  private readonly firstTakeIn = { R: new Map<number, number>(), W: new Map<number, number>() };
  private readonly releaserIn = { R: new Set<number>(), W: new Set<number>() };
  /**
   * Per task: the rwsems it has taken exclusive and not yet released or downgraded; the line of its
   * first up_read of one of them (a shared release of an exclusive hold, with no downgrade_write of
   * its shown); the tasks that downgrade.
   */
  private readonly heldExclusive = new Map<number, Set<string>>();
  /**
   * Tasks with an exclusive hold their own up_write or downgrade did not end: open when they
   * returned to user space, or ended by an up_read (a downgrade the capture does not show).
   */
  private readonly exclusiveLeftOpen = new Set<number>();
  private readonly firstSharedEndOfExclusive = new Map<number, number>();
  /** How many exclusive holds a task's own up_read ended, no downgrade of them logged (the first of each task's: above). */
  private sharedEnds = 0;
  private readonly downgraders = new Set<number>();
  /**
   * Per task the capture shows returning to user space: the rwsems it has taken, in either mode,
   * since its first return (what it held then, if anything, is not its to release later) and since
   * the last loss marker (a `[LOST N EVENTS]` may have held its acquisition); per mode, the
   * releases by such a task of an rwsem it has not taken so since, counted, and the line of the first.
   */
  private readonly takenSinceFirstExit = new Map<number, { any: Set<string>; W: Set<string> }>();
  private readonly releasesUntaken = { R: new Map<number, { count: number; firstLine: number }>(), W: new Map<number, { count: number; firstLine: number }>() };
  /** The tasks the capture shows taking some rwsem. */
  private readonly acquirers = new Set<number>();
  /** Where acquisitions go unlogged while releases are logged (acquisitionsUnlogged). */
  private readonly unlogged = new UnloggedAcquisitions();
  /** Per mode: where the release records begin and end as the capture goes (releasesBegan, releasesEnded). */
  private readonly ends = { R: new ReleasesEnd(), W: new ReleasesEnd() };
  /**
   * Where the downgrade_write records begin and end (downgradesEnded, downgradesBegan): its
   * records are the ends of exclusive holds by downgrade, an up_write ends one as no record of it
   * does, and an up_read of an exclusive hold shows a downgrade the records left out. The rwsems
   * the capture downgrades somewhere (only their holds count: a lock nobody downgrades is no sign).
   */
  private readonly downgradeEnds = new ReleasesEnd();
  private readonly downgraded = new Set<string>();

  private noteReturnToUser(pid: number): void {
    this.unlogged.returnToUser(pid);
    this.ends.R.returnToUser(pid);
    this.ends.W.returnToUser(pid);
    this.downgradeEnds.returnToUser(pid);
    if (!this.takenSinceFirstExit.has(pid)) this.takenSinceFirstExit.set(pid, { any: new Set(), W: new Set() });
    const open = this.heldExclusive.get(pid);
    if (open !== undefined && open.size > 0) { this.exclusiveLeftOpen.add(pid); open.clear(); }
    const since = this.takenSinceExit.get(pid);
    if (since === undefined) return;
    let before = this.takenBeforeExit.get(pid);
    if (before === undefined) this.takenBeforeExit.set(pid, before = { R: new Set(), W: new Set() });
    for (const mode of ['R', 'W'] as const) { for (const sem of since[mode]) before[mode].add(sem); since[mode].clear(); }
  }

  constructor(private readonly sites?: SiteNames) {}

  /** Takes a scanned line (number `line`) into account. */
  note(sc: LineScan, line: number): void {
    if (sc.cls === L_RECORD && sc.kind === 'kretprobe') { this.noteReturn(sc, line); return; }
    if (sc.cls === L_RECORD && sc.pid >= 0 && this.unlogged.hasPending(sc.pid) && showsTaskRunning(sc)) this.grantShownBy(sc.pid, line);
    if (sc.cls === L_RECORD && sc.kind === 'syscall_exit') { this.noteReturnToUser(sc.pid); return; }
    // (past a loss no task's acquisitions since its return are all there)
    if (sc.cls === L_MARKER) {
      this.takenSinceFirstExit.clear();
      this.unlogged.lost();
      for (const ends of [this.ends.R, this.ends.W, this.downgradeEnds]) ends.lost(line);
      return;
    }
    if (sc.cls !== L_RECORD || sc.kind !== 'kprobe') return;
    const rec = sc.decoded;
    if (rec !== undefined) {
      // (a decoded record: its function and arguments as the text reader reads them from its line)
      const role = rec.args.sem === undefined || rec.probedSym === undefined ? undefined : lockRole(rec.probedSym);
      if (role !== undefined) this.noteSem(role, rec.args.sem, sc.pid, line, baseName(rec.probedSym!));
      return;
    }
    const s = sc.text;
    // (cheap test first: most records hold no sem)
    if (sc.argsS < 0 || findStr(s, 'sem=', sc.argsS, sc.payE) === -1) return;
    let fn: string;
    if (sc.hexHead) {
      const r = this.sites?.resolve('kprobe', sc.name, s.slice(sc.symS, sc.symE));
      if (r === undefined || !('fn' in r)) return;
      fn = r.fn;
    } else fn = s.slice(sc.symS, sc.symE);
    const role = lockRole(fn);
    if (role === undefined) return;
    const args: Record<string, string> = {};
    parseKeyValues(s, sc.argsS, sc.payE, args);
    this.noteSem(role, args.sem, sc.pid, line, baseName(fn));
  }

  /**
   * A record of a task whose acquisition's entry is logged and its return not yet: the call has
   * returned (no probe fires inside it, and a task waiting for an rwsem does not run), so the
   * task waits no longer; a plain down_read or down_write returns only granted, a grant whose
   * return record is off or missed (KV312). (Its own return record is noteReturn's.)
   */
  private grantShownBy(pid: number, line: number): void {
    const entry = this.unlogged.pending(pid)!;
    this.unlogged.settle(pid);
    if (entry.fn !== 'down_read' && entry.fn !== 'down_write') return;
    this.granted(pid, entry.sem, entry.fn === 'down_write' ? 'W' : 'R', line);
  }

  /**
   * A grant to `pid` of `sem` in `mode`: the rwsem grants an exclusive hold only once every other
   * hold ended, a shared one once the exclusive ones did, the task's own included; a grant shows
   * those ends, logged or not.
   */
  private granted(pid: number, sem: string, mode: LockMode, line: number): void {
    this.ends[mode].grantedAt(pid, sem, line);
    if (mode === 'W') this.downgradeEnds.grantedAt(pid, sem, line);
    // (a task whose request is still waiting holds nothing yet)
    const waiting = (other: number): boolean => this.unlogged.waitingFor(other) === sem;
    this.ends.W.contended(pid, sem, waiting);
    this.downgradeEnds.contended(pid, sem, waiting);
    this.ends.W.grantedAgain(pid, sem, mode === 'W');
    this.downgradeEnds.grantedAgain(pid, sem, mode === 'W');
    if (mode === 'W') { this.ends.R.contended(pid, sem, waiting); this.ends.R.grantedAgain(pid, sem, false); }
  }

  /** A return record: of an acquisition variant, with or without its entry (acquisitionsUnlogged). */
  private noteReturn(sc: LineScan, line: number): void {
    if (sc.pid < 0) return;
    // (the function returned from, where the record names it)
    const fn = probedFunction(sc, this.sites);
    // (a return of another function than the one the task asked with: that call has returned)
    if (this.unlogged.hasPending(sc.pid) && this.unlogged.pending(sc.pid)!.fn !== fn) this.grantShownBy(sc.pid, line);
    const role = fn === undefined ? undefined : lockRole(fn);
    if (role?.acquires !== true) return;
    const site = sc.decoded !== undefined ? sc.decoded.site : sc.siteS < 0 ? undefined : sc.text.slice(sc.siteS, sc.siteE);
    const sem = this.unlogged.acquisitionReturn(sc.pid, fn!, site);
    if (sem === undefined || role.takes === undefined) return;
    const outcome = grantOf(fn!, sc);
    // (a failed trylock or killable wait took nothing: no hold for a release record to end, nor an
    // exclusive one for a downgrade; its entry record counted one)
    if (outcome === false) this.ends[role.takes].release(sc.pid, sem, -1);
    if (outcome === false && role.takes === 'W') this.downgradeEnds.release(sc.pid, sem, -1);
    if (outcome !== true) return;
    this.granted(sc.pid, sem, role.takes, line);
  }

  private noteSem(role: LockRole, semArg: string | undefined, pid: number, line: number, fn?: string): void {
    // (read as the mapping reads it: a `:u64` argument prints decimal, address.ts)
    const sem = addressDigits(semArg);
    if (sem === undefined) return;
    const { acquires, takes, releases } = role;
    if (pid >= 0 && fn !== undefined) this.unlogged.rwsemRecord(role, fn, sem, pid, line);
    if (pid >= 0) this.noteExclusive(role, sem, pid, line);
    if (pid >= 0) this.noteOwnRelease(role, sem, pid, line);
    if (releases !== undefined && pid >= 0 && !role.nonOwner) {
      // (a task releases only what it holds, so it held the rwsem in that mode, which it was
      // granted only once the other tasks' holds that mode excludes had ended: the same sign as a
      // grant, for a capture whose acquisitions show no rwsem, or none at all, where the releases do)
      const waiting = (other: number): boolean => this.unlogged.waitingFor(other) === sem;
      if (releases === 'W') this.ends.R.contended(pid, sem, waiting);
      else this.ends.W.contended(pid, sem, waiting);
      this.downgradeEnds.contended(pid, sem, waiting);
    }
    if (releases !== undefined) this.ends[releases].release(pid, sem, line);
    // (a downgrade ends an exclusive hold as an up_write would, and begins a shared one)
    if (role.downgrades) this.ends.W.release(pid, sem, -1);
    if (takes !== undefined && pid >= 0) this.ends[takes].take(pid, sem, line);
    this.noteDowngradeEdge(role, sem, pid, line);
    if (releases !== undefined) {
      this.released.add(sem);
      this.releasedIn[releases].add(sem);
    }
    // (only an up_read or up_write shows its probe: a task that ends its exclusive holds by
    // downgrade_write alone, as 6.12's wrap_directory_iterator does, is no releaser in W, and no
    // candidate either while it returns to user space with none open, see tasksNeverReleasingIn)
    const ends = releases;
    if (ends !== undefined && pid >= 0 && !this.releaserIn[ends].has(pid)) {
      this.releaserIn[ends].add(pid);
      // (a task that releases in a mode is no longer a candidate in it: what it took is not needed)
      this.takenSinceExit.get(pid)?.[ends].clear();
      this.takenBeforeExit.get(pid)?.[ends].clear();
    }
    if (takes !== undefined && acquires && pid >= 0 && !this.releaserIn[takes].has(pid)) {
      let since = this.takenSinceExit.get(pid);
      if (since === undefined) this.takenSinceExit.set(pid, since = { R: new Set(), W: new Set() });
      since[takes].add(sem);
      if (!this.firstTakeIn[takes].has(pid)) this.firstTakeIn[takes].set(pid, line);
    }
    // (downgrade_write ends one exclusive hold, visibly, but shows nothing of the up_write probe:
    // a lock downgraded once and otherwise released exclusive by an up_write the capture does not
    // show still has exclusive holds whose end cannot be told)
    if (acquires && !this.taken.has(sem)) this.taken.set(sem, line);
    if (takes !== undefined && !this.takenIn[takes].has(sem)) this.takenIn[takes].set(sem, line);
  }

  /** An rwsem record as the ends of the downgrade_write records read it (downgradeEnds). */
  private noteDowngradeEdge(role: LockRole, sem: string, pid: number, line: number): void {
    if (role.downgrades) { this.downgraded.add(sem); this.downgradeEnds.release(pid, sem, line); return; }
    if (pid < 0) return;
    if (role.releases === 'W') this.downgradeEnds.release(pid, sem, -1);
    // (a correct kernel's task ends an exclusive hold by up_read only after downgrading it)
    else if (role.releases === 'R' && !role.nonOwner) this.downgradeEnds.endedUnseen(pid, sem);
    else if (role.acquires && role.takes === 'W') this.downgradeEnds.take(pid, sem, line);
  }

  /**
   * Where the capture's downgrade_write records end (or begin), when its records show that probe
   * turned off (on) there: two or more exclusive holds, of rwsems the capture downgrades somewhere,
   * taken after the last downgrade record (before the first) and ended with no up_write or
   * downgrade logged: their task returns to user space, asks for the rwsem again, or ends it by
   * up_read, or another task is granted it. The tasks whose records leave them holding such an
   * rwsem exclusive (pid → the line of the first): when their holds became shared cannot be told.
   */
  downgradesEnded(timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    return this.downgradeEnds.ended(this.downgraded, timeOrdered);
  }

  /** The mirror of downgradesEnded: downgrade_write turned on after the exclusive acquisitions. */
  downgradesBegan(timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    return this.downgradeEnds.began(this.downgraded, timeOrdered);
  }

  /**
   * The tasks the capture shows taking in `mode` an rwsem whose releases in that mode it shows
   * (by other tasks), returning to user space after, and releasing none in that mode anywhere
   * (pid → the line of its first acquisition in that mode): the release probes are filtered to
   * other tasks (a pid or comm filter on up_read or up_write and not on the acquisitions), so when
   * such a task's holds in that mode end cannot be told. (A task that holds every lock it takes
   * across its returns to user space, and releases none, reads the same: its holds are not judged.)
   * In mode W only a task that returns to user space with an exclusive hold open counts: one whose
   * exclusive holds its own downgrades end shows no sign of a filter. A capture that shows no
   * release in the mode at all is neverReleasedIn's and neverReleased's concern.
   */
  tasksNeverReleasingIn(mode: LockMode): Map<number, number> {
    const out = new Map<number, number>();
    const releasers = this.releaserIn[mode];
    if (releasers.size === 0) return out;
    const released = this.releasedIn[mode];
    for (const [pid, before] of this.takenBeforeExit) {
      if (releasers.has(pid)) continue;
      // (an exclusive hold a task's own downgrade ended is no hold a filtered up_write would end)
      if (mode === 'W' && !this.exclusiveLeftOpen.has(pid)) continue;
      for (const sem of before[mode]) if (released.has(sem)) { out.set(pid, this.firstTakeIn[mode].get(pid)!); break; }
    }
    return out;
  }

  private noteOwnRelease(role: LockRole, sem: string, pid: number, line: number): void {
    const takes = role.acquires || role.takes !== undefined;
    if (takes) this.acquirers.add(pid);
    const mine = this.takenSinceFirstExit.get(pid);
    if (mine === undefined) return;
    if (takes) {
      mine.any.add(sem);
      if (role.takes === 'W') mine.W.add(sem);
    // (a shared release may end a hold taken exclusive and downgraded; an exclusive one only an exclusive hold)
    } else if (role.releases !== undefined && !role.nonOwner && !(role.releases === 'W' ? mine.W : mine.any).has(sem)) {
      const byTask = this.releasesUntaken[role.releases];
      const n = byTask.get(pid);
      if (n === undefined) byTask.set(pid, { count: 1, firstLine: line });
      else n.count++;
    }
  }

  /**
   * The releases in `mode` (up_read, up_write) the capture shows by a task of an rwsem it has not
   * taken since its first return to user space (so that nothing it held before the capture began
   * explains them), and the line of the first: a correct kernel's task took each by some variant
   * the capture does not show (a buggy one released what it never took). Only tasks the capture
   * shows taking some rwsem count: one it shows taking none may be a task the acquisition probes'
   * filter leaves out.
   */
  releasesOfUntaken(mode: LockMode): { count: number; firstLine: number } {
    let count = 0;
    let firstLine = 0;
    for (const [pid, n] of this.releasesUntaken[mode]) {
      if (!this.acquirers.has(pid)) continue;
      count += n.count;
      if (firstLine === 0 || n.firstLine < firstLine) firstLine = n.firstLine;
    }
    return { count, firstLine };
  }

  private noteExclusive(role: LockRole, sem: string, pid: number, line: number): void {
    if (role.downgrades) this.downgraders.add(pid);
    if (role.acquires && role.takes === 'W') {
      let held = this.heldExclusive.get(pid);
      if (held === undefined) this.heldExclusive.set(pid, held = new Set());
      held.add(sem);
      return;
    }
    if (role.releases === undefined && !role.downgrades) return;
    const held = this.heldExclusive.get(pid);
    if (held === undefined || !held.delete(sem)) return;
    if (role.releases !== 'R') return;
    this.sharedEnds++;
    this.exclusiveLeftOpen.add(pid);
    if (!this.firstSharedEndOfExclusive.has(pid)) this.firstSharedEndOfExclusive.set(pid, line);
  }

  /**
   * The tasks the capture shows releasing with up_read an rwsem they took exclusive, with no
   * downgrade_write of theirs anywhere, where other tasks' downgrades are shown (pid → the line of
   * the first such up_read): downgrade_write is filtered to other tasks (a pid or comm filter on it
   * alone), so when such a task's exclusive holds became shared cannot be told. (A task that
   * releases an exclusive hold by up_read, a bug, reads the same in such a capture.) A capture that
   * shows no downgrade at all is the spec's unseen_downgrade concern where the probe is missing.
   */
  tasksNeverDowngrading(): Map<number, number> {
    const out = new Map<number, number>();
    if (this.downgraders.size === 0) return out;
    for (const [pid, line] of this.firstSharedEndOfExclusive) if (!this.downgraders.has(pid)) out.set(pid, line);
    return out;
  }

  /**
   * The exclusive holds the capture shows ended by their task's up_read with no downgrade_write of
   * them logged, and the line of the first: a correct kernel downgrades first (a kernel that
   * releases an exclusive hold by up_read reads the same).
   */
  sharedEndsOfExclusive(): { count: number; firstLine: number } {
    let firstLine = 0;
    for (const line of this.firstSharedEndOfExclusive.values()) if (firstLine === 0 || line < firstLine) firstLine = line;
    return { count: this.sharedEnds, firstLine };
  }

  /** How many rwsems the capture shows released in `mode` and never taken in it: their acquisitions are not in it. */
  releasedUntakenIn(mode: LockMode): number {
    let n = 0;
    for (const s of this.releasedIn[mode]) if (!this.takenIn[mode].has(s)) n++;
    return n;
  }

  /**
   * Where the capture's releases in `mode` end, when its records show that probe turned off (or
   * its records lost) there: two or more acquisitions in that mode after the last release, each
   * followed by its task's return to user space or by its asking for the same rwsem again, which a
   * correct kernel's task does only after releasing. Then the tasks whose last event in that mode is an acquisition (pid → its line):
   * when their holds end cannot be told. (A kernel that leaks a lock still logs the releases of
   * the others' holds: its releases do not end.)
   */
  releasesEnded(mode: LockMode, timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    return this.ends[mode].ended(this.releasedIn[mode], timeOrdered);
  }

  /**
   * A call of `__lookup_slow` or of a filesystem's ->lookup by task `pid` in the directory whose
   * inode is `dir`: entered with the directory's lock held (UnloggedAcquisitions.lockedCall).
   */
  lockedCall(pid: number, line: number, dir: string | undefined): void {
    if (pid >= 0 && dir !== undefined) this.unlogged.lockedCall(pid, line, dir);
  }

  /**
   * The tasks whose acquisitions the capture shows going unlogged while their releases are logged
   * (pid → the line of the first sign), and in words where (UnloggedAcquisitions.result).
   */
  acquisitionsUnlogged(irwsemOffset: number | undefined, timeOrdered: boolean): { tasks: Map<number, number>; where: string[] } {
    // (read in file order: records put back in time order afterwards, per-CPU files joined one
    // after another, show a task's steps out of order, and none of these signs)
    return timeOrdered ? this.unlogged.result(irwsemOffset) : { tasks: new Map(), where: [] };
  }

  /** Where the capture's releases in `mode` begin, when its records show that probe turned on there (ReleasesEnd.began). */
  releasesBegan(mode: LockMode, timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    return this.ends[mode].began(this.releasedIn[mode], timeOrdered);
  }

  /** address → the line of its first acquisition, for each rwsem taken and never released. */
  neverReleased(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const [s, line] of this.taken) if (!this.released.has(s)) out.set(BigInt('0x' + s), line);
    return out;
  }

  /**
   * address → the line of its first acquisition in `mode`, for each rwsem taken in that mode and
   * released, anywhere in the capture, only in the other: no `up_read` of it at all while it is
   * taken shared (a capture that probes up_write and not up_read, or filters up_read to other
   * addresses), no `up_write` of it while it is taken exclusive (a downgrade_write is no sign of
   * one). When such a hold ends cannot be told. Rwsems never released at all are neverReleased's.
   */
  neverReleasedIn(mode: LockMode): Map<bigint, number> {
    const out = new Map<bigint, number>();
    const released = this.releasedIn[mode];
    for (const [s, line] of this.takenIn[mode]) if (this.released.has(s) && !released.has(s)) out.set(BigInt('0x' + s), line);
    return out;
  }
}

/**
 * What probed function `probed` does to an rwsem (a compiler's clone, `down_read.cold`, as the
 * function it was cut from): `down_read*` take it shared, `down_write*` and `_down_write*`
 * exclusive, `up_read`/`up_read_non_owner` and `up_write` release it, `downgrade_write` releases
 * the exclusive hold and holds it shared.
 */
function lockRole(probed: string): LockRole | undefined {
  const fn = baseName(probed);
  if (fn === 'up_read_non_owner') return { acquires: false, releases: 'R', nonOwner: true };
  if (RELEASES.has(fn)) return { acquires: false, releases: fn === 'up_write' ? 'W' : 'R' };
  if (fn === 'downgrade_write') return { acquires: false, takes: 'R', downgrades: true };
  if (fn.startsWith('down_read')) return { acquires: true, takes: 'R' };
  if (fn.startsWith('down_write') || fn.startsWith('_down_write')) return { acquires: true, takes: 'W' };
  return fn.startsWith('down_') || fn.startsWith('_down_') ? { acquires: true } : undefined;
}

/**
 * Whether an acquisition's return record shows the lock granted (true) or refused (false): a
 * trylock's return value is 1 on success, a killable or interruptible wait's 0; a plain wait
 * always is granted. A value not printed tells nothing (undefined).
 */
function grantOf(fn: string, sc: LineScan): boolean | undefined {
  if (!fn.includes('trylock') && !fn.includes('killable') && !fn.includes('interruptible')) return true;
  const args = sc.decoded !== undefined ? sc.decoded.args as Record<string, string | undefined> : undefined;
  let ret = args?.ret;
  if (ret === undefined && sc.decoded === undefined && sc.argsS >= 0) {
    const parsed: Record<string, string> = {};
    parseKeyValues(sc.text, sc.argsS, sc.payE, parsed);
    ret = parsed.ret;
  }
  if (ret === undefined) return undefined;
  const v = Number.parseInt(ret.startsWith('0x') ? ret.slice(2) : ret, 16);
  if (Number.isNaN(v)) return undefined;
  return fn.includes('trylock') ? v === 1 : v === 0;
}

/**
 * The end of a capture's release records of one mode, as the records after it show it
 * (RwsemReleases.releasesEnded). Only rwsems the capture releases in that mode somewhere count: one
 * it never releases so is a filter's (KV320, KV327), whatever the time.
 */
class ReleasesEnd {
  private firstRelease = 0;
  /**
   * Before the first release: the rwsems taken whose task then returned to user space or asked
   * for it again; pid → rwsem → the line it first took it.
   */
  private readonly exitsBefore: Sign[] = [];
  /** The holds the signs of exitsBefore prove ended, and those of them a release record of their own later unproves. */
  private readonly provenBefore = new Set<string>();
  private readonly unprovenBefore = new Set<string>();
  private readonly takenBefore = new Map<number, Map<string, number>>();
  private lastRelease = 0;
  /** The rwsems taken after the last release whose task then returned to user space or asked for it again. */
  private exitsAfter: Sign[] = [];
  /** pid → its latest acquisition not yet followed by its return to user space. */
  private readonly takenBeforeExit = new Map<number, { line: number; sem: string }>();
  /** pid → rwsem → how many holds of it its records leave open, and the line of the first. */
  private readonly holding = new Map<number, Map<string, { n: number; line: number }>>();
  /** rwsem → the tasks whose records leave them holding it in this mode. */
  private readonly holders = new Map<string, Set<number>>();

  /** The line of the last loss marker: a hold taken before it may have ended in the loss. */
  private lossLine = 0;

  lost(line: number): void {
    this.lossLine = line;
  }

  /** A release of `sem` by `pid` (line -1: a downgrade, which is no release record). */
  release(pid: number, sem: string, line: number): void {
    const mine = this.holding.get(pid);
    const h = mine?.get(sem);
    if (h !== undefined && h.n === 1 && line >= 0 && this.provenBefore.size > 0) {
      // (a hold whose end another task's hold proved, released by its own record after all, in
      // the same syscall: the two holds overlapped, which no release probe turned on late
      // explains; with more than one open, or after a return to user space, the release may be of
      // a later hold whose acquisition went unlogged)
      const t = this.takenBeforeExit.get(pid);
      const hold = holdOf(pid, sem, h.line);
      if (t !== undefined && t.sem === sem && t.line === h.line && this.provenBefore.has(hold)) this.unprovenBefore.add(hold);
    }
    if (h !== undefined && --h.n <= 0) { mine!.delete(sem); this.holders.get(sem)?.delete(pid); }
    this.takenBeforeExit.delete(pid);
    if (line < 0) return;
    if (this.firstRelease === 0) this.firstRelease = line;
    this.lastRelease = line;
    this.exitsAfter = [];
  }

  take(pid: number, sem: string, line: number): void {
    // (a task that asks again for an rwsem its records leave it holding had released it, as it
    // does before a return to user space: a correct kernel's task takes none twice over, and a
    // kernel that does still logs the other tasks' releases)
    const kept = this.holding.get(pid)?.get(sem);
    const again = kept !== undefined && kept.line > this.lossLine ? kept : undefined;
    if (again !== undefined) this.sign(pid, sem, again.line, false);
    this.takenBeforeExit.set(pid, { line, sem });
    if (this.firstRelease === 0) {
      let mine = this.takenBefore.get(pid);
      if (mine === undefined) this.takenBefore.set(pid, mine = new Map());
      if (!mine.has(sem)) mine.set(sem, line);
    }
    let mine = this.holding.get(pid);
    if (mine === undefined) this.holding.set(pid, mine = new Map());
    const h = mine.get(sem);
    if (h === undefined) {
      mine.set(sem, { n: 1, line });
      let by = this.holders.get(sem);
      if (by === undefined) this.holders.set(sem, by = new Set());
      by.add(pid);
    } else h.n++;
  }

  /**
   * The grant, at `line`, of the hold of `sem` that `pid` asked for at its entry record: a request
   * made before the last release record and granted after it is a hold taken after it.
   */
  grantedAt(pid: number, sem: string, line: number): void {
    const h = this.holding.get(pid)?.get(sem);
    if (h !== undefined && h.n === 1 && h.line <= this.lastRelease && line > this.lastRelease) h.line = line;
    const t = this.takenBeforeExit.get(pid);
    if (t !== undefined && t.sem === sem && t.line <= this.lastRelease && line > this.lastRelease) t.line = line;
  }

  /**
   * A grant to `pid` of `sem` in a mode that excludes its own earlier hold of it in this mode,
   * which its records leave open (it asked again): the rwsem granted it only once that hold had
   * ended, unlogged (a task that asks again for what it holds exclusive waits for ever).
   */
  grantedAgain(pid: number, sem: string, sameMode: boolean): void {
    const h = this.holding.get(pid)?.get(sem);
    // (a grant in this mode: the request's own take is one of the holds counted)
    if (h === undefined || h.n < (sameMode ? 2 : 1) || h.line < this.lossLine) return;
    this.sign(pid, sem, h.line, true);
  }

  /**
   * A grant to `pid` of `sem` in a mode that conflicts with this one's holds (exclusive against
   * any, shared against exclusive ones), or its release in such a mode: the other tasks' holds of
   * it in this mode had ended, as a return to user space shows.
   */
  contended(pid: number, sem: string, waiting: (pid: number) => boolean): void {
    const by = this.holders.get(sem);
    if (by === undefined) return;
    for (const other of by) {
      if (other === pid || waiting(other)) continue;
      const h = this.holding.get(other)?.get(sem);
      if (h === undefined || h.line < this.lossLine) continue;
      // (the hold ended: no leak explains a missing release, as it may a return to user space)
      this.sign(other, sem, h.line, true);
    }
  }

  /**
   * An end by `pid` of its hold of `sem` that no record of this probe shows, though a correct
   * kernel's task makes one first (an up_read of an exclusive hold, after its downgrade): counted
   * as a return to user space with the hold open is, and the hold ended.
   */
  endedUnseen(pid: number, sem: string): void {
    const h = this.holding.get(pid)?.get(sem);
    if (h === undefined || h.line < this.lossLine) return;
    this.sign(pid, sem, h.line, false);
    // (the task's records no longer leave it holding the rwsem, but it is one of those whose holds
    // the missing records leave unknown: `ended` counts it with the holders)
    let mine = this.unseenEnds.get(pid);
    if (mine === undefined) this.unseenEnds.set(pid, mine = new Map());
    const seen = mine.get(sem);
    if (seen === undefined) mine.set(sem, { first: h.line, last: h.line }); else seen.last = h.line;
    this.release(pid, sem, -1);
  }

  /** pid → rwsem → the lines of the first and the latest of its holds of it that ended unseen (endedUnseen). */
  private readonly unseenEnds = new Map<number, Map<string, { first: number; last: number }>>();

  returnToUser(pid: number): void {
    const t = this.takenBeforeExit.get(pid);
    if (t === undefined) return;
    this.takenBeforeExit.delete(pid);
    this.sign(pid, t.sem, t.line, false, t.sem);
  }

  /**
   * Files a sign that the hold of `sem` that `pid` took at `line` ended unlogged (`counted`: its
   * rwsem as it counts, ORDERED-marked unless given): after the last release record, a sign the
   * records ended; before any, one they had not begun. A proof counts before the first release
   * record too, for a hold taken before it, whenever the proof comes.
   */
  private sign(pid: number, sem: string, line: number, proof: boolean, counted = ORDERED + sem): void {
    const sign: Sign = { hold: holdOf(pid, sem, line), pid, line, sem: counted, proof };
    if (line > this.lastRelease) this.exitsAfter.push(sign);
    if (this.firstRelease === 0 || (proof && line < this.firstRelease)) {
      this.exitsBefore.push(sign);
      if (proof) this.provenBefore.add(sign.hold);
    }
  }

  /**
   * The mirror of `ended`: two or more acquisitions, of rwsems released in this mode somewhere,
   * whose tasks return to user space before the first release record: the release probe was
   * turned on there. The tasks that took such rwsems before it (pid → the line of the first).
   */
  began(released: ReadonlySet<string>, timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    const exits = enoughSigns(this.exitsBefore, released, timeOrdered, this.unprovenBefore);
    if (this.firstRelease === 0 || exits === 0) return undefined;
    return { line: this.firstRelease, exits, tasks: firstLines(this.takenBefore, released, (line) => line) };
  }

  /** `released`: the rwsems the capture releases in this mode. */
  ended(released: ReadonlySet<string>, timeOrdered: boolean): { line: number; exits: number; tasks: Map<number, number> } | undefined {
    const exits = enoughSigns(this.exitsAfter, released, timeOrdered);
    if (this.lastRelease === 0 || exits === 0) return undefined;
    const tasks = firstLines(this.holding, released, (h) => h.line);
    // (and the tasks whose holds taken past the last record ended unseen)
    for (const [pid, mine] of this.unseenEnds) {
      for (const [sem, { first, last }] of mine) {
        if (!released.has(sem) || last <= this.lastRelease) continue;
        // (the first such hold past the last record, or, where the first came before it, the latest)
        const line = first > this.lastRelease ? first : last;
        const known = tasks.get(pid);
        if (known === undefined || line < known) tasks.set(pid, line);
      }
    }
    // (and the tasks whose holds the signs show ending unseen, whatever their records did after)
    for (const sign of this.exitsAfter) {
      if (!counts(sign.sem, released, timeOrdered)) continue;
      const known = tasks.get(sign.pid);
      if (known === undefined || sign.line < known) tasks.set(sign.pid, sign.line);
    }
    return { line: this.lastRelease, exits, tasks };
  }
}

/**
 * Marks a sign read off the order of two records of different tasks, or of one task's across
 * CPUs (a request again, a grant): no sign in a file whose records are out of time order.
 */
const ORDERED = '!';

/**
 * A sign that a hold ended with no release record of it: the hold (its task and line, and its key), its
 * rwsem (ORDERED-marked where the sign rests on the records' order), and whether the sign proves
 * the hold ended (another task held the rwsem in a mode it excludes, after it) or only shows its
 * task going on as if it had (a return to user space, a request again), which a kernel that leaks
 * the hold would show too.
 */
interface Sign { hold: string; pid: number; line: number; sem: string; proof: boolean }

function holdOf(pid: number, sem: string, line: number): string {
  return `${pid}:${sem}:${line}`;
}

/**
 * How many holds the signs that count show ended with no release record, when that is enough to
 * say the release records stopped (or had not begun): two holds, or two signs (one hold whose task
 * returns to user space and asks for it again), or one sign that proves its hold ended (a leak of
 * one hold explains one task going on as if it had released it, and nothing else); else 0. A proof
 * that the hold's own release record later contradicts (`unproven`) proves nothing, nor counts as a
 * second sign.
 */
function enoughSigns(signs: readonly Sign[], released: ReadonlySet<string>, timeOrdered: boolean, unproven?: ReadonlySet<string>): number {
  const holds = new Set<string>();
  let n = 0;
  let proven = false;
  for (const s of signs) {
    if (!counts(s.sem, released, timeOrdered)) continue;
    holds.add(s.hold);
    if (s.proof && unproven?.has(s.hold) === true) continue;
    n++;
    if (s.proof) proven = true;
  }
  return holds.size >= 2 || n >= 2 || proven ? holds.size : 0;
}

/** Whether a sign (an rwsem, ORDERED-marked where it rests on the records' order) counts. */
function counts(sign: string, released: ReadonlySet<string>, timeOrdered: boolean): boolean {
  const ordered = sign.startsWith(ORDERED);
  return (timeOrdered || !ordered) && released.has(ordered ? sign.slice(1) : sign);
}

/** pid → the first line among its rwsems in `released` (`lineOf` reads it off each), for each task with one. */
function firstLines<T>(byTask: ReadonlyMap<number, ReadonlyMap<string, T>>, released: ReadonlySet<string>, lineOf: (v: T) => number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [pid, mine] of byTask) {
    let first = 0;
    for (const [sem, v] of mine) if (released.has(sem) && (first === 0 || lineOf(v) < first)) first = lineOf(v);
    if (first > 0) out.set(pid, first);
  }
  return out;
}

/**
 * Acquisitions the capture does not log while it logs releases, as the records show it: an
 * acquisition variant's entry probe turned off (or on) while its return probe, or the release
 * probes, go on. Entry probes are filtered on the directories' rwsems and return probes log every
 * call, so a return with no entry before it is an untracked rwsem's, unless the entry probe was
 * off. Two signs, each on a release in a mode by a task of an rwsem its records show it not
 * holding (so that nothing held before the capture began counts, its holds of that rwsem counted
 * from its first logged acquisition of it, or from its first return to user space; and since the
 * last loss marker):
 * - the task's latest rwsem record before it is a return, with no entry, of the acquisition variant
 *   whose logged entry took the same rwsem before: that return's entry went unlogged (a kernel that
 *   releases what it never took does so with its own records in between, as the draft d_add_ci's
 *   double release does);
 * - it comes after the last entry record of every acquisition variant of that mode, or before the
 *   first, two or more such releases, each of an rwsem the capture shows taken in that mode with a
 *   logged acquisition (an entry filter may keep some directories out altogether), and none
 *   between the first and the last (else a variant not probed at all takes them): the variants'
 *   entry probes were off there.
 * And a third, on calls entered with their directory locked (`__lookup_slow`, a filesystem's
 * ->lookup) by a task shown returning to user space whose latest rwsem record is no acquisition:
 * two or more outside the entry records of every variant whose entries name that directory's
 * rwsem, and none inside such a window (where every such call came after its acquisition).
 * When a correct kernel's task took what it releases cannot be told: its acquisitions are as
 * hidden as those of a task the capture shows taking nothing.
 */
class UnloggedAcquisitions {
  /** Per task shown returning to user space: rwsem → its holds the records leave open. */
  private readonly holds = new Map<number, Map<string, number>>();
  /** pid → the acquisition variant whose entry awaits its return. */
  private readonly pendingEntry = new Map<number, { fn: string; sem: string; settled?: boolean }>();
  /** Tasks whose latest rwsem record is a return of an acquisition variant with no entry → that variant and its site (`fn@site`). */
  private readonly afterBareReturn = new Map<number, string>();
  /** Per `fn@site`: pid → the line of its first release of an untaken rwsem right after such a return. */
  private readonly afterBare = new Map<string, Map<number, number>>();
  /** The rwsems the capture logs an acquisition entry of, per mode. */
  private readonly takenIn = { R: new Set<string>(), W: new Set<string>() };
  /** pid → rwsem → where its latest logged acquisition of it returned: its variant and return site (`down_read@walk_component+0xcc/0x150`). */
  private readonly takenBy = new Map<number, Map<string, string>>();
  /**
   * pid → rwsem → its holds the records leave open, counted from the task's first logged
   * acquisition of it (whatever it held before, it took again only after releasing) and the last
   * loss marker: the first sign needs no return to user space logged.
   */
  private readonly sinceTaken = new Map<number, Map<string, number>>();
  /** Per acquisition variant: the first and last lines of its entry records. */
  private readonly variantEntries = new Map<string, { first: number; last: number }>();
  /** Releases of rwsems not held per the records right after a return with no entry: (variant@site, pid, line, rwsem). */
  private readonly afterAnyBare: [string, number, number, string][] = [];
  /** Tasks whose latest rwsem entry record is an acquisition's. */
  private readonly tookLast = new Set<number>();
  /**
   * The calls entered with their directory locked (lockedCall) by a task shown returning to user
   * space whose latest rwsem entry record is no acquisition: (pid, line, the directory's inode).
   */
  private readonly lockedUntaken: [number, number, string][] = [];
  /** Calls entered with their directory locked right after a return with no entry: (variant@site, pid, line, the directory's inode). */
  private readonly lockedAfterBare: [string, number, number, string][] = [];
  /** Per acquisition variant: the rwsems its entries name (an entry filter may keep it to some directories). */
  private readonly variantSems = new Map<string, Set<string>>();
  /** Per mode: the releases of untaken rwsems, as (pid, line). */
  private readonly untaken = { R: [] as [number, number][], W: [] as [number, number][] };

  returnToUser(pid: number): void {
    if (!this.holds.has(pid)) this.holds.set(pid, new Map());
    this.afterBareReturn.delete(pid);
  }

  /** A loss marker: what a task took since its return may be in the loss. */
  lost(): void {
    this.holds.clear();
    this.sinceTaken.clear();
    this.takenBy.clear();
    this.pendingEntry.clear();
    this.afterBareReturn.clear();
  }

  /** The rwsem task `pid` has asked for and not yet returned from asking (its entry logged, and no record of it since), if any. */
  waitingFor(pid: number): string | undefined {
    const entry = this.pendingEntry.get(pid);
    return entry === undefined || entry.settled ? undefined : entry.sem;
  }

  /** Whether task `pid` has an acquisition whose entry is logged and whose return is not, with no record of it since. */
  hasPending(pid: number): boolean {
    const entry = this.pendingEntry.get(pid);
    return entry !== undefined && !entry.settled;
  }

  pending(pid: number): { fn: string; sem: string } | undefined {
    return this.pendingEntry.get(pid);
  }

  /** A record of task `pid` after its pending acquisition's entry: that call returned, its return record unlogged so far. */
  settle(pid: number): void {
    const entry = this.pendingEntry.get(pid);
    if (entry !== undefined) entry.settled = true;
  }

  /**
   * A return of acquisition variant `fn` to `site` (as printed; undefined where the record names
   * none); the rwsem its entry named, when the entry is logged.
   */
  acquisitionReturn(pid: number, fn: string, site: string | undefined): string | undefined {
    const where = `${fn}@${site ?? '?'}`;
    const entry = this.pendingEntry.get(pid);
    if (entry?.fn === fn) {
      this.pendingEntry.delete(pid);
      let byTask = this.takenBy.get(pid);
      if (byTask === undefined) this.takenBy.set(pid, byTask = new Map());
      byTask.set(entry.sem, where);
      return entry.sem;
    }
    if (site !== undefined) this.afterBareReturn.set(pid, where);
    return undefined;
  }

  /** An entry record naming an rwsem: an acquisition (fn its variant), a release, or a downgrade. */
  rwsemRecord(role: LockRole, fn: string, sem: string, pid: number, line: number): void {
    const bare = this.afterBareReturn.get(pid);
    this.afterBareReturn.delete(pid);
    if (role.acquires) this.tookLast.add(pid); else this.tookLast.delete(pid);
    const mine = this.holds.get(pid);
    if (role.acquires) {
      this.pendingEntry.set(pid, { fn, sem });
      const seen = this.variantEntries.get(fn);
      if (seen === undefined) this.variantEntries.set(fn, { first: line, last: line }); else seen.last = line;
      let sems = this.variantSems.get(fn);
      if (sems === undefined) this.variantSems.set(fn, sems = new Set());
      sems.add(sem);
      if (role.takes !== undefined) this.takenIn[role.takes].add(sem);
      if (mine !== undefined) mine.set(sem, (mine.get(sem) ?? 0) + 1);
      let since = this.sinceTaken.get(pid);
      if (since === undefined) this.sinceTaken.set(pid, since = new Map());
      since.set(sem, (since.get(sem) ?? 0) + 1);
      return;
    }
    // (a downgrade ends an exclusive hold as a release does, and keeps it shared: as many holds)
    if ((role.releases === undefined && !role.downgrades) || role.nonOwner) return;
    const since = this.sinceTaken.get(pid);
    const held = since?.get(sem);
    if (held !== undefined && held > 0) { if (!role.downgrades) since!.set(sem, held - 1); }
    else if (bare !== undefined) {
      if (this.holds.has(pid)) this.afterAnyBare.push([bare, pid, line, sem]);
      // (the bare return is of the variant, from the call site, the task took this very rwsem with
      // before: its entry went unlogged; another's is an untracked rwsem's, and the release one of
      // an acquisition by a variant not probed at all, which the rules already know)
      if (held !== undefined && this.takenBy.get(pid)?.get(sem) === bare) {
        let byTask = this.afterBare.get(bare);
        if (byTask === undefined) this.afterBare.set(bare, byTask = new Map());
        if (!byTask.has(pid)) byTask.set(pid, line);
      }
    }
    if (mine === undefined) return;
    const n = mine.get(sem) ?? 0;
    if (n > 0 && role.downgrades) return;
    if (n > 1) { mine.set(sem, n - 1); return; }
    if (n === 1) { mine.delete(sem); return; }
    // (only an rwsem the capture shows taken so with a logged acquisition: an entry filter may keep
    // some directories' acquisitions out, whose releases show nothing of a probe turned off)
    const mode = role.releases ?? 'W';
    if (this.takenIn[mode].has(sem)) this.untaken[mode].push([pid, line]);
  }

  /**
   * A call entered with its directory locked: __lookup_slow (lookup_slow takes the directory
   * shared right before it) or a filesystem's ->lookup (its caller holds the directory's lock).
   */
  lockedCall(pid: number, line: number, dir: string): void {
    if (this.tookLast.has(pid) || !this.holds.has(pid)) return;
    this.lockedUntaken.push([pid, line, dir]);
    // (right after a return with no entry: that return's acquisition is the one that locked it)
    const bare = this.afterBareReturn.get(pid);
    if (bare !== undefined) this.lockedAfterBare.push([bare, pid, line, dir]);
  }

  /** `irwsemOffset`: where i_rwsem lies in an inode, if the capture tells (infer.ts): a __lookup_slow names its directory's inode. */
  result(irwsemOffset: number | undefined): { tasks: Map<number, number>; where: string[] } {
    const tasks = new Map<number, number>();
    const where: string[] = [];
    const add = (pid: number, line: number): void => { const was = tasks.get(pid); if (was === undefined || line < was) tasks.set(pid, line); };
    for (const [fn, byTask] of this.afterBare) {
      for (const [pid, line] of byTask) add(pid, line);
      const first = Math.min(...byTask.values());
      const one = byTask.size === 1;
      where.push(`${byTask.size} task${one ? ' releases an rwsem it does' : 's release an rwsem they do'} not hold right after a return `
        + `of ${fn} whose entry is not logged, though ${one ? 'it' : 'each'} took the same rwsem from there before (first on line ${first})`);
    }
    // (beyond a variant's entry records, its entry probe was off: a task that releases what it does
    // not hold right after a return of it there took it so where the variant's entry probe is
    // filtered to name that rwsem, or where another task's release showed the probe off)
    // (two or more where no task's own rwsem showed it: tasks shown returning to user space only)
    const established = new Set([...this.afterBare.keys()].map((w) => w.slice(0, w.indexOf('@'))));
    const beyond = new Map<string, [number, number][]>();
    const lockedBare = irwsemOffset === undefined ? []
      : this.lockedAfterBare.map(([bare, pid, line, dir]): [string, number, number, string] => [bare, pid, line, semOf(dir, irwsemOffset)]);
    for (const [bare, pid, line, sem] of [...this.afterAnyBare, ...lockedBare]) {
      const variant = bare.slice(0, bare.indexOf('@'));
      const entries = this.variantEntries.get(variant);
      if (entries === undefined || (line <= entries.last && line >= entries.first)) continue;
      if (!established.has(variant) && this.variantSems.get(variant)?.has(sem) !== true) continue;
      let found = beyond.get(variant);
      if (found === undefined) beyond.set(variant, found = []);
      found.push([pid, line]);
    }
    for (const [variant, found] of beyond) {
      const n = found.length;
      if (n < 2 && !established.has(variant)) continue;
      for (const [pid, line] of found) add(pid, line);
      where.push(`${n} release${n === 1 ? '' : 's'} of rwsems their tasks do not hold, or calls entered with the directory locked, right after `
        + `a return of ${variant} with no entry, beyond its entry records`);
    }
    for (const mode of ['R', 'W'] as const) {
      // (the first and last entry records of the mode's variants: their windows' span)
      let first = 0;
      let last = 0;
      for (const [fn, w] of this.variantEntries) {
        if (lockRole(fn)?.takes !== mode) continue;
        if (first === 0 || w.first < first) first = w.first;
        last = Math.max(last, w.last);
      }
      const release = mode === 'R' ? 'up_read' : 'up_write';
      // (releases of untaken rwsems between the first and the last entry record say another
      // variant, unprobed, takes them, as down_write_nested does on a lockdep build: no sign)
      if (first === 0 || this.untaken[mode].some(([, line]) => line > first && line < last)) continue;
      for (const [side, outside] of [['after the last', (l: number) => l > last], ['before the first', (l: number) => l < first]] as const) {
        const found = this.untaken[mode].filter(([, line]) => outside(line));
        if (found.length < 2) continue;
        for (const [pid, line] of found) add(pid, line);
        where.push(`${found.length} ${release}s${mode === 'W' ? ' or downgrades' : ''} of rwsems their tasks do not hold ${side} entry record `
          + `of an acquisition variant in that mode (line ${side === 'after the last' ? last : first})`);
      }
    }
    // (a third sign: calls entered with their directory locked by tasks whose latest rwsem record
    // is no acquisition, each where every variant whose entries name that directory's rwsem logged
    // none, where no such call comes inside such a window: those variants' entry probes were off
    // there; one inside says the acquisitions are not all probed at all. Two or more: one such
    // call past the last acquisition logged is as much a ->lookup called unlocked, the bug)
    if (irwsemOffset !== undefined) {
      const outside: [number, number, string[]][] = [];
      let inside = 0;
      for (const [pid, line, dir] of this.lockedUntaken) {
        const sem = semOf(dir, irwsemOffset);
        const takers = [...this.variantSems].filter(([, sems]) => sems.has(sem)).map(([fn]) => fn);
        if (takers.length === 0) continue;
        const off = takers.filter((fn) => { const w = this.variantEntries.get(fn)!; return line < w.first || line > w.last; });
        if (off.length < takers.length) inside++;
        else outside.push([pid, line, off]);
      }
      if (inside === 0 && outside.length >= 2) {
        for (const [pid, line] of outside) add(pid, line);
        const fns = [...new Set(outside.flatMap(([, , off]) => off))].sort();
        where.push(`${outside.length} calls of __lookup_slow or ->lookup, entered with the directory locked, with no acquisition of their task before `
          + `them, outside the entry records of ${fns.join(' and ')}, which name those directories (first on line ${Math.min(...outside.map(([, l]) => l))})`);
      }
    }
    return { tasks, where };
  }
}

/** The rwsem address (as addressDigits prints it) of the inode `dinode` (hex as printed), whose i_rwsem lies `offset` bytes in. */
function semOf(dinode: string, offset: number): string {
  const inode = printedAddress(dinode);
  return inode === undefined ? '' : (inode + BigInt(offset)).toString(16);
}

/**
 * Whether a record of a task shows it running its own code, past any rwsem wait it was in: what a
 * task records while it waits, before it sleeps or without running, does not. The stack trace
 * logged with its last record (`<stack trace>`, `<user stack trace>`), its own scheduler records
 * (the `sched_switch` that puts it to sleep, the wake-ups it makes as it queues, its run-time
 * accounting), `contention_begin` (it begins to wait), and whatever an interrupt logs on its CPU
 * while it is the current task (hardirq, softirq or NMI in the flags column).
 */
function showsTaskRunning(sc: LineScan): boolean {
  if (sc.kind === 'event') {
    const n = sc.name;
    if (n === '<stack trace>' || n === '<user stack trace>' || n === 'contention_begin' || n.startsWith('sched_')) return false;
  }
  return !inInterrupt(sc);
}

/** Whether the record's flags column says it was logged in interrupt context: `h`, `s`, `H` (hardirq in softirq), `z`, `Z` (NMI). */
function inInterrupt(sc: LineScan): boolean {
  for (let i = sc.flagsS; i >= 0 && i < sc.flagsE; i++) {
    const c = sc.text.charCodeAt(i);
    if (c === 104 /* h */ || c === 115 /* s */ || c === 72 /* H */ || c === 122 /* z */ || c === 90 /* Z */) return true;
  }
  return false;
}
