/**
 * gzip decoded member by member (RFC 1952), each member's header and trailer read here and its
 * deflate data inflated by Node's zlib (raw inflate), so that every byte of data a member holds is
 * handed over before anything after it is looked at.
 *
 * zlib's own gunzip reads the members itself, and when the bytes after a member are no member
 * ("incorrect header check"), the error drops the output of the write that met them: the member's
 * last data, up to a whole input chunk's worth, went with the junk. Here a member's data is
 * complete and verified (CRC-32 and length) before the next header is read, and an error says
 * where the stream stopped after all it could give.
 *
 * Errors use zlib's words, which input.ts reads to tell a cut from damage: "unexpected end of file"
 * (cut), "incorrect data check" / "incorrect length check" (damage), and for the first member's
 * header "unknown compression method", "unknown header flags set", "header crc mismatch". Bytes
 * after the last whole member that begin no member, or data after zero padding, are an
 * `AfterLastMember`.
 */
import * as zlib from 'node:zlib';
import { ByteInput as Input } from './byte-input.js';

/**
 * The size of inflate's output chunks. Node's default (16 KiB) hands a 30 MB capture over in 2,000
 * chunks, each a round trip to the thread pool and a stream callback on the main thread: about a
 * tenth of reading 6.1-wild's gzip text twice (the read ahead, then the read that judges), against
 * a third of that at 256 KiB.
 */
const OUTPUT_CHUNK = 256 * 1024;
/**
 * Compressed bytes handed to inflate at a time: its output for one write is held until the write
 * is done. Text expands ten to twenty times, so a 64 KiB slice is held as about 1 MB; deflate can
 * expand up to about 1,000 times, so a slice whose output passed HELD_OUTPUT makes the next ones
 * smaller, down to MIN_SLICE.
 */
const INPUT_SLICE = 64 * 1024;
const HELD_OUTPUT = 4 << 20;
const MIN_SLICE = 1024;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;
/** The longest file name or comment a header is read with (a name is a file's, a few hundred bytes at most). */
const MAX_FIELD = 1 << 20;

/**
 * What follows a gzip stream's last whole member when it is no member: its data came through whole,
 * every member's checksum and length verified, but the capture may go on in the bytes after it.
 */
export class AfterLastMember extends Error {}

/** The decoded bytes of a gzip stream of one or more members, each verified before the next is read. */
export async function* gunzipMembers(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const input = new Input(compressed[Symbol.asyncIterator]());
  try {
    for (let member = 0; ; member++) {
      if (member > 0) {
        if (!(await input.has(1))) return;
        // zlib stops at a zero byte where a member could begin: padding, which tools leave after a
        // gzip file. Anything but zeros after it is data this stream does not read.
        if (input.at(0) === 0) { await afterPadding(input); return; }
      }
      try {
        await readHeader(input);
      } catch (e) {
        const why = (e as Error).message;
        // (a header cut short is a cut, wherever it is)
        if (member === 0 || why === 'unexpected end of file') throw e;
        throw new AfterLastMember(`it is followed by ${await restLength(input)} bytes that begin no gzip member (${why})`);
      }
      let crc = 0;
      let length = 0;
      let bytes = 0;
      const starts = new MemberStarts();
      try {
        for await (const out of inflateMember(input, starts)) {
          crc = crc32(out, crc);
          length = (length + out.length) >>> 0;
          bytes += out.length;
          yield out;
        }
      } catch (e) {
        throw ranIntoMember(e, starts) ?? desynchronised(e, input.finalEight(), length, bytes) ?? e;
      }
      if (!(await input.has(8))) throw new Error('unexpected end of file');
      const trailer = input.take(8);
      const view = new DataView(trailer.buffer, trailer.byteOffset, 8);
      if (view.getUint32(0, true) !== crc >>> 0) throw new Error('incorrect data check');
      if (view.getUint32(4, true) !== length) throw new Error('incorrect length check');
    }
  } finally {
    await input.return();
  }
}

/**
 * A member whose deflate data runs on to the input's end ("unexpected end of file") is cut short,
 * or damaged: a changed bit can put the decoder out of step with the data, which then decodes on
 * through the trailer, the text garbled from the change on, until the input ends. The two differ in
 * the input's last 8 bytes: a cut leaves deflate data there, a whole file its trailer, whose size
 * field (the member's length, modulo 2^32) is then near what was decoded: every single-bit change
 * of two test texts that ran on to the end decoded 100.0-101.1 % of it. A size within an eighth
 * (or 64 KiB) is taken as damage; a cut whose last 4 bytes of deflate data land that near by chance
 * (read as damage: its violations unknown, never the other way) is one in 4,000 for a capture of
 * 4 MB, one in 16 for one of 1 GB.
 * Returns the error to throw instead of `e`, or undefined.
 */
