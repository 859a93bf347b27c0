/**
 * One ftrace text line → what it is. A hand-written scanner anchored on the shapes of the format
 * notes (no backtracking regular expressions), in two steps so that the reader stays fast:
 *
 * 1. `scanLine` fills a reused `LineScan` with offsets into the text: the prefix (comm, pid, TGID,
 *    CPU, flags, timestamp), the record kind and its name. No allocation but the name string.
 * 2. `materialise` builds the `RawFtraceRecord` (comm, timestamp, arguments) — only for records
 *    the caller wants.
 *
 * `parseFtraceLine` does both for one line and returns a `RawLine`; it is total: any string gives
 * a result, and a line that is not understood gives `unrecognised` with a reason and a column.
 * Formats are sniffed per line; the `SniffState` learns from headers (tracer, legend) but every
 * variant is accepted on every line, since pasted captures mix kernels and tools.
 */
import { newRecord, type RawFtraceRecord, type RawKind, type TsClock } from './raw.js';
import * as chars from './chars.js';
import * as grammars from './payload.js';
import { RecentCuts } from './recent.js';

// Local bindings: see chars.ts.
const { findChar, findStr, isDigit, isWs, skipWs, trimEnd } = chars;
const { parseContention, parseGraphArgs, parseKeyValues, parseLockAcquire, parseLockAddrName, parseRawSysExit, parseSchedSwitch } = grammars;

/** What the headers of the input said so far. Updated by header lines; read by graph lines without a CPU column. */
export interface SniffState {
  /** Input name, for provenance. */
  file: string;
  /** 1-based number of the line being parsed (set by the caller). */
  line: number;
  /** `# tracer: NAME`. */
  tracer: string | undefined;
  /** Flag columns in the legend (0 when the legend has none, i.e. irq-info off). */
  flagsWidth: number | undefined;
  /** The legend has a TGID column. */
  tgid: boolean;
  /** A latency-format header was seen. */
  latency: boolean;
  /** A `trace-cmd report` header was seen (`version = N`, `cpus=N`). */
  traceCmd: boolean;
  /** A `perf script` line was seen. */
  perf?: boolean;
  /** `cpus=N` or `#P:N`. */
  cpus: number | undefined;
  /** trace-cmd report's `CPU N is empty` lines: CPUs whose buffers held nothing. */
  emptyCpus?: Set<number>;
  /** `# entries-in-buffer/entries-written: A/B`: A, the records the log promises, and its line. */
  entries?: { inBuffer: number; line: number } | undefined;
}

export function newSniffState(file = '<input>'): SniffState {
  return { file, line: 0, tracer: undefined, flagsWidth: undefined, tgid: false, latency: false, traceCmd: false, cpus: undefined };
}

/** Recognised lines that carry no record. */
export type SkipWhat = 'blank' | 'header' | 'legend' | 'separator' | 'stack' | 'irq' | 'banner' | 'report-header';

/** Lines that mark incomplete history. */
export type MarkerWhat = 'lost' | 'buffer_started' | 'line_too_big' | 'overwritten' | 'new_capture';

export interface SkipLine { kind: 'skip'; what: SkipWhat }
export interface MarkerLine { kind: 'marker'; what: MarkerWhat; cpu: number | undefined; lost: number | undefined }
/** function_graph context-switch marker `CPU) prev-pid => next-pid`. */
export interface SwitchLine { kind: 'switch'; cpu: number; prevComm: string; prevPid: number; nextComm: string; nextPid: number }
export interface UnrecognisedLine {
  kind: 'unrecognised';
  reason: string;
  /** 1-based column where the line stopped making sense. */
  column: number;
  /** The line holds control bytes (binary data). */
  binary: boolean;
  /** The task, when the prefix was readable. */
  pid: number | undefined;
}

export type RawLine = RawFtraceRecord | SkipLine | MarkerLine | SwitchLine | UnrecognisedLine;

// Line classes of a scan.
export const L_RECORD = 0;
export const L_SKIP = 1;
export const L_MARKER = 2;
export const L_SWITCH = 3;
export const L_BAD = 4;

const C_SP = 32, C_DASH = 45, C_LBR = 91, C_RBR = 93, C_LP = 40, C_RP = 41, C_DOT = 46, C_COLON = 58, C_BAR = 124,
  C_HASH = 35, C_LT = 60, C_GT = 62, C_LBRACE = 123, C_RBRACE = 125, C_SLASH = 47, C_STAR = 42, C_EQ = 61, C_SEMI = 59, C_PLUS = 43;

/** The scanner's reusable view of one line: offsets into `text`, -1 when absent. */
export class LineScan {
  text = '';
  start = 0;
  end = 0;
  cls = L_BAD;
  kind: RawKind = 'event';
  /** Record name ('' for a graph `}` without a tail comment). */
  name = '';
  pid = -1;
  tgid = -1;
  cpu = -1;
  commS = -1; commE = -1;
  tsS = -1; tsE = -1;
  tsClock: TsClock = 'ns';
  flagsS = -1; flagsE = -1;
  /** Payload (events, probes), or the rest after a function name (function lines). */
  payS = -1; payE = -1;
  /** Probe head: site and probed symbol. */
  siteS = -1; siteE = -1; symS = -1; symE = -1;
  /**
   * The probe head holds bare addresses (trace-cmd report, perf script): `symS..symE` is then the
   * probed function's address, to be resolved through the kernel's symbols (see sites.ts).
   */
  hexHead = false;
  /** Probe/event arguments start (after the probe head). */
  argsS = -1;
  /** function_graph: duration (ns, -1 none), funcgraph-args span, return value span. */
  durNs = -1;
  gargsS = -1; gargsE = -1;
  retS = -1; retE = -1;
  /** Function tracer: parent and module spans, `+off/size`. */
  parentS = -1; parentE = -1; modS = -1; modE = -1; offS = -1; offE = -1;
  skip: SkipWhat = 'blank';
  marker: MarkerWhat = 'lost';
  markerCpu = -1;
  markerLost = -1;
  sw: SwitchLine | undefined;
  reason = '';
  badAt = 0;
  /** A record decoded from binary data (see decoded.ts): `materialise` gives it, and the other fields are set as for its line. */
  decoded: RawFtraceRecord | undefined = undefined;

  reset(text: string, start: number, end: number): void {
    this.text = text; this.start = start; this.end = end;
    this.cls = L_BAD; this.kind = 'event'; this.name = '';
    this.pid = -1; this.tgid = -1; this.cpu = -1;
    this.commS = this.commE = this.tsS = this.tsE = this.flagsS = this.flagsE = -1;
    this.tsClock = 'ns';
    this.payS = this.payE = this.siteS = this.siteE = this.symS = this.symE = this.argsS = -1;
    this.hexHead = false;
    this.durNs = -1; this.gargsS = this.gargsE = this.retS = this.retE = -1;
    this.parentS = this.parentE = this.modS = this.modE = this.offS = this.offE = -1;
    this.sw = undefined;
    this.decoded = undefined;
    this.reason = ''; this.badAt = start;
  }
}

