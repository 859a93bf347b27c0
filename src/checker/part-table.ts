/**
 * The numbering of a monitor digest's parts without their text (see `Engine.writeDigest`): a part
 * is written as a list of numbers — each scalar it holds as its number (`scalarCode`), in an order
 * that does not depend on the order the state was built in — and each distinct list is numbered
 * once, as met. Two parts have one number exactly when their lists are equal; the lists are held
 * end to end in one typed array and compared whole on a hash match, so no string is made, hashed
 * or kept per part.
 */
import { doubled } from '../values/open-slots.js';
/** Lists of numbers, each numbered as first met (`id`). */
export class PartTable {
  /** The list being written (`start`, `put`), then numbered by `id`. */
  private buf = new Int32Array(64);
  private n = 0;
  /** The lists, each as its length and then its numbers. */
  private units = new Int32Array(1 << 12);
  private end = 0;
  /** Per slot: 1 + the offset of its list in `units`, 0 when free. */
  private slots = new Int32Array(1 << 10);
  private hashes = new Int32Array(1 << 10);
  private ids = new Int32Array(1 << 10);
  size = 0;

  start(): void {
    this.n = 0;
  }

  put(x: number): void {
    if (this.n === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = x;
  }

  /** The number of the list written since `start`, numbering it if it is new. */
  id(): number {
    const buf = this.buf, n = this.n;
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const at = this.slots[i]!;
      if (at === 0) break;
      if (this.hashes[i] === h && this.equal(at - 1)) return this.ids[i]!;
      i = (i + 1) & mask;
    }
    if (this.end + n + 1 > this.units.length) {
      let len = this.units.length * 2;
      while (len < this.end + n + 1) len *= 2;
      const next = new Int32Array(len);
      next.set(this.units.subarray(0, this.end));
      this.units = next;
    }
    const off = this.end;
    this.units[off] = n;
    for (let k = 0; k < n; k++) this.units[off + 1 + k] = buf[k]!;
    this.end = off + n + 1;
    this.slots[i] = off + 1;
    this.hashes[i] = h;
    const id = this.size++;
    this.ids[i] = id;
    if (2 * this.size > this.slots.length) this.rehash();
    return id;
  }

  /**
   * Sorts the tuples of `width` numbers that the list holds from `from` to its end, in place
   * (lexicographically): a store's entries in an order that is the same for the same entries.
   * Insertion sort: a store holds a few entries at a time in the states a search meets.
   */
  sortTuples(from: number, width: number): void {
    const b = this.buf;
    const count = (this.n - from) / width;
    for (let i = 1; i < count; i++) {
      for (let j = i; j > 0; j--) {
        const p = from + (j - 1) * width, q = from + j * width;
        let c = 0;
        for (let k = 0; k < width && c === 0; k++) c = b[p + k]! - b[q + k]!;
        if (c <= 0) break;
        for (let k = 0; k < width; k++) { const t = b[p + k]!; b[p + k] = b[q + k]!; b[q + k] = t; }
      }
    }
  }

  private equal(off: number): boolean {
    const u = this.units, b = this.buf, n = this.n;
    if (u[off] !== n) return false;
    for (let k = 0; k < n; k++) if (u[off + 1 + k] !== b[k]) return false;
    return true;
  }

  private rehash(): void {
    ({ slots: this.slots, hashes: this.hashes, ids: this.ids } = doubled({ slots: this.slots, hashes: this.hashes, ids: this.ids }));
  }
}