function desynchronised(e: unknown, lastEight: Uint8Array | undefined, length: number, bytes: number): Error | undefined {
  if ((e as Error).message !== 'unexpected end of file' || lastEight === undefined) return undefined;
  const size = new DataView(lastEight.buffer, lastEight.byteOffset, 8).getUint32(4, true);
  const distance = Math.min((length - size) >>> 0, (size - length) >>> 0);
  if (distance > Math.max(1 << 16, bytes / 8)) return undefined;
  return new Error(`the data decodes on into the input's last 8 bytes, which read as the member's trailer (a size of ${size} bytes, `
    + `where ${bytes} were decoded): damaged, not cut short`);
}

/**
 * A member whose deflate data runs on to the input's end after passing what reads as another
 * member's header is damaged, not cut short: a changed bit put the decoder out of step, and it
 * decoded on through the trailer and the members after it (`desynchronised` tells this from a cut
 * by the last member's trailer; this is the case of a member before the last: a concatenated `.gz`,
 * `bgzip`'s blocks). A header here is `1f 8b 08`, flags with no reserved bit, then extra flags 0, 2
 * or 4 and an operating system of 0-13 or 255: met by chance in deflate data about once in 2^37
 * bytes (a cut read as damage, its violations unknown; never the other way).
 * Returns the error to throw instead of `e`, or undefined.
 */
function ranIntoMember(e: unknown, starts: MemberStarts): Error | undefined {
  if ((e as Error).message !== 'unexpected end of file' || starts.first < 0) return undefined;
  return new Error(`the data decodes on past what reads as the header of another gzip member (${starts.first} bytes into the member's data) `
    + 'to the end of the input: damaged, not cut short');
}

/** Where in a member's compressed data (fed to inflate slice by slice) the first plausible member header begins, if any. */
class MemberStarts {
  /** Its offset from the start of the member's data, or -1. */
  first = -1;
  private fed = 0;
  /** The last bytes of the slices so far (up to HEADER_BYTES - 1): a header may begin in them. */
  private tail = Buffer.alloc(0);

  /** Scans the next slice of the member's data. */
  scan(slice: Uint8Array): void {
    if (this.first >= 0) return;
    const b = Buffer.from(slice.buffer, slice.byteOffset, slice.length);
    // Headers beginning in the tail, completed by this slice.
    if (this.tail.length > 0) {
      const joined = Buffer.concat([this.tail, b.subarray(0, HEADER_BYTES - 1)]);
      for (let p = 0; p < this.tail.length && p + HEADER_BYTES <= joined.length; p++) {
        if (plausibleHeader(joined, p)) { this.first = this.fed - this.tail.length + p; return; }
      }
    }
    for (let p = b.indexOf(GZIP_MAGIC); p >= 0 && p + HEADER_BYTES <= b.length; p = b.indexOf(GZIP_MAGIC, p + 1)) {
      if (plausibleHeader(b, p)) { this.first = this.fed + p; return; }
    }
    this.fed += b.length;
    const keep = Math.min(HEADER_BYTES - 1, this.tail.length + b.length);
    this.tail = Buffer.concat([this.tail, b.subarray(Math.max(0, b.length - keep))]).subarray(-keep);
  }
}

/** A member header's fixed part (RFC 1952 2.3): ID1, ID2, CM, FLG, MTIME (4), XFL, OS. */
const HEADER_BYTES = 10;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

function plausibleHeader(b: Uint8Array, p: number): boolean {
  if (b[p] !== 0x1f || b[p + 1] !== 0x8b || b[p + 2] !== 0x08 || (b[p + 3]! & FRESERVED) !== 0) return false;
  const xfl = b[p + 8]!;
  const os = b[p + 9]!;
  return (xfl === 0 || xfl === 2 || xfl === 4) && (os <= 13 || os === 255);
}

/** Reads a member's header (RFC 1952 section 2.3.1), throwing with zlib's words where it is none. */
async function readHeader(input: Input): Promise<void> {
  // (a byte that cannot begin a header is none, even when it is the input's last)
  if (!(await input.has(1)) || input.at(0) !== 0x1f) throw new Error('incorrect header check');
  if (!(await input.has(2))) throw new Error('unexpected end of file');
  if (input.at(1) !== 0x8b) throw new Error('incorrect header check');
  if (!(await input.has(10))) throw new Error('unexpected end of file');
  if (input.at(2) !== 8) throw new Error('unknown compression method');
  const flags = input.at(3);
  if ((flags & FRESERVED) !== 0) throw new Error('unknown header flags set');
  let n = 10;
  if ((flags & FEXTRA) !== 0) {
    if (!(await input.has(n + 2))) throw new Error('unexpected end of file');
    n += 2 + (input.at(n) | (input.at(n + 1) << 8));
    if (!(await input.has(n))) throw new Error('unexpected end of file');
  }
  for (const field of [FNAME, FCOMMENT]) {
    if ((flags & field) === 0) continue;
    // zero-terminated
    const zero = await input.zeroFrom(n, MAX_FIELD);
    if (zero === undefined) {
      if (!(await input.has(n + MAX_FIELD + 1))) throw new Error('unexpected end of file');
      throw new Error(`a header's ${field === FNAME ? 'file name' : 'comment'} runs over ${MAX_FIELD} bytes without its end`);
    }
    n = zero + 1;
  }
  if ((flags & FHCRC) === 0) {
    input.take(n);
    return;
  }
  if (!(await input.has(n + 2))) throw new Error('unexpected end of file');
  // FHCRC: the low 16 bits of the header's CRC-32
  const header = input.take(n + 2);
  if ((header[n]! | (header[n + 1]! << 8)) !== (crc32(header.subarray(0, n), 0) & 0xffff)) throw new Error('header crc mismatch');
}