function bad(sc: LineScan, reason: string, at: number): void {
  sc.cls = L_BAD;
  sc.reason = reason;
  sc.badAt = at;
}

function skipLine(sc: LineScan, what: SkipWhat): void {
  sc.cls = L_SKIP;
  sc.skip = what;
}

function markerLine(sc: LineScan, what: MarkerWhat, cpu: number, lost: number): void {
  sc.cls = L_MARKER;
  sc.marker = what;
  sc.markerCpu = cpu;
  sc.markerLost = lost;
}

/** Parses decimal digits at [i, end) → [value, next index]; value -1 when none. */
function digitsAt(s: string, i: number, end: number): number {
  let v = 0;
  let j = i;
  while (j < end) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    j++;
  }
  DIGITS_END = j;
  return j === i ? -1 : v;
}
/** End index of the last `digitsAt` call (module-level to avoid returning a tuple). */
let DIGITS_END = 0;

/**
 * Scans one line s[start, end) (no newline) into `sc`. Never throws.
 */
export function scanLine(s: string, start: number, end: number, st: SniffState, sc: LineScan): void {
  sc.reset(s, start, end);
  if (end > start && s.charCodeAt(end - 1) === 13) { end--; sc.end = end; }
  const i = skipWs(s, start, end);
  if (i >= end) { skipLine(sc, 'blank'); return; }
  const c = s.charCodeAt(i);
  if (s.charCodeAt(start) === 9 && PERF_CALLCHAIN.test(s.slice(i, end))) { skipLine(sc, 'stack'); return; }
  if (isDigit(c)) {
    if (scanGraph(s, i, end, st, sc, true)) return;
    sc.reset(s, start, end);
  } else if (c === C_HASH) {
    scanHash(s, i, end, st, sc);
    return;
  } else if (c === 67 /* C */ && s.startsWith('CPU', i)) {
    if (scanCpuLine(s, i, end, st, sc)) return;
  } else if (c === C_LBR) {
    if (s.startsWith('[LINE TOO BIG]', i)) { markerLine(sc, 'line_too_big', -1, 1); return; }
    // printk dump prefix `[ 1295.168495] ` before an ftrace line.
    const close = findChar(s, C_RBR, i + 1, Math.min(end, i + 24));
    if (close !== -1 && isDmesgStamp(s, i + 1, close)) {
      scanLine(s, close + 1, end, st, sc);
      sc.start = start;
      return;
    }
  } else if (c === C_DASH) {
    let j = i;
    while (j < end && s.charCodeAt(j) === C_DASH) j++;
    if (skipWs(s, j, end) === end) { skipLine(sc, 'separator'); return; }
  } else if (c === C_EQ && s.charCodeAt(i + 1) === C_GT) {
    skipLine(sc, 'stack');
    return;
  } else if (c === 118 /* v */ && s.startsWith('version = ', i)) {
    st.traceCmd = true;
    skipLine(sc, 'report-header');
    return;
  } else if (c === 99 /* c */ && s.startsWith('cpus=', i)) {
    const n = digitsAt(s, i + 5, end);
    if (n >= 0 && skipWs(s, DIGITS_END, end) === end) { st.cpus = n; st.traceCmd = true; skipLine(sc, 'report-header'); return; }
  } else if (c === 68 /* D */ && s.startsWith('Dumping ftrace buffer:', i)) {
    skipLine(sc, 'banner');
    return;
  }
  if (scanPrefix(s, i, end, st, sc)) return;
  if (st.tracer === undefined) {
    // No `comm-pid`: perhaps `perf script` text (`comm tid [cpu] time: sys:event: …`).
    const reason = sc.reason;
    const at = sc.badAt;
    const pid = sc.pid;
    const cpu = sc.cpu;
    sc.reset(s, start, end);
    if (scanPerf(s, i, end, st, sc)) return;
    sc.reset(s, start, end);
    sc.pid = pid;
    sc.cpu = cpu;
    bad(sc, reason, at);
  }
  if (st.tracer === 'function_graph' && sc.pid < 0) {
    // A graph line without the CPU column (nofuncgraph-cpu).
    sc.reset(s, start, end);
    scanGraph(s, i, end, st, sc, false);
  }
}

/**
 * `perf script` (tools/perf/builtin-script.c): `COMM TID [CPU] SECS.USECS: SYS:EVENT: TRACE`, with
 * `-F` choosing the fields: `PID/TID`, no CPU, no comm (then the line starts with the tid), `--ns`
 * (9 decimals), and `ip,sym[,symoff,dso]` printed after the trace. The comm is right-aligned in 16
 * columns (unpadded with `-g`) and may hold blanks and digits; the tid is the last number before
 * the CPU or time. The trace is the event's print format as libtraceevent renders it, as in
 * trace-cmd report (probe sites as bare addresses).
 */
const PERF_PREFIX = /^(?:(.*?)\s+)?(\d+)(?:\/(\d+))?\s+(?:\[(\d+)\]\s+)?(\d+\.\d+):\s+(\S+?):(?=\s|$)/d;
/** `ip sym+off (dso)` after the trace (`-F …,ip,sym,…` without a callchain): a kernel address, 16 hex digits. */
const PERF_IP_SYM = /\s+[0-9a-f]{16}(?: [^\s=]+)?(?: \([^()\s]*\))?$/;
/** A callchain line of `perf script` after a sample recorded with `-g`: TAB, address, `sym+off (dso)`. */
const PERF_CALLCHAIN = /^[0-9a-f]+ \S+(?: \([^()]*\))?$/;

function scanPerf(s: string, i: number, end: number, st: SniffState, sc: LineScan): boolean {
  const m = PERF_PREFIX.exec(s.slice(i, end));
  if (m === null) return false;
  const at = m.indices!;
  if (m[1] !== undefined && m[1] !== '') { sc.commS = i + at[1]![0]; sc.commE = i + at[1]![1]; }
  sc.pid = Number(m[2]);
  if (m[3] !== undefined) { sc.tgid = sc.pid; sc.pid = Number(m[3]); }
  if (m[4] !== undefined) sc.cpu = Number(m[4]);
  sc.tsS = i + at[5]![0];
  sc.tsE = i + at[5]![1];
  sc.tsClock = 'ns';
  // The record is named as tracefs names it: the event without its system (`raw_syscalls:sys_exit` → `sys_exit`).
  const ev = m[6]!;
  const nameS = i + at[6]![0] + ev.lastIndexOf(':') + 1;
  if (ev.startsWith('PERF_RECORD_LOST')) {
    // `--show-lost-events`: the ring buffer of that CPU dropped samples.
    markerLine(sc, 'lost', sc.cpu, -1);
    return true;
  }
  let e = end;
  const tail = PERF_IP_SYM.exec(s.slice(i + at[6]![1], end));
  if (tail !== null) e = i + at[6]![1] + tail.index;
  st.perf = true;
  return scanBody(s, nameS, e, st, sc, false);
}

