/**
 * The streaming ftrace text reader: bytes → raw records and gaps, in batches. It splits lines on
 * byte 10 over whole chunks, decodes each chunk once as latin1 (byte-exact, one char per byte),
 * scans every line's prefix and name, and materialises a record only when the caller's `wanted`
 * filter asks for it; unwanted records are counted, and their calls still go on the per-task
 * stacks so that returns pair correctly. A probe record whose quoted value is left open (a
 * `:string` fetch of bytes holding a newline) is joined with the line(s) that continue it. Every
 * line is accounted for: `lines = records + skipped + malformed + continued`, and each malformed
 * line gets a KV3xx diagnostic (up to a cap, then one summary).
 */
import { error, warning, type Diagnostic } from '../../diag/diagnostic.js';
import type { DiagCode } from '../../diag/codes.js';
import { controlOutsideQuotes, detach, displayLoc } from './bytes.js';
import * as lineMod from './line.js';
import { LineScan, type SniffState } from './line.js';
import { ReorderWindow } from './merge.js';
import { CallPairing } from './pairing.js';
import { fillScan, isDecodedChunk, type DecodedChunk } from './decoded.js';
import * as payloadMod from './payload.js';
import type { SiteResolution } from './sites.js';
import { DoubleProbes } from './double-probes.js';
import { firstNonBlank, GluedRecords } from './glued.js';
import { newRecord, type RawFtraceRecord, type RawGap, type RawGapReason, type RawItem, type RawKind, type RawRecordBatch } from './raw.js';

/**
 * Orders two timestamps as printed in one log (same clock, same number of decimals): the longer
 * integer part is later, then the characters decide. No number is built (nanosecond stamps of a
 * long uptime exceed a double's integers).
 */
function compareStamps(a: string, aS: number, aE: number, b: string, bS: number, bE: number): number {
  const la = aE - aS, lb = bE - bS;
  if (la !== lb) return la - lb;
  for (let i = 0; i < la; i++) {
    const d = a.charCodeAt(aS + i) - b.charCodeAt(bS + i);
    if (d !== 0) return d;
  }
  return 0;
}

export interface FtraceReaderOptions {
  /** Input name for provenance and diagnostics. */
  file: string;
  /** Which records to build; others are only counted. Default: all. */
  wanted?: (name: string, kind: RawKind) => boolean;
  onDiagnostic?: (d: Diagnostic) => void;
  /** Counters, updated in place as the input is read. */
  stats?: FtraceReadStats;
  /** Cross-CPU reordering window in nanoseconds (default 1 ms). */
  reorderWindowNs?: number;
  /** The same for a `counter` clock, in ticks (default merge.ts DEFAULT_WINDOW_TICKS). */
  reorderWindowTicks?: number;
  /** Longer lines are reported as malformed and skipped (default 1 MiB). */
  maxLineBytes?: number;
  /** Diagnostics for malformed lines before the rest is summarised (default 100). */
  maxDiagnostics?: number;
  /** Header knowledge, when the caller wants to inspect it afterwards. */
  state?: SniffState;
  /**
   * Probed functions inside which no probe fires (lock acquisitions): a kretprobe return of one
   * that the log misses is put back before the task's next record (see pairing.ts). A name ending
   * in `?` is a leaf whose return value matters (a killable or try acquisition may fail): its
   * missed return cannot be put back, so its task's state becomes unknown instead (a gap).
   */
  leafFunctions?: Iterable<string>;
  /**
   * Told of every wanted probe record's function (entries and returns), so that what the capture
   * shows is known while it is read (see trace/coverage.ts).
   */
  onProbed?: (kind: 'kprobe' | 'kretprobe', fn: string) => void;
  /**
   * The functions that have a return probe in this capture, from its probe definitions; when
   * given, a function not in it has no return probe (nothing of it can be missed).
   */
  returnProbes?: Iterable<string>;
  /**
   * Names the function of a probe record whose site is a bare address (trace-cmd report, perf
   * script; see sites.ts). Without it, or when it cannot, such a record is unknown history of its
   * task: a located diagnostic (one per event) and a gap.
   */
  probeSites?: { resolve(kind: 'kprobe' | 'kretprobe', event: string, hex: string): SiteResolution };
  /**
   * Per line of the log, the lost-events markers (`CPU:N [LOST K EVENTS]`, their lines) whose loss
   * may begin right after it: the line of CPU N's last record before the marker, 0 when it has
   * none (read-ahead.ts). The events a CPU lost lie between its record before the marker and its
   * record after it, among the records other CPUs logged meanwhile, which come before the marker
   * in the log: the loss is a window from that record to the marker, not a point.
   */
  lossStarts?: ReadonlyMap<number, readonly { line: number; cpu: number; lost: number | undefined; reason: 'lost events' | 'buffer started' }[]>;
  /**
   * The line where an overwritten ring buffer's history is whole again: the first record of the
   * CPU whose records start last (read-ahead.ts). Before it, some CPU's events are missing at any
   * place, so the header's overwritten-history gap opens a loss window that its `buffer started`
   * gap closes.
   */
  overwrittenUntil?: number;
}

/** Input accounting of the raw reader. */
export interface FtraceReadStats {
  bytes: number;
  lines: number;
  /** Event lines parsed (wanted or not). */
  records: number;
  /** Records built for the caller. */
  wanted: number;
  /** Headers, blank lines, separators, markers. */
  skipped: number;
  malformed: number;
  /** Lines that continue the record of an earlier line (a quoted value holding a newline). */
  continued: number;
  gaps: number;
  /** Returns whose call was not seen (graph `}` or kretprobe). */
  entryLost: number;
  /** Calls skipped by the return of an outer call. */
  unreturned: number;
  /** kretprobe returns the log missed, put back after their calls (see pairing.ts). */
  returnsMissed: number;
}

export function emptyFtraceStats(): FtraceReadStats {
  return { bytes: 0, lines: 0, records: 0, wanted: 0, skipped: 0, malformed: 0, continued: 0, gaps: 0, entryLost: 0, unreturned: 0, returnsMissed: 0 };
}

// Local bindings: see chars.ts.
const { L_BAD, L_MARKER, L_RECORD, L_SKIP, L_SWITCH, materialise, newSniffState, probedSymOf, scanLine } = lineMod;
const { hasOpenString } = payloadMod;

