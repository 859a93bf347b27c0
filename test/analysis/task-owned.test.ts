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

  it('the bundled spec: the lock rules\' per-task state is owned; the in-lookup ownership set is not (il_end removes the owner\'s entry)', () => {
    const owned = taskOwnedStates(compileBundled().spec);
    expect(owned.has('held')).toBe(true);
    expect(owned.has('holds')).toBe(true);
    expect(owned.has('owns')).toBe(false);
    expect(owned.has('pos_at')).toBe(false);
  });
});