function isDmesgStamp(s: string, i: number, end: number): boolean {
  i = skipWs(s, i, end);
  const a = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i === a || s.charCodeAt(i) !== C_DOT) return false;
  const b = ++i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  return i > b && i === end;
}

/** `CPU:N [LOST K EVENTS]`, `CPU:N [LOST EVENTS]`, trace-cmd `CPU N is empty`. */
function scanCpuLine(s: string, i: number, end: number, st: SniffState, sc: LineScan): boolean {
  if (s.charCodeAt(i + 3) === C_COLON) {
    const cpu = digitsAt(s, i + 4, end);
    if (cpu < 0) return false;
    let p = skipWs(s, DIGITS_END, end);
    if (!s.startsWith('[LOST ', p)) return false;
    p += 6;
    let lost = -1;
    if (isDigit(s.charCodeAt(p))) { lost = digitsAt(s, p, end); p = skipWs(s, DIGITS_END, end); }
    if (!s.startsWith('EVENTS]', p) || skipWs(s, p + 7, end) !== end) return false;
    markerLine(sc, 'lost', cpu, lost);
    return true;
  }
  if (s.charCodeAt(i + 3) === C_SP) {
    const cpu = digitsAt(s, i + 4, end);
    if (cpu >= 0 && s.startsWith(' is empty', DIGITS_END) && skipWs(s, DIGITS_END + 9, end) === end) {
      st.traceCmd = true;
      (st.emptyCpus ??= new Set()).add(cpu);
      skipLine(sc, 'report-header');
      return true;
    }
  }
  return false;
}

/** `#` lines: buffer-started annotations, headers, legends. */
function scanHash(s: string, i: number, end: number, st: SniffState, sc: LineScan): void {
  if (s.startsWith('##### CPU ', i)) {
    const cpu = digitsAt(s, i + 10, end);
    if (cpu >= 0 && s.startsWith(' buffer started', DIGITS_END)) { markerLine(sc, 'buffer_started', cpu, -1); return; }
  }
  const p = skipWs(s, i + 1, end);
  if (s.startsWith('tracer:', p)) {
    const a = skipWs(s, p + 7, end);
    const again = st.tracer !== undefined;
    st.tracer = s.slice(a, trimEnd(s, a, end));
    // A second header: another capture's text follows (logs appended to one file, `cat trace >>
    // log` between clears of the buffer). What ran between the two is not in the file.
    if (again) { markerLine(sc, 'new_capture', -1, -1); return; }
    skipLine(sc, 'header');
    return;
  }
  if (s.startsWith('entries-in-buffer/entries-written:', p)) {
    let q = skipWs(s, p + 34, end);
    const inBuf = digitsAt(s, q, end);
    q = DIGITS_END;
    const written = s.charCodeAt(q) === C_SLASH ? digitsAt(s, q + 1, end) : -1;
    q = DIGITS_END;
    const hp = findStr(s, '#P:', q, end);
    if (hp !== -1) { const n = digitsAt(s, hp + 3, end); if (n >= 0) st.cpus = n; }
    if (inBuf >= 0) st.entries = { inBuffer: inBuf, line: st.line };
    if (inBuf >= 0 && written > inBuf) { markerLine(sc, 'overwritten', -1, written - inBuf); return; }
    skipLine(sc, 'header');
    return;
  }
  if (s.startsWith('latency:', p)) {
    // The latency-format header (print_trace_header in kernel/trace/trace.c):
    // `# latency: 259 us, #4/4, CPU#2 | (M:preempt VP:0, KP:0, SP:0 HP:0 #P:4)`, where `#E/T` are
    // the entries in the buffer and those written, as `entries-in-buffer/entries-written` has them.
    const h = findStr(s, ', #', p + 8, end);
    if (h !== -1) {
      const inBuf = digitsAt(s, h + 3, end);
      const q = DIGITS_END;
      const written = inBuf >= 0 && s.charCodeAt(q) === C_SLASH ? digitsAt(s, q + 1, end) : -1;
      const hp = findStr(s, '#P:', q, end);
      if (hp !== -1) { const n = digitsAt(s, hp + 3, end); if (n >= 0) st.cpus = n; }
      if (written >= 0) {
        st.latency = true;
        st.entries = { inBuffer: inBuf, line: st.line };
        if (written > inBuf) { markerLine(sc, 'overwritten', -1, written - inBuf); return; }
        skipLine(sc, 'header');
        return;
      }
    }
  }
  if (findStr(s, 'latency trace v', p, end) !== -1) st.latency = true;
  const tp = findStr(s, 'TASK-PID', p, end);
  if (tp !== -1) {
    st.tgid = findStr(s, 'TGID', tp, end) !== -1;
    const cpuCol = findStr(s, 'CPU#', tp, end);
    let w = 0;
    if (cpuCol !== -1) {
      let q = skipWs(s, cpuCol + 4, end);
      while (q < end && s.charCodeAt(q) === C_BAR) { w++; q++; }
    }
    st.flagsWidth = w;
    skipLine(sc, 'legend');
    return;
  }
  skipLine(sc, 'header');
}

/**
 * Whether s[i0, end) starts as a record's body does once `context-info` is off (kernel/trace/trace.c
 * prints no task, CPU or time then): a probe's name and head, `name: (func+0x…`, or a function
 * and its caller, `func <-caller` (not any `word: text`, which logs of every kind hold).
 */
function looksContextless(s: string, i0: number, end: number): boolean {
  let j = i0;
  for (; j < end; j++) {
    const c = s.charCodeAt(j) | 0x20;
    if (!((c >= 97 && c <= 122) || isDigit(c) || c === 0x7f /* _ */ || c === 0x2e /* . */)) break;
  }
  if (j === i0) return false;
  if (s.startsWith(' <-', j)) return j + 3 < end && !isWs(s.charCodeAt(j + 3));
  if (!s.startsWith(': (', j)) return false;
  const plus = findStr(s, '+0x', j + 3, end);
  const close = findChar(s, C_RP, j + 3, end);
  return plus !== -1 && close !== -1 && plus < close;
}

/**
 * Finds `comm-pid` followed by blanks and `[cpu]`, `(tgid)` or a latency CPU+flags field.
 * Splits on the last such `-<digits>` within the 16-column comm field.
 */
