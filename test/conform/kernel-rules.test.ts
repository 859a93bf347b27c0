/**
 * `kinv conform` holds the kernel's rules the real captures showed, each as a short NDJSON story
 * built after the capture's own events (and each a non-conformance before the model had the rule):
 * - down_read's decision may come long after its entry probe: the task is preempted at the
 *   might_sleep() that begins down_read (kernel/locking/rwsem.c:1519 in 6.1) while other tasks
 *   take and release the lock (traces/kernel-churn, task 241 from line 6755 to 9386);
 * - a rename within one directory looks up two names under one exclusive hold (fs/namei.c:3084,
 *   5023, 5032; traces/kernel-programs/6.1-full:56355);
 * - a casefolded ext4 directory hashes no negative dentry (fs/ext4/namei.c:1879;
 *   traces/kernel-programs/6.1-full:68514);
 * - vfat's d_revalidate sends __lookup_slow back to d_alloc_parallel (fs/namei.c:1686-1692;
 *   traces/kernel-churn:13228);
 * - a trylock that fails leaves the rwsem as it was (kernel/locking/rwsem.c __down_write_trylock:
 *   one cmpxchg on the count, which fails while the lock is held or has waiters): XFS takes its
 *   IOLOCK, the inode's i_rwsem, with down_write_trylock (xfs_ilock_nowait); on a reused address
 *   that is a tracked lock (traces/kernel-programs/6.1-wild, task 1443 at line 162617).
 * And what a capture cannot show: a lock it never releases (its release probes filtered out:
 * traces/kernel-waitqueue/release-filtered), an acquisition by an unprobed function
 * (down_write_nested on a lockdep build: traces/kernel-programs/lockdep-legacy:1073), and a
 * d_alloc_parallel that waited and then found the name hashed, which ftrace shows as a plain hit
 * (the outcome is read from the dentry's flags: release-filtered:3895).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// Each story through the fast paths and the general path of the search alike (conformBothPaths).
import { bundledSpecDir } from '../../src/analysis/load.js';
import { readTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { conformRead } from '../../src/conform/conform.js';
import { conformBothPaths as conform, verdicts } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-rules-'));
const specs = new SpecSet([bundledSpecDir()], {});

type Ev = [pid: number, ev: string, arg?: string, extra?: Record<string, unknown>];
/** An NDJSON trace on directory I1 from short event tuples: lock events take a mode, calls a name. */
function story(name: string, evs: Ev[]): string {
  const lines = evs.map(([pid, ev, arg, extra], seq) => {
    const base = { seq, pid, comm: `t${pid}`, ev };
    if (ev === 'acq_req' || ev === 'acq' || ev === 'rel' || ev === 'acq_fail') return { ...base, args: { lock: 'I1', mode: arg, ...(ev === 'acq_req' ? { kind: 'blocking' } : {}), ...extra } };
    if (ev === 'call') return { ...base, fn: arg, args: { dir: 'I1', ...(arg === 'lookup' ? { dentry: `D${seq}`, flags: 0 } : {}), ...extra } };
    if (ev === 'ret') return { ...base, fn: arg, ret: arg === 'd_alloc_parallel' ? `D${seq}` : null, args: { ...extra } };
    if (ev.startsWith('il_')) return { ...base, args: { dentry: 'D0' } };
    return { ...base, args: {} };
  });
  const path = join(tmp, `${name}.ndjson`);
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}
/** A whole syscall of `pid` that holds the lock in `mode` and does nothing the model tracks. */
const hold = (pid: number, mode: string): Ev[] => [[pid, 'acq_req', mode], [pid, 'acq', mode], [pid, 'rel', mode], [pid, 'syscall_exit']];

