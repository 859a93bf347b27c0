/**
 * What the checker learns of a whole ftrace text file before judging its first record, in one
 * pass over its lines as the reader scans them (scanLine, no records built): whether it holds the
 * entries its header promises (promise.ts), which rwsems it takes and never releases
 * (unreleased.ts), and the i_rwsem offset its slow lookups show (infer.ts IrwsemVotes).
 */
import { fillScan, isDecodedChunk, type DecodedChunk } from './decoded.js';
import { IrwsemVotes, ParLookupVotes } from './infer.js';
import { firstNonBlank, GluedRecords } from './glued.js';
import { L_BAD, L_MARKER, L_RECORD, LineScan, newSniffState, scanLine } from './line.js';
import { continuesValue } from './records.js';
import { hasOpenString, parseKeyValues } from './payload.js';
import { EntriesCount, type EntriesPromise } from './promise.js';
import { RwsemReleases, type LockMode } from './unreleased.js';
import { probedFunction, type SiteNames } from './probed-function.js';
import { LatenessMeter, type Lateness } from './lateness.js';
import { DoubleProbes } from './double-probes.js';
import { LookupEnds } from './lookup-ends.js';
import { CpuCover, type CpusLeftOut, type OnlyCpu0 } from './cpus.js';

export interface ReadAhead {
  /** The header's promise when the log holds fewer entries, else undefined. */
  shortfall: EntriesPromise | undefined;
  /** Each rwsem taken and never released: its address → the line of its first acquisition. */
  neverReleased: Map<bigint, number>;
  /** Per mode, each rwsem taken in it and released only in the other (unreleased.ts neverReleasedIn). */
  neverReleasedIn: Record<LockMode, Map<bigint, number>>;
  /** Per mode, each task taking rwsems in it and releasing none in it where others do (unreleased.ts tasksNeverReleasingIn). */
  tasksNeverReleasingIn: Record<LockMode, Map<number, number>>;
  /** Each task releasing by up_read rwsems it took exclusive, with no downgrade of its own where others downgrade (unreleased.ts tasksNeverDowngrading). */
  tasksNeverDowngrading: Map<number, number>;
  /** The exclusive holds ended by their task's up_read with no downgrade logged (unreleased.ts sharedEndsOfExclusive). */
  sharedEndsOfExclusive: { count: number; firstLine: number };
  /** The tasks that make in-lookup dentries and end none, where others do, once the DCACHE_PAR_LOOKUP bit is known (lookup-ends.ts). */
  lookupEnds: LookupEnds;
  /** offsetof(struct inode, i_rwsem) as the whole capture's `dr` → `lkslow` pairs show it (infer.ts), or undefined. */
  irwsemOffset: number | undefined;
  /** The capture's `lkslow` records, and its `dap_ret` records (whose outcome the DCACHE_PAR_LOOKUP bit decides). */
  slowLookups: number;
  /** Records naming a directory the lock rules compare with lock ids (__lookup_slow, d_alloc_parallel, ->lookup, d_add_ci). */
  directoryRecords: number;
  dapReturns: number;
  /** The DCACHE_PAR_LOOKUP bit as the whole capture's `dap_ret` → `fs_lookup_*` pairs show it (infer.ts), or undefined. */
  parLookupBit: number | undefined;
  /**
   * Per `CPU:N [LOST K EVENTS]` marker, where its loss may begin: the line of CPU N's last record
   * before it (0 when there is none) → the markers (records.ts `lossStarts`). A
   * `##### CPU N buffer started ####` annotation's loss (CPU N's events before its first one) may
   * begin anywhere before it: at 0 (unless the header says the buffer overwrote events:
   * `overwrittenUntil` covers it, naming the count).
   */
  lossStarts: Map<number, LossMarker[]>;
  /**
   * When the header says the ring buffer overwrote events (a `trace` file): the line of the first
   * record of the CPU whose records start last, where every CPU's history is there again (records.ts
   * `overwrittenUntil`); undefined otherwise, or when fewer than two CPUs have records.
   */
  overwrittenUntil: number | undefined;
  /** The record that comes furthest behind a newer record of another CPU (lateness.ts), if any does. */
  lateness: Lateness | undefined;
  /** CPUs whose records the capture certainly leaves out (cpus.ts), if any. */
  cpusLeftOut: CpusLeftOut | undefined;
  /** Set when the capture has no header and records of CPU 0 only (cpus.ts onlyCpu0). */
  onlyCpu0: OnlyCpu0 | undefined;
  /** The event names of the probe records the capture holds (a probe defined but not enabled logs none) → the line of the first. */
  probeEvents: ReadonlyMap<string, number>;
  /** The functions its return records' sites name (`(d_add_ci+0x5d/0x120 <- d_alloc_parallel)`): each certainly ran. */
  returnSites: ReadonlySet<string>;
  /** Per mode, how many rwsems the capture releases in it and never shows taken in it (unreleased.ts releasedUntakenIn). */
  releasedUntakenIn: Record<LockMode, number>;
  /** Per mode, the releases of an rwsem by a task that has not taken it since its first return to user space (unreleased.ts releasesOfUntaken). */
  releasesOfUntaken: Record<LockMode, { count: number; firstLine: number }>;
  /** Per mode, where its release records end though its acquisitions go on (unreleased.ts releasesEnded), if they do. */
  releasesEnded: Record<LockMode, { line: number; exits: number; tasks: Map<number, number> } | undefined>;
  /** Per mode, where its release records begin though its acquisitions came before (unreleased.ts releasesBegan), if they do. */
  releasesBegan: Record<LockMode, { line: number; exits: number; tasks: Map<number, number> } | undefined>;
  /** Where the downgrade_write records end though exclusive holds go on being taken (unreleased.ts downgradesEnded), if they do. */
  downgradesEnded: { line: number; exits: number; tasks: Map<number, number> } | undefined;
  /** Where the downgrade_write records begin though exclusive holds came before (unreleased.ts downgradesBegan), if they do. */
  downgradesBegan: { line: number; exits: number; tasks: Map<number, number> } | undefined;
  /** The tasks whose acquisitions go unlogged while their releases are logged (unreleased.ts acquisitionsUnlogged). */
  acquisitionsUnlogged: { tasks: Map<number, number>; where: string[] };
}

