/**
 * The read-ahead pass over a whole ftrace text (read-ahead.ts): the header's promise against the
 * entries the log holds, and the rwsems taken and never released, from the reader's own scan of
 * each line — tracefs heads, and trace-cmd report's bare-address heads named as the reader names them.
 */
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { ProbeSites } from '../../../src/trace/ftrace/sites.js';

async function* chunks(text: string, cut = 7): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text, 'latin1');
  for (let i = 0; i < b.length; i += cut) yield b.subarray(i, i + cut);
}

const HEADER = '# tracer: nop\n#\n# entries-in-buffer/entries-written: 5/5   #P:2\n#\n';
const rec = (ts: number, payload: string): string => `            lkwork-506     [000] .....  ${String(ts).padStart(11)}: ${payload}\n`;

describe('readAhead', () => {
  it('a header promising more entries than the log holds: the shortfall and the header line', async () => {
    const text = HEADER + rec(1, 'dr: (down_read+0x0/0x50) sem=0xffff1') + rec(2, 'ur: (up_read+0x0/0x50) sem=0xffff1');
    expect((await readAhead(chunks(text))).shortfall).toEqual({ promised: 5, counted: 2, line: 3 });
  });

  it('as many entries as promised, or a last line cut (a known place): no shortfall', async () => {
    const five = [1, 2, 3, 4, 5].map((t) => rec(t, 'sys_exit: NR 0 = 0')).join('');
    expect((await readAhead(chunks(HEADER + five))).shortfall).toBeUndefined();
    expect((await readAhead(chunks(HEADER + rec(1, 'sys_exit: NR 0 = 0') + '  lkwork-506 [000] ..'))).shortfall).toBeUndefined();
  });

  it('tracefs heads: a sem taken and never released, with the line of its first acquisition; released ones and clones', async () => {
    const text = HEADER
      + rec(1, 'drt: (down_read_trylock+0x0/0x50) sem=0xffff888002448420')
      + rec(2, 'dr: (down_read+0x0/0x50) sem=0xffff1')
      + rec(3, 'dwk: (down_write_killable+0x0/0x50) sem=0xffff888002448420')
      + rec(4, 'ur: (up_read.cold+0x0/0x50) sem=0x0000ffff1')
      + rec(5, 'dr_ret: (walk_component+0x1c/0x1a0 <- down_read) sem=0xffff9');
    expect((await readAhead(chunks(text))).neverReleased).toEqual(new Map([[0xffff888002448420n, 5]]));
  });

  it('trace-cmd report heads: counted where the probe definitions or symbols name the function, as the reader names it', async () => {
    const text = 'cpus=2\n'
      + '            init-1     [000]          12: drt:                  (ffffffff81001000) sem=0xffff888002448420\n'
      + '            init-1     [000]          13: drt_ret:              (ffffffff81001000 <- ffffffff81552345) ret=0x1\n'
      + '            init-1     [000]          14: dr:                   (ffffffff81002000) sem=0xffff1\n'
      + '            init-1     [000]          15: ur:                   (ffffffff81003004) sem=0xffff1\n';
    const sites = new ProbeSites([{ kind: 'kprobe', event: 'drt', fn: 'down_read_trylock', line: 1 }, { kind: 'kprobe', event: 'dr', fn: 'down_read', line: 2 }],
      { addrs: BigUint64Array.from([0xffffffff81003000n]), names: ['up_read'] });
    expect((await readAhead(chunks(text), sites)).neverReleased).toEqual(new Map([[0xffff888002448420n, 2]]));
    // (nothing names the sites: nothing is counted, as the reader reads no such record)
    expect((await readAhead(chunks(text))).neverReleased).toEqual(new Map());
  });

  it('a task releasing by up_read what it took exclusive, never downgrading, where others downgrade: with the line of its first such up_read', async () => {
    const task = (comm: string, ts: number, payload: string): string => `            ${comm}     [000] .....  ${String(ts).padStart(11)}: ${payload}\n`;
    const text = HEADER
      + task('ls-601', 1, 'dw: (down_write+0x0/0x50) sem=0xa1') // 601: downgrades, visibly
      + task('ls-601', 2, 'dg: (downgrade_write+0x0/0x50) sem=0xa1')
      + task('ls-601', 3, 'ur: (up_read+0x0/0x50) sem=0xa1')
      + task('ls-602', 4, 'dr: (down_read+0x0/0x50) sem=0xa1') // 602: shared holds, and an exclusive one ended by up_write
      + task('ls-602', 5, 'ur: (up_read+0x0/0x50) sem=0xa1')
      + task('ls-602', 6, 'dw: (down_write+0x0/0x50) sem=0xa1')
      + task('ls-602', 7, 'uw: (up_write+0x0/0x50) sem=0xa1')
      + task('ls-603', 8, 'dw: (down_write+0x0/0x50) sem=0xa1') // 603: its downgrade not shown
      + task('ls-603', 9, 'ur: (up_read+0x0/0x50) sem=0xa1')
      + task('ls-603', 10, 'dw: (down_write+0x0/0x50) sem=0xa1')
      + task('ls-603', 11, 'ur: (up_read+0x0/0x50) sem=0xa1');
    expect([...(await readAhead(chunks(text))).tasksNeverDowngrading]).toEqual([[603, 13]]);
    // where no task downgrades, there is nothing to tell a filter by: the spec's unseen_downgrade asks of the probe itself
    const none = text.split('\n').filter((l) => !l.includes('dg: (')).join('\n');
    expect((await readAhead(chunks(none))).tasksNeverDowngrading.size).toBe(0);
  });

  it('release probes filtered for a task: in mode W, listed unless its own downgrades end its exclusive holds', async () => {
    const task = (comm: string, ts: number, payload: string): string => `            ${comm}     [000] .....  ${String(ts).padStart(11)}: ${payload}\n`;
    const text = HEADER
      + task('mv-701', 1, 'dw: (down_write+0x0/0x50) sem=0xa1') // 701: releases by up_write, visibly
      + task('mv-701', 2, 'uw: (up_write+0x0/0x50) sem=0xa1')
      + task('ls-702', 3, 'dw: (down_write+0x0/0x50) sem=0xa1') // 702: its downgrade ends its hold
      + task('ls-702', 4, 'dg: (downgrade_write+0x0/0x50) sem=0xa1')
      + task('ls-702', 5, 'sys_exit: NR 217 = 0')
      + task('ls-703', 6, 'dw: (down_write+0x0/0x50) sem=0xa1') // 703: open when it returns to user space
      + task('ls-703', 7, 'sys_exit: NR 217 = 0')
      + task('ls-704', 8, 'dw: (down_write+0x0/0x50) sem=0xa1') // 704: ended by an up_read, no downgrade of its own shown
      + task('ls-704', 9, 'ur: (up_read+0x0/0x50) sem=0xa1')
      + task('ls-704', 10, 'sys_exit: NR 217 = 0');
    expect([...(await readAhead(chunks(text))).tasksNeverReleasingIn.W]).toEqual([[703, 10], [704, 12]]);
  });

  it('a sem taken in a mode and released only in the other: per mode, with the line of its first acquisition in it', async () => {
    const text = HEADER
      + rec(1, 'dr: (down_read+0x0/0x50) sem=0xa1') // a1: shared, released only by up_write
      + rec(2, 'dw: (down_write+0x0/0x50) sem=0xa1')
      + rec(3, 'uw: (up_write+0x0/0x50) sem=0xa1')
      + rec(4, 'dwk: (down_write_killable+0x0/0x50) sem=0xb2') // b2: exclusive, released only by up_read
      + rec(5, 'drk: (down_read_killable.cold+0x0/0x50) sem=0xb2')
      + rec(6, 'urn: (up_read_non_owner+0x0/0x50) sem=0xb2')
      + rec(7, 'dw: (down_write+0x0/0x50) sem=0xc3') // c3: downgraded, its shared hold released: no up_write of it
      + rec(8, 'dg: (downgrade_write+0x0/0x50) sem=0xc3') // (a downgrade shows nothing of an up_write probe)
      + rec(9, 'ur: (up_read+0x0/0x50) sem=0xc3')
      + rec(10, 'dr: (down_read+0x0/0x50) sem=0xd4') // d4: never released at all (neverReleased's)
      + rec(11, 'dw: (down_write+0x0/0x50) sem=0xe5') // e5: downgraded once, and released by up_write: both modes end
      + rec(12, 'dg: (downgrade_write+0x0/0x50) sem=0xe5')
      + rec(13, 'ur: (up_read+0x0/0x50) sem=0xe5')
      + rec(14, 'dw: (down_write+0x0/0x50) sem=0xe5')
      + rec(15, 'uw: (up_write+0x0/0x50) sem=0xe5');
    const ahead = await readAhead(chunks(text));
    // (lines: the header's four, then the records)
    expect(ahead.neverReleasedIn).toEqual({ R: new Map([[0xa1n, 5]]), W: new Map([[0xb2n, 8], [0xc3n, 11]]) });
    expect(ahead.neverReleased).toEqual(new Map([[0xd4n, 14]]));
  });
});
