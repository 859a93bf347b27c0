/**
 * trace.dat → the ftrace text the kernel's tracefs `trace` file would print for the same events,
 * one line per record, CPUs merged by timestamp (ties: lowest CPU first, as tracefs and trace-cmd
 * report merge). The ftrace text reader then makes of it exactly the records it makes of tracefs
 * text, so the spec's `map` declarations, call pairing and gap handling apply unchanged.
 *
 * Line 1 is a comment naming the file's version, clock and CPUs; record N (in merged order) is on
 * line N + 1, the line `trace-cmd report -i FILE` prints it on (after its `cpus=N` line). Events
 * lost before a page (the ring buffer's missed-events flag) become a `CPU:N [LOST K EVENTS]` line
 * before that page's first record, which the text reader turns into a gap. A page whose times
 * break the order the kernel keeps (ring.ts, `timeBreak`: a damaged time delta or timestamp) cannot
 * have its records placed among other CPUs': they are dropped, with the next page's when its
 * timestamp is the bound broken, and announced the same way (after the CPU's last record when no
 * record of it follows); `timeDamage` says where. Damage part-way (a cut
 * file, a bad page or chunk) ends that CPU's data where it happens: what came before is read, and
 * `cut` says where and why, so that the caller reports it and ends with a gap.
 */
import { TraceDatError } from './cursor.js';
import { cpuPages, type Page } from './cpu.js';
import { readTraceDatMeta, type TraceDatMeta } from './file.js';
import { Kallsyms } from './kallsyms.js';
import { decodedColumns, decodedRecord, MAX_DECODED_PAYLOAD, type DecodedChunk, type DecodedKind, type DecodedStamp } from '../ftrace/decoded.js';
import type { RawFtraceRecord } from '../ftrace/raw.js';
import { clockInNs, EventRenderer, FieldReader, flagsText, tsText } from './render.js';
import { pageHead, PageReader, rawPageStamp, timeBaseOf, type TimeBreak } from './ring.js';

export interface TraceDatProblem {
  message: string;
  offset: number;
  section: string;
}

export interface TraceDatText {
  meta: TraceDatMeta;
  /** The rendered text, in chunks of whole lines (latin1: byte-exact). */
  chunks: Generator<Buffer>;
  /** Set once the chunks are exhausted, when a CPU's data ended in damage. */
  problems: TraceDatProblem[];
  /** Set as the chunks are read: pages whose times break the kernel's order, their records dropped (announced as lost events). */
  timeDamage: TraceDatTimeDamage[];
  /** Records rendered so far. */
  records: number;
}

const CHUNK_LINES = 4096;
/** Decoded records per chunk: few, so that they are read while still young (the garbage collector copies what lives on). */
const DECODED_CHUNK = 1024;

/** A ring-buffer page whose times break the order the kernel keeps (see `TimeBreak`): its records, and with them the next page's, were dropped. */
export interface TraceDatTimeDamage extends TimeBreak {
  cpu: number;
  /** File offset of the page (for compressed data: of its chunk), and its index among its CPU's pages. */
  page: number;
  pageIndex: number;
  compressed: boolean;
  /** Records dropped: the page's, and the next page's when its timestamp is the bound broken. */
  dropped: number;
  /** What `ts` and `bound` count from (ring.ts `timeBaseOf`): their clock's values are these plus it. */
  timeBase: bigint;
}

/** The records `reader` has left on its page (after `load`, when given), read and counted, not given; damage ends the count. */
function recordsLeft(reader: PageReader, load?: () => void): number {
  let n = 0;
  try {
    load?.();
    while (reader.next()) n++;
  } catch (e) {
    if (!(e instanceof TraceDatError)) throw e;
  }
  return n;
}

/** One CPU's stream of events. */
class CpuStream {
  readonly reader: PageReader;
  private readonly pages: Generator<Page>;
  /** The current event's timestamp; Infinity when the CPU has no more. */
  ts = Infinity;
  /** Missed events to announce before the current event (0 none, -1 unknown count). */
  missed = 0;
  /** The current "event" is only the announcement of `missed`: the CPU's data ended after events were dropped. */
  markerOnly = false;
  done = false;
  /** Whether a page with a header was loaded (a page of zeros after one is damage, see `advance`). */
  private timed = false;
  /** Pages read ahead (to know the next page's timestamp), and damage met reading ahead, to throw where it is. */
  private readonly ahead: Page[] = [];
  private aheadError: TraceDatError | undefined;
  private pagesEnded = false;
  private pageIndex = -1;
  /** The time of this CPU's last event given: no later page or event may be before it. */
  private floor = 0;
  /** Pages to drop unread (the one after a page whose times run past its timestamp). */
  private dropNext = 0;
  /** Events were dropped (for time damage) and are not announced yet. */
  private owed = false;