/** The event names of a capture's probe records, and the functions its return records return to. */
class ProbeEventsShown {
  /** event name → the line of its first record */
  readonly firstAt = new Map<string, number>();
  readonly callers = new Set<string>();
  /** (most records repeat a recent name: one compare, not a set lookup) */
  private last = '';
  private lastCaller = '';

  note(sc: LineScan, line: number): void {
    if (sc.cls !== L_RECORD || (sc.kind !== 'kprobe' && sc.kind !== 'kretprobe')) return;
    if (sc.name !== this.last) {
      this.last = sc.name;
      if (!this.firstAt.has(sc.name)) this.firstAt.set(sc.name, line);
    }
    if (sc.kind === 'kretprobe' && sc.decoded === undefined && sc.siteS >= 0) this.noteCaller(sc.text, sc.siteS, sc.siteE);
  }

  /** A return site `fn+0x5d/0x120` (or a clone's, `fn.isra.0+…`): fn was running. */
  private noteCaller(t: string, a: number, b: number): void {
    const known = this.lastCaller;
    if (known !== '' && t.startsWith(known, a) && (t.charCodeAt(a + known.length) === 43 || t.charCodeAt(a + known.length) === 46)) return;
    let e = a;
    while (e < b && t.charCodeAt(e) !== 43 && t.charCodeAt(e) !== 46) e++;
    // (a bare address names no function)
    if (e === b || e === a) return;
    this.lastCaller = t.slice(a, e);
    this.callers.add(this.lastCaller);
  }
}

/** A lost-events marker: its line, its CPU, and the events it says were lost (when it says). */
export interface LossMarker { line: number; cpu: number; lost: number | undefined; reason: 'lost events' | 'buffer started' }