describe('kinv conform: the kernel rules real captures showed', () => {
  it('a down_read decided long after its entry probe: writers and readers come and go in between', async () => {
    const path = story('preempted-reader', [
      [241, 'acq_req', 'R'],
      ...hold(262, 'W'), ...hold(264, 'W'), ...hold(263, 'W'), ...hold(229, 'R'), ...hold(271, 'W'),
      [241, 'acq', 'R'], [241, 'rel', 'R'], [241, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(path, ['mainline']))).toEqual({ mainline: ['conforms'] });
  });

  it('a rename within one directory: two ->lookup calls under one exclusive hold', async () => {
    const path = story('rename', [
      [900, 'acq_req', 'W'], [900, 'acq', 'W'],
      [900, 'call', 'lookup', { name: 'orig0', fs: 'ext4' }], [900, 'ret', 'lookup'],
      [900, 'call', 'lookup', { name: 'moved0', fs: 'ext4' }], [900, 'ret', 'lookup'],
      [900, 'rel', 'W'], [900, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(path, ['mainline']))).toEqual({ mainline: ['conforms'] });
    // A third lookup under the same hold is no operation's.
    const three = story('rename-3', [
      [900, 'acq_req', 'W'], [900, 'acq', 'W'],
      [900, 'call', 'lookup', { name: 'a', fs: 'ext4' }], [900, 'ret', 'lookup'],
      [900, 'call', 'lookup', { name: 'b', fs: 'ext4' }], [900, 'ret', 'lookup'],
      [900, 'call', 'lookup', { name: 'c', fs: 'ext4' }], [900, 'ret', 'lookup'],
      [900, 'rel', 'W'], [900, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(three, ['mainline']))).toEqual({ mainline: ['does not conform', 6, 7, 'call lookup c', 900] });
  });

  it('an ext4 ->lookup that misses may end the in-lookup state after its return (a casefolded directory)', async () => {
    const open = (fs: string): Ev[] => [
      [920, 'acq_req', 'W'], [920, 'acq', 'W'],
      [920, 'call', 'd_alloc_parallel', { name: 'Shared0' }], [920, 'ret', 'd_alloc_parallel', { outcome: 'N' }],
      [920, 'call', 'lookup', { name: 'Shared0', fs }], [920, 'ret', 'lookup'], [920, 'il_end'],
      [920, 'rel', 'W'], [920, 'syscall_exit'],
    ];
    expect(verdicts(await conform(story('casefold-ext4', open('ext4')), ['mainline']))).toEqual({ mainline: ['conforms'] });
    // tmpfs has no casefolding: its miss hashes a negative dentry inside ->lookup (d_add).
    expect(verdicts(await conform(story('casefold-simple', open('simple')), ['mainline']))).toEqual({ mainline: ['does not conform', 5, 6, 'ret lookup', 920] });
  });

  it('a vfat hit found stale is looked up again under the same hold', async () => {
    const stat = (fs: string): Ev[] => [
      [269, 'acq_req', 'R'], [269, 'acq', 'R'],
      [269, 'call', 'd_alloc_parallel', { name: 'nope3' }], [269, 'ret', 'd_alloc_parallel', { outcome: 'H' }],
      [269, 'call', 'd_alloc_parallel', { name: 'nope3' }], [269, 'ret', 'd_alloc_parallel', { outcome: 'N' }],
      [269, 'call', 'lookup', { name: 'nope3', fs }], [269, 'il_end'], [269, 'ret', 'lookup'],
      [269, 'rel', 'R'], [269, 'syscall_exit'],
    ];
    expect(verdicts(await conform(story('revalidate-vfat', stat('vfat')), ['mainline']))).toEqual({ mainline: ['conforms'] });
    // ext4 has no ->d_revalidate: a hit is final.
    expect(verdicts(await conform(story('revalidate-ext4', stat('ext4')), ['mainline']))).toEqual({ mainline: ['does not conform', 4, 5, 'call d_alloc_parallel nope3', 269] });
  });

  it('a lock a capture never releases is not followed; a complete trace shows every release', async () => {
    const path = story('unreleased', [
      [457, 'syscall_exit'], [458, 'syscall_exit'],
      [457, 'acq_req', 'R', { lock: 'M1' }], [457, 'acq', 'R', { lock: 'M1' }],
      [457, 'acq_req', 'R', { lock: 'M1' }], [457, 'acq', 'R', { lock: 'M1' }], [457, 'syscall_exit'],
      ...hold(458, 'R'),
    ]);
    // Read as a capture is (tasks unknown until their first syscall exit, lock probes filtered).
    const opened = await readTraceFile(path, specs);
    const r = await conformRead({ ...opened!, tasksStartUnknown: true }, { shapes: ['mainline'], order: 'current' });
    expect(verdicts(r)).toEqual({ mainline: ['conforms'] });
    expect([r.unreleasedLocks, r.directories, r.judged]).toEqual([1, 1, 3]);
    // As the complete trace it is, M1 is followed: 457 asks for it again while it holds it.
    expect(verdicts(await conform(path, ['mainline']))).toEqual({ mainline: ['does not conform', 4, 5, 'acq_req R', 457] });
  });

  it('where the capture misses acquisitions, a syscall\'s lookups before any lock event of it are not judged; its release ends an unseen acquisition', async () => {
    const path = story('unprobed-acquisition', [
      ...hold(385, 'R'),
      [386, 'call', 'lookup', { name: 'xr0', fs: 'simple' }], [386, 'ret', 'lookup'], [386, 'rel', 'W'], [386, 'syscall_exit'],
      ...hold(387, 'W'),
    ]);
    const r = await conform(path, ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['conforms'] });
    expect([r.unknownTaskEvents, r.unobservedAcquisitions]).toEqual([2, 1]);
    // With as many acquisitions as releases the same lookup without the lock does not conform.
    const balanced = story('lookup-without-lock', [
      ...hold(385, 'R'),
      [386, 'call', 'lookup', { name: 'xr0', fs: 'simple' }], [386, 'ret', 'lookup'], [386, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(balanced, ['mainline']))).toEqual({ mainline: ['does not conform', 4, 5, 'call lookup xr0', 386] });
  });

  it('a d_alloc_parallel that waited for another lookup and found the name hashed may show as a plain hit', async () => {
    const path = story('waited-hit', [
      [458, 'acq_req', 'R'], [458, 'acq', 'R'],
      [458, 'call', 'd_alloc_parallel', { name: 'foo' }], [458, 'ret', 'd_alloc_parallel', { outcome: 'N' }],
      [458, 'call', 'lookup', { name: 'foo', fs: 'ext4' }],
      [459, 'acq_req', 'R'], [459, 'acq', 'R'], [459, 'call', 'd_alloc_parallel', { name: 'foo' }], [459, 'il_wait_begin'],
      [458, 'il_end'], [458, 'ret', 'lookup'], [458, 'rel', 'R'], [458, 'syscall_exit'],
      [459, 'il_wait_end'], [459, 'ret', 'd_alloc_parallel', { outcome: 'H' }], [459, 'rel', 'R'], [459, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(path, ['mainline']))).toEqual({ mainline: ['conforms'] });
  });

  it('a trylock that fails leaves the rwsem as it was; one that succeeds is a wait that ended at once', async () => {
    // traces/kernel-programs/6.1-wild:161980-162871: 1443 truncates (down_write) while 1444 queues
    // for the same i_rwsem; 1443 releases, its down_write_trylock fails (1444 is queued or holds
    // it) and its syscall ends; 1444 takes the lock, releases it, and succeeds in a trylock.
    const path = story('failed-try', [
      [1443, 'acq_req', 'W'], [1443, 'acq', 'W'],
      [1444, 'acq_req', 'W'],
      [1443, 'rel', 'W'], [1443, 'syscall_exit'],
      [1443, 'acq_req', 'W', { kind: 'try' }], [1443, 'acq_fail', 'W'], [1443, 'syscall_exit'],
      [1444, 'acq', 'W'], [1444, 'rel', 'W'],
      [1444, 'acq_req', 'W', { kind: 'try' }], [1444, 'acq', 'W'], [1444, 'rel', 'W'], [1444, 'syscall_exit'],
    ]);
    const r = await conform(path, ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['conforms'] });
    // A failed blocking request is no rwsem's: the task is left waiting, and its syscall cannot end.
    const blocking = story('failed-blocking', [
      [1443, 'acq_req', 'W'], [1443, 'acq', 'W'], [1443, 'rel', 'W'], [1443, 'syscall_exit'],
      [1443, 'acq_req', 'W'], [1443, 'acq_fail', 'W'], [1443, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(blocking, ['mainline']))).toEqual({ mainline: ['does not conform', 6, 7, 'syscall exit', 1443] });
  });

  it('a killable wait that failed leaves its task holding nothing; it left the queue, so the others on the lock are not known after it', async () => {
    // alone: the task waits no more, and may ask again (readdir after a signal it survived: an
    // -EINTR of down_read_killable, then a later getdents64)
    const alone = story('failed-killable-alone', [
      [11, 'acq_req', 'R', { kind: 'killable' }], [11, 'acq_fail', 'R'], [11, 'acq_req', 'R'], [11, 'acq', 'R'], [11, 'rel', 'R'], [11, 'syscall_exit'],
    ]);
    expect(verdicts(await conform(alone, ['mainline']))).toEqual({ mainline: ['conforms'] });
    const quiet = story('failed-killable-quiet', [
      [11, 'acq_req', 'R', { kind: 'killable' }], [11, 'acq_fail', 'R'], [11, 'syscall_exit'], ...hold(12, 'W'),
    ]);
    expect(verdicts(await conform(quiet, ['mainline']))).toEqual({ mainline: ['conforms'] });
    // with a writer holding the lock: the queue it left is not the model's
    const path = story('failed-killable', [
      [10, 'acq_req', 'W'], [10, 'acq', 'W'],
      [11, 'acq_req', 'R', { kind: 'killable' }], [11, 'acq_fail', 'R'], [11, 'syscall_exit'],
      [10, 'rel', 'W'], [10, 'syscall_exit'],
    ]);
    const r = await conform(path, ['mainline']);
    expect(verdicts(r)).toEqual({ mainline: ['unknown'] });
    expect(r.results[0]!.unknown).toBe(`a killable acquisition that failed at ${path}:4 (tasks 10): the model's state after it is not known`);
  });
});
