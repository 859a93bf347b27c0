/**
 * One decoded ring-buffer event → the line the kernel's tracefs `trace` file prints for it, so that
 * the ftrace text reader (src/trace/ftrace/) turns a trace.dat into exactly the records it makes
 * of the same events read from tracefs:
 *
 *   `<comm:16>-<pid:-7> [<cpu:03>] <flags:5> <ts>: <event>: <payload>`
 *
 * The payload follows the event's `print fmt` (fields read by the format file), except where
 * tracefs prints otherwise: a kprobe's site as `(sym+0xoff/0xsize)` and a kretprobe's as
 * `(caller+0xoff/0xsize <- probed function)` (trace-cmd report prints both as bare hex), resolved
 * with the file's kallsyms; the function tracer's `fn <-parent`. An event whose `print fmt` uses
 * helpers this renderer does not know prints its fields as `name=value` pairs.
 */
import type { EventFormat, FieldFormat } from './format.js';
import { symbolText, type Kallsyms } from './kallsyms.js';

/** A clock whose timestamps are nanoseconds (tracefs prints them as seconds with microseconds). */
const NS_CLOCKS = new Set(['local', 'global', 'perf', 'mono', 'mono_raw', 'boot', 'tai']);

export function clockInNs(clock: string | undefined): boolean {
  return clock === undefined || NS_CLOCKS.has(clock);
}

/**
 * The timestamp column as tracefs prints it (`padded`: to its width), or, `nanoseconds`, with every
 * digit of a nanosecond clock, as `trace-cmd report -t` prints it. `ts` counts from `baseSec`
 * seconds (of nanoseconds; see ring.ts `timeBaseOf`), which the column adds back.
 */
export function tsText(ts: number, inNs: boolean, padded = true, nanoseconds = false, baseSec = 0): string {
  if (!inNs) {
    const count = baseSec === 0 ? String(ts) : (BigInt(baseSec) * 1_000_000_000n + BigInt(ts)).toString();
    return padded ? count.padStart(12) : count;
  }
  const whole = Math.floor(ts / 1e9);
  const ns = ts - whole * 1e9;
  const sec = baseSec + whole;
  const frac = nanoseconds ? String(ns).padStart(9, '0') : String(Math.floor(ns / 1000)).padStart(6, '0');
  return `${padded ? String(sec).padStart(5) : String(sec)}.${frac}`;
}

/** The irqs-off / need-resched / hardirq-softirq / preempt-depth / migrate-disable column (kernel 6.x). */
export function flagsText(flags: number, preempt: number): string {
  const irq = (flags & 0x01) !== 0 ? 'd' : (flags & 0x02) !== 0 ? 'X' : '.';
  const nr = flags & 0x04;
  const pr = flags & 0x20;
  const resched = nr !== 0 && pr !== 0 ? 'N' : nr !== 0 ? 'n' : pr !== 0 ? 'p' : '.';
  const nmi = (flags & 0x40) !== 0;
  const hard = (flags & 0x08) !== 0;
  const soft = (flags & 0x10) !== 0;
  const ctx = nmi && hard ? 'Z' : nmi ? 'z' : hard && soft ? 'H' : hard ? 'h' : soft ? 's' : (flags & 0x80) !== 0 ? 'b' : '.';
  const depth = preempt & 0xf;
  const mig = (preempt >> 4) & 0xf;
  return irq + resched + ctx + (depth === 0 ? '.' : depth.toString(16)) + (mig === 0 ? '.' : mig.toString(16));
}

/** Reads one field of an event payload. */
export class FieldReader {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private bytes: Uint8Array = new Uint8Array();
  private base = 0;
  private len = 0;

  constructor(private readonly le: boolean) {}