/**
 * Whether a scanned line can continue a probe record's quoted value left open on the line before:
 * no record, marker or switch of its own (its bytes may look like a header, a separator or an
 * ftrace stack line ` => fn`; a perf callchain line, which follows perf's sample directly, is one).
 */
export function continuesValue(sc: LineScan, s: string, start: number, end: number): boolean {
  if (sc.cls === L_BAD) return true;
  if (sc.cls !== L_SKIP) return false;
  if (sc.skip !== 'stack') return true;
  const i = firstNonBlank(s, start, end);
  return s.charCodeAt(i) === 61 && s.charCodeAt(i + 1) === 62;
}

/**
 * A chunk without any of these needs no per-line check (see `dispatch`): a control byte that may
 * be in no text line (controlOutsideQuotes) but a CR (see feed), not a tab or a newline; and a
 * byte above 0x7f, which may be in no name (highOutsideText).
 */
// eslint-disable-next-line no-control-regex -- the control bytes are what it looks for
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]/;

/**
 * The first control byte of a line outside its quoted values, or -1. A probe record's arguments
 * are delimited as the reader parses them (controlOutsideValues: a `%s` string is printed
 * unescaped, so its own `"` bytes would throw plain quote counting off); the line is bad only when
 * neither way puts every control byte inside a value, so no line read before is refused now.
 */
function controlOutsideText(s: string, start: number, end: number, sc: LineScan): number {
  const counted = controlOutsideQuotes(s, start, end);
  if (counted === -1 || sc.cls !== L_RECORD || (sc.kind !== 'kprobe' && sc.kind !== 'kretprobe')) return counted;
  if (sc.argsS < start || sc.payE < sc.argsS || sc.payE > end) return counted;
  if (controlOutsideQuotes(s, start, sc.argsS) !== -1 || payloadMod.controlOutsideValues(s, sc.argsS, sc.payE) !== -1
    || controlOutsideQuotes(s, sc.payE, end) !== -1) return counted;
  return -1;
}

/** Index of the first byte above 0x7f of s[i, end), or -1 (none, or no such span). */
function firstHigh(s: string, i: number, end: number): number {
  if (i < 0) return -1;
  for (; i < end; i++) if (s.charCodeAt(i) > 0x7f) return i;
  return -1;
}

/**
 * Index of the first byte above 0x7f where a record line is ASCII, or -1: its flags, its event or
 * function name, and a probe's head, which the kernel prints in ASCII (a task's name, an
 * argument's value and the text of an event may hold any bytes). A high
 * byte there is damage: read as it is, `(up\xff_read+0x0/0x40)` names no function the spec maps,
 * and the record would be passed over as one it does not follow, its lock release lost unseen.
 */
function highOutsideText(s: string, start: number, end: number, sc: LineScan): number {
  if (sc.cls !== L_RECORD || sc.decoded !== undefined) return -1;
  const flags = firstHigh(s, sc.flagsS, sc.flagsE);
  if (flags !== -1) return flags;
  if (sc.kind === 'kprobe' || sc.kind === 'kretprobe') {
    // The event name and the probe's head, after the timestamp. Not the arguments: a value may be
    // a string, a `:char` ('é', raw since 6.5) or an array of them, each any bytes.
    return sc.tsE >= start && sc.argsS >= sc.tsE && sc.argsS <= end ? firstHigh(s, sc.tsE, sc.argsS) : -1;
  }
  for (let i = 0; i < sc.name.length; i++) {
    if (sc.name.charCodeAt(i) > 0x7f) {
      const at = s.indexOf(sc.name, sc.tsE >= start ? sc.tsE : start);
      return at >= start && at < end ? at + i : start;
    }
  }
  return -1;
}

export const DEFAULT_WINDOW_NS = 1_000_000;
const DEFAULT_MAX_LINE = 1 << 20;
const MAX_INTERNED = 200_000;
/** A quoted value may go on over at most this many lines (a kprobe string is at most 4 KiB, all newlines at worst). */
const MAX_CONTINUATION_LINES = 4097;

const MARKER_REASON: Record<string, RawGapReason> = {
  lost: 'lost events',
  buffer_started: 'buffer started',
  line_too_big: 'line too big',
  overwritten: 'overwritten history',
  new_capture: 'a new capture begins',
};

/**
 * The synchronous core: feed it decoded text (latin1), line by line, and take the items out.
 * `readFtraceRecords` drives it from a byte stream.
 */
/** Gaps where records the log had were lost. */
const RECORDS_LOST: ReadonlySet<RawGapReason> = new Set<RawGapReason>(['lost events', 'buffer started', 'overwritten history', 'line too big']);

export class FtraceRecordReader {
  /** The header says the ring buffer overwrote events (entries-written > entries-in-buffer). */
  private overwritten = false;
  /** Records of the log were lost (overwritten, marked lost, a CPU's buffer begun late): a return may be among them. */
  private recordsLost = false;
  private readonly cpusSeen = new Set<number>();
  readonly stats: FtraceReadStats;
  readonly state: SniffState;
  readonly maxLine: number;
  private readonly file: string;
  private readonly wanted: (name: string, kind: RawKind) => boolean;
  private readonly onDiagnostic: (d: Diagnostic) => void;
  private readonly maxDiags: number;
  private diags = 0;
  private suppressed = 0;
  private readonly sc = new LineScan();
  private readonly pairing: CallPairing;
  /** Records of a call seen again through a second probe on its function (double-probes.ts). */
  private readonly doubles = new DoubleProbes();
  private readonly window: ReorderWindow;
  private out: RawItem[] = [];
  private readonly names = new Map<string, string>();
  /** The kretprobe event that reports each probed symbol's return, as seen in the log. */
  private readonly returnEvent = new Map<string, string>();
  /** Per symbol, returns the log missed (for the warning). */
  private readonly missedBySym = new Map<string, number>();
  /** Missed returns that could not be put back: no return of that function seen yet to name it. */
  private unplaced = 0;
  /** The clock of the timestamps seen (a `counter` clock cannot tie). */
  private clock: string = 'ns';
  /** The text `feed` is reading, when it holds no control byte (see feed). */
  private clean: string | undefined;
  /** A probe record line whose quoted value is still open, with the lines joined to it so far. */
  private held: { text: string; lineNo: number; parts: number } | undefined;

