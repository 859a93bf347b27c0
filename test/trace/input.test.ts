/**
 * Trace files read without Node's streams (src/trace/input.ts): the same bytes in the same chunks
 * as `createReadStream(path, { highWaterMark: 1 MiB })` gives, a regular file read synchronously
 * and a pipe through the thread pool, and the same errors at the first chunk.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { fileChunks, openInput } from '../../src/trace/input.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-input-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function chunksOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of stream) out.push(Buffer.from(c));
  return out;
}

describe('fileChunks', () => {
  it('gives a regular file in the chunks a read stream gives, byte for byte', async () => {
    for (const size of [0, 1, 1 << 20, (1 << 20) + 1, 2.5 * (1 << 20)]) {
      const path = join(tmp, `file-${size}`);
      writeFileSync(path, randomBytes(size));
      const mine = await chunksOf(fileChunks(path));
      const theirs = await chunksOf(createReadStream(path, { highWaterMark: 1 << 20 }));
      expect(mine.map((c) => c.length), String(size)).toEqual(theirs.map((c) => c.length));
      expect(Buffer.concat(mine).equals(Buffer.concat(theirs)), String(size)).toBe(true);
    }
  });

  it('reads a named pipe as its writer writes it', async () => {
    const data = randomBytes(3 * (1 << 19));
    const file = join(tmp, 'pipe-source');
    writeFileSync(file, data);
    const fifo = join(tmp, 'fifo');
    await new Promise<void>((resolve, reject) => spawn('mkfifo', [fifo]).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`mkfifo ${c}`)))));
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, fifo]);
    // (listened to at once: the writer may end while the pipe is still being read)
    const written = new Promise((resolve) => writer.on('exit', resolve));
    const got = Buffer.concat(await chunksOf(fileChunks(fifo)));
    expect(await written).toBe(0);
    expect(got.equals(data)).toBe(true);
  });

  it('fails at the first chunk as a read stream does: no such file, a folder', async () => {
    const missing = join(tmp, 'missing');
    const folder = join(tmp, 'folder');
    mkdirSync(folder);
    for (const path of [missing, folder]) {
      const mine = await fileChunks(path).next().catch((e: NodeJS.ErrnoException) => e);
      const theirs = await createReadStream(path)[Symbol.asyncIterator]().next().catch((e: NodeJS.ErrnoException) => e);
      expect(mine).toBeInstanceOf(Error);
      expect((mine as NodeJS.ErrnoException).code).toBe((theirs as NodeJS.ErrnoException).code);
      expect((mine as Error).message).toBe((theirs as Error).message);
    }
    await expect(openInput(missing)).rejects.toThrow(`cannot read trace '${missing}': no such file`);
    await expect(openInput(folder)).rejects.toThrow(`cannot read trace '${folder}': is a folder`);
  });

  it('peeks a file and then gives it whole', async () => {
    const path = join(tmp, 'peeked.ndjson');
    const text = '{"pid":1}\n'.repeat(200_000);
    writeFileSync(path, text);
    const input = await openInput(path);
    expect(Buffer.from(input.head).toString('latin1')).toBe(text.slice(0, input.head.length));
    expect(Buffer.concat(await chunksOf(input.chunks)).toString('latin1')).toBe(text);
  });
});
