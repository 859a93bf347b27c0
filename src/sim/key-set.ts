/**
 * The visited set of exploration: keys (lists of 16-bit units, `KeyWriter`'s) held end to end in
 * one typed array, found by open addressing on their hashes. A search keeps hundreds of thousands
 * of keys for its whole run; as strings in a `Set` each was a string and an entry the garbage
 * collector walked at every full collection, and each lookup first built the string. Keys are
 * compared unit by unit on a hash match, so two keys are one entry exactly when they are equal.
 *
 * The units are held in pages of PAGE_UNITS (the first grown by doubling up to that size, the rest
 * made whole), no key across two: one growing array was copied whole at each doubling, up to a
 * 64 Mi-unit array made and filled from a 32 Mi-unit one, twice the memory at that moment, and
 * 4 % of a four-task search's CPU time.
 */
import { doubled } from '../values/open-slots.js';
import type { KeyWriter } from './key-code.js';

/** log2 of the units a page holds (2 MiB of them). */
const PAGE_BITS = 20;
const PAGE_UNITS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_UNITS - 1;

export class KeySet {
  /** The keys, each as its length and then its units, in pages; a key's place is its page's number times PAGE_UNITS plus its offset there. */
  private pages: Uint16Array[] = [new Uint16Array(1 << 16)];
  /** The page keys are being added to (the last), and where its free units begin. */
  private units = this.pages[0]!;
  private end = 0;
  /** Per slot: 1 + the offset of its key in `units`, 0 when the slot is free. */
  private slots = new Int32Array(1 << 12);
  /** Per slot: its key's hash, compared before the key. */
  private hashes = new Int32Array(1 << 12);
  /** Per slot: its key's number (the set's size when it was added, see `id`). */
  private ids = new Int32Array(1 << 12);
  size = 0;

  /**
   * The number of the writer's key: the set's size when it was first added (keys are numbered 0, 1,
   * ... as they come), adding it if it is new; `added` tells whether it was. Exploration numbers
   * monitor digests and transitions this way, with no string per key.
   */
  id(w: KeyWriter): number {
    const h = w.hash();
    const i = this.find(w, h);
    if (this.slots[i] !== 0) { this.added = false; return this.ids[i]!; }
    this.added = true;
    const id = this.size;
    this.insert(w, h, i);
    return id;
  }

  /** Whether the last `id` added its key. */
  added = false;

  /**
   * Where the last key added begins (its first unit): exploration keeps a frontier state as this
   * place, and reads the state back from its key (`unitsAt`, `offsetAt`, `readStateKey`).
   */
  lastAdded = -1;

  /** The page that holds the key unit at place `at` (a new array once the first page grows: read it, do not keep it). */
  unitsAt(at: number): Uint16Array {
    return this.pages[at >>> PAGE_BITS]!;
  }

  /** The offset in its page (`unitsAt`) of the key unit at place `at`. */
  static offsetAt(at: number): number {
    return at & PAGE_MASK;
  }

  /** The number of the writer's key (see `id`), or -1 when it is not in the set. */
  idOf(w: KeyWriter): number {
    const i = this.find(w, w.hash());
    return this.slots[i] !== 0 ? this.ids[i]! : -1;
  }

  /** Empties the set (its storage kept for the next keys); numbering starts again at 0. */
  clear(): void {
    if (this.size === 0) return;
    this.slots.fill(0);
    this.pages.length = 1;
    this.units = this.pages[0]!;
    this.end = 0;
    this.size = 0;
  }

  /** Whether the writer's key is in the set. */
  has(w: KeyWriter): boolean {
    return this.slots[this.find(w, w.hash())] !== 0;
  }

  /** Adds the writer's key; false when it was there already. */
  add(w: KeyWriter): boolean {
    const h = w.hash();
    const i = this.find(w, h);
    if (this.slots[i] !== 0) return false;
    this.insert(w, h, i);
    return true;
  }

  /** Stores the writer's key (hash `h`) in free slot `i`. */
  private insert(w: KeyWriter, h: number, i: number): void {
    const n = w.length;
    const buf = w.buffer;
    // A key of more than 0xffff units would not fit its length unit (a state of thousands of tasks).
    if (n > 0xffff) throw new Error('internal: a state key too long for the visited set');
    if (this.end + n + 1 > this.units.length) this.growUnits(this.end + n + 1);
    const off = this.end;
    const u = this.units;
    u[off] = n;
    // Unit by unit: a key is a few dozen units, and a subarray for `set` would be an object per key.
    for (let k = 0; k < n; k++) u[off + 1 + k] = buf[k]!;
    this.end = off + n + 1;
    const place = (this.pages.length - 1) * PAGE_UNITS + off;
    this.lastAdded = place + 1;
    this.slots[i] = place + 1;
    this.hashes[i] = h;
    this.ids[i] = this.size;
    this.size++;
    // At most half full, so probe runs stay short.
    if (2 * this.size > this.slots.length) this.rehash();
  }

  /** The slot of the writer's key (hash `h`), or the free slot where it would go. */
  private find(w: KeyWriter, h: number): number {
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (;;) {
      const at = this.slots[i]!;
      if (at === 0 || (this.hashes[i] === h && this.equal(at - 1, w.buffer, w.length))) return i;
      i = (i + 1) & mask;
    }
  }

  private equal(place: number, buf: Uint16Array, n: number): boolean {
    const u = this.pages[place >>> PAGE_BITS]!;
    const off = place & PAGE_MASK;
    if (u[off] !== n) return false;
    for (let k = 0; k < n; k++) if (u[off + 1 + k] !== buf[k]) return false;
    return true;
  }

  /** Room for `need` units in the last page: the first page doubled while it is small, else a new page. */
  private growUnits(need: number): void {
    if (this.pages.length === 1 && this.units.length < PAGE_UNITS && need <= PAGE_UNITS) {
      let len = this.units.length * 2;
      while (len < need) len *= 2;
      const next = new Uint16Array(len);
      next.set(this.units.subarray(0, this.end));
      this.units = next;
      this.pages[0] = next;
      return;
    }
    this.units = new Uint16Array(PAGE_UNITS);
    this.pages.push(this.units);
    this.end = 0;
  }

  private rehash(): void {
    ({ slots: this.slots, hashes: this.hashes, ids: this.ids } = doubled({ slots: this.slots, hashes: this.hashes, ids: this.ids }));
  }
}