  constructor(
    readonly cpu: number, readonly index: number, pages: Generator<Page>, meta: TraceDatMeta,
    private readonly onProblem: (p: TraceDatProblem) => void,
    private readonly onTimeDamage: (d: TraceDatTimeDamage) => void,
    private readonly compressed = false,
  ) {
    this.pages = pages;
    this.reader = new PageReader({ littleEndian: meta.littleEndian, longSize: meta.kernelLongSize });
  }

  /** The page `i` places ahead (0: the next), or undefined past the last page or at damage. */
  private peek(i: number): Page | undefined {
    while (this.ahead.length <= i && !this.pagesEnded) {
      try {
        const p = this.pages.next();
        if (p.done === true) this.pagesEnded = true;
        else this.ahead.push(p.value);
      } catch (e) {
        if (!(e instanceof TraceDatError)) throw e;
        this.aheadError = e;
        this.pagesEnded = true;
      }
    }
    return this.ahead[i];
  }

  private nextPage(): Page | undefined {
    const p = this.peek(0);
    if (p !== undefined) { this.ahead.shift(); this.pageIndex++; return p; }
    if (this.aheadError !== undefined) { const e = this.aheadError; this.aheadError = undefined; throw e; }
    return undefined;
  }

  /** The first page after the loaded one that is not all zeros, and its timestamp; undefined when there is none (or damage first). */
  private timedAhead(): { page: Page; ts: number } | undefined {
    for (let i = 0; ; i++) {
      const page = this.peek(i);
      if (page === undefined) return undefined;
      const h = pageHead(page.bytes, this.reader.layout);
      if (h === undefined) return undefined;
      if (!h.blank) return { page, ts: h.ts };
    }
  }

  /** The raw timestamp of the CPU's first page that is not all zeros (read ahead, not loaded), or undefined when there is none. */
  firstStamp(): bigint | undefined {
    for (let i = 0; ; i++) {
      const page = this.peek(i);
      if (page === undefined) return undefined;
      const raw = rawPageStamp(page.bytes, this.reader.layout);
      if (raw !== undefined) return raw;
    }
  }

  /** The timestamp of the next page that is not all zeros, which no event of the loaded one may pass; Infinity when there is none. */
  private ceiling(): number {
    return this.timedAhead()?.ts ?? Infinity;
  }

  /** Moves to the next event of this CPU (across pages). */
  advance(): void {
    this.missed = 0;
    if (this.markerOnly) { this.finish(); return; }
    try {
      while (!this.reader.next()) {
        const p = this.nextPage();
        if (p === undefined) { this.finish(); return; }
        this.reader.load(p.bytes, p.fileOffset);
        if (this.reader.missed !== 0) this.missed = this.reader.missed;
        // A page of zeros after pages with a time: a block of the file zeroed (a lost block reads as
        // zeros), whose events are lost: announced as the kernel's own losses are, before the
        // CPU's next event.
        if (this.reader.blank && this.timed) this.missed = -1;
        if (this.reader.blank) continue;
        this.timed = true;
        if (this.dropNext > 0) { this.dropNext--; recordsLeft(this.reader); this.owed = true; continue; }
        // Times out of the kernel's order: a time delta or a timestamp is damaged, and this page's
        // records cannot be placed among other CPUs' (nor the next page's, when its timestamp may
        // be the damaged one): they are dropped, and announced as lost events are.
        const at = { page: p.fileOffset, pageIndex: this.pageIndex };
        const broken = this.reader.timeBreak(this.floor, this.ceiling());
        if (broken !== undefined) {
          let dropped = recordsLeft(this.reader);
          if (broken.kind === 'past next page') dropped += this.dropFollowing();
          this.onTimeDamage({ ...broken, cpu: this.cpu, ...at, compressed: this.compressed, dropped, timeBase: this.reader.layout.timeBase ?? 0n });
          this.owed = true;
        }
      }
      this.ts = this.reader.ts;
      this.floor = this.ts;
      if (this.owed) { this.missed = -1; this.owed = false; }
    } catch (e) {
      if (!(e instanceof TraceDatError)) throw e;
      this.onProblem({ message: e.message, offset: e.offset, section: e.section });
      this.finish();
    }
  }

