/**
 * The numbering that makes exploration's keys short: every string and number a key holds is
 * written as its number, and a key is a string of those numbers (`KeyWriter`). Model states
 * (`stateKey`) and the events of a monitor transition (`eventsKey`) are keyed this way.
 */
import { scalarCode, scalarOf } from '../values/scalar-code.js';

/**
 * Appends the numbers of a key, each as one UTF-16 unit below 0x8000, else two, the first marked (a
 * prefix code; numbers stay below 2^30). A writer's buffer is reused from key to key; a key is read
 * as a string (`text`) or, by the visited set (`KeySet`), as its units and their hash.
 */
export class KeyWriter {
  buffer = new Uint16Array(256);
  length = 0;
  start(): this { this.length = 0; return this; }
  put(n: number): void {
    if (this.length + 2 > this.buffer.length) this.grow();
    if (n < 0x8000) this.buffer[this.length++] = n;
    else { this.buffer[this.length++] = 0x8000 | (n >>> 15); this.buffer[this.length++] = n & 0x7fff; }
  }
  value(x: unknown): void { this.put(scalarCode(x)); }
  /**
   * Holds one unit for a count written after what it counts (`fill`), so that a record is walked
   * once, not once to count and once to write; returns where it is.
   */
  reserve(): number {
    if (this.length + 1 > this.buffer.length) this.grow();
    return this.length++;
  }
  /**
   * Writes count `n` at `at` (a `reserve`d unit), as `put(n)` would have written it there: one unit
   * below 0x8000, else two, the units after `at` moved up by one to make room.
   */
  fill(at: number, n: number): void {
    if (n < 0x8000) { this.buffer[at] = n; return; }
    if (this.length + 1 > this.buffer.length) this.grow();
    this.buffer.copyWithin(at + 2, at + 1, this.length);
    this.length++;
    this.buffer[at] = 0x8000 | (n >>> 15);
    this.buffer[at + 1] = n & 0x7fff;
  }
  /** Appends units `from` to `to` of `units` as they are (a part of another key). */
  copy(units: Uint16Array, from: number, to: number): void {
    const n = to - from;
    while (this.length + n > this.buffer.length) this.grow();
    const b = this.buffer;
    // Unit by unit: a part is a few dozen units, and a subarray for `set` would be an object per part.
    for (let k = 0; k < n; k++) b[this.length + k] = units[from + k]!;
    this.length += n;
  }
  text(): string {
    const u = this.buffer;
    let out = '';
    // In slices: an apply of a long array to String.fromCharCode could overflow the stack.
    for (let i = 0; i < this.length; i += 4096) out += String.fromCharCode.apply(null, u.subarray(i, Math.min(this.length, i + 4096)) as unknown as number[]);
    return out;
  }
  /** A 32-bit hash of the units (FNV-1a over each unit, then a final mix). */
  hash(): number {
    const u = this.buffer;
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.length; i++) h = Math.imul(h ^ u[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h;
  }
  private grow(): void {
    const next = new Uint16Array(this.buffer.length * 2);
    next.set(this.buffer);
    this.buffer = next;
  }
}

/** Reads back the numbers a `KeyWriter` wrote, from where they begin. */
export class KeyReader {
  constructor(readonly units: Uint16Array, public at: number) {}
  /** The next number (`KeyWriter.put`'s). */
  next(): number {
    const u = this.units[this.at++]!;
    if (u < 0x8000) return u;
    return ((u & 0x7fff) << 15) | this.units[this.at++]!;
  }
  /** The next scalar (`KeyWriter.value`'s). */
  value(): string | number | boolean | null | undefined { return scalarOf(this.next()); }
  string(): string { return this.value() as string; }
  number(): number { return this.value() as number; }
}

const EVENTS = new KeyWriter();

/**
 * A list of events as a key: two lists have the same key exactly when their events have the same
 * fields, in the same order, with the same values (what their JSON forms tell apart, and
 * `undefined` and NaN apart too). Each field's value is tagged: 0 for a record (the event's
 * `args`), then its size and its fields; else 1 + the value's number.
 */
export function eventsKey(prefix: number, events: readonly object[]): string {
  return writeEventsKey(EVENTS.start(), prefix, events).text();
}

/**
 * Writes `eventsKey`'s units to `w` (after what it holds); returns `w`. `withoutSeq` leaves out
 * each event's `seq` and `line` (its replayed line, `seq` + 1).
 */
export function writeEventsKey(w: KeyWriter, prefix: number, events: readonly object[], withoutSeq = false): KeyWriter {
  w.put(prefix);
  w.put(events.length);
  for (const e of events) {
    let n = 0;
    for (const name in e) if (!withoutSeq || !isSeqField(name)) n++;
    w.put(n);
    for (const name in e) {
      if (withoutSeq && isSeqField(name)) continue;
      w.value(name);
      const v = (e as Record<string, unknown>)[name];
      if (typeof v !== 'object' || v === null) { w.put(scalarCode(v) + 1); continue; }
      w.put(0);
      let m = 0;
      for (const _ in v) m++;
      w.put(m);
      for (const k in v) { w.value(k); w.value((v as Record<string, unknown>)[k]); }
    }
  }
  return w;
}

function isSeqField(name: string): boolean {
  return name === 'seq' || name === 'line';
}