function scanPrefix(s: string, i0: number, end: number, st: SniffState, sc: LineScan): boolean {
  const lim = Math.min(end - 1, i0 + 17);
  let dash = -1;
  let pidEnd = -1;
  let after = -1;
  for (let j = i0 + 1; j <= lim; j++) {
    if (s.charCodeAt(j) !== C_DASH) continue;
    let k = j + 1;
    if (k >= end || !isDigit(s.charCodeAt(k))) continue;
    while (k < end && isDigit(s.charCodeAt(k))) k++;
    if (k >= end || !isWs(s.charCodeAt(k))) continue;
    const m = skipWs(s, k, end);
    if (m >= end) continue;
    const c = s.charCodeAt(m);
    if (c === C_LBR || c === C_LP || isDigit(c)) { dash = j; pidEnd = k; after = m; }
  }
  if (dash === -1) {
    const why = looksContextless(s, i0, end)
      ? ' (a record printed with the `context-info` trace option off has none, and without them tasks cannot be told apart)' : '';
    bad(sc, 'no `comm-pid` followed by `[cpu]` at the start of the line' + why, i0);
    return false;
  }
  sc.commS = i0;
  sc.commE = dash;
  sc.pid = digitsAt(s, dash + 1, pidEnd);
  let p = after;
  if (s.charCodeAt(p) === C_LP) {
    p = skipWs(s, p + 1, end);
    if (isDigit(s.charCodeAt(p))) { sc.tgid = digitsAt(s, p, end); p = DIGITS_END; } else { while (p < end && s.charCodeAt(p) === C_DASH) p++; }
    p = skipWs(s, p, end);
    if (s.charCodeAt(p) !== C_RP) { bad(sc, 'TGID column is not closed by `)`', p); return false; }
    p = skipWs(s, p + 1, end);
  }
  const c = s.charCodeAt(p);
  if (c === C_LBR) {
    const cpu = digitsAt(s, p + 1, end);
    if (cpu < 0 || s.charCodeAt(DIGITS_END) !== C_RBR) { bad(sc, 'expected a CPU number in `[...]`', p); return false; }
    sc.cpu = cpu;
    p = skipWs(s, DIGITS_END + 1, end);
    let t = p;
    while (t < end && !isWs(s.charCodeAt(t))) t++;
    if (!isTimestampToken(s, p, t)) {
      sc.flagsS = p; sc.flagsE = t;
      p = skipWs(s, t, end);
      t = p;
      while (t < end && !isWs(s.charCodeAt(t))) t++;
      if (!isTimestampToken(s, p, t)) { bad(sc, 'expected a timestamp `secs.usecs:` after the CPU and flags', p); return false; }
    }
    sc.tsS = p;
    sc.tsE = t - 1;
    sc.tsClock = findChar(s, C_DOT, p, t) === -1 ? 'counter' : 'ns';
    p = t;
  } else if (isDigit(c)) {
    // Latency format: CPU glued to the flags (`10dNh1`), then `Nus+:` or an absolute `secs.usecs:`.
    const cpu = digitsAt(s, p, end);
    p = DIGITS_END;
    sc.cpu = cpu;
    let t = p;
    while (t < end && !isWs(s.charCodeAt(t))) t++;
    if (t === p) { bad(sc, 'expected flags after the latency-format CPU number', p); return false; }
    sc.flagsS = p; sc.flagsE = t;
    p = skipWs(s, t, end);
    const a = p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === a) { bad(sc, 'expected a timestamp', a); return false; }
    if (s.charCodeAt(p) === C_DOT) {
      p++;
      const b = p;
      while (p < end && isDigit(s.charCodeAt(p))) p++;
      if (p === b || s.charCodeAt(p) !== C_COLON) { bad(sc, 'expected `:` after the timestamp', p); return false; }
      sc.tsS = a; sc.tsE = p; sc.tsClock = 'ns';
      p++;
    } else if (s.charCodeAt(p) === C_COLON) {
      // trace-cmd report -l of a capture with a counter clock (`-C counter`): a bare count.
      sc.tsS = a; sc.tsE = p; sc.tsClock = 'counter';
      p++;
    } else if (s.charCodeAt(p) === 117 /* u */ && s.charCodeAt(p + 1) === 115 /* s */) {
      sc.tsS = a; sc.tsE = p; sc.tsClock = 'relative';
      p += 2;
      if (p < end && s.charCodeAt(p) !== C_COLON) p++; // delay mark: + ! # * @ $ or blank
      if (s.charCodeAt(p) !== C_COLON) { bad(sc, 'expected `:` after the latency timestamp and mark', p); return false; }
      p++;
    } else { bad(sc, 'expected `us`, `:` or a fraction after the latency timestamp', p); return false; }
  } else {
    bad(sc, 'expected `[cpu]` after `comm-pid`', p);
    return false;
  }
  let b = skipWs(s, p, end);
  if (s.charCodeAt(b) === C_LP && s.charCodeAt(b + 1) === C_PLUS) {
    // trace-cmd report --ts-diff: the time since the record before, `(+123)`, after the timestamp
    // (blank on the first record).
    const d = digitsAt(s, b + 2, end);
    if (d >= 0 && s.charCodeAt(DIGITS_END) === C_RP) b = skipWs(s, DIGITS_END + 1, end);
  }
  if (b >= end) { bad(sc, 'no body after the timestamp', b); return false; }
  return scanBody(s, b, end, st, sc, false);
}

/** `digits[.digits]:` exactly spanning [i, t). */
function isTimestampToken(s: string, i: number, t: number): boolean {
  if (t - i < 2 || s.charCodeAt(t - 1) !== C_COLON) return false;
  let dot = false;
  for (let j = i; j < t - 1; j++) {
    const c = s.charCodeAt(j);
    if (c === C_DOT) { if (dot || j === i) return false; dot = true; } else if (!isDigit(c)) return false;
  }
  return s.charCodeAt(t - 2) !== C_DOT;
}

/**
 * The body after the prefix (or inside a graph comment when `inComment`): `name: payload`,
 * `sys_xxx -> r`, `fn[+off/size] [<addr>] [[module]] [<-parent]`, `<stack trace>`.
 */
