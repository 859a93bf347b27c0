/**
 * lookup_slow (stat, parent shared) and lookup_open (open with O_CREAT, parent exclusive): in
 * today's order the parent lock, then d_alloc_parallel, then ->lookup; in the new order
 * d_alloc_parallel first and the lock only around ->lookup. A hit or an error from
 * d_alloc_parallel skips ->lookup. On a filesystem with ->d_revalidate a hit may be stale:
 * __lookup_slow (fs/namei.c:1686-1692 in 6.1) and lookup_open then d_invalidate it and call
 * d_alloc_parallel again.
 */
import { dcacheKey } from '../task-step.js';
import { acquire, release } from '../rwsem.js';
import type { Scalar } from '../../trace/event.js';
import { deleteFromRecord, type Mode } from '../state.js';
import { defineRoutine } from '../routine-table.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** lookup_slow (stat) and lookup_open (open with O_CREAT): lock, d_alloc_parallel, ->lookup, unlock, in either order. */
    lookup_slow: 'lock' | 'dap' | 'after-dap' | 'revalidate' | 'lookup' | 'done-lookup' | 'unlock' | 'ret-nolock' | 'ret';
  }
}

export const lookupSlow = defineRoutine('lookup_slow', {
  lock(x) { acquire(x, x.dir, x.v.mode as Mode, x.sc.order === 'new' ? 'lookup_slow:lookup' : 'lookup_slow:dap'); },
  dap(x) {
    x.v.dapName = x.v.name;
    x.enter('d_alloc_parallel:call', 'lookup_slow:after-dap');
  },
  'after-dap'(x) {
    const { v } = x;
    const order = x.sc.order;
    v.d1 = v.dapRet;
    if (v.dapOutcome === 'N') { x.goto(order === 'new' ? 'lookup_slow:lock' : 'lookup_slow:lookup'); return; }
    if (v.dapOutcome !== 'E' && x.sc.dirs.find((d) => d.id === x.dir)?.revalidates === true) { x.goto('lookup_slow:revalidate'); return; }
    // A hit or an error: no ->lookup. Under the new order the lock was never taken.
    v.result = v.dapRet;
    x.goto(order === 'new' ? 'lookup_slow:ret-nolock' : 'lookup_slow:unlock');
  },
  revalidate(x) {
    const { v } = x;
    // d_revalidate returned 0: d_invalidate unhashes the dentry and d_alloc_parallel runs again.
    if (x.ch.choose(2, 'd_revalidate') === 1) {
      deleteFromRecord(x.s, 'hashed', dcacheKey(x.dir, v.dapName));
      x.goto('lookup_slow:dap');
      return;
    }
    v.result = v.dapRet;
    x.goto(x.sc.order === 'new' ? 'lookup_slow:ret-nolock' : 'lookup_slow:unlock');
  },
  lookup(x) {
    const dir = x.dir;
    const d = x.sc.dirs.find((e) => e.id === dir)!;
    x.call('lookup', { dir, dentry: x.v.d1 as string, name: x.v.name as string, flags: x.v.flags as number, fs: d.ci ? 'xfs-ci' : 'ext4' });
    x.enter('fs_lookup:lookup', 'lookup_slow:done-lookup');
  },
  'done-lookup'(x) {
    // Today's order ends the in-lookup state under the lock (d_splice_alias did already, unless it failed).
    if (x.sc.order !== 'new') x.endInLookup(x.v.d1 as string);
    x.goto('lookup_slow:unlock');
  },
  unlock(x) {
    const { v, s } = x;
    release(x, x.dir, v.mode as Mode);
    if (x.sc.order === 'new' && v.d1 !== undefined && s.dentryKey[v.d1] !== undefined) x.endInLookup(v.d1);
    x.goto('lookup_slow:ret');
  },
  'ret-nolock'(x) { x.goto('lookup_slow:ret'); },
  ret(x) {
    // No hashing here: ->lookup's d_splice_alias hashed the user's spelling already (negative, or
    // the exact name), and after a case-insensitive match lookup_open drops the user's-spelling
    // dentry and goes on with d_add_ci's result (fs/namei.c: `dput(dentry); dentry = res;`), so
    // O_CREAT creates nothing under the user's spelling.
    const kind = x.sc.tasks[x.i]!.ops[x.t.op]!.kind;
    x.ret(kind === 'stat' ? 'lookup_slow' : 'lookup_open', (x.v.result ?? null) as Scalar);
    x.leave();
  },
});