  set(bytes: Uint8Array, start: number, length: number): void {
    if (bytes !== this.bytes) { this.bytes = bytes; this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); }
    this.base = start;
    this.len = length;
  }

  /** An integer field; 8-byte fields as bigint. Missing bytes (a short record) read as undefined. */
  int(f: FieldFormat): number | bigint | undefined {
    if (f.offset + f.size > this.len) return undefined;
    const at = this.base + f.offset;
    const v = this.view;
    switch (f.size) {
      case 1: return f.signed ? v.getInt8(at) : v.getUint8(at);
      case 2: return f.signed ? v.getInt16(at, this.le) : v.getUint16(at, this.le);
      case 4: return f.signed ? v.getInt32(at, this.le) : v.getUint32(at, this.le);
      case 8: return f.signed ? v.getBigInt64(at, this.le) : v.getBigUint64(at, this.le);
      default: return undefined;
    }
  }

  /** The high and low words of an 8-byte field, set by `words`. */
  hi = 0;
  lo = 0;

  /** Reads an 8-byte field into `hi` and `lo` (unsigned); false when short. */
  words(f: FieldFormat): boolean {
    if (f.offset + 8 > this.len) return false;
    const at = this.base + f.offset;
    this.lo = this.view.getUint32(this.le ? at : at + 4, this.le);
    this.hi = this.view.getUint32(this.le ? at + 4 : at, this.le);
    return true;
  }

  /**
   * An 8-byte field in decimal, read as signed or unsigned (`%ld`, `%lu`), or undefined when short:
   * a number where it is exact, a bigint only beyond 2^53.
   */
  dec64(f: FieldFormat, signed: boolean): string | undefined {
    if (!this.words(f)) return undefined;
    const hi = signed ? this.hi | 0 : this.hi;
    if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + this.lo);
    const v = (BigInt(this.hi) << 32n) | BigInt(this.lo);
    return (signed ? BigInt.asIntN(64, v) : v).toString();
  }

  /**
   * An 8-byte field in lowercase hex (as `%lx` prints it, a negative value as its two's complement)
   * after `prefix` (`0x` where the print format writes one), or undefined when short.
   */
  hex64(f: FieldFormat, prefix = ''): string | undefined {
    if (!this.words(f)) return undefined;
    // (values repeat: the same locks, inodes and dentries; keys as int32, which V8 keeps unboxed)
    const hi = this.hi | 0;
    const lo = this.lo | 0;
    let byHi = this.hexes.get(prefix);
    if (byHi === undefined) { byHi = new Map(); this.hexes.set(prefix, byHi); }
    let byLo = byHi.get(hi);
    if (byLo === undefined) { byLo = new Map(); byHi.set(hi, byLo); }
    let t = byLo.get(lo);
    if (t === undefined) {
      t = prefix + (this.hi === 0 ? this.lo.toString(16) : this.hi.toString(16) + this.lo.toString(16).padStart(8, '0'));
      if (this.hexCount < 200_000) { byLo.set(lo, t); this.hexCount++; }
    }
    return t;
  }

  private readonly hexes = new Map<string, Map<number, Map<number, string>>>();
  private hexCount = 0;

  /** A string field (`__data_loc char[]` or `char name[N]`), up to its first NUL, byte-exact (latin1). */
  str(f: FieldFormat): string | undefined {
    let start: number;
    let n: number;
    if (f.dataLoc) {
      if (f.offset + 4 > this.len) return undefined;
      const loc = this.view.getUint32(this.base + f.offset, this.le);
      start = loc & 0xffff;
      n = loc >>> 16;
      if (f.type.startsWith('__rel_loc')) start += f.offset + 4;
    } else {
      start = f.offset;
      n = f.size;
    }
    if (start + n > this.len) return undefined;
    const b = this.bytes.subarray(this.base + start, this.base + start + n);
    const nul = b.indexOf(0);
    return Buffer.from(b.buffer, b.byteOffset, nul === -1 ? b.length : nul).toString('latin1');
  }
}

type Piece = { text: string } | { conv: string; width: number; zero: boolean; left: boolean; arg: Arg };
type Arg = { field: FieldFormat; str: boolean } | undefined;

/** A compiled `print fmt`, or undefined when it uses what this renderer cannot evaluate. */
function compilePrint(fmt: EventFormat): Piece[] | undefined {
  if (fmt.printFmt === undefined) return undefined;
  const pieces: Piece[] = [];
  const re = /%([-0 #+]*)(\d*)(?:\.\d+)?(hh|h|ll|l|L|z)?([diouxXcsp%])/g;
  let last = 0;
  let argi = 0;
  const s = fmt.printFmt;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m.index > last) pieces.push({ text: s.slice(last, m.index) });
    last = re.lastIndex;
    const conv = m[4]!;
    if (conv === '%') { pieces.push({ text: '%' }); continue; }
    if (conv === 'p' && /^[a-zA-Z]/.test(s.slice(last))) return undefined; // %pS, %pI4, …: kernel extensions
    const raw = fmt.printArgs[argi++];
    if (raw === undefined) return undefined;
    const a = parseArg(raw, fmt);
    if (a === undefined) return undefined;
    pieces.push({ conv, width: Number(m[2] || 0), zero: m[1]!.includes('0'), left: m[1]!.includes('-'), arg: a });
  }
  if (last < s.length) pieces.push({ text: s.slice(last) });
  return pieces;
}

