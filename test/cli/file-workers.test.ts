/**
 * The worker pool of `check --jobs` and `conform --jobs`: findings come in file order whatever order
 * the workers finish in, and a worker that fails, dies or exits fails its file in its turn, after
 * the findings of the files before it, as the in-process run would have thrown there.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { inWorkers, workersFor, type WorkerMessage } from '../../src/cli/file-workers.js';

const STUB = new URL('./fixtures/stub-worker.ts', import.meta.url);

type StubMessage = WorkerMessage & { file?: string };

async function run(files: string[], jobs: number, setup: object): Promise<{ said: string[]; error: string | undefined }> {
  const said: string[] = [];
  let error: string | undefined;
  await inWorkers<StubMessage>(files, jobs, STUB, setup, (m) => {
    if (m.kind === 'said') said.push(m.file!);
    return m.kind === 'done';
  }).catch((e: Error) => { error = e.message; });
  return { said, error };
}

describe('inWorkers', () => {
  it('hands findings on in file order when a later file finishes first', async () => {
    expect(await run(['a', 'b', 'c'], 2, { delay: { a: 300 } })).toEqual({ said: ['a', 'b', 'c'], error: undefined });
  });

  it('a worker that dies on a file fails it after the findings of the files before it', async () => {
    expect(await run(['a', 'b', 'c'], 2, { delay: { a: 400 }, crash: 'b' })).toEqual({ said: ['a'], error: 'stub died on b' });
  });

  it('a worker that exits (code 0) before its file is done fails it: no hang, no output cut silently', async () => {
    const r = await run(['a', 'b', 'c'], 2, { delay: { a: 400 }, exit: 'b' });
    expect(r.said).toEqual(['a']);
    expect(r.error).toMatch(/^a worker thread of kinv exited with code 0 before its files were done/);
    // With its only worker gone, the files not yet given fail too.
    const alone = await run(['a', 'b', 'c'], 1, { exit: 'b' });
    expect(alone).toEqual({ said: ['a'], error: expect.stringMatching(/exited with code 0/) as unknown as string });
  });

  it('an internal error a worker posts is thrown in its file\'s turn', async () => {
    expect(await run(['a', 'b', 'c'], 3, { delay: { a: 300 }, fail: 'c' })).toEqual({ said: ['a', 'b'], error: 'stub failed on c' });
  });

  it('no files: done at once, no worker started', async () => {
    expect(await run([], 2, {})).toEqual({ said: [], error: undefined });
  });
});

describe('workersFor', () => {
  it('one file or standard input: this thread; --jobs: at most one worker per file', () => {
    expect(workersFor(['a'], 4, 1)).toBe(1);
    expect(workersFor(['a', '-'], 4, 1)).toBe(1);
    expect(workersFor(['a', 'b'], 4, 1)).toBe(2);
    expect(workersFor(['a', 'b', 'c'], 2, 1)).toBe(2);
  });

  it('unset: a worker per so many bytes of trace text, a compressed capture counting as about 16 times its size', () => {
    // traces/kernel/trace.gz: 616,337 bytes (11.3 MB of text); two of it count 19.7 MB: two workers of 9 MB each, not of 10.
    const gz = 'traces/kernel/trace.gz';
    expect(workersFor([gz, gz], undefined, 9 << 20)).toBe(availableParallelism() >= 2 ? 2 : 1);
    expect(workersFor([gz, gz], undefined, 10 << 20)).toBe(1);
    // A plain file counts its bytes: traces/ftrace/kprobe-probeset.txt is a few KB.
    expect(workersFor(['traces/ftrace/kprobe-probeset.txt', 'traces/ftrace/kprobe-probeset.txt'], undefined, 16 << 20)).toBe(1);
  });
});