  /** Counts the records of the next page that is not all zeros, which `advance` then drops unread. */
  private dropFollowing(): number {
    const next = this.timedAhead();
    if (next === undefined) return 0;
    this.dropNext++;
    const r = new PageReader(this.reader.layout);
    return recordsLeft(r, () => r.load(next.page.bytes, next.page.fileOffset));
  }

  private finish(): void {
    // Events dropped for their times and not yet announced: announced right after the CPU's last
    // event given, as lost events are (what they did may have happened from there on).
    if (this.owed && !this.done) {
      this.owed = false;
      this.markerOnly = true;
      this.missed = -1;
      this.ts = this.floor;
      return;
    }
    this.markerOnly = false;
    this.done = true;
    this.ts = Infinity;
  }
}

/**
 * Text the reader is given before its records come decoded: the checker scans the first 512 KiB
 * of an ftrace input as text (src/checker/file.ts: the i_rwsem offset and the probes it shows).
 */
export const HEAD_TEXT_BYTES = 1 << 19;

/** Reads the metadata of `bytes` (throws `TraceDatError` when it is damaged) and returns the text renderer. */
export function traceDatText(bytes: Uint8Array): TraceDatText {
  const t = traceDatLines(bytes, Infinity);
  return t as TraceDatText;
}

export interface TraceDatRecords extends Omit<TraceDatText, 'chunks'> {
  /** Text chunks (the first `textBytes` or more, in whole lines), then chunks of decoded records. */
  chunks: Generator<Buffer | DecodedChunk>;
}

/**
 * Like `traceDatText`, but past the first `textBytes` of text its records come decoded (see
 * src/trace/ftrace/decoded.ts): each record's columns are made from its fields, and no line is
 * rendered to be scanned again, except a record the decoder gives as text (decoded.ts says which).
 */
export function traceDatRecords(bytes: Uint8Array, textBytes = HEAD_TEXT_BYTES): TraceDatRecords {
  return traceDatLines(bytes, textBytes);
}

/** A record's columns by event type: how each is made. */
interface TypeInfo {
  rend: EventRenderer | null;
  /** The decoded record's kind, or undefined when records of this type go as text. */
  kind: DecodedKind | undefined;
}

function typeInfo(meta: TraceDatMeta, type: number, ks: Kallsyms): TypeInfo {
  const f = meta.formats.get(type);
  if (f === undefined) return { rend: null, kind: undefined };
  const rend = new EventRenderer(f, ks);
  // The function tracer's lines, and graph lines, are scanned as text.
  const asText = rend.bare || /\s/.test(f.name) || f.name === '' || f.name === 'function' || f.name.startsWith('funcgraph_');
  const kind = asText ? undefined : rend.probe === 'entry' ? 'kprobe' : rend.probe === 'return' ? 'kretprobe' : 'event';
  return { rend, kind };
}

/** A task name the decoder can give as its column: at most the column's width, no blanks or control bytes. */
function plainComm(comm: string): boolean {
  if (comm === '' || comm.length > 16) return false;
  for (let i = 0; i < comm.length; i++) {
    const c = comm.charCodeAt(i);
    if (c <= 32 || c === 127) return false;
  }
  return true;
}

