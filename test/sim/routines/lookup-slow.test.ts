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