/** Where each lost-events marker's loss may begin (see ReadAhead.lossStarts). */
class LossStarts {
  private readonly starts = new Map<number, LossMarker[]>();
  private readonly lastRecord = new Map<number, number>();
  private readonly firstRecord = new Map<number, number>();
  private overwritten = false;
  note(sc: LineScan, line: number): void {
    if (sc.cls === L_RECORD) {
      if (sc.cpu < 0) return;
      this.lastRecord.set(sc.cpu, line);
      if (!this.firstRecord.has(sc.cpu)) this.firstRecord.set(sc.cpu, line);
      return;
    }
    if (sc.cls === L_MARKER && sc.marker === 'overwritten') this.overwritten = true;
    if (sc.cls !== L_MARKER || (sc.marker !== 'lost' && sc.marker !== 'buffer_started') || sc.markerCpu < 0) return;
    const lost = sc.marker === 'lost';
    const m: LossMarker = { line, cpu: sc.markerCpu, lost: sc.markerLost >= 0 ? sc.markerLost : undefined, reason: lost ? 'lost events' : 'buffer started' };
    if (!lost) { this.started.push(m); return; }
    this.add(this.lastRecord.get(sc.markerCpu) ?? 0, m);
  }
  private readonly started: LossMarker[] = [];
  private add(from: number, m: LossMarker): void {
    const at = this.starts.get(from);
    if (at === undefined) this.starts.set(from, [m]); else at.push(m);
  }
  /** Every marker's start, once the whole log is read. */
  all(): Map<number, LossMarker[]> {
    if (!this.overwritten) for (const m of this.started) this.add(0, m);
    return this.starts;
  }
  overwrittenUntil(): number | undefined {
    return this.overwritten && this.firstRecord.size > 1 ? Math.max(...this.firstRecord.values()) : undefined;
  }
}

/**
 * What the read ahead notes of d_alloc_parallel and the ends of in-lookup states; and where the
 * calls entered with their directory locked come (`__lookup_slow`, ->lookup: `rwsems`).
 */
interface DapNotes { returns: number; bits: ParLookupVotes; ends: LookupEnds; rwsems: RwsemReleases }

/**
 * A record of the probes the layout is read off, told by the function it probes as the mapping
 * tells it (an event may be named anything: `p_down_read_0`, `mydr`): `down_read`'s and
 * `down_write`'s `sem`, and the directory of `__lookup_slow`, `d_alloc_parallel`, `->lookup` and
 * `d_add_ci`, into `votes`; `d_alloc_parallel`'s returns and a filesystem's `->lookup` into `dap`,
 * with the in-lookup ends and returns to user space of each task (`dap.ends`).
 */
function noteIrwsem(sc: LineScan, votes: IrwsemVotes, dap: DapNotes, sites: SiteNames | undefined, line: number): void {
  if (sc.cls === L_RECORD && sc.kind === 'syscall_exit') { dap.ends.returnToUser(sc.pid); return; }
  if (sc.cls !== L_RECORD || (sc.kind !== 'kprobe' && sc.kind !== 'kretprobe')) return;
  const fn = probedFunction(sc, sites, REFERENCE_NAMES);
  if (fn === undefined) return;
  if (sc.kind === 'kretprobe') {
    if (fn === '__lookup_slow') { dap.ends.lookupReturned(sc.pid, true); return; }
    // (the return site: tracefs names it, `__lookup_slow+0x5d/0x170`; a bare address cannot tell)
    const site = sc.decoded !== undefined ? sc.decoded.site : sc.siteS < 0 ? undefined : sc.text.slice(sc.siteS, sc.siteE);
    if (isLookupMethod(fn)) { dap.ends.methodReturned(sc.pid, callerOf(site)); return; }
    if (fn !== 'd_alloc_parallel') return;
    dap.returns++;
    const args = argsOf(sc);
    dap.ends.allocation(sc.pid, line, args?.dflags, args?.ret, callerOf(site));
    const fromLookupSlow = sc.hexHead || site === undefined || site.startsWith('__lookup_slow+') || /^(?:0x)?[0-9a-f]+$/i.test(site);
    dap.bits.noteReturn(String(sc.pid), args?.ret, args?.dflags, fromLookupSlow);
    return;
  }
  if (fn === '__lookup_slow') { dap.ends.lookupCalled(sc.pid, line); dap.rwsems.lockedCall(sc.pid, line, argsOf(sc)?.dinode); }
  // (only __d_lookup_unhash ends a dentry's in-lookup state as the spec reads it: __d_lookup_unhash_wake calls it)
  if (fn === '__d_lookup_unhash' || fn === '__d_lookup_unhash_wake') {
    dap.ends.end(sc.pid, line, fn === '__d_lookup_unhash' ? argsOf(sc)?.dentry : undefined);
    return;
  }
  if (isLookupMethod(fn)) {
    const args = argsOf(sc);
    dap.rwsems.lockedCall(sc.pid, line, args?.dir);
    dap.bits.noteLookup(String(sc.pid), args?.dentry);
    votes.note('dir', String(sc.pid), args?.dir);
    return;
  }
  if (fn === 'd_alloc_parallel' || fn === 'd_add_ci') { votes.note('dir', String(sc.pid), argsOf(sc)?.pinode); return; }
  if (fn !== 'down_read' && fn !== 'down_write' && fn !== '__lookup_slow') return;
  const args = argsOf(sc);
  if (args === undefined) return;
  votes.note(fn === 'down_read' ? 'dr' : fn === 'down_write' ? 'dw' : 'lkslow', String(sc.pid), args[fn === '__lookup_slow' ? 'dinode' : 'sem']);
}

