/**
 * A compressed input read by a decoder that frames its units itself (gzip members, zstd frames):
 * bytes looked at ahead, taken, handed on as they come, and put back when a unit did not use them.
 */
export class ByteInput {
  private readonly held: Uint8Array[] = [];
  /** Bytes read and not yet taken. */
  heldBytes = 0;
  private ended = false;
  /** The last 8 bytes read from the source (a trailer's size), once that many were read. */
  private readonly lastEight = new Uint8Array(8);
  private read = 0;
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** Whether at least `n` bytes are there (reading more as needed); false at the end of input. */
  async has(n: number): Promise<boolean> {
    while (this.heldBytes < n && !this.ended) {
      const r = await this.source.next();
      if (r.done === true) this.ended = true;
      else if (r.value.length > 0) { this.held.push(r.value); this.heldBytes += r.value.length; this.remember(r.value); }
    }
    return this.heldBytes >= n;
  }

  private remember(c: Uint8Array): void {
    if (c.length >= 8) this.lastEight.set(c.subarray(c.length - 8));
    else { this.lastEight.copyWithin(0, c.length); this.lastEight.set(c, 8 - c.length); }
    this.read += c.length;
  }

  /** The input's last 8 bytes, once it has ended (undefined when it is shorter). */
  finalEight(): Uint8Array | undefined {
    return this.ended && this.read >= 8 ? this.lastEight : undefined;
  }

  /**
   * Where the next zero byte is, from `from` on (reading more as needed; one pass over the held
   * chunks), or undefined when the input ends first or none comes within `limit` bytes.
   */
  async zeroFrom(from: number, limit: number): Promise<number | undefined> {
    let i = from;
    for (;;) {
      if (!(await this.has(i + 1)) || i - from >= limit) return undefined;
      // the held chunks from byte i on, to what is held now
      let skip = i;
      for (const c of this.held) {
        if (skip >= c.length) { skip -= c.length; continue; }
        const z = c.indexOf(0, skip);
        if (z !== -1) return i + (z - skip);
        i += c.length - skip;
        skip = 0;
      }
    }
  }

  /** Byte `i` ahead (after `has(i + 1)`). */
  at(i: number): number {
    for (const c of this.held) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    throw new RangeError('past the input read');
  }

  /** Takes the next `n` bytes (after `has(n)`), as one array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.held[0]!;
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) this.held.shift(); else this.held[0] = c.subarray(k);
    }
    this.heldBytes -= n;
    return out;
  }

  /** The next bytes as they come (a held chunk, else a new one), or undefined at the end of input. */
  async next(): Promise<Uint8Array | undefined> {
    if (!(await this.has(1))) return undefined;
    const c = this.held.shift()!;
    this.heldBytes -= c.length;
    return c;
  }

  /** Puts bytes back in front (what a member's data did not use). */
  putBack(c: Uint8Array): void {
    if (c.length === 0) return;
    this.held.unshift(c);
    this.heldBytes += c.length;
  }

  async return(): Promise<void> {
    await this.source.return?.();
  }
}
