import { describe, expect, it } from 'vitest';
import { LookupEnds } from '../../../src/trace/ftrace/lookup-ends.js';

const BIT = 0x10000000;

describe('LookupEnds', () => {
  it('names a task that made an in-lookup dentry, returned to user space, and ended none, where another task ends one', () => {
    const e = new LookupEnds();
    e.allocation(1, 10, '0x10000000'); // in lookup
    e.returnToUser(1);
    e.allocation(2, 11, '0x10000000');
    e.end(2, 12); // task 2 ends its own: not named
    expect(e.silentTasks(BIT)).toEqual(new Map([[1, 10]]));
  });

  it('names nobody where no task ends one, or before the task returns to user space, or for dentries found hashed', () => {
    const none = new LookupEnds();
    none.allocation(1, 10, '0x10000000');
    none.returnToUser(1);
    expect(none.silentTasks(BIT)).toEqual(new Map());
    const e = new LookupEnds();
    e.end(9, 9);
    e.allocation(1, 10, '0x10000000'); // still in its system call when the capture ends
    e.allocation(2, 11, '0x8'); // a dentry d_alloc_parallel found (no DCACHE_PAR_LOOKUP): nothing to end
    e.returnToUser(2);
    e.allocation(3, 12, undefined); // no dflags fetched: what it returned cannot be told
    e.returnToUser(3);
    expect(e.silentTasks(BIT)).toEqual(new Map());
  });

  it('names the line of the first in-lookup dentry, and reads the bit the capture\'s kernel has', () => {
    const e = new LookupEnds();
    e.end(9, 9);
    e.allocation(1, 10, '0x8');
    e.allocation(1, 12, '0x1000008');
    e.returnToUser(1);
    expect(e.silentTasks(BIT)).toEqual(new Map());
    expect(e.silentTasks(0x1000000)).toEqual(new Map([[1, 12]]));
  });

  it('finds the unhash probes turned on late: two in-lookup dentries whose tasks returned to user space before the first end', () => {
    const e = new LookupEnds();
    e.allocation(1, 10, '0x10000000');
    e.returnToUser(1);
    e.allocation(2, 11, '0x8'); // found hashed: nothing to end
    e.returnToUser(2);
    expect(e.beganLate(BIT)).toBeUndefined(); // (no end at all yet: the unhash probes' concern, not their start)
    e.allocation(3, 12, '0x10000000');
    e.returnToUser(3);
    e.allocation(4, 13, '0x10000000'); // still in its system call at the first end
    e.end(4, 14);
    e.allocation(5, 15, '0x10000000'); // after the first end: followed
    e.returnToUser(5);
    expect(e.beganLate(BIT)).toEqual({ line: 14, exits: 2, tasks: new Map([[1, 10], [3, 12], [4, 13]]) });
  });

  it('finds no late start where one in-lookup dentry alone came before the first end', () => {
    const e = new LookupEnds();
    e.allocation(1, 10, '0x10000000');
    e.returnToUser(1);
    e.end(2, 11);
    expect(e.beganLate(BIT)).toBeUndefined();
  });
});
