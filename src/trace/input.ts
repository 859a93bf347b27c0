/** Opening trace inputs: files or standard input, as byte streams, with a peek for format sniffing. */
import { createReadStream } from 'node:fs';

export type TraceFormat = 'ndjson' | 'ftrace';

export interface OpenedInput {
  name: string;
  /** The stream, including the peeked bytes. */
  chunks: AsyncIterable<Uint8Array>;
  head: Uint8Array;
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
  const head = first.done ? new Uint8Array() : first.value;
  async function* all(): AsyncGenerator<Uint8Array> {
    if (!first.done) yield first.value;
    while (true) {
      const n = await it.next();
      if (n.done) return;
      yield n.value;
    }
  }
  return { name: path === '-' ? '<stdin>' : path, chunks: all(), head };
}

/** NDJSON starts with `{` (after blank space); anything else is taken as ftrace text. */
export function sniffFormat(head: Uint8Array): TraceFormat | 'empty' {
  for (const b of head) {
    if (b === 32 || b === 9 || b === 10 || b === 13) continue;
    return b === 123 ? 'ndjson' : 'ftrace';
  }
  return 'empty';
}
