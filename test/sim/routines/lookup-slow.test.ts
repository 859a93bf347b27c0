/**
 * lookup_open after a case-insensitive match (src/sim/routines/lookup-slow.ts), as 6.1's
 * fs/namei.c does it: `res = dir_inode->i_op->lookup(...); d_lookup_done(dentry); if (res) {
 * dput(dentry); dentry = res; }`, then O_CREAT creates only on a negative dentry. So an
 * open("foo", O_CREAT) that matched the on-disk "Foo" leaves no "foo" in the dcache: a later
 * stat("foo") takes the slow path again, through ->lookup and d_add_ci, and gets the same dentry.
 */
import { describe, expect, it } from 'vitest';
import { listChooser } from '../../../src/sim/chooser.js';
import type { Op, Scenario } from '../../../src/sim/model.js';
import { simulate } from '../../../src/sim/simulate.js';
import type { TraceEvent } from '../../../src/trace/event.js';

function oneTask(ops: Op[]): Scenario {
  return {
    dAddCi: 'mainline', order: 'current', handoff: false, faults: { allocFail: false, exactHashed: false },
    dirs: [{ id: 'I1', ci: true, entries: ['Foo'] }],
    tasks: [{ pid: 101, comm: 'open', ops }],
  };
}

/** The events of the n-th syscall (0-based) of a one-task trace. */
function syscall(events: TraceEvent[], n: number): TraceEvent[] {
  const ends = events.flatMap((e, i) => (e.ev === 'syscall_exit' ? [i] : []));
  return events.slice(n === 0 ? 0 : ends[n - 1]! + 1, ends[n]! + 1);
}
const fns = (evs: TraceEvent[], ev: string): string[] => evs.filter((e) => e.ev === ev).map((e) => e.fn!);

