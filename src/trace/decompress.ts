/**
 * Compressed trace inputs, told apart by their magic bytes (never by the file name: logs are
 * shared renamed, piped and attached), and decoded as streams so that a large capture is never
 * held whole in memory.
 *
 * gzip is Node's own zlib, its members framed by gzip.ts. Node 20 has neither xz nor zstd, so
 * those use two small pure-JavaScript (or WebAssembly) decoders without native add-ons, which
 * install anywhere Node runs: `xz-decompress` (XZ Embedded, the decoder the kernel itself uses,
 * compiled to WebAssembly) and `fzstd` (a Zstandard decoder in plain JavaScript, its frames framed
 * and their checksums verified by zstd.ts with `xxhash-wasm`). All are pinned exactly in package.json.
 * xz-decompress decodes one stream at a time in a process (its decoder contexts share one
 * WebAssembly instance): a second xz stream waits until the first ends or is cancelled, so a
 * reader of two xz streams must take them one after the other (see input.ts and checker/file.ts).
 * Each decoder is loaded when a stream of its kind is first read: loading xz-decompress (and the
 * web streams it uses) was a tenth of every check's start.
 */
import { createRequire } from 'node:module';
import { gunzipMembers } from './gzip.js';
import { UnreadableStream } from './unreadable.js';
import { zstdFrames } from './zstd.js';

export type Compression = 'gzip' | 'xz' | 'zstd';

const MAGIC: readonly { kind: Compression; bytes: readonly number[] }[] = [
  { kind: 'gzip', bytes: [0x1f, 0x8b] },
  // xz: 0xFD '7zXZ' 0x00 (the .xz file format, section 2.1.1.1).
  { kind: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  // zstd: frame magic 0xFD2FB528, little-endian (RFC 8878, section 3.1.1).
  { kind: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
];

/** Compressed and archive formats kinv does not decode, by their magic bytes, with the command that decodes each. */
const UNDECODED: readonly { name: string; bytes: readonly number[]; decode: string }[] = [
  // bzip2: "BZh", the block size ('1'-'9'), then a block's magic (pi) or the end of an empty stream (sqrt pi).
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68], decode: 'bzip2 -dc FILE' },
  { name: 'LZ4', bytes: [0x04, 0x22, 0x4d, 0x18], decode: 'lz4 -dc FILE' },
  { name: 'lzip', bytes: [0x4c, 0x5a, 0x49, 0x50], decode: 'lzip -dc FILE' },
  { name: 'zip', bytes: [0x50, 0x4b, 0x03, 0x04], decode: 'unzip -p FILE' },
  { name: '7z', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], decode: '7z x -so FILE' },
];

/**
 * What a stream's first bytes say it is when it is a compressed or archive format kinv does not
 * decode (bzip2, LZ4, lzip, zip, 7z): its name and the command that decodes it; undefined otherwise.
 */
export function undecodedFormat(head: Uint8Array): { name: string; decode: string } | undefined {
  for (const f of UNDECODED) {
    if (!startsWith(head, f.bytes)) continue;
    // (bzip2's three letters could begin a text: the block size digit and a block magic must follow)
    if (f.name === 'bzip2' && !isBzip2(head)) continue;
    return { name: f.name, decode: f.decode };
  }
  return undefined;
}

function isBzip2(head: Uint8Array): boolean {
  if (head.length < 4 || head[3]! < 0x31 || head[3]! > 0x39) return false;
  const after = head.subarray(4);
  return startsWith(after, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) || startsWith(after, [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]);
}

/** The compression a stream's first bytes announce, if any. */
export function sniffCompression(head: Uint8Array): Compression | undefined {
  for (const m of MAGIC) if (startsWith(head, m.bytes)) return m.kind;
  return undefined;
}

