/**
 * mkdir-like creation: lookup_one_qstr_excl with the parent held exclusive and a plain d_alloc
 * (no in-lookup state), so a case-insensitive match takes d_add_ci's d_alloc branch.
 */
import { acquire, release } from '../rwsem.js';
import { defineRoutine } from '../routine-table.js';
import { onDisk } from '../task-step.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** mkdir-like creation: lookup_one_qstr_excl with a plain d_alloc under the parent held exclusive. */
    lookup_one_qstr_excl: 'lock' | 'alloc' | 'after-lookup' | 'unlock';
  }
}

export const lookupOneQstrExcl = defineRoutine('lookup_one_qstr_excl', {
  lock(x) { acquire(x, x.dir, 'W', 'lookup_one_qstr_excl:alloc'); },
  alloc(x) {
    const { v } = x;
    const dir = x.dir;
    x.call('d_alloc', { dir, name: v.name as string });
    if (x.sc.faults.allocFail && x.ch.choose(2, 'alloc-fail') === 1) {
      x.ret('d_alloc', null);
      x.goto('lookup_one_qstr_excl:unlock');
      return;
    }
    v.d1 = x.newId('D');
    x.ret('d_alloc', v.d1);
    const d = x.sc.dirs.find((e) => e.id === dir)!;
    x.call('lookup', { dir, dentry: v.d1, name: v.name as string, flags: 0, fs: d.ci ? 'xfs-ci' : 'ext4' });
    const exact = onDisk(x.sc, dir, v.name as string);
    if (exact !== undefined && exact !== v.name) {
      v.exact = exact;
      v.dciDentry = v.d1;
      v.dciInLookup = false;
      x.enter('d_add_ci:call', 'lookup_one_qstr_excl:after-lookup');
      return;
    }
    v.dciRet = null;
    x.goto('lookup_one_qstr_excl:after-lookup');
  },
  'after-lookup'(x) {
    x.ret('lookup', x.v.dciRet ?? null);
    x.goto('lookup_one_qstr_excl:unlock');
  },
  unlock(x) {
    release(x, x.dir, 'W');
    x.leave();
  },
});
