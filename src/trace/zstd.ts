/**
 * Zstandard decoded frame by frame (RFC 8878), each frame's content checksum verified.
 *
 * The decoder (`fzstd`, pure JavaScript) decodes frames but does not verify their checksums: a
 * changed bit in a compressed block decoded to garbled text without a word (every second
 * single-bit change of a test `.zst` did). Here the frames and their blocks are walked by their
 * sizes, each frame's blocks are handed to a decoder of its own as they come, its output is hashed
 * (XXH64, by `xxhash-wasm`), and the checksum after the frame's last block (present unless the
 * file was made with `zstd --no-check`) must match. A frame that declares its content size must
 * decode to that size. Skippable frames are skipped.
 *
 * Errors say "the input ends before the end of the zstd frame" of a cut (input.ts reads it as one),
 * anything else of damage.
 */
import { createRequire } from 'node:module';
import { ByteInput } from './byte-input.js';
import { UnreadableStream } from './unreadable.js';

const FRAME_MAGIC = 0xfd2fb528;
/** Skippable frames' magic numbers: 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE = 0x184d2a50;
const CUT = 'the input ends before the end of the zstd frame';
/**
 * The largest window a frame may ask for: 128 MiB, the `zstd` tool's own limit without `--long=31`
 * or `--memory`. The decoder allocates the window a header declares (up to 2 GiB) before it
 * reads a block: a changed header bit asking for one took 26 s and 2 GiB.
 */
const WINDOW_LIMIT = 1 << 27;

interface Hasher { update(input: Uint8Array): Hasher; digest(): bigint }

/** The decoded bytes of a stream of zstd frames, each verified by its checksum where it has one. */
export async function* zstdFrames(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // (not named `require`: in the one-script build, `import.meta.url` becomes a call of `require`)
  const load = createRequire(import.meta.url);
  const { Decompress } = load('fzstd') as typeof import('fzstd');
  const xxhash = await (load('xxhash-wasm') as () => Promise<{ create64(seed?: bigint): Hasher }>)();
  const input = new ByteInput(compressed[Symbol.asyncIterator]());
  try {
    for (let frame = 0; ; frame++) {
      if (!(await input.has(1))) {
        if (frame === 0) throw new Error(CUT);
        return;
      }
      if (!(await input.has(4))) throw new Error(CUT);
      const magic = le(input.take(4), 4);
      if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE) {
        if (!(await input.has(4))) throw new Error(CUT);
        const size = le(input.take(4), 4);
        if (!(await input.has(size))) throw new Error(CUT);
        input.take(size);
        continue;
      }
      if (magic !== FRAME_MAGIC) throw new Error(frame === 0 ? 'not a zstd frame' : 'invalid zstd data: the bytes after a frame begin no frame');
      yield* decodeFrame(input, Decompress, xxhash.create64(0n));
    }
  } finally {
    await input.return();
  }
}

/** One frame after its magic number: its output as its blocks come, verified at its end. */
async function* decodeFrame(
  input: ByteInput, Decompress: typeof import('fzstd').Decompress, hash: Hasher,
): AsyncGenerator<Uint8Array> {
  if (!(await input.has(1))) throw new Error(CUT);
  const descriptor = input.at(0);
  if ((descriptor & 0x08) !== 0) throw new Error('invalid zstd data: a frame header\'s reserved bit is set');
  const sizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const checksummed = ((descriptor >> 2) & 1) === 1;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!;
  const sizeBytes = sizeFlag === 0 ? singleSegment : 1 << sizeFlag;
  const headerBytes = 1 + (singleSegment === 1 ? 0 : 1) + dictionaryBytes + sizeBytes;
  if (!(await input.has(headerBytes))) throw new Error(CUT);
  const header = input.take(headerBytes);
  let declared: number | undefined;
  if (sizeBytes > 0) declared = le(header.subarray(headerBytes - sizeBytes), sizeBytes) + (sizeBytes === 2 ? 256 : 0);
  const refusal = windowRefusal(singleSegment === 1 ? declared! : windowSize(header[1]!));
  if (refusal !== undefined) throw new UnreadableStream(`${refusal}; read it with \`zstd -dc --long=31 FILE | kinv check -\``);

  const out: Uint8Array[] = [];
  // The decoder may reuse its window for later output: a copy of what it hands over is kept.
  const decoder = new Decompress((chunk) => { out.push(chunk.slice()); });
  const magic = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd);
  decoder.push(Buffer.concat([magic, header]));
  let produced = 0;
  const handOn = function* (): Generator<Uint8Array> {
    for (const c of out.splice(0)) {
      hash.update(c);
      produced += c.length;
      if (declared !== undefined && produced > declared) {
        throw new Error(`zstd frame content size mismatch: more than the ${declared} bytes its header declares`);
      }
      yield c;
    }
  };
  for (;;) {
    if (!(await input.has(3))) throw endsInFrame(checksummed, produced);
    const blockHeader = le(input.take(3), 3);
    const last = (blockHeader & 1) === 1;
    const type = (blockHeader >> 1) & 3;
    if (type === 3) throw new Error('invalid zstd data: a block of the reserved type');
    const contentBytes = type === 1 ? 1 : blockHeader >>> 3;
    if (!(await input.has(contentBytes))) throw endsInFrame(checksummed, produced);
    const block = Buffer.concat([Uint8Array.of(blockHeader & 0xff, (blockHeader >> 8) & 0xff, blockHeader >>> 16), input.take(contentBytes)]);
    try {
      decoder.push(block, last && !checksummed);
    } catch (e) {
      yield* handOn();
      const why = (e as Error).message;
      throw new Error(why.startsWith('invalid zstd data') ? why : `invalid zstd data (${why})`, { cause: e });
    }
    yield* handOn();
    if (last) break;
  }
  if (checksummed) {
    const whole = await input.has(4);
    const checksum = input.take(whole ? 4 : input.heldBytes);
    // The decoder reads past the checksum itself and ends the frame there; it holds back a frame
    // shorter than 18 bytes until then, so its output comes only now.
    try {
      decoder.push(checksum, true);
    } catch (e) {
      if (whole) throw new Error(`invalid zstd data (${(e as Error).message})`, { cause: e });
    }
    yield* handOn();
    const digest = Number(hash.digest() & 0xffffffffn);
    if (!whole) throw cutInChecksum(checksum, digest);
    if (le(checksum, 4) !== digest) throw new Error('zstd content checksum mismatch');
  }
  if (declared !== undefined && produced !== declared) {
    throw new Error(`zstd frame content size mismatch: ${produced} bytes where its header declares ${declared}`);
  }
}