function parseArg(raw: string, fmt: EventFormat): Arg | undefined {
  let m = /^REC->(\w+)$/.exec(raw);
  if (m) {
    const f = fmt.byName.get(m[1]!);
    return f === undefined ? undefined : { field: f, str: f.array && /char/.test(f.type) };
  }
  m = /^__get_(?:rel_)?str\((\w+)\)$/.exec(raw);
  if (m) {
    const f = fmt.byName.get(m[1]!);
    return f === undefined ? undefined : { field: f, str: true };
  }
  return undefined;
}

function intText(v: number | bigint, conv: string, field: FieldFormat, long: boolean): string {
  if (typeof v === 'number' && !long && field.size <= 4) {
    // (a field of up to 4 bytes: its value and its 32-bit wrap are exact doubles, no bigint made)
    if (conv === 'x' || conv === 'X' || conv === 'o' || conv === 'u' || conv === 'p') {
      const u = v < 0 ? v + 4294967296 : v;
      const t = conv === 'u' ? String(u) : u.toString(conv === 'o' ? 8 : 16);
      return conv === 'X' ? t.toUpperCase() : conv === 'p' ? '0x' + t : t;
    }
    if (conv === 'c') return String.fromCharCode(v & 0xff);
    return String(v);
  }
  let x = typeof v === 'bigint' ? v : BigInt(v);
  if (conv === 'x' || conv === 'X' || conv === 'o' || conv === 'u' || conv === 'p') {
    // Unsigned conversions of a negative value wrap at the argument's width.
    if (x < 0n) x += 1n << BigInt(long || field.size === 8 ? 64 : 32);
    const t = conv === 'u' ? x.toString(10) : conv === 'o' ? x.toString(8) : x.toString(16);
    return conv === 'X' ? t.toUpperCase() : conv === 'p' ? '0x' + t : t;
  }
  if (conv === 'c') return String.fromCharCode(Number(x & 0xffn));
  return x.toString(10);
}

/** An integer conversion's text, unpadded; `?` when the field is short. */
function numText(r: FieldReader, p: ConvPiece): string {
  const f = p.arg!.field;
  if (f.size === 8) {
    // (a kernel address or a 64-bit count, most often: no bigint made)
    if (p.conv === 'x' || p.conv === 'p') {
      const h = r.hex64(f);
      return h === undefined ? '?' : p.conv === 'p' ? '0x' + h : h;
    }
    if (p.conv === 'd' || p.conv === 'i' || p.conv === 'u') return r.dec64(f, p.conv !== 'u' && f.signed) ?? '?';
  }
  const v = r.int(f);
  return v === undefined ? '?' : intText(v, p.conv, f, f.size === 8);
}

function pad(t: string, p: Extract<Piece, { conv: string }>): string {
  if (t.length >= p.width) return t;
  if (p.left) return t.padEnd(p.width);
  if (p.zero && p.conv !== 's') {
    const neg = t.startsWith('-');
    return (neg ? '-' : '') + (neg ? t.slice(1) : t).padStart(p.width - (neg ? 1 : 0), '0');
  }
  return t.padStart(p.width);
}

type ConvPiece = Extract<Piece, { conv: string }>;

/**
 * One `key=value` of a probe's print format, printed so that the text reader's `key=value` walk
 * (payload.ts) reads it back as exactly that pair: blanks, the key, `=`, then an integer (after a
 * prefix such as `0x`, part of the value) or a `"`-quoted string.
 */
interface ArgStep {
  /** The text before the value: blanks, the key, `=`, and a string's opening quote. */
  lead: string;
  key: string;
  /** Printed just before an integer, and part of its value (`0x`). */
  prefix: string;
  /** A string in quotes (its closing quote follows it). */
  quoted: boolean;
  piece: ConvPiece;
}

