/**
 * The fast path of the NDJSON reader: parses the common record shape (a flat object of the
 * Contract 1 fields, `args` an object of scalars, strings of printable ASCII without escapes)
 * straight from the input bytes, with no line string and no JSON.parse, and with short strings
 * shared through a byte-keyed cache.
 *
 * It accepts a line only when it can give exactly the event the slow path (`parseNdjsonLine`)
 * would give, and otherwise returns `undefined`: escapes, non-ASCII bytes, nested values,
 * duplicate keys, a field of the wrong type, anything that is not valid JSON. The reader then
 * takes the slow path for that line, so every diagnostic stays exactly what it was.
 */
import { NO_ARGS, type Scalar, type TraceEvent } from './event.js';
import { StringCache } from './intern.js';

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58, LBRACE = 123, RBRACE = 125, MINUS = 45, PLUS = 43, DOT = 46;
const ZERO = 48, NINE = 57;

/** Returned by the value parsers when the line is not for the fast path. */
const NO: unique symbol = Symbol('no');
type Parsed = Scalar | typeof NO;

// Top-level fields, as bits, to reject duplicates (JSON.parse keeps the last; the slow path decides).
const F_PID = 1, F_EV = 2, F_FN = 4, F_ARGS = 8, F_RET = 16, F_SEQ = 32, F_TS = 64, F_CPU = 128, F_COMM = 256;