function traceDatLines(bytes: Uint8Array, textBytes: number): TraceDatRecords {
  const meta = readTraceDatMeta(bytes);
  const problems: TraceDatProblem[] = [];
  const timeDamage: TraceDatTimeDamage[] = [];
  const out: TraceDatRecords = { meta, chunks: lines(), problems, timeDamage, records: 0 };
  function* lines(): Generator<Buffer | DecodedChunk> {
    const ks = new Kallsyms(meta.kallsyms);
    const types = new Map<number, TypeInfo>();
    const fields = new FieldReader(meta.littleEndian);
    const inNs = clockInNs(meta.clock);
    const streams = meta.cpus.map((c, i) => new CpuStream(c.cpu, i, cpuPages(bytes, meta, c), meta, (p) => problems.push(p),
      (d) => timeDamage.push(d), c.compressed));
    // Times (the file's OFFSET added, as trace-cmd report adds it) from a base when they are past
    // 2^52 (a long uptime): exact numbers, the base added back in the column. The readers take the
    // base less the offset from the stamps they read.
    const timeBase = timeBaseOf(streams.flatMap((s) => { const t = s.firstStamp(); return t === undefined ? [] : [t + meta.tsOffset]; }));
    for (const s of streams) s.reader.layout.timeBase = timeBase - meta.tsOffset;
    const baseSec = Number(timeBase / 1_000_000_000n);
    for (const s of streams) s.advance();
    // Common fields, from any format (every event has them at the same place).
    const firstId = meta.formats.ids().next();
    const any = firstId.done === true ? undefined : meta.formats.get(firstId.value);
    const fType = any?.byName.get('common_type');
    const fFlags = any?.byName.get('common_flags');
    const fPreempt = any?.byName.get('common_preempt_count');
    const fPid = any?.byName.get('common_pid');
    // `comm-pid` and `[cpu]` columns, made once per task and CPU; the flags column once per value
    const tasks = new Map<number, { col: string; comm: string; plain: boolean }>();
    const cpuCols = streams.map((s) => ` [${String(s.cpu).padStart(3, '0')}] `);
    const flagCols = new Map<number, string>();
    const compressed = meta.compression === 'none' ? '' : `, ${meta.compression}`;
    const header = `# trace.dat version ${meta.version}, clock ${meta.clock ?? 'unknown'}, ${meta.cpus.length} CPUs${compressed}`;
    let text: string[] = [header];
    let textLen = header.length + 1;
    let decoded: (RawFtraceRecord | string)[] | undefined;
    const stamps = new StampColumn(inNs, baseSec);
    for (;;) {
      let best: CpuStream | undefined;
      for (const s of streams) if (!s.done && (best === undefined || s.ts < best.ts)) best = s;
      if (best === undefined) break;
      const r = best.reader;
      if (best.missed !== 0) {
        const lost = best.missed > 0 ? `CPU:${best.cpu} [LOST ${best.missed} EVENTS]` : `CPU:${best.cpu} [LOST EVENTS]`;
        if (decoded !== undefined) decoded.push(lost);
        else { text.push(lost); textLen += lost.length + 1; }
      }
      if (best.markerOnly) { best.advance(); continue; }
      fields.set(r.bytes, r.start, r.length);
      const type = fType === undefined ? undefined : fields.int(fType);
      let info = typeof type === 'number' ? types.get(type) : undefined;
      if (info === undefined) {
        info = typeof type === 'number' ? typeInfo(meta, type, ks) : { rend: null, kind: undefined };
        if (typeof type === 'number') types.set(type, info);
      }
      const pid = fPid === undefined ? undefined : fields.int(fPid);
      const pidN = typeof pid === 'number' ? pid : -1;
      let task = tasks.get(pidN);
      if (task === undefined) {
        const comm = pidN === 0 ? '<idle>' : meta.cmdlines.get(pidN) ?? '<...>';
        task = { col: `${comm.padStart(16)}-${String(pidN).padEnd(7)}`, comm, plain: plainComm(comm) };
        tasks.set(pidN, task);
      }
      const flagsV = fFlags === undefined ? 0 : fields.int(fFlags);
      const preV = fPreempt === undefined ? 0 : fields.int(fPreempt);
      const fl = typeof flagsV === 'number' ? flagsV : 0;
      const pre = typeof preV === 'number' ? preV : 0;
      const flagKey = fl * 65536 + pre;
      let flags = flagCols.get(flagKey);
      if (flags === undefined) { flags = flagsText(fl, pre); flagCols.set(flagKey, flags); }
      const ts = r.ts;
      const rend = info.rend;
      let rec: RawFtraceRecord | undefined;
      if (decoded !== undefined && info.kind !== undefined && rend !== null && pidN >= 0 && task.plain && ts >= -baseSec * 1e9) {
        rec = decode(info.kind, rend, fields, pidN, best.cpu, task.comm, stamps.set(ts), flags);
      }
      if (rec !== undefined) decoded!.push(rec);
      else {
        const prefix = `${task.col}${cpuCols[best.index]!}${flags} ${tsText(ts, inNs, true, true, baseSec)}: `;
        let line: string;
        if (rend === null) line = `${prefix}unknown_event_${String(type)}: (an event type the file has no format for)`;
        else if (rend.bare) line = prefix + rend.payload(fields);
        else line = `${prefix}${rend.fmt.name}: ${rend.payload(fields)}`;
        if (decoded !== undefined) decoded.push(line);
        else { text.push(line); textLen += line.length + 1; }
      }
      out.records++;
      best.advance();
      if (decoded !== undefined) {
        if (decoded.length >= DECODED_CHUNK) { yield { decoded }; decoded = []; }
      } else if (text.length >= CHUNK_LINES || textLen >= textBytes) {
        yield Buffer.from(text.join('\n') + '\n', 'latin1');
        text = [];
        if (textLen >= textBytes) decoded = [];
      }
    }
    if (text.length > 0) yield Buffer.from(text.join('\n') + '\n', 'latin1');
    if (decoded !== undefined && decoded.length > 0) yield { decoded };
  }
  return out;
}

