/**
 * One ring-buffer page (sub-buffer) of a CPU, as the kernel writes it (kernel/trace/ring_buffer.c)
 * and trace-cmd stores it: a 64-bit page timestamp, a `long` commit word (the data length in its
 * low 27 bits, bit 31 = events were lost before this page, bit 30 = their count is stored after
 * the data), then events. Each event starts with a 32-bit word: `type_len` in its low 5 bits (on a
 * little-endian file) and a 27-bit time delta. type_len 29 is padding (a discarded event, or with
 * delta 0 the unused end of the page), 30 a time extend (the delta's upper bits in the next word),
 * 31 an absolute time stamp, 0 a data event whose length is the next word, and 1–28 a data event
 * of type_len × 4 bytes.
 *
 * The kernel keeps a CPU's times in order: a page's timestamp is the time its first event counts
 * from, deltas are unsigned, an absolute stamp is the clock read for the event after it (never
 * before the event before it), and a page is begun only once the one before it is full, so no
 * event of a page is later than the next page's timestamp. `timeBreak` checks a page against that.
 */
import { TraceDatError } from './cursor.js';

const TS_SHIFT = 27;
const TS_DELTA_MASK = (1 << TS_SHIFT) - 1;
const COMMIT_MASK = (1 << 27) - 1;
const MISSED_EVENTS = 0x80000000;
const MISSED_STORED = 0x40000000;
const PADDING = 29;
const TIME_EXTEND = 30;
const TIME_STAMP = 31;
const TWO_27 = 2 ** TS_SHIFT;

/** Where a page's times leave the order the kernel writes them in (see `PageReader.timeBreak`). */
export interface TimeBreak {
  /** File offset (as for a `TraceDatError`) of the page header or event whose time breaks the order. */
  offset: number;
  /** That time, and the bound it breaks. */
  ts: number;
  bound: number;
  /** `stamp`: the page's timestamp is before `floor`; `backwards`: an absolute stamp goes back; `past next page`: a time is after `ceiling`. */
  kind: 'stamp' | 'backwards' | 'past next page';
}

/** A page's timestamp, and whether its header is all zeros (see `PageReader.blank`); undefined when it has no room for a header. */
export function pageHead(page: Uint8Array, layout: PageLayout): { ts: number; blank: boolean } | undefined {
  const raw = rawPageStamp(page, layout);
  if (raw === undefined) return page.length < 8 + layout.longSize ? undefined : { ts: 0, blank: true };
  return { ts: Number(raw - (layout.timeBase ?? 0n)), blank: false };
}

export interface PageLayout {
  littleEndian: boolean;
  /** The kernel's `long` (the commit word and the stored missed count): 4 or 8. */
  longSize: number;
  /**
   * Taken from every absolute time (page timestamps, absolute time stamps), so that times are exact
   * numbers: a clock past 2^53 (nanoseconds since a boot 104 days before, a 3 GHz TSC's count 35
   * days after its reset) is read from a base (see `timeBaseOf`). 0 (or absent) when the file's
   * times fit as they are.
   */
  timeBase?: bigint;
}

/** Times at or past this (2^52) are read from a base: a capture that began below it stays below 2^53 for 52 days of nanoseconds. */
const BASED_FROM = 2n ** 52n;

/**
 * The time base for CPUs whose first page timestamps are `firsts`: 0 when they are all below 2^52,
 * else the earliest of them, down to a whole second of nanoseconds (so that the base's seconds and
 * a time's own add up as the clock's; for a counter clock it is only a count taken off).
 */
export function timeBaseOf(firsts: readonly bigint[]): bigint {
  if (!firsts.some((t) => t >= BASED_FROM)) return 0n;
  let min = firsts[0]!;
  for (const t of firsts) if (t < min) min = t;
  return (min / 1_000_000_000n) * 1_000_000_000n;
}