/** Blanks, a key, `=`, then an opening quote or an integer's prefix (no blank, not starting with `"` or `{`). */
const LEAD = /^ +([\x21-\x3c\x3e-\x7e]+)=(?:(")|([\x21\x23-\x7a\x7c-\x7e][\x21-\x7e]*))?$/;
const INT_CONVS = new Set(['d', 'i', 'u', 'x', 'X', 'o', 'p']);

/**
 * The steps of a probe's pieces after its head, or undefined when its text would not read back
 * pair by pair (a padded value, an unquoted string, a `%c`, text between the pairs): such a
 * probe's arguments are read from its printed text instead.
 */
function argPlan(pieces: Piece[]): ArgStep[] | undefined {
  const steps: ArgStep[] = [];
  let quoted = false;
  for (let i = 0; i < pieces.length; i += 2) {
    const p = pieces[i]!;
    if (!('text' in p)) return undefined;
    let t = p.text;
    if (quoted) {
      if (t.charCodeAt(0) !== 34) return undefined;
      t = t.slice(1);
    }
    const v = pieces[i + 1];
    if (v === undefined) return t === '' ? steps : undefined;
    if ('text' in v || v.width !== 0 || v.arg === undefined) return undefined;
    const m = LEAD.exec(t);
    if (m === null) return undefined;
    quoted = m[2] !== undefined;
    if (quoted ? !(v.conv === 's' && v.arg.str) : (v.arg.str || !INT_CONVS.has(v.conv))) return undefined;
    const prefix = m[3] ?? '';
    steps.push({ lead: t.slice(0, t.length - prefix.length), key: m[1]!, prefix, quoted, piece: v });
  }
  return quoted ? undefined : steps;
}

/** `NR %ld = %ld` (raw_syscalls sys_exit): its two integer pieces, or undefined for another format. */
function sysExitPlan(pieces: Piece[]): [ConvPiece, ConvPiece] | undefined {
  const [a, b, c, d, e] = pieces;
  const int = (p: Piece | undefined): p is ConvPiece =>
    p !== undefined && !('text' in p) && p.width === 0 && p.arg !== undefined && !p.arg.str && INT_CONVS.has(p.conv);
  const text = (p: Piece | undefined, t: string): boolean => p !== undefined && 'text' in p && p.text === t;
  if (!text(a, 'NR ') || !int(b) || !text(c, ' = ') || !int(d) || (e !== undefined && !text(e, '')) || pieces.length > 5) return undefined;
  return [b, d];
}

/** A string value the text reader reads back as it is inside its quotes: no quote, no control byte. */
function plainValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 127) return false;
  }
  return true;
}

/** A probe's `(…)` head as tracefs prints it, with the site and the probed function it names. */
export interface ProbeHead {
  site: string;
  sym: string;
  /** `(site)`, or `(site <- sym)` for a return probe. */
  text: string;
}

/** Renders the payloads of one event type. */
export class EventRenderer {
  private readonly pieces: Piece[] | undefined;
  private readonly probeIp: FieldFormat | undefined;
  private readonly probeFunc: FieldFormat | undefined;
  private readonly probeRet: FieldFormat | undefined;
  private readonly fnIp: FieldFormat | undefined;
  private readonly fnParent: FieldFormat | undefined;
  /** The fields that are the event's own (not common_*). */
  private readonly own: FieldFormat[];

  constructor(readonly fmt: EventFormat, private readonly ks: Kallsyms) {
    const f = fmt.byName;
    this.probeIp = f.get('__probe_ip');
    this.probeFunc = f.get('__probe_func');
    this.probeRet = f.get('__probe_ret_ip');
    const isFunction = fmt.system === 'ftrace' && fmt.name === 'function';
    this.fnIp = isFunction ? f.get('ip') : undefined;
    this.fnParent = isFunction ? f.get('parent_ip') : undefined;
    this.own = fmt.fields.filter((x) => !x.name.startsWith('common_'));
    let pieces = compilePrint(fmt);
    if (pieces !== undefined && (this.probeIp !== undefined || (this.probeFunc !== undefined && this.probeRet !== undefined))) {
      // The probe's `(%lx)` / `(%lx <- %lx)` prefix is replaced by tracefs' symbolic site.
      const first = pieces.findIndex((p) => 'text' in p && p.text.includes(')'));
      const closing = pieces[first];
      pieces = closing === undefined || !('text' in closing)
        ? undefined
        : [{ text: closing.text.slice(closing.text.indexOf(')') + 1) }, ...pieces.slice(first + 1)];
    }
    this.pieces = pieces;
    this.argSteps = pieces !== undefined && this.probe !== undefined ? argPlan(pieces) : undefined;
    this.sysExitValues = pieces !== undefined && fmt.name === 'sys_exit' ? sysExitPlan(pieces) : undefined;
  }

