/**
 * d_add_ci(dciDentry, exact) → dciRet, in the scenario's shape. All three look the exact-case name
 * up first (d_hash_and_lookup: a hashed dentry is returned at once). Then:
 * - mainline: d_alloc_parallel (in-lookup caller) or d_alloc, under the caller's parent lock;
 * - draft: drops the parent lock before the allocation and re-takes it only on the success path:
 *   E1 (d_alloc_parallel error), E2 (the exact name is no longer new) and E3 (d_alloc failure)
 *   return without the lock;
 * - fixed: drops the lock only around d_alloc_parallel, and re-takes it on every path.
 */
import { acquire, release } from '../rwsem.js';
import { setRecord, type Mode } from '../state.js';
import { defineRoutine } from '../routine-table.js';
import { dcacheKey, type TaskStep } from '../task-step.js';
import { inodeOf } from './fs-lookup.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** d_add_ci(dciDentry, exact) → dciRet, in the scenario's shape. */
    d_add_ci: 'call' | 'hashlookup' | 'alloc' | 'after-dap' | 'relock' | 'after-relock' | 'splice' | 'after-splice';
  }
}

export const dAddCi = defineRoutine('d_add_ci', {
  call(x) {
    const { v } = x;
    x.call('d_add_ci', { dir: x.dir, dentry: v.dciDentry as string, name: v.exact as string, flags: v.flags as number });
    x.goto('d_add_ci:hashlookup');
  },
  hashlookup(x) {
    // d_hash_and_lookup(parent, exact): an existing hashed dentry is returned at once, lock untouched.
    const h = x.s.hashed[dcacheKey(x.dir, x.v.exact)];
    if (h !== undefined) { dciReturn(x, h); return; }
    const shape = x.sc.dAddCi;
    if (shape === 'draft' || (shape === 'fixed' && x.v.dciInLookup)) release(x, x.dir, x.v.mode as Mode);
    x.goto('d_add_ci:alloc');
  },
  alloc(x) {
    const { v, s } = x;
    const dir = x.dir;
    if (v.dciInLookup) {
      // Another lookup may hash the exact-case name between d_hash_and_lookup and d_alloc_parallel.
      const k = dcacheKey(dir, v.exact);
      if (x.sc.faults.exactHashed && s.hashed[k] === undefined && s.inLookup[k] === undefined && x.ch.choose(2, 'exact-hashed') === 1) {
        setRecord(s, 'hashed', k, x.newId('D'));
      }
      v.dapName = v.exact;
      x.enter('d_alloc_parallel:call', 'd_add_ci:after-dap');
      return;
    }
    x.call('d_alloc', { dir, name: v.exact as string });
    if (x.sc.faults.allocFail && x.ch.choose(2, 'alloc-fail') === 1) {
      x.ret('d_alloc', null);
      // -ENOMEM; in the draft (E3) the lock dropped before d_alloc is not re-taken.
      dciReturn(x, 'ERR:-12');
      return;
    }
    v.found = x.newId('D');
    x.ret('d_alloc', v.found);
    x.goto(x.sc.dAddCi === 'draft' ? 'd_add_ci:relock' : 'd_add_ci:splice');
  },
  'after-dap'(x) {
    const { v } = x;
    v.found = v.dapRet;
    if (x.sc.dAddCi === 'fixed') { x.goto('d_add_ci:relock'); return; }
    // E1 (error) and E2 (not in-lookup) return at once: in the draft, without the relock.
    if (v.dapOutcome !== 'N') { dciReturn(x, v.dapRet ?? null); return; }
    x.goto(x.sc.dAddCi === 'draft' ? 'd_add_ci:relock' : 'd_add_ci:splice');
  },
  relock(x) { acquire(x, x.dir, x.v.mode as Mode, 'd_add_ci:after-relock'); },
  'after-relock'(x) {
    if (x.v.dciInLookup && x.v.dapOutcome !== 'N') { dciReturn(x, x.v.dapRet ?? null); return; }
    x.goto('d_add_ci:splice');
  },
  splice(x) {
    const { v } = x;
    v.spliceDentry = v.found;
    v.spliceKey = dcacheKey(x.dir, v.exact);
    v.spliceInode = inodeOf(String(v.exact));
    x.enter('d_splice_alias:call', 'd_add_ci:after-splice');
  },
  'after-splice'(x) { dciReturn(x, x.v.found ?? null); },
});

function dciReturn(x: TaskStep, value: string | null): void {
  x.ret('d_add_ci', value);
  x.v.dciRet = value;
  x.leave();
}