  constructor(opts: FtraceReaderOptions) {
    this.file = opts.file;
    this.stats = opts.stats ?? emptyFtraceStats();
    this.state = opts.state ?? newSniffState(opts.file);
    this.state.file = opts.file;
    this.wanted = opts.wanted ?? (() => true);
    this.onDiagnostic = opts.onDiagnostic ?? (() => undefined);
    this.maxDiags = opts.maxDiagnostics ?? 100;
    this.maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
    this.window = new ReorderWindow(opts.reorderWindowNs ?? DEFAULT_WINDOW_NS, (item) => { this.out.push(item); },
      (rec) => this.timeWentBack(rec), opts.reorderWindowTicks);
    const leaves = [...(opts.leafFunctions ?? [])];
    this.pairing = new CallPairing(new Set(leaves.map((f) => f.replace(/\?$/, ''))));
    this.valuedLeaves = new Set(leaves.filter((f) => f.endsWith('?')).map((f) => f.slice(0, -1)));
    this.onProbed = opts.onProbed ?? (() => undefined);
    this.declaredReturns = new Set(opts.returnProbes ?? []);
    this.probesDeclared = opts.returnProbes !== undefined;
    this.probeSites = opts.probeSites;
    this.lossStarts = opts.lossStarts;
    this.overwrittenUntil = opts.overwrittenUntil;
  }

  private readonly overwrittenUntil: number | undefined;

  private readonly lossStarts: FtraceReaderOptions['lossStarts'];
  /** Markers whose loss window was opened (by the record before them on their CPU). */
  private readonly lossOpened = new Set<number>();
  private lossAtStartDone = false;

  /** Opens the loss windows that begin after line `lineNo` (0: before the log's first line). */
  private openLosses(lineNo: number): void {
    const markers = this.lossStarts?.get(lineNo);
    if (markers === undefined) return;
    for (const m of markers) {
      if (this.lossOpened.has(m.line)) continue;
      this.lossOpened.add(m.line);
      this.stats.gaps++;
      const line = Math.max(lineNo, 1);
      this.window.push({ kind: 'gap', reason: m.reason, cpu: m.cpu, pid: undefined, lost: m.lost, file: this.file, line, window: 'opens', until: m.line });
    }
  }

  private readonly probeSites: FtraceReaderOptions['probeSites'];
  /** Probe events whose bare-address sites could not be resolved, with their record count. */
  private readonly unresolved = new Map<string, number>();

  /** Leaves whose return value matters: a missed return of one is a gap, not a put-back. */
  private readonly valuedLeaves: ReadonlySet<string>;
  private readonly onProbed: (kind: 'kprobe' | 'kretprobe', fn: string) => void;
  private readonly declaredReturns: ReadonlySet<string>;
  /** Per function: entries whose return was missing before any return of that function was seen. */
  private readonly noReturnSeen = new Map<string, number>();
  /** The capture's probe definitions were given: a function without a return probe in them has none. */
  private readonly probesDeclared: boolean;
  /** Missing returns of non-leaf functions, found at the task's syscall exit, by function. */
  private readonly lostAtExit = new Map<string, number>();
  /** Whether a function's returns are probed: seen in the log, or declared. */
  private readonly hasReturnProbe = (sym: string): boolean => this.returnEvent.has(sym) || this.declaredReturns.has(sym);

