/**
 * Opening trace inputs: files or standard input, as byte streams (decompressed), with a peek for
 * format sniffing. Which format an input is, is the registry's (registry.ts).
 */
import type { DecodedChunk } from './ftrace/decoded.js';
import { closeSync, fstatSync, openSync, read, readSync, statSync } from 'node:fs';
import { decompressStream, sniffCompression, undecodedFormat, type Compression } from './decompress.js';
import { AfterLastMember } from './gzip.js';
import { UnreadableStream } from './unreadable.js';

export interface OpenedInput {
  name: string;
  /** The stream, including the peeked bytes. */
  chunks: AsyncIterable<Uint8Array>;
  head: Uint8Array;
  /**
   * Set when a compressed stream turns out cut short or damaged part-way: the data decoded up to
   * there has been delivered, and the stream then ends as if the file ended there.
   */
  cut?: { message: string; bytes: number; damaged?: boolean } | undefined;
  /** The compression the stream was decoded from, if any: only its end vouches for the text before it (`cut`). */
  compression?: Compression | undefined;
  /**
   * The same stream with records already decoded (a trace.dat: text first, then DecodedChunks, see
   * ftrace/decoded.ts), for a reader that takes them; `chunks` is then the same records as text.
   */
  decoded?: AsyncIterable<Uint8Array | DecodedChunk>;
  /** The records of `decoded` decoded afresh from the same bytes (held in memory), for a second read. */
  decodedAgain?: () => AsyncIterable<Uint8Array | DecodedChunk>;
}

/** Opens a path ('-' = stdin) and peeks its first chunk. Throws a readable Error if it cannot be read. */
export async function openInput(path: string): Promise<OpenedInput> {
  const stream: AsyncIterable<Uint8Array> = path === '-' ? process.stdin : fileChunks(path);
  const it = stream[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await it.next();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`cannot read trace '${path}': ${why}`, { cause: e });
  }
  const head = first.done ? new Uint8Array() : withoutBom(first.value);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield head;
    while (true) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  const name = path === '-' ? '<stdin>' : path;
  const undecoded = undecodedFormat(head);
  if (undecoded !== undefined) {
    throw new Error(`cannot read trace '${path}': a ${undecoded.name} file, which kinv does not decode (it reads gzip, xz and zstd); `
      + `decode it first: \`${undecoded.decode} | kinv check -\``);
  }
  // Compressed captures (trace.gz, trace.xz, trace.zst) are decoded transparently, by content.
  const compression = sniffCompression(head);
  if (compression !== undefined) {
    const uit = decompressStream(compression, all())[Symbol.asyncIterator]();
    const label: Compression = compression;
    let ufirst: IteratorResult<Uint8Array>;
    try {
      ufirst = await uit.next();
    } catch (e) {
      const why = (e as Error).message;
      // Cut before its first block's end, the stream decodes to nothing, but is the file it says it is;
      // so is a stream whose members hold no data, followed by bytes that are none.
      if (CUT_SHORT.test(why) || e instanceof AfterLastMember) {
        const cut = CUT_SHORT.test(why)
          ? { message: `the ${label} stream is cut short before any data could be decoded (${why})`, bytes: 0 }
          : stoppedAt(label, e, 0);
        return { name, chunks: (async function* () { /* nothing decoded */ })(), head: new Uint8Array(), cut, compression };
      }
      const what = e instanceof UnreadableStream ? `${label === 'xz' ? 'an' : 'a'} ${label} file this decoder cannot read` : `not a valid ${label} file`;
      throw new Error(`cannot read trace '${path}': ${what} (${why})`, { cause: e });
    }
    const uhead = ufirst.done ? new Uint8Array() : withoutBom(ufirst.value);
    // The xz decoder serves one stream at a time in a process: a peeked file that kept it would
    // stall a second read of the same file (the entry count of a `trace` header is checked that
    // way). So a file's peek lets go of it here, and the file is decoded afresh when it is read
    // (a pipe, `<(cat trace.xz)`, cannot be opened afresh: it keeps its decoder, as standard input does).
    const again = compression === 'xz' && path !== '-' && isRegularFile(path);
    if (again) await uit.return?.(undefined);
    const opened: OpenedInput = { name, chunks: rest(), head: uhead, compression };
    // Decoded as far as it goes: a cut capture still holds every record before the cut.
    async function* rest(): AsyncGenerator<Uint8Array> {
      let bytes = 0;
      let src = uit;
      if (again) src = decompressStream(compression!, fileChunks(path))[Symbol.asyncIterator]();
      else if (!ufirst.done) { bytes += ufirst.value.length; yield uhead; }
      try {
        while (true) {
          let n: IteratorResult<Uint8Array>;
          try {
            n = await src.next();
          } catch (e) {
            opened.cut = stoppedAt(label, e, bytes);
            return;
          }
          if (n.done) return;
          const chunk = bytes === 0 ? withoutBom(n.value) : n.value;
          bytes += n.value.length;
          yield chunk;
        }
      } finally {
        // A reader that stops early lets go of the decoder (see above).
        await src.return?.(undefined);
      }
    }
    return opened;
  }
  return { name, chunks: all(), head };
}