/** A page's timestamp as the file holds it (no base taken off), or undefined when it has no room for a header or its header is all zeros. */
export function rawPageStamp(page: Uint8Array, layout: PageLayout): bigint | undefined {
  if (page.length < 8 + layout.longSize) return undefined;
  const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const raw = v.getBigUint64(0, layout.littleEndian);
  const commit = layout.longSize === 8 ? v.getBigUint64(8, layout.littleEndian) : BigInt(v.getUint32(8, layout.littleEndian));
  return raw === 0n && commit === 0n ? undefined : raw;
}

/** Decodes the events of one page; `next()` moves to each data event in turn. */
export class PageReader {
  private view: DataView = new DataView(new ArrayBuffer(0));
  private page: Uint8Array = new Uint8Array();
  /** File offset of the page, for diagnostics. */
  private fileOffset = 0;
  private dataStart = 16;
  private end = 16;
  private pos = 16;
  /** Timestamp of the current event. */
  ts = 0;
  /** The current event's payload: page[start, start + length). */
  start = 0;
  length = 0;
  /** Events lost before this page: 0 none, -1 some (count unknown), n > 0 that many. */
  missed = 0;
  /** The page's header is all zeros: no time, no data, no flags (a block of the file zeroed, not a page the kernel wrote). */
  blank = false;

  constructor(readonly layout: PageLayout) {}

  /** Loads a page whose bytes are `page`, found at `fileOffset` in the file. */
  load(page: Uint8Array, fileOffset: number): void {
    const { littleEndian: le, longSize } = this.layout;
    this.page = page;
    this.fileOffset = fileOffset;
    this.view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    this.dataStart = 8 + longSize;
    if (page.length < this.dataStart) this.fail(0, `a page of ${page.length} bytes has no room for its header`);
    const commit = longSize === 8 ? (le ? this.view.getUint32(8, true) : this.view.getUint32(12, false)) : this.view.getUint32(8, le);
    this.blank = commit === 0 && this.view.getBigUint64(0, le) === 0n;
    this.ts = this.blank ? 0 : this.u64ts(0);
    const size = commit & COMMIT_MASK;
    if (this.dataStart + size > page.length) this.fail(8, `the page header says ${size} bytes of events, but the page holds ${page.length - this.dataStart}`);
    this.end = this.dataStart + size;
    this.pos = this.dataStart;
    if ((commit & MISSED_EVENTS) !== 0) {
      if ((commit & MISSED_STORED) !== 0 && this.end + longSize <= page.length) {
        this.missed = longSize === 8 ? Number(this.view.getBigUint64(this.end, le)) : this.view.getUint32(this.end, le);
      } else this.missed = -1;
    } else this.missed = 0;
  }

  /** Moves to the next data event; false at the end of the page. */
  next(): boolean {
    const v = this.view;
    const le = this.layout.littleEndian;
    while (this.pos < this.end) {
      const at = this.pos;
      if (at + 4 > this.end) this.fail(at, 'an event header runs past the end of the page data');
      const word = v.getUint32(at, le);
      const typeLen = le ? word & 31 : word >>> 27;
      const delta = le ? word >>> 5 : word & TS_DELTA_MASK;
      if (typeLen === PADDING) {
        this.ts += delta;
        if (delta === 0) { this.pos = this.end; return false; }
        const len = this.word(at + 4);
        this.pos = at + 4 + len;
        if (len === 0) this.fail(at, 'a padding event of length 0');
        continue;
      }
      if (typeLen === TIME_EXTEND || typeLen === TIME_STAMP) {
        if (typeLen === TIME_EXTEND) this.ts += this.word(at + 4) * TWO_27 + delta;
        else this.ts = this.absolute(this.word(at + 4), delta);
        if (!Number.isSafeInteger(this.ts)) this.fail(at, 'a timestamp 2^53 or more past the file\'s time base (not supported)');
        this.pos = at + 8;
        continue;
      }
      this.ts += delta;
      if (typeLen === 0) {
        const len = this.word(at + 4);
        if (len < 4) this.fail(at, `a data event of length ${len}`);
        this.start = at + 8;
        // (not `& ~3`: a damaged length beyond 2^31 would turn negative)
        this.length = Math.ceil((len - 4) / 4) * 4;
        this.pos = this.start + this.length;
      } else {
        this.start = at + 4;
        this.length = typeLen * 4;
        this.pos = this.start + this.length;
      }
      if (this.pos > this.end) this.fail(at, `an event of ${this.length} bytes runs past the end of the page data`);
      return true;
    }
    return false;
  }