function scanBody(s: string, b: number, end: number, st: SniffState, sc: LineScan, inComment: boolean): boolean {
  let t = b;
  while (t < end && !isWs(s.charCodeAt(t))) t++;
  if (t - b > 1 && s.charCodeAt(t - 1) === C_COLON) {
    const name = s.slice(b, t - 1);
    const p = skipWs(s, t, end);
    sc.name = name;
    sc.payS = p;
    sc.payE = trimEnd(s, p, end);
    sc.cls = L_RECORD;
    sc.kind = 'event';
    const c = p < end ? s.charCodeAt(p) : -1;
    if (c === C_LP && !isUserText(name) && probeHead(s, p, sc.payE, sc)) return true;
    if (c === 95 /* _ */ && !isUserText(name) && isFieldByFieldProbe(s, p)) {
      bad(sc, 'a probe record printed field by field (`__probe_ip=`, `__probe_func=`: trace-cmd report -R, or tracefs with options/fields on): '
        + 'its values are printed by their storage type, not the probe\'s fetch types, and strings unquoted, so its arguments cannot be read '
        + 'as the probe defined them; report it without -R (echo 0 > options/fields)', p);
      return false;
    }
    if (c === 78 /* N */ && name === 'sys_exit' && s.startsWith('NR ', p)) { sc.kind = 'syscall_exit'; return true; }
    if (c !== -1 && name.charCodeAt(0) === 102 /* f */) {
      if (name === 'function') {
        // trace-cmd: `function: callee <-- caller`.
        const arrow = findStr(s, ' <-- ', p, sc.payE);
        if (arrow !== -1) {
          const n1 = functionName(s, p, arrow, sc);
          sc.kind = 'function';
          sc.name = s.slice(p, n1);
          const q = skipWs(s, arrow + 5, sc.payE);
          sc.parentS = q; sc.parentE = sc.payE;
          return true;
        }
      } else if ((name === 'funcgraph_entry' || name === 'funcgraph_exit') && !inComment) {
        return scanGraphColumns(s, p, end, st, sc);
      }
    }
    return true;
  }
  if (inComment) {
    sc.cls = L_RECORD;
    sc.kind = 'comment';
    sc.name = '';
    sc.payS = b;
    sc.payE = end;
    return true;
  }
  const first = s.charCodeAt(b);
  if (first === C_LT) {
    const gt = findChar(s, C_GT, b, end);
    if (gt !== -1 && (s.startsWith('<stack trace>', b) || s.startsWith('<user stack trace>', b))) {
      sc.cls = L_RECORD; sc.kind = 'event'; sc.name = s.slice(b, gt + 1);
      return true;
    }
    bad(sc, 'expected a function or event name', b);
    return false;
  }
  const n = skipWs(s, t, end);
  if (s.charCodeAt(n) === C_DASH && s.charCodeAt(n + 1) === C_GT) {
    // syscalls: `sys_openat -> 0x3`.
    sc.cls = L_RECORD; sc.kind = 'syscall_exit'; sc.name = s.slice(b, t);
    sc.retS = skipWs(s, n + 2, end); sc.retE = trimEnd(s, sc.retS, end);
    return true;
  }
  // Function tracer body.
  const n1 = functionName(s, b, t, sc);
  let p = n;
  if (p < end && s.charCodeAt(p) === C_LT && s.charCodeAt(p + 1) !== C_DASH) {
    const gt = findChar(s, C_GT, p, end);
    if (gt === -1) { bad(sc, 'unclosed `<address>` after the function name', p); return false; }
    p = skipWs(s, gt + 1, end);
  }
  if (p < end && s.charCodeAt(p) === C_LBR) {
    const rb = findChar(s, C_RBR, p, end);
    if (rb === -1) { bad(sc, 'unclosed `[module]` after the function name', p); return false; }
    sc.modS = p + 1; sc.modE = rb;
    p = skipWs(s, rb + 1, end);
  }
  if (p < end) {
    if (s.charCodeAt(p) !== C_LT || s.charCodeAt(p + 1) !== C_DASH) {
      bad(sc, 'expected `name: payload` or `function <-parent`', p);
      return false;
    }
    sc.parentS = skipWs(s, p + 2, end);
    sc.parentE = trimEnd(s, sc.parentS, end);
  }
  sc.cls = L_RECORD;
  sc.kind = 'function';
  sc.name = s.slice(b, n1);
  return true;
}

/**
 * A kprobe or kretprobe record printed field by field: its probe's own fields first, `__probe_ip`
 * (a kprobe), `__probe_func` then `__probe_ret_ip` (a kretprobe), as kernel/trace/trace_kprobe.c
 * names them. trace-cmd report -R prints every record so (libtraceevent's tep_print_fields), and
 * tracefs with options/fields on (print_event_fields in kernel/trace/trace_output.c).
 */
function isFieldByFieldProbe(s: string, p: number): boolean {
  return s.startsWith('__probe_ip=', p) || s.startsWith('__probe_func=', p);
}

/**
 * Records whose text a program wrote (`trace_marker`: `tracing_mark_write: …`; trace_printk as
 * trace-cmd names it: `print`, `bprint`, `bputs`): never a probe record, whatever the text says.
 */
function isUserText(name: string): boolean {
  return name === 'tracing_mark_write' || name === 'bprint' || name === 'bputs' || name === 'print';
}

/** End of a function name in [b, t): stops at `+off/size`, which it records. */
function functionName(s: string, b: number, t: number, sc: LineScan): number {
  const plus = findChar(s, C_PLUS, b + 1, t);
  if (plus === -1) return t;
  sc.offS = plus + 1;
  sc.offE = t;
  return plus;
}

/**
 * `(sym+off/size)` or `(caller+off/size <- sym)` at the payload start; module symbols carry a
 * ` [module]` suffix on either side (`(xfs_vn_lookup+0x0/0xb0 [xfs])`).
 */
function probeHead(s: string, p: number, end: number, sc: LineScan): boolean {
  let arrow = -1;
  let modAt = -1;
  /** The first ` <address>` of the site (sym-addr), or -1. */
  let siteAddr = -1;
  let q = p + 1;
  for (; q < end; q++) {
    const c = s.charCodeAt(q);
    if (c === C_RP) break;
    if (c === C_SP || c === 9) {
      if (arrow === -1 && s.startsWith(' <- ', q)) { arrow = q; q += 3; continue; }
      if (s.charCodeAt(q + 1) === C_LBR) {
        const rb = findChar(s, C_RBR, q + 2, end);
        if (rb === -1) return false;
        if (arrow !== -1 && modAt === -1) modAt = q;
        q = rb;
        continue;
      }
      if (s.charCodeAt(q + 1) === C_LT) {
        // The `sym-addr` option: each symbol is followed by its address, ` <ffffffff81234567>`
        // (seq_print_ip_sym in kernel/trace/trace_output.c).
        const gt = findChar(s, C_GT, q + 2, end);
        if (gt === -1 || !isBareHex(s, q + 2, gt)) return false;
        if (arrow === -1) { if (siteAddr === -1) siteAddr = q; } else if (modAt === -1) modAt = q;
        q = gt;
        continue;
      }
      return false;
    }
  }
  if (q >= end || q === p + 1) return false;
  if (q + 1 < end && !isWs(s.charCodeAt(q + 1))) return false;
  const siteEnd = siteAddr !== -1 ? siteAddr : arrow === -1 ? q : arrow;
  if (modAt === -1 && isBareHex(s, p + 1, siteEnd) && (arrow === -1 || isBareHex(s, arrow + 4, q))) {
    // libtraceevent's rendering of the kernel's own print format for probe events, which trace-cmd
    // report and perf script use: `(%lx)` = (probed address), and `(%lx <- %lx)` = (probed function
    // <- return site), the reverse of tracefs' `(return site <- probed function)`
    // (kernel/trace/trace_probe.c, __set_print_fmt).
    sc.hexHead = true;
    sc.kind = arrow === -1 ? 'kprobe' : 'kretprobe';
    sc.symS = p + 1;
    sc.symE = siteEnd;
    sc.siteS = arrow === -1 ? p + 1 : arrow + 4;
    sc.siteE = q;
    sc.argsS = skipWs(s, q + 1, end);
    return true;
  }
  const plus = findChar(s, C_PLUS, p + 1, siteEnd);
  if (plus === -1 && !s.startsWith('0x', p + 1)) return false;
  sc.siteS = p + 1;
  sc.siteE = siteEnd;
  if (arrow === -1) {
    sc.kind = 'kprobe';
    sc.symS = p + 1;
    sc.symE = plus === -1 ? siteEnd : plus;
  } else {
    sc.kind = 'kretprobe';
    sc.symS = arrow + 4;
    sc.symE = modAt === -1 ? q : modAt;
    if (sc.symE <= sc.symS) return false;
  }
  sc.argsS = skipWs(s, q + 1, end);
  return true;
}