  /** raw_syscalls `sys_exit`'s `NR %ld = %ld`: its two values, when the format is that. */
  private readonly sysExitValues: [ConvPiece, ConvPiece] | undefined;

  /**
   * A `sys_exit` payload, `NR n = r`, with `nr` and `ret` put in `args` as the text reader reads
   * them from it; undefined when the format is not that.
   */
  sysExit(r: FieldReader, args: Record<string, string>): string | undefined {
    const v = this.sysExitValues;
    if (v === undefined) return undefined;
    const nr = numText(r, v[0]);
    const ret = numText(r, v[1]);
    args.nr = nr;
    args.ret = ret;
    return 'NR ' + nr + ' = ' + ret;
  }

  /** A probe's arguments as steps that print and read back pair by pair (see argPlan), when its format allows. */
  private readonly argSteps: ArgStep[] | undefined;

  /** Heads by the probed address (high word, then low word): one object per site, made once. */
  private readonly heads = new Map<number, Map<number, ProbeHead & { fnHi: number; fnLo: number }>>();

  /** A probe's head (see ProbeHead); undefined when not a probe or a field is short. */
  probeHead(r: FieldReader): ProbeHead | undefined {
    const at = this.probeIp ?? this.probeRet;
    if (at === undefined || at.size !== 8 || (this.probeIp === undefined && this.probeFunc!.size !== 8)) {
      const h = this.head(r);
      return h === undefined ? undefined : { ...h, text: this.probe === 'entry' ? `(${h.site})` : `(${h.site} <- ${h.sym})` };
    }
    let fnHi = 0;
    let fnLo = 0;
    if (this.probeIp === undefined) {
      if (!r.words(this.probeFunc!)) return undefined;
      fnHi = r.hi | 0;
      fnLo = r.lo | 0;
    }
    if (!r.words(at)) return undefined;
    let byLo = this.heads.get(r.hi | 0);
    if (byLo === undefined) { byLo = new Map(); this.heads.set(r.hi | 0, byLo); }
    const lo = r.lo | 0;
    const have = byLo.get(lo);
    if (have !== undefined && have.fnHi === fnHi && have.fnLo === fnLo) return have;
    const h = this.head(r);
    if (h === undefined) return undefined;
    const made = { ...h, text: this.probe === 'entry' ? `(${h.site})` : `(${h.site} <- ${h.sym})`, fnHi, fnLo };
    if (byLo.size < 100_000) byLo.set(lo, made);
    return made;
  }

  /**
   * A probe's text after its head with its arguments put in `args` as the text reader reads them
   * from that text (see argPlan); undefined when its format or a string value does not allow it
   * (then the arguments are read from the text).
   */
  probeBody(r: FieldReader, args: Record<string, string>): string | undefined {
    const steps = this.argSteps;
    if (steps === undefined) return undefined;
    let out = '';
    for (let i = 0; i < steps.length; i++) {
      const st = steps[i]!;
      const p = st.piece;
      const f = p.arg!.field;
      let v: string;
      if (st.quoted) {
        v = r.str(f) ?? '';
        if (!plainValue(v)) return undefined;
        out += st.lead + v + '"';
      } else {
        v = f.size === 8 && (p.conv === 'x' || p.conv === 'p')
          ? r.hex64(f, p.conv === 'p' ? st.prefix + '0x' : st.prefix) ?? st.prefix + '?'
          : st.prefix + numText(r, p);
        out += st.lead;
        out += v;
      }
      args[st.key] = v;
    }
    return out;
  }

  /** Whether the line is printed without an `event:` name (the function tracer's). */
  get bare(): boolean {
    return this.fnIp !== undefined;
  }

  /** Whether the event is a probe's: `entry` (kprobe), `return` (kretprobe), or undefined. */
  get probe(): 'entry' | 'return' | undefined {
    return this.probeIp !== undefined ? 'entry' : this.probeFunc !== undefined && this.probeRet !== undefined ? 'return' : undefined;
  }