/**
 * The input ends inside a frame's blocks. A cut does that; so does a changed block size, which
 * makes the walk take the blocks after it for the block's content (decoded, without a word, to
 * garbled text) and then read a block size out of the data, past the end of the file: a third of
 * the single-bit changes of a test file's block headers did so. Only the checksum tells them
 * apart, so a checksummed frame that decoded text and ends so is taken as damaged. A frame without
 * a checksum is no more verified whole than plain text is, and is a cut.
 */
function endsInFrame(checksummed: boolean, produced: number): Error {
  if (!checksummed || produced === 0) return new Error(CUT);
  return new Error('the input ends inside a zstd frame, before its checksum: the text decoded from it is not verified, and a changed block size '
    + 'reads the same way (a cut file can be checked as it is with `zstd -dc FILE | kinv check -`)');
}

/**
 * The input ends inside a frame's checksum: a cut, or damage that made the last block's size take
 * in bytes of the checksum (the block then decodes, without a word, to garbled text of the right
 * length). The checksum's bytes that are there must match the text decoded; when none is there,
 * nothing verifies it, and it is taken as damage.
 */
function cutInChecksum(part: Uint8Array, digest: number): Error {
  for (let i = 0; i < part.length; i++) {
    if (part[i] !== ((digest >>> (8 * i)) & 0xff)) {
      return new Error(`zstd content checksum mismatch: the ${part.length} of its 4 bytes the input ends with do not match the text decoded`);
    }
  }
  if (part.length === 0) return new Error("the input ends where the zstd frame's checksum begins: nothing verifies the text decoded, which may be damaged");
  return new Error(CUT);
}

/** Why a frame that needs a window of `window` bytes is not decoded, or undefined when it is. */
function windowRefusal(window: number): string | undefined {
  if (window <= WINDOW_LIMIT) return undefined;
  return `its frame needs a ${mebibytes(window)} window, more than the 128 MiB this reader allows (as the zstd tool does without --long=31)`;
}

/**
 * Why the zstd frame that `frame` begins with (its magic number first) is not decoded, by the
 * window its header asks for; undefined when it is, or when `frame` begins no frame header (the
 * decoder then says what is wrong). For a frame decoded whole at once (trace.dat's sections).
 */
export function frameWindowRefusal(frame: Uint8Array): string | undefined {
  if (frame.length < 6 || le(frame, 4) !== FRAME_MAGIC) return undefined;
  const descriptor = frame[4]!;
  if ((descriptor & 0x20) === 0) return windowRefusal(windowSize(frame[5]!));
  const sizeBytes = [1, 2, 4, 8][descriptor >> 6]!;
  const at = 5 + [0, 1, 2, 4][descriptor & 3]!;
  if (frame.length < at + sizeBytes) return undefined;
  return windowRefusal(le(frame.subarray(at), sizeBytes) + (sizeBytes === 2 ? 256 : 0));
}

/** The window size a frame header's window descriptor byte gives (RFC 8878 3.1.1.1.2). */
function windowSize(descriptor: number): number {
  const base = 2 ** (10 + (descriptor >> 3));
  return base + (base / 8) * (descriptor & 7);
}

function mebibytes(bytes: number): string {
  return bytes >= 2 ** 40 ? `${(bytes / 2 ** 40).toFixed(0)} TiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** The little-endian number of the first `n` bytes of `b` (exact below 2^53). */
function le(b: Uint8Array, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
}
