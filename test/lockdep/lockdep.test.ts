/** lockdep's reports in dmesg, and `kinv check --lockdep`: each report lined up with kinv's verdict. */
import { kinv } from '../helpers/kinv.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLockdep } from '../../src/lockdep/parse.js';

describe('parseLockdep', () => {
  it('reads the bad-unlock report and the rwsem warning with task, time, class and place', () => {
    const r = parseLockdep(readFileSync('traces/lockdep/dmesg-draft.txt', 'utf8'));
    expect(r.map((x) => [x.kind, x.line, x.time, x.comm, x.pid, x.lockClass, x.at, x.address])).toEqual([
      ['bad_unlock', 2, 100.000311, 'stat', 315, '&inode->i_sb->s_type->i_mutex_dir_key', 'walk_component+0xe6/0x150', undefined],
      ['rwsem_warn', 15, 100.000501, 'find', 316, undefined, '__up_read+0x1a1/0x220', '0xffff888004a1c0a0'],
    ]);
  });

  it('reads circular, recursive, held-at-return and hung-task reports', () => {
    const log = [
      '[ 5.1] WARNING: possible circular locking dependency detected',
      '[ 5.2] ash/320 is trying to acquire lock:',
      '[ 5.3] ffff888004a1c0a0 (&type->i_mutex_dir_key#5){++++}-{3:3}, at: d_add_ci+0x5e/0x190',
      '[ 6.0] WARNING: possible recursive locking detected',
      '[ 6.1] ls/321 is trying to acquire lock:',
      '[ 7.0] WARNING: lock held when returning to user space!',
      '[ 7.1] touch/322 is leaving the kernel with locks still held!',
      '[ 8.0] INFO: task mkdir:323 blocked for more than 20 seconds.',
    ].join('\n');
    expect(parseLockdep(log).map((x) => [x.kind, x.pid, x.lockClass ?? null])).toEqual([
      ['circular', 320, '&type->i_mutex_dir_key'], ['recursive', 321, null], ['held_at_return', 322, null], ['hung_task', 323, null],
    ]);
  });
});

describe('kinv check --lockdep', () => {
  it("matches lockdep's bad unlock with kinv's rel_held, which kinv links to the earlier d_add_ci return", async () => {
    const r = await kinv(['check', '--lockdep', 'traces/lockdep/dmesg-draft.txt', '--format', 'json', 'traces/ftrace/kprobe-draft-d_add_ci.txt']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.kind === 'lockdep');
    const explained = objs.filter((o) => o.status === 'explained');
    // The rwsem warning is the next reader's count underflow on the same rwsem (magic = the inode's
    // lock + 0xa0): the same stray up_read explains it.
    expect(explained.map((o) => [(o.report as { kind: string }).kind, o.invariant, o.line, o.sameTask, o.sameLock])).toEqual([
      ['bad_unlock', 'rel_held', 29, true, false],
      ['rwsem_warn', 'rel_held', 29, false, true],
    ]);
    // lockdep does not see the release of the parent under an in-lookup dentry, nor the two unbalanced returns
    expect(objs.at(-1)).toMatchObject({ status: 'summary', reports: 2, explained: 2, unexplained: 0, missedByLockdep: 3 });
  });
});

describe('reports of a real kernel with the draft d_add_ci', () => {
  it("reads lockdep's bad unlock at the caller's unlock and rwsem's warning for another task, through interleaved printk lines", () => {
    const r = parseLockdep(readFileSync('traces/lockdep/dmesg-draft-kernel.txt', 'latin1'));
    expect(r.map((x) => [x.kind, x.comm, x.pid, x.lockClass ?? null, x.at])).toEqual([
      ['bad_unlock', 'lkwork', 195, '&inode->i_sb->s_type->i_mutex_dir_key', 'walk_component+0xe6/0x150'],
      ['rwsem_warn', 'lkwork', 194, null, '__up_read+0x186/0x200'],
    ]);
  });
});