/**
 * The timestamp column of each record (see DecodedStamp), unpadded, and its value as the text
 * reader reads that text. A nanosecond clock's stamp keeps its nanoseconds, as `trace-cmd report -t`
 * prints it, not the microseconds tracefs prints: records of two CPUs apart by less than a
 * microsecond are in the file's order, not a tie the reader cannot order (KV311, a gap for each
 * task across it). The seconds' text is made once per second.
 */
class StampColumn implements DecodedStamp {
  text = '';
  sec = 0;
  nsec = 0;
  readonly clock: DecodedStamp['clock'];
  private lastSec = -1;
  private secText = '';

  /** `baseSec`: the seconds (of nanoseconds, or of a billion counts) the stamps count from (ring.ts `timeBaseOf`). */
  constructor(private readonly inNs: boolean, private readonly baseSec = 0) {
    this.clock = inNs ? 'ns' : 'counter';
  }

  /** Sets the column to the stamp `ts` (an integer, from the base; the stamp itself is not negative). */
  set(ts: number): this {
    const whole = Math.floor(ts / 1e9);
    const frac = ts - whole * 1e9;
    const sec = this.baseSec + whole;
    this.sec = sec;
    if (!this.inNs) { this.text = tsText(ts, false, false, false, this.baseSec); this.nsec = frac; return this; }
    if (sec !== this.lastSec) { this.lastSec = sec; this.secText = String(sec) + '.'; }
    this.text = this.secText + (frac >= 100000000 ? String(frac) : String(frac).padStart(9, '0'));
    this.nsec = frac;
    return this;
  }
}

/**
 * A record made from its fields (`comm`, `flags` already plain), or undefined when it goes as text
 * (see decoded.ts). A probe whose format prints its arguments as `key=value` pairs that read back
 * as they are (render.ts, argPlan) gets them from its fields; any other record's are read from its
 * payload's text, as the text reader reads them.
 */
function decode(kind: DecodedKind, rend: EventRenderer, fields: FieldReader, pid: number, cpu: number, comm: string, stamp: DecodedStamp,
  flags: string): RawFtraceRecord | undefined {
  const name = rend.fmt.name;
  if (kind === 'kprobe' || kind === 'kretprobe') {
    const h = rend.probeHead(fields);
    if (h === undefined) return undefined;
    const rec = decodedColumns(kind, name, pid, cpu, comm, stamp, flags);
    const body = rend.probeBody(fields, rec.args);
    if (body !== undefined && h.text.length + body.length <= MAX_DECODED_PAYLOAD) {
      rec.payload = body === '' ? h.text : h.text + body;
      rec.site = h.site;
      rec.probedSym = h.sym;
      return rec;
    }
    return decodedRecord(kind, name, pid, cpu, comm, stamp, flags, h.text + rend.body(fields), { site: h.site, sym: h.sym, head: h.text.length });
  }
  if (kind === 'event' && name === 'sys_exit') {
    const rec = decodedColumns('syscall_exit', name, pid, cpu, comm, stamp, flags);
    const payload = rend.sysExit(fields, rec.args);
    if (payload !== undefined) {
      rec.payload = payload;
      rec.retval = rec.args.ret;
      return rec;
    }
  }
  return decodedRecord(kind, name, pid, cpu, comm, stamp, flags, rend.payload(fields));
}