/**
 * A probe record logged twice by two probes on one function (double-probes.ts), as the reader
 * drops it: the rwsem notes take it once (twice, a down_read looks taken twice).
 */
class TwinRecords {
  private readonly doubles = new DoubleProbes();
  constructor(private readonly sites: SiteNames | undefined) {}

  seen(sc: LineScan, line: number): boolean {
    if (sc.cls === L_MARKER) { this.doubles.forget(); return false; }
    if (sc.cls !== L_RECORD || sc.pid < 0) return false;
    const fn = sc.kind === 'kprobe' || sc.kind === 'kretprobe' ? probedFunction(sc, this.sites, REFERENCE_NAMES) : undefined;
    if (fn === undefined) { this.doubles.other(sc.pid); return false; }
    const d = sc.decoded;
    if (d === undefined) return this.doubles.twin(sc.pid, sc.kind, sc.name, fn, sc.text, sc.argsS, sc.payE, line);
    const text = d.payload ?? '';
    return this.doubles.twin(sc.pid, sc.kind, sc.name, fn, text, text.indexOf(')') + 1, text.length, line);
  }
}

/** The functions the reference probe set's events probe, of those the layout is read off (scripts/capture/probes.txt). */
const REFERENCE_NAMES: Record<string, string | undefined> = {
  dr: 'down_read', lkslow: '__lookup_slow', dap_ret: 'd_alloc_parallel', fs_lookup_xfsci: 'xfs_vn_ci_lookup', fs_lookup_xfs: 'xfs_vn_lookup',
  fs_lookup_ext4: 'ext4_lookup', fs_lookup_simple: 'simple_lookup', fs_lookup_vfat: 'vfat_lookup',
};

/** A filesystem's `->lookup` method (`ext4_lookup`, `xfs_vn_ci_lookup`, `simple_lookup`, …), not the VFS's own lookups. */
function isLookupMethod(fn: string): boolean {
  return fn.endsWith('_lookup') && fn !== 'd_lookup' && fn !== '__d_lookup' && !fn.startsWith('__d_lookup') && !fn.startsWith('d_alloc');
}

/** The function a return site names (`path_openat` of `path_openat+0x7c7/0x1260`); undefined for a bare address. */
function callerOf(site: string | undefined): string | undefined {
  if (site === undefined) return undefined;
  const plus = site.indexOf('+');
  return plus <= 0 ? undefined : site.slice(0, plus);
}

/** A probe record's arguments as text, or undefined. */
function argsOf(sc: LineScan): Record<string, string | undefined> | undefined {
  const rec = sc.decoded;
  if (rec !== undefined) return rec.args as Record<string, string | undefined>;
  if (sc.argsS < 0) return undefined;
  const args: Record<string, string> = {};
  parseKeyValues(sc.text, sc.argsS, sc.payE, args);
  return args;
}

