/**
 * mkdir-like creation: lookup_one_qstr_excl with the parent held exclusive and a plain d_alloc
 * (no in-lookup state), so a case-insensitive match takes d_add_ci's d_alloc branch. A rename
 * within one directory does two of them under the one lock: 6.1's do_renameat2 takes
 * `lock_rename(new, old)`, which for one parent is a single `inode_lock_nested(p1, I_MUTEX_PARENT)`
 * (fs/namei.c:3084-3086), then `lookup_one_qstr_excl` of the old name and of the new name
 * (fs/namei.c:5023, 5032), and `unlock_rename` after both (5083). An error from the first lookup
 * skips the second (`goto exit3`).
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
    const { v } = x;
    x.ret('lookup', v.dciRet ?? null);
    const op = x.sc.tasks[x.i]!.ops[x.t.op]!;
    if (op.kind === 'rename' && !v.renameNew) {
      // The new name's lookup, under the same hold of the parent.
      x.t.v = { dir: v.dir, name: op.name2 ?? op.name, flags: v.flags, mode: v.mode, renameNew: true };
      x.goto('lookup_one_qstr_excl:alloc');
      return;
    }
    x.goto('lookup_one_qstr_excl:unlock');
  },
  unlock(x) {
    release(x, x.dir, 'W');
    x.leave();
  },
});