/** Where a compressed stream stopped decoding after `bytes` of data, with the decoder's error `e`. */
function stoppedAt(label: Compression, e: unknown, bytes: number): NonNullable<OpenedInput['cut']> {
  const why = (e as Error).message;
  // Bytes after the gzip stream come after whole members, their checksums verified: what decoded
  // is the file's own, whole, and the capture may go on in them, as a cut's may.
  if (e instanceof AfterLastMember) {
    return { message: `the gzip stream's members decode whole and verified (${bytes} bytes of data), and ${why}: the capture may go on in them`, bytes };
  }
  // A later frame this decoder will not read: what decoded before it is the file's own, as before a cut.
  if (e instanceof UnreadableStream) {
    return { message: `the ${label} stream goes on, after ${bytes} bytes of data, in a part this decoder cannot read (${why})`, bytes };
  }
  // Cut short, what decoded before the cut is the file's own; damaged (a check or a code that
  // fails), what decoded may be garbled anywhere: a changed literal decodes on, and only the
  // stream's checksum at its end finds it (see `damaged` in checker/file.ts).
  return { message: `the ${label} stream is damaged or cut short after ${bytes} bytes of data (${why})`, bytes, damaged: !CUT_SHORT.test(why) };
}

/** What the decoders say of an input that ends inside a compressed block or frame (zlib, xz, zstd). */
const CUT_SHORT = /unexpected end of file|ends before the end of the/;

/** Bytes read from a file at a time. */
const CHUNK = 1 << 20;

/**
 * A file's bytes in chunks of up to CHUNK, as `createReadStream(path, { highWaterMark: CHUNK })`
 * gives them (the same reads, the same errors at the first chunk), without loading Node's stream
 * modules; and a regular file read synchronously, so that a short check never starts libuv's
 * thread pool (the two were a fifth of its start). Anything else (a pipe, `<(zcat trace.gz)`) is
 * read in the thread pool, as a stream reads it. A chunk shorter than a read's buffer is a copy, so
 * that it holds no more memory than its bytes. Returning early closes the file.
 */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const regular = fstatSync(fd).isFile();
    for (;;) {
      const buf = Buffer.allocUnsafeSlow(CHUNK);
      const n = regular ? readSync(fd, buf, 0, CHUNK, null)
        : await new Promise<number>((resolve, reject) => read(fd, buf, 0, CHUNK, null, (e, n) => (e ? reject(e) : resolve(n))));
      if (n === 0) return;
      if (n === CHUNK) yield buf;
      else {
        const part = Buffer.allocUnsafeSlow(n);
        buf.copy(part, 0, 0, n);
        yield part;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The chunk without a leading UTF-8 byte order mark: editors on some systems write one, and it
 * would hide the `{` of the first record from sniffing and from the JSON parser.
 */
function withoutBom(chunk: Uint8Array): Uint8Array {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk;
}

/** Reads at least `bytes` from the front of a stream, and returns them with the whole stream again. */
export async function peek<T extends Uint8Array | DecodedChunk>(stream: AsyncIterable<T>, bytes: number,
): Promise<{ head: Uint8Array[]; all: AsyncIterable<T> }> {
  const it = stream[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  const taken: T[] = [];
  let n = 0;
  let done = false;
  while (n < bytes) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    taken.push(r.value);
    // (decoded records come after a trace.dat's text: not part of the text head)
    if (!(r.value instanceof Uint8Array)) break;
    head.push(r.value);
    n += r.value.length;
  }
  async function* all(): AsyncGenerator<T> {
    yield* taken;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, all: all() };
}

/** Whether `path` can be opened again for a second read (a pipe, `<(zcat trace.gz)`, cannot). */
export function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // (opened again, it fails as that read reports)
  }
}
