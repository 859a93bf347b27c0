/**
 * Bounds-checked reading of trace.dat bytes in the file's own byte order. Every read past the end
 * of what is there throws a `TraceDatError` naming the byte offset in the file and the section
 * being read, so that a damaged or cut file is reported where it goes wrong, never with a stack.
 */

/** A problem in a trace.dat file, at a byte offset of the file, while reading a named part of it. */
export class TraceDatError extends Error {
  constructor(message: string, readonly offset: number, readonly section: string) {
    super(message);
    this.name = 'TraceDatError';
  }
}

/** A cursor over bytes that start at file offset `base` (decompressed sections have their own). */
export class Cursor {
  private readonly view: DataView;
  pos = 0;

  constructor(readonly bytes: Uint8Array, readonly base: number, readonly littleEndian: boolean, public section: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The file offset of the cursor (for a decompressed section: of the section it came from). */
  get offset(): number {
    return this.base + this.pos;
  }

  get left(): number {
    return this.bytes.length - this.pos;
  }

  fail(message: string, at = this.offset): never {
    throw new TraceDatError(message, at, this.section);
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) this.fail(`${what}: ${n} bytes needed, ${this.left} left (the file is cut short or damaged)`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }

  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** A 64-bit size or offset, which must fit a safe integer (and the file). */
  u64n(what: string): number {
    const at = this.offset;
    const v = this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is ${v}, beyond any file size`, at);
    return Number(v);
  }

  bytesOf(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** A NUL-terminated string (latin1: byte-exact). */
  cstr(what: string): string {
    const end = this.bytes.indexOf(0, this.pos);
    if (end === -1) this.fail(`${what}: no terminating NUL before the end`);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, end - this.pos).toString('latin1');
    this.pos = end + 1;
    return s;
  }

  /** Exactly `text` (with its NUL when given), or a located error. */
  expect(text: string, what: string): void {
    const at = this.offset;
    const got = Buffer.from(this.bytesOf(text.length, what)).toString('latin1');
    if (got !== text) this.fail(`expected ${JSON.stringify(text)} (${what}), found ${JSON.stringify(got)}`, at);
  }

  seek(pos: number, what: string): void {
    if (pos < 0 || pos > this.bytes.length) this.fail(`${what} at offset ${this.base + pos} lies outside the file (${this.base + this.bytes.length} bytes)`);
    this.pos = pos;
  }
}
