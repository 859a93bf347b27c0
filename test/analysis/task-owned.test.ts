import { describe, expect, it } from 'vitest';
import { taskOwnedStates } from '../../src/analysis/task-owned.js';
import { compileBundled, compileText } from '../helpers/run.js';

const EVENTS = `enum Mode { R, W }
event acq(lock: id, mode: Mode)
event rel(lock: id, mode: Mode)
event drop(lock: id)
state held: map[task, id] -> Mode
state owner: map[id] -> task
state by: set[task, id]
on acq { held[pid, lock] := mode  owner[lock] := pid  add (pid, lock) to by }
`;

describe('taskOwnedStates: states only their own task writes', () => {
  it('keyed by the writing task: owned; keyed by objects, or a task only as the value: not', () => {
    const spec = compileText(EVENTS + 'on rel { delete held[pid, lock]  remove (pid, lock) from by }\n').spec;
    expect([...taskOwnedStates(spec)].sort()).toEqual(['by', 'held']);
  });

  it('a rule that writes another task\'s entry makes the state not owned', () => {
    const spec = compileText(EVENTS + 'on rel { delete held[pid, lock] }\non drop { for (t, l) in held where l == lock { delete held[t, l] }  remove (owner[lock], lock) from by }\n').spec;
    expect([...taskOwnedStates(spec)]).toEqual([]);
  });

  it('a loop whose binder is pinned to the event\'s task writes that task\'s entries only; one pinned to anything else does not', () => {
    const own = compileText(EVENTS + 'on rel { for (t, l) in held where t == pid { delete held[t, l] }  for (t, l) in by where l == lock and pid == t { remove (t, l) from by } }\n').spec;
    expect([...taskOwnedStates(own)].sort()).toEqual(['by', 'held']);
    // an inner loop rebinding the slot is its own: pinned only by its own filter
    const inner = compileText(EVENTS + 'on rel { for (t, l) in held where t == pid { for (u, k) in held where k == lock { delete held[u, k] } } }\n').spec;
    expect([...taskOwnedStates(inner)].sort()).toEqual(['by']);
    const other = compileText(EVENTS + 'on rel { for (t, l) in held where t != pid { delete held[t, l] } }\n').spec;
    expect([...taskOwnedStates(other)].sort()).toEqual(['by']);
  });

  it('the bundled spec: the lock rules\' per-task state is owned; the in-lookup ownership set is not (il_end removes the owner\'s entry)', () => {
    const owned = taskOwnedStates(compileBundled().spec);
    expect(owned.has('held')).toBe(true);
    expect(owned.has('holds')).toBe(true);
    expect(owned.has('owns')).toBe(false);
    expect(owned.has('pos_at')).toBe(false);
    // cleared at a task's syscall exit by a loop over its own rows
    expect(owned.has('released_here')).toBe(true);
  });
});