/** Lines a record whose quoted value holds newlines is joined over, at most. */
const MAX_PARTS = 64;

/** Lines longer than this are cut to it here (the reader reports them as malformed). */
const MAX_LINE = 1 << 20;

/**
 * Reads `chunks` (ftrace text, or a binary trace's records decoded: ftrace/decoded.ts) through;
 * `sites` names the functions of bare-address probe sites; `onLines` is told the lines read so far
 * after each chunk.
 */
export async function readAhead(chunks: AsyncIterable<Uint8Array | DecodedChunk>, sites?: SiteNames,
  onLines?: (lines: number) => void): Promise<ReadAhead> {
  const st = newSniffState();
  const sc = new LineScan();
  const entries = new EntriesCount();
  const rwsems = new RwsemReleases(sites);
  const twins = new TwinRecords(sites);
  const votes = new IrwsemVotes();
  const dap: DapNotes = { returns: 0, bits: new ParLookupVotes(), ends: new LookupEnds(), rwsems };
  const losses = new LossStarts();
  const late = new LatenessMeter();
  const cpus = new CpuCover();
  const shownProbes = new ProbeEventsShown();
  const glued = new GluedRecords();
  const gluedScan = new LineScan();
  // A probe record whose quoted value holds a newline (a file name) goes on over the next lines:
  // its arguments are read off the lines joined, as the reader joins them (records.ts).
  const joined = new LineScan();
  let held: { text: string; parts: number; line: number } | undefined;
  const noteHeld = (): void => {
    if (held === undefined) return;
    scanLine(held.text, 0, held.text.length, st, joined);
    noteIrwsem(joined, votes, dap, sites, held.line);
    joined.text = '';
    held = undefined;
  };
  const feed = (text: string, end: number): void => {
    let pos = 0;
    while (pos < end) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1 || nl > end) nl = end;
      st.line++;
      scanLine(text, pos, nl, st, sc);
      entries.note(sc, st);
      // (a record cut short with the next glued to it: the reader reads the glued one, whose
      // release a task's count of releases must not miss)
      const glueFrom = sc.cls === L_RECORD ? (sc.decoded === undefined && sc.payS >= 0 ? Math.max(pos, sc.payS - 1) : -1)
        : sc.cls === L_BAD ? firstNonBlank(text, pos, nl) : -1;
      const gluedAt = glueFrom >= 0 ? glued.find(text, glueFrom, nl) : -1;
      const twin = gluedAt === -1 && twins.seen(sc, st.line);
      if (gluedAt === -1) { if (!twin) rwsems.note(sc, st.line); }
      else {
        scanLine(text, gluedAt, nl, st, gluedScan);
        rwsems.note(gluedScan, st.line);
        gluedScan.text = '';
      }
      if (held !== undefined && continuesValue(sc, text, pos, nl)) {
        entries.continued();
        const t = held.text + '\n' + text.slice(pos, nl);
        held = { text: t, parts: held.parts + 1, line: held.line };
        scanLine(t, 0, t.length, st, joined);
        const open = joined.cls === L_RECORD && held.parts < MAX_PARTS && hasOpenString(t, joined.argsS, joined.payE);
        joined.text = '';
        if (!open) noteHeld();
      } else {
        noteHeld();
        if (sc.cls === L_RECORD && (sc.kind === 'kprobe' || sc.kind === 'kretprobe') && sc.decoded === undefined && hasOpenString(text, sc.argsS, sc.payE)) {
          held = { text: text.slice(pos, nl), parts: 1, line: st.line };
        } else if (!twin) noteIrwsem(sc, votes, dap, sites, st.line);
      }
      losses.note(sc, st.line);
      cpus.note(sc, st.line);
      shownProbes.note(sc, st.line);
      if (sc.cls === L_MARKER && sc.marker === 'new_capture') late.restart();
      else late.note(sc, st.line);
      sc.text = '';
      pos = nl + 1;
    }
  };
  let carry: Buffer | undefined;
  // Past the header, nothing to hold the log to (no count, or a tracer not counted): no shortfall.
  let uncounted = false;
  for await (const chunk of chunks) {
    if (isDecodedChunk(chunk)) {
      // (decoded records come after whole lines of text; a line cut short before them is a line)
      if (carry !== undefined && carry.length > 0) { const text = carry.toString('latin1'); feed(text, text.length); }
      carry = undefined;
      for (const d of chunk.decoded) {
        // (a text line holds a newline where a value printed one: as many lines as the reader reads it as)
        if (typeof d === 'string') { const text = d + '\n'; feed(text, text.length); continue; }
        st.line++;
        fillScan(sc, d);
        entries.note(sc, st);
        // (a twin is the call its first record showed: noted once)
        if (!twins.seen(sc, st.line)) { rwsems.note(sc, st.line); noteIrwsem(sc, votes, dap, sites, st.line); }
        losses.note(sc, st.line);
        cpus.note(sc, st.line);
        shownProbes.note(sc, st.line);
        sc.text = '';
      }
      onLines?.(st.line);
      continue;
    }
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let joined = false;
    if (carry) {
      const nl = buf.indexOf(10);
      if (nl === -1) buf = Buffer.concat([carry, buf]); else {
        // (only the line cut at the chunk's start is joined: the rest is read where it is)
        const line = Buffer.concat([carry, buf.subarray(0, nl + 1)]);
        feed(line.toString('latin1'), line.length);
        buf = buf.subarray(nl + 1);
        joined = true;
      }
      carry = undefined;
    }
    const last = buf.lastIndexOf(10);
    if (last === -1 && !joined) { carry = Buffer.from(buf.subarray(0, Math.min(buf.length, MAX_LINE))); continue; }
    if (last !== -1) feed(buf.toString('latin1', 0, last + 1), last + 1);
    if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1, Math.min(buf.length, last + 1 + MAX_LINE)));
    if (!uncounted && st.line > 64 && (st.entries === undefined || (st.tracer !== undefined && st.tracer !== 'nop' && st.tracer !== 'function'))) {
      uncounted = true;
    }
    onLines?.(st.line);
  }
  const cut = carry !== undefined && carry.length > 0;
  // (a last line without its newline is still a line whose records count)
  if (cut) { const text = carry!.toString('latin1'); feed(text, text.length); }
  noteHeld();
  // (records in time order as the file holds them: the signs read off the order of two records are sound)
  const ordered = late.result() === undefined;
  return { shortfall: entries.shortfall(st, cut, uncounted), neverReleased: rwsems.neverReleased(),
    neverReleasedIn: { R: rwsems.neverReleasedIn('R'), W: rwsems.neverReleasedIn('W') }, irwsemOffset: votes.best(),
    tasksNeverReleasingIn: { R: rwsems.tasksNeverReleasingIn('R'), W: rwsems.tasksNeverReleasingIn('W') },
    tasksNeverDowngrading: rwsems.tasksNeverDowngrading(), sharedEndsOfExclusive: rwsems.sharedEndsOfExclusive(),
    lookupEnds: dap.ends,
    slowLookups: votes.slowLookups, directoryRecords: votes.directoryRecords, dapReturns: dap.returns, parLookupBit: dap.bits.best(),
    lossStarts: losses.all(), overwrittenUntil: losses.overwrittenUntil(), lateness: late.result(),
    cpusLeftOut: cpus.leftOut(st), onlyCpu0: cpus.onlyCpu0(st), probeEvents: shownProbes.firstAt,
    returnSites: shownProbes.callers,
    releasedUntakenIn: { R: rwsems.releasedUntakenIn('R'), W: rwsems.releasedUntakenIn('W') },
    releasesOfUntaken: { R: rwsems.releasesOfUntaken('R'), W: rwsems.releasesOfUntaken('W') },
    releasesEnded: { R: rwsems.releasesEnded('R', ordered), W: rwsems.releasesEnded('W', ordered) },
    releasesBegan: { R: rwsems.releasesBegan('R', ordered), W: rwsems.releasesBegan('W', ordered) },
    downgradesEnded: rwsems.downgradesEnded(ordered), downgradesBegan: rwsems.downgradesBegan(ordered),
    acquisitionsUnlogged: rwsems.acquisitionsUnlogged(votes.best(), ordered) };
}