/**
 * A kernel address as `%lx` prints it: 1 to 16 lowercase hex digits, no `0x`. tracefs never prints
 * a probe site this way (it has `sym+off/size`, or `0x…` for an address without a symbol).
 */
function isBareHex(s: string, a: number, b: number): boolean {
  if (b <= a || b - a > 16) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!(isDigit(c) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * function_graph lines: `[ABSTIME |] [CPU)] [COMM-PID |] [FLAGS |] [MARK DURATION] | BODY`, and the
 * `CPU) prev-pid => next-pid` context-switch marker. `needCpu`: the CPU column (or abstime) must be present.
 */
function scanGraph(s: string, i: number, end: number, st: SniffState, sc: LineScan, needCpu: boolean): boolean {
  let p = i;
  let sawTime = false;
  if (isDigit(s.charCodeAt(p))) {
    let q = p;
    while (q < end && isDigit(s.charCodeAt(q))) q++;
    if (s.charCodeAt(q) === C_DOT) {
      q++;
      const f = q;
      while (q < end && isDigit(s.charCodeAt(q))) q++;
      const r = skipWs(s, q, end);
      if (q === f || s.charCodeAt(r) !== C_BAR) return false;
      sc.tsS = p; sc.tsE = q; sc.tsClock = 'ns';
      sawTime = true;
      p = skipWs(s, r + 1, end);
    }
  }
  if (isDigit(s.charCodeAt(p))) {
    const cpu = digitsAt(s, p, end);
    if (s.charCodeAt(DIGITS_END) !== C_RP) return false;
    sc.cpu = cpu;
    p = DIGITS_END + 1;
  } else if (needCpu && !sawTime) return false;
  // From here on the line is taken as a function_graph line (success or a reasoned failure).
  const bar = barIn(s, p, end);
  if (bar === -1 && !sawTime) {
    const arrow = findStr(s, ' => ', p, end);
    if (arrow !== -1) { switchMarker(s, p, arrow + 1, end, sc); return true; }
  }
  scanGraphColumns(s, p, end, st, sc);
  return true;
}

/**
 * Index of the next `|` in s[p, end), or -1, using the native `indexOf` (much faster than a
 * char loop). The search may run past `end`, so its result is remembered: a later call on the
 * same text from a position before the remembered `|` reuses it, which keeps a chunk of lines
 * without any `|` linear instead of quadratic.
 */
let barText = '';
let barFrom = 0;
let barAt = 0;
function barIn(s: string, p: number, end: number): number {
  if (s !== barText || p < barFrom || p > barAt) {
    const k = s.indexOf('|', p);
    barText = s;
    barFrom = p;
    barAt = k === -1 ? s.length : k;
  }
  return barAt < end ? barAt : -1;
}

/** The `prev-pid => next-pid` marker. */
function switchMarker(s: string, p: number, arrow: number, end: number, sc: LineScan): void {
  const a = splitCommPid(s, skipWs(s, p, arrow), trimEnd(s, p, arrow));
  const bS = skipWs(s, arrow + 2, end);
  const b = splitCommPid(s, bS, trimEnd(s, bS, end));
  if (a === undefined || b === undefined || sc.cpu < 0) { bad(sc, 'malformed context-switch marker: expected `CPU) comm-pid => comm-pid`', p); return; }
  sc.cls = L_SWITCH;
  sc.sw = { kind: 'switch', cpu: sc.cpu, prevComm: a[0], prevPid: a[1], nextComm: b[0], nextPid: b[1] };
}

/** `comm-pid` spanning exactly [a, b) → [comm, pid]. */
function splitCommPid(s: string, a: number, b: number): [string, number] | undefined {
  const d = procDash(s, a, b);
  if (d === -1) return undefined;
  return [s.slice(a, d), digitsAt(s, d + 1, b)];
}

/** Index of the `-` of a trailing `-<digits>` in [a, b) with a non-empty comm before it, or -1. */
function procDash(s: string, a: number, b: number): number {
  let k = b;
  while (k > a && isDigit(s.charCodeAt(k - 1))) k--;
  if (k === b || k - 1 <= a || s.charCodeAt(k - 1) !== C_DASH) return -1;
  return k - 1;
}

function isFlagChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === C_DOT;
}

/** Duration segment `[mark] N[.N] us` spanning exactly [a, b) → ns, or -1. */
function durationNs(s: string, a: number, b: number): number {
  let p = a;
  const c = s.charCodeAt(p);
  if (c === C_PLUS || c === 33 || c === C_HASH || c === C_STAR || c === 64 || c === 36) p = skipWs(s, p + 1, b);
  const ip = digitsAt(s, p, b);
  if (ip < 0) return -1;
  p = DIGITS_END;
  let ns = ip * 1000;
  if (s.charCodeAt(p) === C_DOT) {
    let scale = 100;
    p++;
    const f = p;
    while (p < b && isDigit(s.charCodeAt(p))) {
      ns += (s.charCodeAt(p) - 48) * scale;
      scale /= 10;
      p++;
    }
    if (p === f) return -1;
    ns = Math.round(ns);
  }
  p = skipWs(s, p, b);
  if (p + 2 !== b || s.charCodeAt(p) !== 117 || s.charCodeAt(p + 1) !== 115) return -1;
  return ns;
}

/** The `|`-separated columns after the CPU, then the body. */
function scanGraphColumns(s: string, p: number, end: number, st: SniffState, sc: LineScan): boolean {
  let sawProc = false;
  let sawFlags = false;
  let body = -1;
  for (let n = 0; n < 4 && body === -1; n++) {
    const bar = barIn(s, p, end);
    if (bar === -1) { body = p; break; }
    const a = skipWs(s, p, bar);
    const b = trimEnd(s, a, bar);
    if (a === b) { body = bar + 1; break; }
    const d = durationNs(s, a, b);
    if (d >= 0) { sc.durNs = d; body = bar + 1; break; }
    if (!sawProc) {
      const dash = procDash(s, a, b);
      if (dash !== -1) {
        sc.commS = a; sc.commE = dash; sc.pid = digitsAt(s, dash + 1, b);
        sawProc = true;
        p = bar + 1;
        continue;
      }
    }
    if (!sawFlags && b - a <= 6) {
      let ok = true;
      for (let k = a; k < b; k++) if (!isFlagChar(s.charCodeAt(k))) { ok = false; break; }
      if (ok) { sc.flagsS = a; sc.flagsE = b; sawFlags = true; p = bar + 1; continue; }
    }
    body = p;
  }
  if (body === -1) body = p;
  return scanGraphBody(s, skipWs(s, body, end), end, st, sc);
}

/** `fn() {`, `fn();`, `}`, `} /* fn … *\/`, `/* comment or event *\/`, irq markers. */
function scanGraphBody(s: string, p: number, end: number, st: SniffState, sc: LineScan): boolean {
  if (p >= end) { bad(sc, 'function_graph line without a body', p); return false; }
  const c = s.charCodeAt(p);
  if (c === C_RBRACE) {
    sc.cls = L_RECORD;
    sc.kind = 'graph_exit';
    sc.name = '';
    const q = skipWs(s, p + 1, end);
    if (s.charCodeAt(q) === C_SLASH && s.charCodeAt(q + 1) === C_STAR) {
      const close = findStr(s, '*/', q + 2, end);
      if (close === -1) { bad(sc, 'unclosed `/*` after `}`', q); return false; }
      const a = skipWs(s, q + 2, close);
      const b = trimEnd(s, a, close);
      tailComment(s, a, b, sc, true);
    }
    return true;
  }
  if (c === C_SLASH && s.charCodeAt(p + 1) === C_STAR) {
    let close = trimEnd(s, p, end);
    if (s.charCodeAt(close - 1) !== C_SLASH || s.charCodeAt(close - 2) !== C_STAR || close - 2 < p + 2) { bad(sc, 'unclosed `/*` comment', p); return false; }
    close -= 2;
    const a = skipWs(s, p + 2, close);
    const b = trimEnd(s, a, close);
    if (a >= b) { sc.cls = L_RECORD; sc.kind = 'comment'; sc.name = ''; sc.payS = a; sc.payE = a; return true; }
    return scanBody(s, a, b, st, sc, true);
  }
  if (s.startsWith('==========>', p) || s.startsWith('<==========', p)) { skipLine(sc, 'irq'); return true; }
  // Function entry or leaf: NAME [ [MODULE]]( ARGS ) { | ;
  let q = p;
  while (q < end) {
    const d = s.charCodeAt(q);
    if (d === C_LP || isWs(d)) break;
    q++;
  }
  if (q === p) { bad(sc, 'expected a function name', p); return false; }
  const nameEnd = q;
  if (isWs(s.charCodeAt(q)) && s.charCodeAt(q + 1) === C_LBR) {
    const rb = findChar(s, C_RBR, q + 2, end);
    if (rb === -1) { bad(sc, 'unclosed `[module]`', q + 1); return false; }
    sc.modS = q + 2; sc.modE = rb;
    q = rb + 1;
  }
  if (s.charCodeAt(q) !== C_LP) { bad(sc, 'expected `(` after the function name', q); return false; }
  let depth = 0;
  let r = q;
  for (; r < end; r++) {
    const d = s.charCodeAt(r);
    if (d === C_LP) depth++;
    else if (d === C_RP && --depth === 0) break;
  }
  if (r >= end) { bad(sc, 'unclosed `(` after the function name', q); return false; }
  if (r > q + 1) { sc.gargsS = q + 1; sc.gargsE = r; }
  let t = r + 1;
  if (s.charCodeAt(t) === C_SEMI) sc.kind = 'graph_leaf';
  else {
    t = skipWs(s, t, end);
    if (s.charCodeAt(t) !== C_LBRACE) { bad(sc, 'expected `{` or `;` after `()`', t); return false; }
    sc.kind = 'graph_entry';
  }
  t = skipWs(s, t + 1, end);
  if (s.charCodeAt(t) === C_SLASH && s.charCodeAt(t + 1) === C_STAR) {
    const close = findStr(s, '*/', t + 2, end);
    if (close !== -1) {
      const a = skipWs(s, t + 2, close);
      tailComment(s, a, trimEnd(s, a, close), sc, false);
    }
  }
  sc.cls = L_RECORD;
  sc.name = s.slice(p, nameEnd);
  return true;
}

/**
 * The comment after `}` or `fn();`: `fn`, `fn = X`, `fn ret=X`, `= X`, `ret=X`, `<-caller+off/size`,
 * with an optional `(trunc)` suffix.
 */
function tailComment(s: string, a: number, b: number, sc: LineScan, isExit: boolean): void {
  if (a >= b) return;
  if (s.startsWith('<-', a)) return; // funcgraph-retaddr
  let p = a;
  if (isExit && s.charCodeAt(p) !== C_EQ && !s.startsWith('ret=', p)) {
    while (p < b && !isWs(s.charCodeAt(p))) p++;
    sc.name = s.slice(a, p);
    p = skipWs(s, p, b);
  }
  let v = -1;
  if (s.charCodeAt(p) === C_EQ) v = skipWs(s, p + 1, b);
  else if (s.startsWith('ret=', p)) v = p + 4;
  if (v === -1 || v >= b) return;
  let e = v;
  while (e < b && !isWs(s.charCodeAt(e))) e++;
  sc.retS = v;
  sc.retE = e;
}

// ---------------------------------------------------------------------------------------------
// Materialising records.

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** Integer value of the digits in [a, b) (ignoring non-digits); exact up to 2^53. */
function intOf(s: string, a: number, b: number): number {
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) v = v * 10 + (c - 48);
  }
  return v;
}