function startsWith(head: Uint8Array, magic: readonly number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/** The decoded bytes of a compressed stream; an error is thrown where the stream stops making sense. */
export function decompressStream(kind: Compression, compressed: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  switch (kind) {
    case 'gzip': return gunzipMembers(compressed);
    case 'xz': return xzChunks(compressed);
    case 'zstd': return zstdFrames(compressed);
  }
}

/**
 * A decoder package, loaded on first use. By require, not import(): the command line runs as one
 * CommonJS script (bin/bundle.js), where import() has no loader to call.
 */
function load<T>(name: string): T {
  return createRequire(import.meta.url)(name) as T;
}

/** XZ Embedded's error codes (xz.h, `enum xz_ret`), as words. */
const XZ_ERRORS: Record<string, string> = {
  '2': 'unsupported integrity check',
  '3': 'out of memory',
  '4': 'dictionary larger than the decoder allows',
  '5': 'not an xz stream',
  '6': 'unsupported xz options',
  '7': 'the compressed data is corrupt',
  '8': 'the input ends before the end of the xz stream',
};

/** How many of the last compressed bytes are kept to find an xz footer behind stream padding. */
const XZ_TAIL = 64;

async function* xzChunks(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const xzDecompress = load<typeof import('xz-decompress')>('xz-decompress');
  let tail: Uint8Array = new Uint8Array(0);
  /** The stream header's check type (the low 4 bits of its second flags byte, at byte 7). */
  let checkType: number | undefined;
  async function* remembered(): AsyncGenerator<Uint8Array> {
    for await (const c of compressed) {
      // (met first while `tail` still holds every byte read, fewer than 8)
      if (checkType === undefined && tail.length + c.length > 7) checkType = c[7 - tail.length]! & 0x0f;
      tail = Buffer.concat([tail, c.subarray(Math.max(0, c.length - XZ_TAIL))]).subarray(-XZ_TAIL);
      yield c;
    }
  }
  const source = remembered();
  const decoded = new xzDecompress.XzReadableStream(pulled(source));
  try {
    for await (const chunk of decoded as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (e) {
    const m = /error code (\d+)/.exec((e as Error).message);
    if (m?.[1] === '8' && endsWithXzFooter(tail)) {
      throw new Error('the data runs on to the end of the file, which ends with an xz stream footer: damaged, not cut short', { cause: e });
    }
    if (m?.[1] === '6' && checkType !== undefined && checkType > 4) {
      // XZ Embedded reads CRC-32 and CRC-64 checks; xz also writes SHA-256 (`--check=sha256`, type 10).
      const check = `type ${checkType}${checkType === 10 ? ', SHA-256' : ''}`;
      throw new UnreadableStream(`its integrity check (${check}) is not one this decoder reads (CRC-32, CRC-64); read it with \`xz -dc FILE | kinv check -\``,
        { cause: e });
    }
    throw new Error(m !== null ? (XZ_ERRORS[m[1]!] ?? (e as Error).message) : (e as Error).message, { cause: e });
  } finally {
    // (the decoder stops reading at the end of the xz stream and never lets go of its input)
    await source.return(undefined);
  }
}

/**
 * Whether the input ends as a whole xz file does: a stream footer, whose last bytes are its magic
 * "YZ", then stream padding (zero bytes, a multiple of 4). A file the decoder says ends inside its
 * stream but that ends so is whole and damaged: a changed size field (a block's uncompressed size,
 * say) let the decoder run on past the data, the text garbled, to the file's end. A cut ends so by
 * chance once in 65,536.
 */
function endsWithXzFooter(tail: Uint8Array): boolean {
  let end = tail.length;
  while (end > 0 && tail[end - 1] === 0) end--;
  return (tail.length - end) % 4 === 0 && end >= 2 && tail[end - 2] === 0x59 && tail[end - 1] === 0x5a;
}

/**
 * A web stream that reads `source` only when its reader asks for more. (Node's Readable.toWeb
 * pushes a flowing stream's data into its queue as it comes: once the xz decoder has read the end
 * of its stream and stops reading, a chunk still coming from a large file was pushed into a closed
 * queue, an uncaught error that ended kinv with an internal error.)
 */
function pulled(source: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await source.next();
      if (r.done === true) controller.close(); else controller.enqueue(r.value);
    },
    async cancel() { await source.return?.(); },
  }, { highWaterMark: 0 });
}