export class FastRecordParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private readonly strings = new StringCache();
  private readonly argKeys: string[] = [];
  private readonly argValues: Scalar[] = [];
  private readonly shapes = new ArgShapes();

  constructor(private readonly file: string) {}

  /** The event of bytes [start, end) (one line, without its newline), or undefined to take the slow path. */
  parse(buf: Buffer, start: number, end: number, lineNo: number, index: number): TraceEvent | undefined {
    if (end > start && buf[end - 1] === 13) end--;
    this.buf = buf;
    this.pos = start;
    this.end = end;
    if (this.skipWs() !== LBRACE) return undefined;
    this.pos++;
    let seen = 0;
    let pid: Parsed = NO, ev: Parsed = NO, fn: Parsed = NO, ret: Parsed = NO, seq: Parsed = NO, ts: Parsed = NO, cpu: Parsed = NO, comm: Parsed = NO;
    let args: Record<string, Scalar> | undefined;
    let c = this.skipWs();
    if (c === RBRACE) { this.pos++; c = -1; }
    while (c !== -1) {
      if (c !== QUOTE) return undefined;
      const ks = this.pos + 1;
      const ke = this.stringEnd(ks);
      if (ke < 0) return undefined;
      this.pos = ke + 1;
      if (this.skipWs() !== COLON) return undefined;
      this.pos++;
      const bit = fieldBit(buf, ks, ke - ks);
      if (bit & seen) return undefined;
      seen |= bit;
      if (bit === F_ARGS) {
        if (this.skipWs() !== LBRACE) return undefined;
        args = this.parseArgs();
        if (args === undefined) return undefined;
      } else {
        const v = this.parseScalar();
        if (v === NO) return undefined;
        switch (bit) {
          case F_PID: pid = v; break;
          case F_EV: ev = v; break;
          case F_FN: fn = v; break;
          case F_RET: ret = v; break;
          case F_SEQ: seq = v; break;
          case F_TS: ts = v; break;
          case F_CPU: cpu = v; break;
          case F_COMM: comm = v; break;
          default: break; // unknown fields are kept out of the event, as in the slow path
        }
      }
      c = this.skipWs();
      // A comma promises another field: `{"pid":1,` cut at the comma is no record.
      if (c === COMMA) { this.pos++; c = this.skipWs(); if (c !== QUOTE) return undefined; continue; }
      if (c !== RBRACE) return undefined;
      this.pos++;
      c = -1;
    }
    if (this.skipWs() !== -1) return undefined;
    // The checks of parseNdjsonLine, in its order; any failure goes to the slow path for its message.
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) return undefined;
    if (typeof ev !== 'string' || ev === '') return undefined;
    if (ev === 'call' || ev === 'ret') { if (typeof fn !== 'string' || fn === '') return undefined; }
    else if (fn !== NO && typeof fn !== 'string') return undefined;
    if (ret === true || ret === false) return undefined;
    // Made whole, with `ret` when there is one (a quarter of records): adding it afterwards
    // would give the event a second block of properties.
    const event: TraceEvent = ret === NO
      ? { seq: index, pid, ev, fn: typeof fn === 'string' ? fn : undefined, args: args ?? NO_ARGS, file: this.file, line: lineNo }
      : { seq: index, pid, ev, fn: typeof fn === 'string' ? fn : undefined, args: args ?? NO_ARGS, file: this.file, line: lineNo, ret };
    if (seq !== NO) {
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return undefined;
      event.seq = seq;
    }
    if (ts !== NO) {
      if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
      event.ts = ts;
    }
    if (cpu !== NO) {
      if (typeof cpu !== 'number' || !Number.isInteger(cpu)) return undefined;
      event.cpu = cpu;
    }
    if (comm !== NO) {
      if (typeof comm !== 'string') return undefined;
      event.comm = comm;
    }
    return event;
  }

  /** The next non-blank byte (not consumed), or -1 at the end of the line. */
  private skipWs(): number {
    const buf = this.buf;
    let p = this.pos;
    while (p < this.end) {
      const b = buf[p]!;
      if (b !== 32 && b !== 9 && b !== 13) { this.pos = p; return b; }
      p++;
    }
    this.pos = p;
    return -1;
  }

  /** Index of the closing quote of a plain string starting at `p`, or -1 (escape, control or non-ASCII byte, no end). */
  private stringEnd(p: number): number {
    const buf = this.buf;
    const end = this.end;
    for (; p < end; p++) {
      const b = buf[p]!;
      if (b === QUOTE) return p;
      if (b === BACKSLASH || b < 32 || b > 126) return -1;
    }
    return -1;
  }

  /** `{ "k": scalar, ... }` at pos. Duplicate or `__proto__` keys go to the slow path. */
  private parseArgs(): Record<string, Scalar> | undefined {
    this.pos++;
    let c = this.skipWs();
    if (c === RBRACE) { this.pos++; return NO_ARGS; }
    // Scratch lists written in place up to `n`, never emptied by `length = 0`, which gives their
    // storage back and makes each record's first push allocate it again.
    const keys = this.argKeys;
    const values = this.argValues;
    let n = 0;
    while (true) {
      if (c !== QUOTE) return undefined;
      const ks = this.pos + 1;
      const ke = this.stringEnd(ks);
      if (ke < 0) return undefined;
      const k = this.strings.get(this.buf, ks, ke);
      if (k === '__proto__') return undefined;
      for (let i = 0; i < n; i++) if (keys[i] === k) return undefined;
      keys[n] = k;
      this.pos = ke + 1;
      if (this.skipWs() !== COLON) return undefined;
      this.pos++;
      const v = this.parseScalar();
      if (v === NO) return undefined;
      values[n++] = v;
      c = this.skipWs();
      if (c === COMMA) { this.pos++; c = this.skipWs(); continue; }
      if (c !== RBRACE) return undefined;
      this.pos++;
      return this.shapes.make(keys, values, n);
    }
  }

  /** A string, number, true, false or null at pos (after blanks). */
  private parseScalar(): Parsed {
    const c = this.skipWs();
    const buf = this.buf;
    if (c === QUOTE) {
      const s = this.pos + 1;
      const e = this.stringEnd(s);
      if (e < 0) return NO;
      this.pos = e + 1;
      return this.strings.get(buf, s, e);
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
    if (c === 116) return this.word(0x74727565, true); // true
    if (c === 102) { // false
      if (this.pos + 5 <= this.end && buf[this.pos + 1] === 97 && buf[this.pos + 2] === 108 && buf[this.pos + 3] === 115 && buf[this.pos + 4] === 101) {
        this.pos += 5;
        return false;
      }
      return NO;
    }
    if (c === 110) return this.word(0x6e756c6c, null); // null
    return NO;
  }

  /** A four-letter literal whose bytes, big-endian, are `code`. */
  private word(code: number, value: boolean | null): Parsed {
    const p = this.pos;
    const buf = this.buf;
    if (p + 4 > this.end) return NO;
    if (((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0 !== code) return NO;
    this.pos = p + 4;
    return value;
  }

  /** A JSON number, checked against the JSON grammar; short integers are summed, the rest converted like JSON.parse does. */
  private parseNumber(): Parsed {
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    let p = start;
    const neg = buf[p] === MINUS;
    if (neg) p++;
    const d0 = p;
    if (p >= end) return NO;
    let v = 0;
    if (buf[p] === ZERO) p++;
    else {
      while (p < end) { const b = buf[p]!; if (b < ZERO || b > NINE) break; v = v * 10 + (b - ZERO); p++; }
    }
    if (p === d0) return NO;
    let exact = p - d0 <= 15;
    if (p < end && buf[p] === DOT) {
      exact = false;
      const f = ++p;
      while (p < end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
      if (p === f) return NO;
    }
    if (p < end && (buf[p] === 101 || buf[p] === 69)) {
      exact = false;
      p++;
      if (p < end && (buf[p] === PLUS || buf[p] === MINUS)) p++;
      const f = p;
      while (p < end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
      if (p === f) return NO;
    }
    // A digit right after a leading zero ("01") is not JSON; the caller sees it as a bad separator.
    this.pos = p;
    if (exact) return neg ? -v : v;
    return Number(buf.latin1Slice(start, p));
  }
}

/** The bit of a top-level field name, 0 for fields the event does not keep. */
function fieldBit(buf: Buffer, s: number, n: number): number {
  const a = buf[s]!, b = buf[s + 1];
  switch (n) {
    case 2:
      if (a === 101 && b === 118) return F_EV; // ev
      if (a === 102 && b === 110) return F_FN; // fn
      if (a === 116 && b === 115) return F_TS; // ts
      return 0;
    case 3: {
      const c = buf[s + 2];
      if (a === 112 && b === 105 && c === 100) return F_PID; // pid
      if (a === 114 && b === 101 && c === 116) return F_RET; // ret
      if (a === 115 && b === 101 && c === 113) return F_SEQ; // seq
      if (a === 99 && b === 112 && c === 117) return F_CPU; // cpu
      return 0;
    }
    case 4: {
      const c = buf[s + 2], d = buf[s + 3];
      if (a === 97 && b === 114 && c === 103 && d === 115) return F_ARGS; // args
      if (a === 99 && b === 111 && c === 109 && d === 109) return F_COMM; // comm
      return 0;
    }
    default: return 0;
  }
}

/** How many key lists `ArgShapes` makes a constructor for (a trace has a few per event kind); others are built key by key. */
const MAX_SHAPES = 256;

/**
 * Builds an event's `args` object all at once, by a constructor made for its list of keys: an
 * object literal of exactly those properties. Built key by key from `{}`, an object of five
 * arguments outgrew its four in-object slots into a separate property array, and every object
 * kept room it never used: two thirds of the bytes the reader allocated per record, and every
 * record's args outlive the young generation when a store entry cites the record.
 * The object is the one the key-by-key assignment makes: the same own properties, in the same
 * order (integer-like keys first, as for any object), with the same values.
 */
class ArgShapes {
  /** The constructors by first key, each with its whole key list. */
  private readonly byFirst = new Map<string, { keys: string[]; make: (v: Scalar[]) => Record<string, Scalar> }[]>();
  private count = 0;

  /** The args object of the first `n` of `keys` (distinct, none `__proto__`) and of `values`. */
  make(keys: readonly string[], values: readonly Scalar[], n: number): Record<string, Scalar> {
    let list = this.byFirst.get(keys[0]!);
    if (list !== undefined) {
      for (let s = 0; s < list.length; s++) {
        const shape = list[s]!;
        const ks = shape.keys;
        if (ks.length !== n) continue;
        let i = 1;
        while (i < n && ks[i] === keys[i]) i++;
        if (i === n) return shape.make(values as Scalar[]);
      }
    }
    if (this.count >= MAX_SHAPES) {
      const args: Record<string, Scalar> = {};
      for (let i = 0; i < n; i++) args[keys[i]!] = values[i]!;
      return args;
    }
    const own = keys.slice(0, n);
    const body = own.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ');
    const make = new Function('v', `"use strict";\n  return { ${body} };`) as (v: Scalar[]) => Record<string, Scalar>;
    if (list === undefined) { list = []; this.byFirst.set(keys[0]!, list); }
    list.push({ keys: own, make });
    this.count++;
    return make(values as Scalar[]);
  }
}