function setTimestamp(rec: RawFtraceRecord, sc: LineScan): void {
  rec.tsRaw = sc.text.slice(sc.tsS, sc.tsE);
  rec.tsClock = sc.tsClock;
  splitStamp(sc, rec);
}

/** A record line's stamp as whole seconds and nanoseconds (a `counter` clock's value div and mod 1e9), the merge's order. */
export function splitStamp(sc: LineScan, rec: { tsSec?: number | undefined; tsNsec?: number | undefined }): void {
  const s = sc.text;
  const a = sc.tsS;
  const b = sc.tsE;
  if (sc.tsClock === 'ns') {
    const dot = findChar(s, C_DOT, a, b);
    rec.tsSec = intOf(s, a, dot);
    const fEnd = Math.min(b, dot + 10);
    rec.tsNsec = intOf(s, dot + 1, fEnd) * POW10[9 - (fEnd - dot - 1)]!;
  } else {
    // counter: value div/mod 1e9; relative: microseconds → sec, ns.
    const cut = sc.tsClock === 'counter' ? 9 : 6;
    const m = Math.max(a, b - cut);
    rec.tsSec = intOf(s, a, m);
    rec.tsNsec = intOf(s, m, b) * (cut === 9 ? 1 : 1000);
  }
}

/** The columns that repeat from line to line (see recent.ts), by slot. */
const recent = new RecentCuts();
const R_COMM = 0, R_FLAGS = 1;
/**
 * A probe's own strings, by its event name: its site, its function, then its argument names (the
 * records of one probe repeat them, those of the probes around it do not).
 */
