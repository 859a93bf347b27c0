/**
 * A rename within one directory (src/sim/routines/lookup-one-qstr-excl.ts), as 6.1's do_renameat2
 * does it: `lock_rename(new, old)` of one parent is a single `inode_lock_nested(p1,
 * I_MUTEX_PARENT)` (fs/namei.c:3084-3086), then lookup_one_qstr_excl of the old name and of the new
 * name (5023, 5032), then unlock_rename (5083): two ->lookup calls under one exclusive hold. The
 * real capture traces/kernel-programs/6.1-full shows it (line 56355, `moved0` after `orig0`).
 */
import { describe, expect, it } from 'vitest';
import { listChooser } from '../../../src/sim/chooser.js';
import type { Scenario } from '../../../src/sim/model.js';
import { simulate } from '../../../src/sim/simulate.js';

const sc: Scenario = {
  dAddCi: 'mainline', order: 'current', handoff: false, faults: { allocFail: false, exactHashed: false },
  dirs: [{ id: 'I1', ci: false, entries: ['orig0'] }],
  tasks: [{ pid: 101, comm: 'mv', ops: [{ kind: 'rename', dir: 'I1', name: 'orig0', name2: 'moved0' }] }],
};

describe('rename within one directory', () => {
  it('looks up the old name, then the new name, under one exclusive hold of the parent', () => {
    const r = simulate(sc, listChooser([]));
    const seen = r.events.filter((e) => e.ev !== 'syscall_exit' && e.ev !== 'task_exit')
      .map((e) => (e.fn === 'lookup' && e.ev === 'call' ? `call lookup ${String(e.args.name)}` : e.fn !== undefined ? `${e.ev} ${e.fn}` : `${e.ev} ${String(e.args.mode)}`));
    expect(seen).toEqual([
      'acq_req W', 'acq W',
      'call d_alloc', 'ret d_alloc', 'call lookup orig0', 'ret lookup',
      'call d_alloc', 'ret d_alloc', 'call lookup moved0', 'ret lookup',
      'rel W',
    ]);
  });

  it('a case-insensitive match of either name goes through d_add_ci under the same hold', () => {
    const ci: Scenario = { ...sc, dirs: [{ id: 'I1', ci: true, entries: ['Orig0', 'Moved0'] }] };
    const r = simulate(ci, listChooser([]));
    const dci = r.events.filter((e) => e.ev === 'call' && e.fn === 'd_add_ci').map((e) => e.args.name);
    expect(dci).toEqual(['Orig0', 'Moved0']);
    expect(r.events.filter((e) => e.ev === 'acq' || e.ev === 'rel').map((e) => `${e.ev} ${String(e.args.mode)}`)).toEqual(['acq W', 'rel W']);
  });
});
