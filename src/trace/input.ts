/** Opening trace inputs: files or standard input, as byte streams, with a peek for format sniffing. */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export type TraceFormat = 'ndjson' | 'ftrace';

export interface OpenedInput {
  name: string;
  /** The stream, including the peeked bytes. */
  chunks: AsyncIterable<Uint8Array>;
  head: Uint8Array;
  /**
   * Set when a compressed stream turns out cut short or damaged part-way: the data decoded up to
   * there has been delivered, and the stream then ends as if the file ended there.
   */
  cut?: { message: string; bytes: number } | undefined;
}

/** Opens a path ('-' = stdin) and peeks its first chunk. Throws a readable Error if it cannot be read. */
export async function openInput(path: string): Promise<OpenedInput> {
  const stream: AsyncIterable<Uint8Array> = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
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
  // gzip-compressed captures (trace.gz) are read through zlib, transparently.
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const unzipped = Readable.from(all()).pipe(createGunzip());
    const uit = (unzipped as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    let ufirst: IteratorResult<Uint8Array>;
    try {
      ufirst = await uit.next();
    } catch (e) {
      throw new Error(`cannot read trace '${path}': not a valid gzip file (${(e as Error).message})`, { cause: e });
    }
    const uhead = ufirst.done ? new Uint8Array() : withoutBom(ufirst.value);
    const opened: OpenedInput = { name, chunks: rest(), head: uhead };
    // Decoded as far as it goes: a cut capture still holds every record before the cut.
    async function* rest(): AsyncGenerator<Uint8Array> {
      let bytes = 0;
      if (!ufirst.done) { bytes += ufirst.value.length; yield uhead; }
      while (true) {
        let n: IteratorResult<Uint8Array>;
        try {
          n = await uit.next();
        } catch (e) {
          opened.cut = { message: `the gzip stream is damaged or cut short after ${bytes} bytes of data (${(e as Error).message})`, bytes };
          return;
        }
        if (n.done) return;
        bytes += n.value.length;
        yield n.value;
      }
    }
    return opened;
  }
  return { name, chunks: all(), head };
}

/**
 * The chunk without a leading UTF-8 byte order mark: editors on some systems write one, and it
 * would hide the `{` of the first record from sniffing and from the JSON parser.
 */
function withoutBom(chunk: Uint8Array): Uint8Array {
  return chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? chunk.subarray(3) : chunk;
}

/**
 * NDJSON starts with `{` (after blank space). A first line that is damaged does not make the rest
 * ftrace: when most of the first lines of the head start with `{` (no ftrace line does), it is
 * NDJSON with a bad line, reported as one. Anything else is taken as ftrace text.
 */
export function sniffFormat(head: Uint8Array): TraceFormat | 'empty' {
  let lines = 0;
  let braces = 0;
  let first: TraceFormat | undefined;
  let atStart = true;
  for (let i = 0; i < head.length && lines < 100; i++) {
    const b = head[i]!;
    if (b === 10) { atStart = true; continue; }
    if (!atStart || b === 32 || b === 9 || b === 13) continue;
    atStart = false;
    lines++;
    if (b === 123) braces++;
    first ??= b === 123 ? 'ndjson' : 'ftrace';
  }
  if (first === undefined) return 'empty';
  if (first === 'ndjson' || braces * 2 > lines) return 'ndjson';
  return 'ftrace';
}