  /** A probe's site and probed function, as tracefs prints them in its `(…)` head; undefined when not a probe or a field is short. */
  head(r: FieldReader): { site: string; sym: string } | undefined {
    if (this.probeIp !== undefined) {
      const site = this.named(r, this.probeIp, true);
      if (site === undefined) return undefined;
      // (the probed function: the site up to its offset; a bare `0x…` when unknown)
      const plus = site.startsWith('0x') ? -1 : site.indexOf('+');
      return { site, sym: plus === -1 ? site : site.slice(0, plus) };
    }
    if (this.probeFunc !== undefined && this.probeRet !== undefined) {
      const site = this.named(r, this.probeRet, true);
      const sym = this.named(r, this.probeFunc, false);
      return site === undefined || sym === undefined ? undefined : { site, sym };
    }
    return undefined;
  }

  /** Names by address (high word, then low word), with and without the offset: no bigint made for a known address. */
  private readonly names: [Map<number, Map<number, string>>, Map<number, Map<number, string>>] = [new Map(), new Map()];

  /** An 8-byte address field as symbolText prints it, or undefined when short. */
  private named(r: FieldReader, f: FieldFormat, withOffset: boolean): string | undefined {
    if (f.size !== 8) {
      const v = r.int(f);
      return v === undefined ? undefined : symbolText(this.ks, BigInt(v), withOffset);
    }
    if (!r.words(f)) return undefined;
    const byHi = this.names[withOffset ? 1 : 0];
    let byLo = byHi.get(r.hi | 0);
    if (byLo === undefined) { byLo = new Map(); byHi.set(r.hi | 0, byLo); }
    let t = byLo.get(r.lo | 0);
    if (t === undefined) {
      t = symbolText(this.ks, (BigInt(r.hi) << 32n) | BigInt(r.lo), withOffset);
      if (byLo.size < 100_000) byLo.set(r.lo | 0, t);
    }
    return t;
  }

  payload(r: FieldReader): string {
    if (this.fnIp !== undefined && this.fnParent !== undefined) {
      const ip = r.int(this.fnIp);
      const parent = r.int(this.fnParent);
      if (typeof ip === 'bigint' && typeof parent === 'bigint') return `${symbolText(this.ks, ip, false)} <-${symbolText(this.ks, parent, false)}`;
    }
    let head = '';
    const probe = this.probe;
    if (probe !== undefined) {
      const h = this.head(r);
      head = h === undefined ? '(?)' : probe === 'entry' ? `(${h.site})` : `(${h.site} <- ${h.sym})`;
    }
    return head + this.body(r, head !== '');
  }

  /** Whether a string the last `body` printed holds a `"` (a probe's quoted value may then read as open). */
  quoteInString = false;

  /** The payload after a probe's head (all of it for other events). */
  body(r: FieldReader, afterHead = true): string {
    this.quoteInString = this.pieces === undefined;
    if (this.pieces === undefined) return this.fieldsText(r, afterHead);
    let out = '';
    for (const p of this.pieces) {
      if ('text' in p) { out += p.text; continue; }
      const a = p.arg!;
      if (a.str || p.conv === 's') {
        const s = a.str ? r.str(a.field) : undefined;
        if (s !== undefined && s.indexOf('"') !== -1) this.quoteInString = true;
        out += pad(s ?? '', p);
        continue;
      }
      const t = numText(r, p);
      out += p.width === 0 || t === '?' ? t : pad(t, p);
    }
    return out;
  }

  /** `name=value` for each own field, when `print fmt` cannot be followed. */
  private fieldsText(r: FieldReader, afterHead: boolean): string {
    const parts: string[] = [];
    for (const f of this.own) {
      if (f.name.startsWith('__probe_')) continue;
      const isStr = f.dataLoc || (f.array && /char/.test(f.type));
      if (isStr) { parts.push(`${f.name}=${r.str(f) ?? ''}`); continue; }
      const v = r.int(f);
      if (v === undefined) continue;
      parts.push(`${f.name}=${f.signed ? v.toString() : '0x' + v.toString(16)}`);
    }
    return (afterHead && parts.length > 0 ? ' ' : '') + parts.join(' ');
  }
}