  /** Processes every `\n`-terminated line of `text` (a trailing part without `\n` is processed too, as unterminated). */
  feed(text: string): void {
    // A text without any control byte (but a line's tab) has none in any of its lines: their
    // per-line check is skipped (dispatch). (A CR, which may end a line, leaves each line to it.)
    this.clean = text.indexOf('\r') !== -1 || CONTROL.test(text) ? undefined : text;
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      const terminated = nl !== -1;
      if (!terminated) nl = n;
      this.line(text, pos, nl, terminated);
      pos = nl + 1;
    }
    this.clean = undefined;
  }

  /** The lines of a binary trace, its records decoded (see decoded.ts): each is read as its text line would be. */
  decoded(chunk: DecodedChunk): void {
    const sc = this.sc;
    const list = chunk.decoded;
    for (let i = 0; i < list.length; i++) {
      const d = list[i]!;
      // (a text line holds a newline where a value printed one: it is as many lines as it would be read as)
      if (typeof d === 'string') { this.feed(d + '\n'); continue; }
      const lineNo = ++this.stats.lines;
      this.state.line = lineNo;
      this.releaseHeld();
      fillScan(sc, d);
      // (a decoded record holds no control bytes: decoded.ts)
      this.record(sc, lineNo);
      sc.text = '';
    }
  }

  /** One line s[start, end) without its newline. */
  line(s: string, start: number, end: number, terminated: boolean): void {
    const st = this.stats;
    const lineNo = ++st.lines;
    this.state.line = lineNo;
    if (end - start > this.maxLine) {
      this.releaseHeld();
      st.malformed++;
      this.report('KV301', `line longer than ${this.maxLine} bytes`, s.slice(start, start + 400), lineNo, 1, end - start);
      // Unread, it may have been any task's record (its task is not read either): every task is
      // unknown from here until it syncs, as after a `[LINE TOO BIG]` marker.
      this.gap('line too big', undefined, undefined, 1, lineNo);
      return;
    }
    const sc = this.sc;
    scanLine(s, start, end, this.state, sc);
    const held = this.held;
    if (held !== undefined) {
      // Only a line that is no record, marker, switch or stack line of its own can continue the
      // value (its bytes may look like a header or a separator). A ` => fn` line is a stack
      // line only after a `<stack trace>` record, never right after a probe record's.
      if (continuesValue(sc, s, start, end)) {
        st.continued++;
        this.held = undefined;
        this.probeLine(held.text + '\n' + s.slice(start, end), held.lineNo, held.parts + 1, terminated);
        return;
      }
      this.releaseHeld();
      scanLine(s, start, end, this.state, sc);
    }
    if (sc.cls === L_RECORD && (sc.kind === 'kprobe' || sc.kind === 'kretprobe') && hasOpenString(s, sc.argsS, sc.payE) && terminated) {
      this.held = { text: s.slice(start, end), lineNo, parts: 1 };
      sc.text = '';
      return;
    }
    this.dispatch(sc, s, start, end, terminated, lineNo);
  }

  /**
   * A (possibly joined) probe line: held again while its quoted value is open, else a record.
   * `terminated`: its last line ends with a newline (else the file was cut in it).
   */
  private probeLine(text: string, lineNo: number, parts: number, terminated: boolean): void {
    const sc = this.sc;
    scanLine(text, 0, text.length, this.state, sc);
    if (terminated && sc.cls === L_RECORD && parts < MAX_CONTINUATION_LINES && text.length <= this.maxLine && hasOpenString(text, sc.argsS, sc.payE)) {
      this.held = { text, lineNo, parts };
      sc.text = '';
      return;
    }
    this.dispatch(sc, text, 0, text.length, terminated, lineNo);
  }

  /** The held record with its value open to the end (no continuation came). */
  private releaseHeld(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    const sc = this.sc;
    scanLine(held.text, 0, held.text.length, this.state, sc);
    this.dispatch(sc, held.text, 0, held.text.length, true, held.lineNo);
  }

  private dispatch(sc: LineScan, s: string, start: number, end: number, terminated: boolean, lineNo: number): void {
    const st = this.stats;
    if (!this.lossAtStartDone) { this.lossAtStartDone = true; this.openLosses(0); }
    // Every line ftrace prints is text outside its quoted values: with control bytes there, a
    // record, header, switch or marker line may have been any record, and taking it as read
    // (or passing over it) would lose that record unseen.
    const control = sc.cls === L_BAD || s === this.clean ? -1 : controlOutsideText(s, start, end, sc);
    const high = control !== -1 || sc.cls === L_BAD || s === this.clean ? -1 : highOutsideText(s, start, end, sc);
    const bad = control !== -1 ? control : high;
    if (bad !== -1) {
      st.malformed++;
      this.report('KV306', control !== -1 ? 'control bytes outside any quoted value: the line cannot be trusted'
        : 'a byte above 0x7f where the kernel prints ASCII (a flag, a name, a probe\'s head): the line cannot be trusted',
      s.slice(start, end), lineNo, bad - start + 1);
      this.gap('malformed record', undefined, sc.cls === L_RECORD && sc.pid >= 0 ? sc.pid : undefined, 1, lineNo);
      sc.text = '';
      return;
    }
    // (from the blank before a record's payload, which a record cut right after its name begins
    // with the next one's header, or a bad line's first character: its own header is no glue)
    const glueFrom = sc.cls === L_RECORD ? (sc.decoded === undefined && sc.payS >= 0 ? Math.max(start, sc.payS - 1) : -1)
      : sc.cls === L_BAD ? firstNonBlank(s, start, end) : -1;
    if (glueFrom >= 0) {
      const glued = this.glued.find(s, glueFrom, end);
      if (glued !== -1) { this.gluedRecords(sc, s, start, glued, end, terminated, lineNo); return; }
    }
    switch (sc.cls) {
      case L_RECORD:
        if (!terminated) { this.cutShort(sc, s, start, end, lineNo); break; }
        this.record(sc, lineNo);
        if (this.lossStarts !== undefined) this.openLosses(lineNo);
        break;
      case L_SKIP: st.skipped++; break;
      case L_SWITCH: {
        st.skipped++;
        this.switches++;
        const sw = sc.sw!;
        this.pairing.onSwitch(sw.cpu, sw.prevPid, sw.nextPid);
        break;
      }
      case L_MARKER: {
        st.skipped++;
        const first = sc.marker === 'overwritten' && !this.overwritten;
        if (sc.marker === 'overwritten') this.overwritten = true;
        else this.lossMarked = true;
        const cpu = sc.markerCpu >= 0 ? sc.markerCpu : undefined;
        // (a task last seen on another CPU may have run on this one in the lost span)
        if (sc.marker === 'lost' || sc.marker === 'new_capture') { this.pairing.dropAll(); this.doubles.forget(); }
        if (first) this.overwrote(sc.markerLost, lineNo);
        const opens = first && this.overwrittenUntil !== undefined;
        this.gap(MARKER_REASON[sc.marker]!, cpu, undefined, sc.markerLost >= 0 ? sc.markerLost : undefined, lineNo,
          this.lossOpened.has(lineNo) ? 'closes' : opens ? 'opens' : undefined, opens ? this.overwrittenUntil : undefined);
        if (sc.marker === 'new_capture') {
          // Another capture's records: its clock may start over, and none of its records is out of
          // order against the first capture's, nor to be merged among them.
          this.window.restart();
          this.cpuStamp.clear();
        }
        break;
      }
      case L_BAD: this.malformed(sc, s, start, end, terminated, lineNo); break;
    }
    sc.text = '';
  }

  /**
   * Per CPU, the timestamp of its latest record line, mapped or not (the line text and the span):
   * the reorder window sees only the records a mapping wants, so a line moved among the others
   * (a function_graph entry, an unmapped probe) would go unnoticed there.
   */
  private readonly cpuStamp = new Map<number, { text: string; start: number; end: number }>();

  /** Whether this record line is older than the one before it on its CPU; records its stamp otherwise. */
  private olderThanItsCpu(sc: LineScan): boolean {
    const cpu = sc.cpu;
    if (cpu < 0 || sc.tsS < 0) return false;
    const prev = this.cpuStamp.get(cpu);
    if (prev === undefined) { this.cpuStamp.set(cpu, { text: sc.text, start: sc.tsS, end: sc.tsE }); return false; }
    if (compareStamps(sc.text, sc.tsS, sc.tsE, prev.text, prev.start, prev.end) < 0) return true;
    prev.text = sc.text; prev.start = sc.tsS; prev.end = sc.tsE;
    return false;
  }

  private record(sc: LineScan, lineNo: number): void {
    if (!this.olderThanItsCpu(sc)) { this.recordInOrder(sc, lineNo); return; }
    // The window treats the next record it gets as out of order, whatever the records it holds;
    // a line no mapping wants never reaches it, and gets the same gaps without a record.
    this.window.forceBackwards = true;
    this.recordInOrder(sc, lineNo);
    if (!this.window.forceBackwards) return;
    this.window.forceBackwards = false;
    this.window.outOfOrder(materialise(sc, this.file, lineNo));
  }

  private recordInOrder(sc: LineScan, lineNo: number): void {
    const st = this.stats;
    st.records++;
    this.clock = sc.tsClock;
    const cpu = sc.cpu;
    // An overwritten ring buffer keeps each CPU's most recent events only: until the last CPU's
    // oldest event, some CPU's history is missing, so every task's state is unknown again when a
    // CPU's first event shows up (as if the trace had `##### CPU N buffer started ####`).
    if (this.overwritten && cpu >= 0 && !this.cpusSeen.has(cpu)) {
      this.cpusSeen.add(cpu);
      if (this.cpusSeen.size > 1) this.gap('buffer started', undefined, undefined, undefined, lineNo, lineNo === this.overwrittenUntil ? 'closes' : undefined);
    }
    let pid = sc.pid;
    if (pid < 0) pid = this.pairing.currentPid(cpu);
    const kind = sc.kind;
    const p = this.pairing;
    let siteFn: string | undefined;
    if (sc.hexHead) {
      siteFn = this.siteFunction(sc, lineNo, pid);
      if (siteFn === undefined) return;
    }
    // A probe is known by the function it probes (entry or return); its event name is the user's choice.
    const probeSym = kind === 'kprobe' || kind === 'kretprobe' ? (siteFn ?? probedFunction(sc)) : undefined;
    const returnSym = kind === 'kretprobe' ? probeSym : undefined;
    if (pid >= 0) {
      if (probeSym !== undefined) {
        if (this.twinOfPrevious(sc, pid, probeSym, lineNo)) return;
      } else this.doubles.other(pid);
    }
    // Only probe records and syscall exits show a task past a leaf: function_graph lines (the
    // leaf itself, its callees) and tracepoints (lock events, the sched_switch of a blocked
    // down_read) are logged from inside it.
    if (kind === 'kprobe' || kind === 'kretprobe' || kind === 'syscall_exit') {
      const missed = p.noteRecord(pid, cpu, returnSym);
      if (missed !== undefined) this.putBackReturn(missed, sc, lineNo, pid);
    }
    switch (kind) {
      case 'graph_entry': {
        if (this.wanted(sc.name, kind)) {
          const rec = this.build(sc, lineNo, pid);
          p.graphEntry(pid, cpu, rec);
          this.window.push(rec);
        } else p.graphEntry(pid, cpu, this.intern(sc.name));
        return;
      }
      case 'graph_exit': {
        p.graphExit(pid, cpu, sc.name);
        if (!this.wanted(p.exitName, kind)) return;
        const rec = this.build(sc, lineNo, pid);
        rec.name = p.exitName;
        rec.entry = p.exitEntry;
        rec.entryLost = p.exitLost;
        this.window.push(rec);
        return;
      }
      case 'kprobe': {
        const sym = probeSym!;
        if (this.wanted(sym, kind) || this.wanted(sc.name, kind)) {
          this.onProbed(kind, sym);
          const rec = this.build(sc, lineNo, pid);
          rec.probedSym = sym;
          p.probeEntry(pid, cpu, rec);
          this.window.push(rec);
        } else p.probeEntry(pid, cpu, this.intern(sym));
        return;
      }
      case 'kretprobe': {
        const sym = returnSym!;
        if (!this.returnEvent.has(sym)) this.returnEvent.set(sym, sc.name);
        p.probeReturn(pid, cpu, sym);
        if (!this.wanted(sym, kind) && !this.wanted(sc.name, kind)) return;
        this.onProbed(kind, sym);
        const rec = this.build(sc, lineNo, pid);
        rec.probedSym = sym;
        rec.entry = p.exitEntry;
        rec.entryLost = p.exitLost;
        this.window.push(rec);
        return;
      }
      case 'syscall_exit': {
        // Back in user space, every probed call of the task has returned: an entry still open
        // whose function has a return probe lost its return (a kretprobe out of instances).
        const lost = p.syscallExit(pid, cpu, this.hasReturnProbe);
        if (lost.length > 0) {
          for (const f of lost) {
            const sym = typeof f === 'string' ? f : (f.probedSym ?? '');
            this.lostAtExit.set(sym, (this.lostAtExit.get(sym) ?? 0) + 1);
          }
          this.taskGap('return missing', sc, pid, lost.length, lineNo);
        }
        if (this.wanted(sc.name, kind)) this.window.push(this.build(sc, lineNo, pid));
        return;
      }
      default:
        if (this.wanted(sc.name, kind)) this.window.push(this.build(sc, lineNo, pid));
    }
  }

  /** Whether probe record `sc` is its task's previous record seen again through another probe on the same function (double-probes.ts). */
  private twinOfPrevious(sc: LineScan, pid: number, sym: string, lineNo: number): boolean {
    const d = sc.decoded;
    if (d === undefined) return this.doubles.twin(pid, sc.kind, sc.name, sym, sc.text, sc.argsS, sc.payE, lineNo);
    // (a decoded record: its arguments as printed after the probe head)
    const text = d.payload ?? '';
    return this.doubles.twin(pid, sc.kind, sc.name, sym, text, text.indexOf(')') + 1, text.length, lineNo);
  }

  /**
   * The return of `entry` that the log missed, as a record just before the task's next record
   * (`sc`): the latest it can have happened, so a blocking acquisition is granted no earlier than
   * it can have been.
   */
  private putBackReturn(entry: string | RawFtraceRecord, sc: LineScan, lineNo: number, pid: number): void {
    const sym = typeof entry === 'string' ? entry : (entry.probedSym ?? '');
    const name = this.returnEvent.get(sym);
    if (name === undefined && this.probesDeclared && !this.declaredReturns.has(sym)) {
      // The capture's probe definitions say there is no return probe on this function: nothing
      // was missed. What its return would have shown is not known (coverage says so where it matters).
      this.pairing.returnsMissed--;
      return;
    }
    this.missedBySym.set(sym, (this.missedBySym.get(sym) ?? 0) + 1);
    if (name === undefined || this.valuedLeaves.has(sym)) {
      // No return of this function seen yet (the capture may have no return probe on it at all,
      // or missed this one), or one whose value decides the outcome (a failed
      // down_read_killable holds nothing): the task's state is unknown from here (a gap) rather
      // than guessed.
      if (name === undefined) this.noReturnSeen.set(sym, (this.noReturnSeen.get(sym) ?? 0) + 1);
      this.unplaced++;
      this.taskGap('return missing', sc, pid, 1, lineNo);
      return;
    }
    if (typeof entry === 'string' || (!this.wanted(sym, 'kretprobe') && !this.wanted(name, 'kretprobe'))) return;
    const next = materialise(sc, this.file, lineNo);
    const rec = newRecord('kretprobe', name, this.file, lineNo);
    rec.pid = pid; rec.tgid = next.tgid; rec.comm = next.comm; rec.cpu = next.cpu;
    rec.tsRaw = next.tsRaw; rec.tsSec = next.tsSec; rec.tsNsec = next.tsNsec; rec.tsClock = next.tsClock;
    rec.probedSym = sym;
    rec.entry = entry;
    rec.returnMissed = true;
    this.stats.wanted++;
    this.window.push(rec);
  }

  /**
   * The function a bare-address probe record probes, or undefined when nothing names it: then the
   * record is unknown history of its task (a gap), with a diagnostic at the event's first such record.
   */
  private siteFunction(sc: LineScan, lineNo: number, pid: number): string | undefined {
    const kind = sc.kind === 'kretprobe' ? 'kretprobe' : 'kprobe';
    const hex = sc.text.slice(sc.symS, sc.symE);
    const r: SiteResolution = this.probeSites?.resolve(kind, sc.name, hex)
      ?? {
        problem: `${kind === 'kprobe' ? 'probe' : 'return probe'} '${sc.name}' shows the probed function only as the address ${hex}:`
          + " pass the capture's kprobe_events (--probes FILE) or its kernel's /proc/kallsyms read as root in the same boot (--functions FILE)",
      };
    if ('fn' in r) return r.fn;
    const key = kind + ' ' + sc.name;
    const n = this.unresolved.get(key) ?? 0;
    this.unresolved.set(key, n + 1);
    // (the column of the head's `(`, just before the probed address)
    if (n === 0) this.report('KV319', r.problem, sc.text.slice(sc.start, sc.end), lineNo, sc.symS - sc.start);
    this.gap('unresolved probe site', sc.cpu >= 0 ? sc.cpu : undefined, pid >= 0 ? pid : undefined, 1, lineNo);
    return undefined;
  }

  private build(sc: LineScan, lineNo: number, pid: number): ReturnType<typeof materialise> {
    this.stats.wanted++;
    const rec = materialise(sc, this.file, lineNo);
    rec.pid = pid;
    return rec;
  }

  private intern(name: string): string {
    const have = this.names.get(name);
    if (have !== undefined) return have;
    const own = detach(name);
    if (this.names.size < MAX_INTERNED) this.names.set(own, own);
    return own;
  }

  private gap(reason: RawGapReason, cpu: number | undefined, pid: number | undefined, lost: number | undefined, lineNo: number,
    window?: 'opens' | 'closes', until?: number): void {
    this.stats.gaps++;
    if (RECORDS_LOST.has(reason)) this.recordsLost = true;
    const g: RawGap = { kind: 'gap', reason, cpu, pid, lost, file: this.file, line: lineNo, ...(window === undefined ? {} : { window, until }) };
    this.window.push(g);
  }

  /** A gap of task `pid` found at its record `sc` (a return it missed): it goes right before that record. */
  private taskGap(reason: RawGapReason, sc: LineScan, pid: number, lost: number, lineNo: number): void {
    this.stats.gaps++;
    const g: RawGap = { kind: 'gap', reason, cpu: undefined, pid, lost, file: this.file, line: lineNo };
    if (sc.cpu >= 0) g.before = sc.cpu;
    this.window.push(g);
  }

  private readonly glued = new GluedRecords();

  /**
   * A line holding a record cut short and, from `glued` on, the next record (glued.ts): the first
   * is malformed, and the records lost between them may have been any task's, on any CPU.
   */
  private gluedRecords(sc: LineScan, s: string, start: number, glued: number, end: number, terminated: boolean, lineNo: number): void {
    this.stats.malformed++;
    const column = glued - start + 1;
    this.report('KV301', `two records on one line: the record before column ${column} is cut short where the next one begins,`
      + ' and records between them may be lost (a reader that reopens trace_pipe loses what it had taken but not yet read)',
    s.slice(start, end), lineNo, column);
    this.pairing.dropAll();
    this.doubles.forget();
    this.gap('malformed record', undefined, undefined, undefined, lineNo);
    scanLine(s, glued, end, this.state, sc);
    this.dispatch(sc, s, glued, end, terminated, lineNo);
  }

  /**
   * A record on a last line without its newline: ftrace ends every line it prints with one, so the
   * file was cut there, maybe inside the record's last value (`sem=0xff4a519c42` of
   * `sem=0xff4a519c4250b5a0`), which would name another object. The record is not read: its task
   * lost it, as if the line did not parse.
   */
  private cutShort(sc: LineScan, s: string, start: number, end: number, lineNo: number): void {
    this.stats.malformed++;
    const why = 'the last line is cut short (no newline): its record may end inside a value, so it is not read';
    this.report('KV305', why, s.slice(start, end), lineNo, end - start + 1);
    this.gap('truncated record', sc.cpu >= 0 ? sc.cpu : undefined, sc.pid >= 0 ? sc.pid : undefined, 1, lineNo);
  }

  private malformed(sc: LineScan, s: string, start: number, end: number, terminated: boolean, lineNo: number): void {
    this.stats.malformed++;
    let binary = false;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 9 || (c > 13 && c < 32) || c === 0x7f) { binary = true; break; }
    }
    const column = Math.max(1, sc.badAt - start + 1);
    const text = s.slice(start, end);
    if (!terminated) {
      this.report('KV305', `the last line is cut short (no newline) and does not parse: ${sc.reason}`, text, lineNo, column);
      this.gap('truncated record', sc.cpu >= 0 ? sc.cpu : undefined, sc.pid >= 0 ? sc.pid : undefined, 1, lineNo);
    } else if (binary) {
      this.report('KV306', 'binary data (control bytes) where an ftrace text line was expected', text, lineNo, column);
      // It may have been any task's record: with no readable task, every task lost it.
      this.gap('malformed record', undefined, sc.pid >= 0 ? sc.pid : undefined, 1, lineNo);
    } else if (sc.pid >= 0) {
      this.report('KV301', sc.reason, text, lineNo, column);
      this.gap('malformed record', sc.cpu >= 0 ? sc.cpu : undefined, sc.pid, 1, lineNo);
    } else {
      this.report('KV310', sc.reason, text, lineNo, column);
      this.gap('malformed record', undefined, undefined, 1, lineNo);
    }
  }

  /** `length`: the line's length, when `text` is only its start. */
  private report(code: DiagCode, message: string, text: string, line: number, column: number, length = text.length): void {
    if (this.diags >= this.maxDiags) { this.suppressed++; return; }
    this.diags++;
    this.onDiagnostic(error(code, message, { at: { source: this.file, line, column, ...displayLoc(text, length) } }));
  }

  /** Task switch lines: entries of the ring buffer, though no records here. */
  private switches = 0;
  /** The log holds a loss marker of its own. */
  private lossMarked = false;

  /** Records older than the record before them on their own CPU (each a gap, made by the window). */
  private backwards = 0;
  private firstBackwards: { line: number; text: string } | undefined;

  private timeWentBack(rec: RawFtraceRecord): void {
    this.stats.gaps += 2;
    if (this.backwards++ === 0) this.firstBackwards = { line: rec.line, text: `${rec.tsRaw ?? ''} on CPU ${rec.cpu}` };
  }

  /**
   * Records the header promised but the log does not hold (a line deleted from a `trace` file).
   * Where they were is unknown, so every task is unknown from the end on, and the diagnostic says
   * that verdicts before it may rest on the missing lines. Only tracers that print one line per
   * entry are counted (function_graph prints a call and its return as one leaf line).
   */
  private entriesMissing(): void {
    const e = this.state.entries;
    const tracer = this.state.tracer;
    // A log that marks its own losses (LOST EVENTS, a buffer started late, a line too big) has
    // told where they are; the header's count, taken when reading began, no longer adds up.
    if (e === undefined || this.lossMarked || (tracer !== 'nop' && tracer !== 'function')) return;
    const read = this.stats.records + this.stats.malformed + this.switches;
    if (read >= e.inBuffer) return;
    const n = e.inBuffer - read;
    const message = `the header promises ${e.inBuffer} entries, but the log holds ${read} record lines: ${n} ${n === 1 ? 'is' : 'are'} missing,`
      + ' from an unknown place, so violations found in this file may rest on them';
    const hint = 'check a complete copy of the capture (a `trace` file is read whole, and nothing may be cut from it)';
    this.onDiagnostic(error('KV316', message, { at: { source: this.file, line: e.line, column: 1 } }, hint));
    this.gap('entries missing', undefined, undefined, n, this.stats.lines);
  }

  /**
   * The header says the ring buffer overwrote `n` events: the capture begins after them, so what
   * they did is a gap, and verdicts rest only on what follows. Said once, with where that begins.
   */
  private overwrote(n: number, lineNo: number): void {
    const until = this.overwrittenUntil;
    const whole = until !== undefined
      ? `; until line ${until}, the first record of the CPU whose records start last, some CPU's events are missing as well:`
        + ' tasks are judged from their first synchronising event after it'
      : ': tasks are judged from their first synchronising event';
    const message = `the ring buffer overwrote ${n >= 0 ? n : 'some'} event${n === 1 ? '' : 's'} before the log was read`
      + ` (entries-written exceeds entries-in-buffer), so the capture's first part is lost${whole}`;
    const hint = 'to keep the whole run, capture with a larger buffer_size_kb, or read trace_pipe while tracing';
    this.onDiagnostic(warning('KV322', message, { at: { source: this.file, line: lineNo, column: 1 } }, hint));
  }

  /** Where the log lost records, the other way a return goes missing (with nmissed 0, the only one). */
  private orLostWithRecords(): string {
    return this.overwritten || this.recordsLost
      ? '; or, as this log lost records (the ring buffer overwrote or dropped them), the return was among those: with nmissed 0, it was'
      : '';
  }

  /** Flushes the reorder window and reports suppressed diagnostics. Call once at the end. */
  finish(): void {
    this.releaseHeld();
    this.entriesMissing();
    this.window.flush();
    this.syncPairingStats();
    if (this.missedBySym.size > 0) {
      const what = [...this.missedBySym].map(([sym, n]) => `${n} of ${sym}`).join(', ');
      const total = this.stats.returnsMissed;
      const unseen = [...this.noReturnSeen].map(([sym, n]) => `${n} of ${sym}`).join(', ');
      const noReturn = unseen === '' ? ''
        : ` — no return of ${[...this.noReturnSeen.keys()].join(', ')} was seen before (${unseen}):`
          + ` if the capture has no return probe on ${this.noReturnSeen.size === 1 ? 'it' : 'them'}, nothing was missed;`
          + ' pass its kprobe_events with --probes to say so';
      const unplaced = this.unplaced === 0 ? ''
        : `; ${this.unplaced} came before any return of their function or have a return value that decides whether the lock was taken,`
          + ` so their tasks' state is unknown from there (gaps)${noReturn}`;
      const message = `${total} kretprobe return${total === 1 ? ' is' : 's are'} missing from the log (${what}):`
        + ` each was taken as returned right before its task's next record, as no probe fires inside these functions${unplaced}`;
      const hint = 'a kretprobe misses returns when more tasks are inside its function than it has instances (nmissed in kprobe_profile):'
        + ' define it with more, e.g. r64:dr_ret down_read' + this.orLostWithRecords();
      this.onDiagnostic(warning('KV312', message, { at: { source: this.file, line: this.stats.lines } }, hint));
    }
    if (this.lostAtExit.size > 0) {
      const what = [...this.lostAtExit].map(([sym, n]) => `${n} of ${sym}`).join(', ');
      const total = [...this.lostAtExit.values()].reduce((a, b) => a + b, 0);
      const message = `${total} kretprobe return${total === 1 ? ' is' : 's are'} missing from the log (${what}):`
        + ' the task returned to user space with the call still open, so its state is unknown from there to that exit (gaps)';
      const hint = 'a kretprobe misses returns when more tasks are inside its function than it has instances (nmissed in kprobe_profile):'
        + ' define it with more, e.g. r64:NAME FUNCTION' + this.orLostWithRecords();
      this.onDiagnostic(warning('KV312', message, { at: { source: this.file, line: this.stats.lines } }, hint));
    }
    const twins = this.doubles.first;
    if (twins !== undefined) {
      // Never silent: which probes log each call twice, and where the first twin is.
      const n = this.doubles.count;
      const message = `${n} record${n === 1 ? ' is' : 's are'} the same call as the record just before ${n === 1 ? 'it' : 'them'}, seen through another probe `
        + `on the same function (first: '${twins.name}' after '${twins.twin}', ${twins.sym}, at line ${twins.line}): two probes on one function log `
        + 'each call twice; each call is read once';
      this.onDiagnostic(warning('KV332', message, { at: { source: this.file, line: twins.line } },
        'probe each function once (kinv probes prints the reference set; check kprobe_events for a second probe on it)'));
    }
    const ties = this.window.crossCpuTies;
    if (ties > 0 && this.clock !== 'counter') {
      // Not an error: the order is the log's. But verdicts about tasks that interact within a tie
      // may rest on an order that never happened, so say so once.
      const message = `${ties} record${ties === 1 ? '' : 's'} share${ties === 1 ? 's' : ''} a timestamp with the record before, from another CPU`
        + ` (first at line ${this.window.firstTieLine}): the order across CPUs within a tie is the log's,`
        + ' and tasks whose tied records the log cannot order (of different tasks on different CPUs, or of one task on two CPUs)'
        + ' are unknown from there until they sync';
      this.onDiagnostic(warning('KV311', message,
        { at: { source: this.file, line: this.window.firstTieLine } }, 'capture with trace_clock=counter (one count shared by all CPUs) for an exact order'));
    }
    if (this.backwards > 0) {
      const n = this.backwards;
      const message = `${n} record${n === 1 ? ' is' : 's are'} older than the record before ${n === 1 ? 'it' : 'them'} on the same CPU`
        + ` (first: ${this.firstBackwards!.text}): lines were moved or lost, and every task is unknown from each such place until it syncs`;
      this.onDiagnostic(error('KV315', message,
        { at: { source: this.file, line: this.firstBackwards!.line, column: 1 } }, 'a CPU\'s own buffer is in time order; an edited or spliced log is not'));
    }
    if (this.suppressed > 0) {
      this.onDiagnostic(warning('KV301', `${this.suppressed} more malformed lines not shown`, { at: { source: this.file, line: this.stats.lines } }));
      this.suppressed = 0;
    }
  }

  /** The items produced since the last call, in output order. */
  take(): RawItem[] {
    const o = this.out;
    if (o.length > 0) this.out = [];
    this.syncPairingStats();
    return o;
  }

  /** The pairing's own counters into the reader's stats. */
  private syncPairingStats(): void {
    this.stats.entryLost = this.pairing.entryLost;
    this.stats.unreturned = this.pairing.unreturned;
    this.stats.returnsMissed = this.pairing.returnsMissed;
  }
}

