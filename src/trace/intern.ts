/**
 * A bounded cache of short ASCII strings keyed by their bytes. Trace records repeat the same
 * short strings millions of times (field names, event names, enum values, object ids): looking
 * them up by a byte hash returns the one string already made instead of decoding a new one, which
 * saves the decode and, above all, the garbage. The cache is direct-mapped and fixed in size, so
 * memory stays flat however many distinct ids a long trace carries; a collision only costs a decode.
 */

/** Strings longer than this are decoded directly (they rarely repeat and hashing them costs more). */
const MAX_LEN = 32;

export class StringCache {
  private readonly slots: (string | undefined)[];
  private readonly mask: number;

  /** `bits`: log2 of the slot count. */
  constructor(bits = 14) {
    this.slots = new Array<string | undefined>(1 << bits).fill(undefined);
    this.mask = (1 << bits) - 1;
  }

  /** The string of bytes [start, end) of `buf`, which the caller guarantees are printable ASCII. */
  get(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > MAX_LEN) return buf.latin1Slice(start, end);
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & this.mask;
    const hit = this.slots[slot];
    if (hit !== undefined && hit.length === n) {
      let j = 0;
      while (j < n && hit.charCodeAt(j) === buf[start + j]) j++;
      if (j === n) return hit;
    }
    const s = buf.latin1Slice(start, end);
    this.slots[slot] = s;
    return s;
  }
}

declare global {
  interface Buffer {
    /** Node's own latin1 decoder (what `toString('latin1', s, e)` calls after checking its arguments). */
    latin1Slice(start: number, end: number): string;
  }
}