/** Zero bytes to the end of input are padding; anything after them is an error that counts them. */
async function afterPadding(input: Input): Promise<void> {
  let bytes = 0;
  let data = false;
  for (let c = await input.next(); c !== undefined; c = await input.next()) {
    bytes += c.length;
    if (!data) data = c.some((b) => b !== 0);
  }
  if (data) throw new AfterLastMember(`the ${bytes} bytes after its end begin with zero padding and go on with data, which is not read`);
}

/** The bytes left in the input, read to its end. */
async function restLength(input: Input): Promise<number> {
  let bytes = 0;
  for (let c = await input.next(); c !== undefined; c = await input.next()) bytes += c.length;
  return bytes;
}

/**
 * One member's deflate data, inflated: its output as it comes, and what of the last input it did
 * not use put back (its trailer, and whatever follows).
 */
async function* inflateMember(input: Input, starts: MemberStarts): AsyncGenerator<Uint8Array> {
  const inflate = zlib.createInflateRaw({ chunkSize: OUTPUT_CHUNK });
  const out: Uint8Array[] = [];
  let ended = false;
  let failure: Error | undefined;
  inflate.on('data', (c: Uint8Array) => out.push(c));
  inflate.on('end', () => { ended = true; });
  inflate.on('error', (e: Error) => { failure ??= e; });
  /** Bytes handed to inflate for this member. */
  let fed = 0;
  let sliceBytes = INPUT_SLICE;
  try {
    for (;;) {
      const chunk = await input.next();
      if (chunk === undefined) {
        // The input ends inside the member: zlib says so ("unexpected end of file"), or the member
        // ended with the input's last byte and its trailer is missing (found by the caller).
        if (!ended && failure === undefined) await settled(inflate, () => inflate.end());
        yield* out.splice(0);
        if (failure !== undefined) throw failure;
        return;
      }
      for (let end = 0; end < chunk.length;) {
        const slice = chunk.subarray(end, Math.min(chunk.length, end + sliceBytes));
        end += slice.length;
        fed += slice.length;
        starts.scan(slice);
        await new Promise<void>((resolve) => {
          const done = (): void => { inflate.off('error', done); resolve(); };
          inflate.once('error', done);
          inflate.write(slice, done);
        });
        sliceBytes = nextSlice(slice.length, out);
        // Input left unused is past the member's end (zlib reads nothing after it); its last output
        // comes with the stream's end.
        const unused = fed - inflate.bytesWritten;
        if (unused > 0 && !ended && failure === undefined) await settled(inflate, () => undefined);
        yield* out.splice(0);
        if (failure !== undefined) throw failure;
        if (unused > 0) {
          input.putBack(chunk.subarray(end - unused));
          return;
        }
      }
    }
  } finally {
    inflate.destroy();
  }
}

/** The next slice's size, after one of `sliced` bytes gave `out`: smaller where the data expands more than text does. */
function nextSlice(sliced: number, out: readonly Uint8Array[]): number {
  let produced = 0;
  for (const c of out) produced += c.length;
  return produced <= HELD_OUTPUT ? INPUT_SLICE : Math.max(MIN_SLICE, Math.floor((sliced * HELD_OUTPUT) / produced));
}

/** Runs `start` and waits for the stream's end or error. */
function settled(stream: zlib.InflateRaw, start: () => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('end', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('end', done);
    stream.once('error', done);
    start();
  });
}

/** CRC-32 as gzip computes it: zlib's own where this Node has it (20.15, 22.2), else a table's. */
const crc32: (data: Uint8Array, crc: number) => number = typeof zlib.crc32 === 'function'
  ? (data, crc) => zlib.crc32(data, crc)
  : tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Uint8Array, crc: number): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The table CRC-32, for tests to compare with zlib's. */
export const tableCrc32ForTest = tableCrc32;