const byProbe = new Map<string, RecentCuts>();
const P_SITE = 0, P_SYM = 1, P_KEYS = 2;
const MAX_PROBES = 4096;
/** For probes past MAX_PROBES. */
const otherProbes = new RecentCuts();

/** The probe last looked up: a record's head and its materialising ask for the same one in turn. */
let lastProbe: string | undefined;
let lastCuts = otherProbes;

function probeCuts(name: string): RecentCuts {
  if (name === lastProbe) return lastCuts;
  let c = byProbe.get(name);
  if (c === undefined) {
    if (byProbe.size >= MAX_PROBES) return otherProbes;
    c = new RecentCuts();
    byProbe.set(name, c);
  }
  lastProbe = name;
  lastCuts = c;
  return c;
}

/** The probed function a probe record line's head names (`sym` of `(sym+off/size)`, of `(site <- sym)`). */
export function probedSymOf(sc: LineScan): string {
  return probeCuts(sc.name).cut(P_SYM, sc.text, sc.symS, sc.symE);
}

/** Builds the full record for a scanned record line (pid/cpu as printed; the reader completes graph pids). */
export function materialise(sc: LineScan, file: string, line: number): RawFtraceRecord {
  const d = sc.decoded;
  if (d !== undefined) {
    d.pid = sc.pid;
    d.file = file;
    d.line = line;
    return d;
  }
  const s = sc.text;
  const rec = newRecord(sc.kind, sc.name, file, line);
  rec.pid = sc.pid;
  rec.cpu = sc.cpu;
  if (sc.tgid >= 0) rec.tgid = sc.tgid;
  if (sc.commS >= 0) rec.comm = recent.cut(R_COMM, s, skipWs(s, sc.commS, sc.commE), sc.commE);
  if (sc.tsS >= 0) setTimestamp(rec, sc);
  if (sc.flagsS >= 0) rec.flags = recent.cut(R_FLAGS, s, sc.flagsS, sc.flagsE);
  if (sc.durNs >= 0) rec.durationNs = sc.durNs;
  if (sc.retS >= 0) rec.retval = s.slice(sc.retS, sc.retE);
  const args = rec.args;
  switch (sc.kind) {
    case 'function':
      if (sc.parentS >= 0 && sc.parentE > sc.parentS) args.parent = s.slice(sc.parentS, sc.parentE);
      if (sc.modS >= 0) args.module = s.slice(sc.modS, sc.modE);
      if (sc.offS >= 0) args.offset = s.slice(sc.offS, sc.offE);
      break;
    case 'graph_entry':
    case 'graph_leaf':
    case 'graph_exit':
      if (sc.modS >= 0) args.module = s.slice(sc.modS, sc.modE);
      if (sc.gargsS >= 0) parseGraphArgs(s, sc.gargsS, sc.gargsE, args);
      break;
    case 'kprobe':
    case 'kretprobe': {
      rec.payload = s.slice(sc.payS, sc.payE);
      const cuts = probeCuts(sc.name);
      rec.site = cuts.cut(P_SITE, s, sc.siteS, sc.siteE);
      rec.probedSym = cuts.cut(P_SYM, s, sc.symS, sc.symE);
      parseKeyValues(s, sc.argsS, sc.payE, args, cuts, P_KEYS);
      break;
    }
    case 'syscall_exit':
      if (sc.payS >= 0) {
        rec.payload = s.slice(sc.payS, sc.payE);
        if (parseRawSysExit(s, sc.payS, sc.payE, args)) rec.retval = args.ret;
      }
      break;
    case 'comment':
      rec.payload = s.slice(sc.payS, sc.payE);
      break;
    case 'event':
      if (sc.payS >= 0) {
        rec.payload = s.slice(sc.payS, sc.payE);
        eventArgs(sc.name, s, sc.payS, sc.payE, args);
      }
      break;
  }
  return rec;
}

/** The per-event grammars; other events get best-effort `key=value` pairs. */
export function eventArgs(name: string, s: string, a: number, b: number, args: Record<string, string>): void {
  let ok: boolean;
  switch (name) {
    case 'lock_acquire': ok = parseLockAcquire(s, a, b, args); break;
    case 'lock_release':
    case 'lock_contended':
    case 'lock_acquired': ok = parseLockAddrName(s, a, b, args); break;
    case 'contention_begin': ok = parseContention(s, a, b, 'flags', args); break;
    case 'contention_end': ok = parseContention(s, a, b, 'ret', args); break;
    case 'sched_switch': ok = parseSchedSwitch(s, a, b, args); break;
    default: parseKeyValues(s, a, b, args); return;
  }
  if (!ok) {
    for (const k of Object.keys(args)) delete args[k];
    parseKeyValues(s, a, b, args);
  }
}

// ---------------------------------------------------------------------------------------------
// The one-line API.

const shared = new LineScan();

/** The `RawLine` for a scanned line (materialising records). */
export function toRawLine(sc: LineScan, st: SniffState): RawLine {
  switch (sc.cls) {
    case L_RECORD: return materialise(sc, st.file, st.line);
    case L_SKIP: return { kind: 'skip', what: sc.skip };
    case L_MARKER:
      return { kind: 'marker', what: sc.marker, cpu: sc.markerCpu < 0 ? undefined : sc.markerCpu, lost: sc.markerLost < 0 ? undefined : sc.markerLost };
    case L_SWITCH: return sc.sw!;
    default: return unrecognised(sc);
  }
}

function unrecognised(sc: LineScan): UnrecognisedLine {
  const s = sc.text;
  let binary = false;
  for (let i = sc.start; i < sc.end; i++) {
    const c = s.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32) || c === 0x7f) { binary = true; break; }
  }
  return {
    kind: 'unrecognised',
    reason: binary ? 'binary data (control bytes) in a text line' : sc.reason,
    column: Math.max(1, sc.badAt - sc.start + 1),
    binary,
    pid: sc.pid >= 0 ? sc.pid : undefined,
  };
}

/**
 * Parses one line of ftrace text (without its newline). Total: never throws. Header lines update
 * `state`; `state.file`/`state.line` become the record's provenance. For a function_graph line
 * without `funcgraph-proc`, `pid` is -1 (the reader learns it from `=>` markers), and a `}`
 * without a tail comment has `name` '' (the reader pairs it with its call).
 */
export function parseFtraceLine(line: string, state: SniffState): RawLine {
  try {
    scanLine(line, 0, line.length, state, shared);
    return toRawLine(shared, state);
  } catch (e) {
    // Not expected: the scanner is total by construction; keep the promise anyway.
    return { kind: 'unrecognised', reason: `internal scanner error: ${(e as Error).message}`, column: 1, binary: false, pid: undefined };
  } finally {
    shared.text = '';
  }
}
