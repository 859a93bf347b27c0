/**
 * The spool of an input that cannot be read twice: what was written comes back whole, the file goes
 * once read or let go of, and a spool that cannot be made or written is a readable failure of the
 * read ahead (the check then says it cannot read the input), never a partial read.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readAheadOf } from '../../src/trace/ftrace-source.js';
import type { OpenedInput } from '../../src/trace/input.js';
import { Spool } from '../../src/trace/spool.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-spool-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LINE = Buffer.from('          stat-315     [001] .....   100.000100: myprobe: (vfs_getattr+0x0/0x40) x=0x1\n', 'latin1');

/** An input that can be read once, like a pipe: `n` chunks of `LINE`s. */
function once(n: number): OpenedInput {
  const chunks = Array.from({ length: n }, (_, i) => Buffer.concat(Array.from({ length: i + 1 }, () => LINE)));
  return { name: '<pipe>', head: chunks[0]!, chunks: Readable.from(chunks) };
}

async function bytesOf(chunks: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const c of chunks) n += (c as Uint8Array).length;
  return n;
}

describe('Spool', () => {
  it('gives back what was written, then removes its file', async () => {
    const s = new Spool(tmp);
    s.write(Buffer.from('abc'));
    s.write(new Uint8Array(0));
    s.write(Buffer.from('def'));
    const parts: Buffer[] = [];
    for await (const c of s.read()) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString()).toBe('abcdef');
    expect(existsSync(s.path)).toBe(true);
    s.remove();
    expect(existsSync(s.path)).toBe(false);
    s.remove();
  });

  it('an interrupted process removes its spool, and still dies of the signal', () => {
    const dir = mkdtempSync(join(tmp, 'signal-'));
    const script = `import { Spool } from ${JSON.stringify(new URL('../../src/trace/spool.ts', import.meta.url).href)};
      const s = new Spool(${JSON.stringify(dir)}); s.write(Buffer.alloc(1 << 16));
      process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 10000);`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGINT');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a folder it cannot write in: a readable Error', () => {
    expect(() => new Spool(join(tmp, 'no', 'such'))).toThrow(/^the input cannot be kept for a second read: no temporary file in /);
  });
});

describe('readAheadOf an input read once, past the bytes kept in memory', () => {
  it('spools the rest and removes the spool when the judging read stops early', async () => {
    const dir = mkdtempSync(join(tmp, 'early-'));
    const r = await readAheadOf(once(40), { keepBytes: 1000, spoolIn: dir });
    if ('failed' in r) throw new Error(r.failed);
    expect(readdirSync(dir)).toHaveLength(1);
    for await (const c of r.chunks) { expect(c).toBeDefined(); break; }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reads every byte once: the kept ones, then the spooled ones', async () => {
    const dir = mkdtempSync(join(tmp, 'all-'));
    const r = await readAheadOf(once(40), { keepBytes: 1000, spoolIn: dir });
    if ('failed' in r) throw new Error(r.failed);
    expect(await bytesOf(r.chunks)).toBe(LINE.length * (40 * 41) / 2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('no spool to be had: the read ahead fails with the reason, instead of a part of the input', async () => {
    const r = await readAheadOf(once(40), { keepBytes: 1000, spoolIn: join(tmp, 'missing') });
    expect(r).toEqual({ failed: expect.stringMatching(/^the input cannot be kept for a second read: no temporary file in .*missing/) as unknown });
  });

  it('an input that can be opened again is never spooled', async () => {
    const dir = mkdtempSync(join(tmp, 'again-'));
    const r = await readAheadOf(once(40), { again: async () => once(40), keepBytes: 1000, spoolIn: dir });
    if ('failed' in r) throw new Error(r.failed);
    expect(readdirSync(dir)).toEqual([]);
    expect(await bytesOf(r.chunks)).toBe(LINE.length * (40 * 41) / 2);
  });
});