/** The function a probe record's head names (see LineScan): the decoded record's, or the text's. */
function probedFunction(sc: LineScan): string {
  return sc.decoded !== undefined ? sc.decoded.probedSym ?? '' : probedSymOf(sc);
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Reads ftrace text from a byte stream (strings are taken as UTF-8 and read as their bytes) and
 * yields raw records and gaps in batches (one or more per input chunk). Never throws on content;
 * errors of the input stream itself propagate.
 */
export async function* readFtraceRecords(
  input: AsyncIterable<Buffer | Uint8Array | string | DecodedChunk>, opts: FtraceReaderOptions,
): AsyncGenerator<RawRecordBatch> {
  const r = new FtraceRecordReader(opts);
  let carry: Buffer | undefined;
  let discarding = false;
  for await (const chunk of input) {
    if (isDecodedChunk(chunk)) {
      // (a binary trace's text chunks hold whole lines: nothing is carried into its decoded ones)
      r.decoded(chunk);
      const items = r.take();
      if (items.length > 0) yield items;
      continue;
    }
    let buf = toBuffer(chunk);
    r.stats.bytes += buf.length;
    if (discarding) {
      const nl = buf.indexOf(10);
      if (nl === -1) continue;
      buf = buf.subarray(nl + 1);
      discarding = false;
    }
    if (carry !== undefined) {
      const nl = buf.indexOf(10);
      if (nl === -1) { buf = Buffer.concat([carry, buf]); carry = undefined; } else {
        // Only the line cut at the chunk's start is joined to its beginning: the rest of the chunk
        // is read where it is (not copied behind the carried bytes).
        r.feed(Buffer.concat([carry, buf.subarray(0, nl + 1)]).toString('latin1'));
        carry = undefined;
        buf = buf.subarray(nl + 1);
        const last = buf.lastIndexOf(10);
        if (last !== -1) r.feed(buf.toString('latin1', 0, last + 1));
        if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1));
        const items = r.take();
        if (items.length > 0) yield items;
        continue;
      }
    }
    const last = buf.lastIndexOf(10);
    if (last === -1) {
      if (buf.length > r.maxLine) {
        // An over-long line: account it now and drop the rest of it.
        r.line(buf.toString('latin1', 0, r.maxLine + 1), 0, r.maxLine + 1, true);
        discarding = true;
      } else carry = Buffer.from(buf);
      continue;
    }
    r.feed(buf.toString('latin1', 0, last + 1));
    if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1));
    const items = r.take();
    if (items.length > 0) yield items;
  }
  if (carry !== undefined && carry.length > 0) {
    const text = carry.toString('latin1');
    r.line(text, 0, text.length, false);
  }
  r.finish();
  const items = r.take();
  if (items.length > 0) yield items;
}