  /**
   * Checks the times of the loaded page, without moving to its events: its timestamp is not before
   * `floor` (the time of the CPU's last event before it), no absolute stamp is before the event
   * before it, and no event is after `ceiling` (the next page's timestamp). The padding that fills a
   * page's end has a delta of 1 (ring_buffer.c, rb_reset_tail) and no event after it: only events
   * are held to the ceiling. The first time that breaks this, or undefined. Damage of another kind
   * ends the check quietly (`next` reports it where it is).
   */
  timeBreak(floor: number, ceiling: number): TimeBreak | undefined {
    const v = this.view;
    const le = this.layout.littleEndian;
    let ts = this.ts;
    /** The page's time stamp, then each event's time. */
    let last = ts;
    const base = this.fileOffset;
    if (ts < floor) return { offset: base, ts, bound: floor, kind: 'stamp' };
    if (ts > ceiling) return { offset: base, ts, bound: ceiling, kind: 'past next page' };
    for (let at = this.dataStart; at + 4 <= this.end;) {
      const word = v.getUint32(at, le);
      const typeLen = le ? word & 31 : word >>> 27;
      const delta = le ? word >>> 5 : word & TS_DELTA_MASK;
      if (typeLen === PADDING) {
        if (delta === 0 || at + 8 > this.end) break;
        const len = v.getUint32(at + 4, le);
        if (len === 0) break;
        ts += delta;
        at += 4 + len;
        continue;
      }
      if (typeLen === TIME_EXTEND || typeLen === TIME_STAMP) {
        if (at + 8 > this.end) break;
        if (typeLen === TIME_EXTEND) ts += v.getUint32(at + 4, le) * TWO_27 + delta;
        else {
          const stamp = this.absolute(v.getUint32(at + 4, le), delta);
          if (stamp < last) return { offset: base + at, ts: stamp, bound: last, kind: 'backwards' };
          ts = stamp;
        }
        at += 8;
        continue;
      }
      ts += delta;
      if (ts > ceiling) return { offset: base + at, ts, bound: ceiling, kind: 'past next page' };
      last = ts;
      if (typeLen === 0) {
        if (at + 8 > this.end) break;
        const len = v.getUint32(at + 4, le);
        if (len < 4) break;
        at += 8 + Math.ceil((len - 4) / 4) * 4;
      } else at += 4 + typeLen * 4;
    }
    return undefined;
  }

  /** The loaded page's bytes (event payloads are read from here). */
  get bytes(): Uint8Array {
    return this.page;
  }

  private word(at: number): number {
    if (at + 4 > this.end) this.fail(at, 'an event runs past the end of the page data');
    return this.view.getUint32(at, this.layout.littleEndian);
  }

  private u64ts(at: number): number {
    const v = this.view.getBigUint64(at, this.layout.littleEndian) - (this.layout.timeBase ?? 0n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(at, 'a page timestamp 2^53 or more from the file\'s time base (not supported)');
    }
    return Number(v);
  }

  /** An absolute time stamp's time (`word` its upper bits, `delta` its lower 27), from the time base. */
  private absolute(word: number, delta: number): number {
    const base = this.layout.timeBase ?? 0n;
    return base === 0n ? word * TWO_27 + delta : Number(BigInt(word) * BigInt(TWO_27) + BigInt(delta) - base);
  }

  private fail(at: number, message: string): never {
    throw new TraceDatError(message, this.fileOffset + at, 'ring-buffer page');
  }
}