describe('lookup_open after a case-insensitive match', () => {
  it('uses d_add_ci\'s dentry and hashes nothing under the user\'s spelling: a later stat of it looks up again', () => {
    const r = simulate(oneTask([{ kind: 'open_creat', dir: 'I1', name: 'foo' }, { kind: 'stat', dir: 'I1', name: 'foo' }]), listChooser([]));
    const open = syscall(r.events, 0);
    const stat = syscall(r.events, 1);
    const dciResult = open.find((e) => e.ev === 'ret' && e.fn === 'd_add_ci')!.ret;
    expect(open.find((e) => e.ev === 'ret' && e.fn === 'lookup_open')!.ret).toBe(dciResult);
    expect(stat.find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('N');
    expect(fns(stat, 'call')).toEqual(['lookup_slow', 'd_alloc_parallel', 'lookup', 'd_add_ci']);
    // d_add_ci finds the exact name the open hashed, and returns that dentry at once.
    expect(stat.find((e) => e.ev === 'ret' && e.fn === 'd_add_ci')!.ret).toBe(dciResult);
    expect(stat.find((e) => e.ev === 'ret' && e.fn === 'lookup_slow')!.ret).toBe(dciResult);
  });

  it('a negative O_CREAT lookup on a case-insensitive XFS hashes nothing (xfs_vn_ci_lookup keeps no negative dentries): the stat after it looks up again', () => {
    const r = simulate(oneTask([{ kind: 'open_creat', dir: 'I1', name: 'bar' }, { kind: 'stat', dir: 'I1', name: 'bar' }]), listChooser([]));
    const open = syscall(r.events, 0);
    expect(fns(open, 'call')).toEqual(['lookup_open', 'd_alloc_parallel', 'lookup']);
    // ->lookup returns NULL with the dentry still in lookup; __lookup_slow's d_lookup_done ends it after the return.
    const ret = open.findIndex((e) => e.ev === 'ret' && e.fn === 'lookup');
    expect(open[ret]!.ret).toBe(null);
    expect(open[ret + 1]!.ev).toBe('il_end');
    const stat = syscall(r.events, 1);
    expect(fns(stat, 'call')).toEqual(['lookup_slow', 'd_alloc_parallel', 'lookup']);
    expect(stat.find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('N');
  });

  it('a negative lookup on ext4 hashes its negative dentry: the stat after it hits the dcache', () => {
    const sc = oneTask([{ kind: 'open_creat', dir: 'I1', name: 'bar' }, { kind: 'stat', dir: 'I1', name: 'bar' }]);
    const r = simulate({ ...sc, dirs: [{ id: 'I1', ci: false, entries: ['Foo'] }] }, listChooser([]));
    expect(fns(syscall(r.events, 0), 'call')).toEqual(['lookup_open', 'd_alloc_parallel', 'lookup', 'd_splice_alias']);
    const stat = syscall(r.events, 1);
    expect(fns(stat, 'call')).toEqual(['lookup_slow', 'd_alloc_parallel']);
    expect(stat.find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('H');
  });
});

describe('a miss on a casefolded ext4 directory', () => {
  // fs/ext4/namei.c:1879-1886 (6.1): `if (!inode && IS_CASEFOLDED(dir)) return NULL;`, "prevent the
  // negative dentry from being cached"; seen in traces/kernel-programs/6.1-full at line 68514.
  it('->lookup returns NULL with the dentry still in lookup, and the stat after it looks up again', () => {
    const sc = oneTask([{ kind: 'open_creat', dir: 'I1', name: 'bar' }, { kind: 'stat', dir: 'I1', name: 'bar' }]);
    const r = simulate({ ...sc, dirs: [{ id: 'I1', ci: false, noNegative: true, entries: [] }] }, listChooser([]));
    const open = syscall(r.events, 0);
    expect(fns(open, 'call')).toEqual(['lookup_open', 'd_alloc_parallel', 'lookup']);
    const ret = open.findIndex((e) => e.ev === 'ret' && e.fn === 'lookup');
    expect(open[ret + 1]!.ev).toBe('il_end');
    expect(syscall(r.events, 1).find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('N');
  });
});

describe('d_revalidate of a dentry found hashed', () => {
  // __lookup_slow, fs/namei.c:1686-1692 (6.1): a dentry d_alloc_parallel returns not in lookup is
  // revalidated; on 0 it is d_invalidate'd and d_alloc_parallel runs again (`goto again`). vfat's
  // negative dentries go stale when the directory changes; seen in traces/kernel-churn at line 13228.
  const sc = oneTask([{ kind: 'open_creat', dir: 'I1', name: 'bar' }, { kind: 'stat', dir: 'I1', name: 'bar' }]);
  const vfat: Scenario = { ...sc, dirs: [{ id: 'I1', ci: false, revalidates: true, entries: [] }] };

  it('a stale hit is invalidated and looked up again, under the same hold of the parent', () => {
    const stat = syscall(simulate(vfat, listChooser([1, 0])).events, 1);
    expect(fns(stat, 'call')).toEqual(['lookup_slow', 'd_alloc_parallel', 'd_alloc_parallel', 'lookup', 'd_splice_alias']);
    expect(stat.filter((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel').map((e) => e.args.outcome)).toEqual(['H', 'N']);
    expect(stat.filter((e) => e.ev === 'acq' || e.ev === 'rel').map((e) => e.ev)).toEqual(['acq', 'rel']);
  });

  it('a valid hit returns it; without ->d_revalidate a hit is never looked up again', () => {
    expect(fns(syscall(simulate(vfat, listChooser([0])).events, 1), 'call')).toEqual(['lookup_slow', 'd_alloc_parallel']);
    const ext4 = { ...vfat, dirs: [{ id: 'I1', ci: false, entries: [] }] };
    expect(fns(syscall(simulate(ext4, listChooser([1, 1])).events, 1), 'call')).toEqual(['lookup_slow', 'd_alloc_parallel']);
  });
});
