/**
 * d_alloc_parallel(dir, dapName) → dapRet with its outcome: H (the name is hashed), W (hashed
 * after waiting for another task's lookup of it), N (a new in-lookup dentry, owned by the caller),
 * E (allocation failure); and d_wait_lookup, the sleep on another task's in-lookup dentry until
 * its lookup ends, after which d_alloc_parallel looks again.
 */
import { defineRoutine } from '../routine-table.js';
import { setRecord } from '../state.js';
import { dcacheKey, type TaskStep } from '../task-step.js';

declare module '../state.js' {
  interface RoutineLabels {
    /** d_alloc_parallel(dir, dapName) → dapRet, dapOutcome. */
    d_alloc_parallel: 'call' | 'try';
    /** d_wait_lookup: asleep on another task's in-lookup dentry until its lookup ends. */
    d_wait_lookup: 'woken';
  }
}

type Outcome = 'H' | 'W' | 'N' | 'E';

export const dAllocParallel = defineRoutine('d_alloc_parallel', {
  call(x) {
    x.call('d_alloc_parallel', { dir: x.dir, name: x.v.dapName as string });
    x.v.dapWaited = false;
    x.goto('d_alloc_parallel:try');
  },
  try(x) {
    const { v, s } = x;
    if (x.sc.faults.allocFail && !v.dapWaited && x.ch.choose(2, 'alloc-fail') === 1) { dapReturn(x, 'ERR:-12', 'E'); return; }
    const k = dcacheKey(x.dir, v.dapName);
    const h = s.hashed[k];
    if (h !== undefined) { dapReturn(x, h, v.dapWaited ? 'W' : 'H'); return; }
    const il = s.inLookup[k];
    if (il !== undefined) { dWaitLookup(x, il.dentry); return; }
    const d = x.newId('D');
    setRecord(s, 'inLookup', k, { dentry: d, owner: x.t.pid });
    setRecord(s, 'dentryKey', d, k);
    dapReturn(x, d, 'N');
  },
});

function dapReturn(x: TaskStep, value: string, outcome: Outcome): void {
  x.ret('d_alloc_parallel', value, { outcome });
  x.v.dapRet = value;
  x.v.dapOutcome = outcome;
  x.leave();
}

/** d_wait_lookup: sleeps on `dentry` (in another task's lookup); woken by the end of that lookup. */
function dWaitLookup(x: TaskStep, dentry: string): void {
  x.emit('il_wait_begin', { dentry });
  x.t.status = 'inlookup';
  x.t.waitDentry = dentry;
  x.enter('d_wait_lookup:woken', 'd_alloc_parallel:try');
}

export const dWaitLookupSteps = defineRoutine('d_wait_lookup', {
  woken(x) {
    x.emit('il_wait_end', { dentry: x.t.waitDentry! });
    x.t.waitDentry = null;
    // d_alloc_parallel looks again, knowing it waited: a hashed name now is outcome W.
    x.v.dapWaited = true;
    x.leave();
  },
});
