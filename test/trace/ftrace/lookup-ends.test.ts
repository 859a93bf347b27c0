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

  it('finds in-lookup dentries whose lookup returned with no end of them logged; a nested lookup ends only its own', () => {
    const e = new LookupEnds();
    e.lookupCalled(1, 10); // an overlay's __lookup_slow
    e.allocation(1, 11, '0x10000000', 'd1');
    e.lookupCalled(1, 12); // a layer's, inside it
    e.allocation(1, 13, '0x10000000', 'd2');
    e.end(1, 14, 'd2');
    e.lookupReturned(1, true); // the layer's returns: d1 is the outer lookup's, not yet due
    expect(e.unendedAtReturn(BIT)).toBeUndefined();
    e.lookupReturned(1, true); // the overlay's returns with d1 not ended
    e.allocation(2, 15, '0x10000000', 'd3');
    e.allocation(2, 16, '0x8', 'd4'); // found hashed: nothing to end
    e.returnToUser(2); // d3 not ended either
    expect(e.unendedAtReturn(BIT)).toEqual({ count: 2, first: [1, 11], tasks: new Map([[1, 11], [2, 15]]) });
  });

  it('finds none where one lookup alone returned unended, or where no end names its dentry (the ends are not probed, not off for a while)', () => {
    const one = new LookupEnds();
    one.allocation(1, 10, '0x10000000', 'd1');
    one.end(1, 11, 'd1');
    one.allocation(1, 12, '0x10000000', 'd2');
    one.returnToUser(1);
    expect(one.unendedAtReturn(BIT)).toBeUndefined();
    const unnamed = new LookupEnds();
    for (const [pid, d] of [[1, 'd1'], [2, 'd2']] as const) {
      unnamed.allocation(pid, 10, '0x10000000', d);
      unnamed.end(pid, 11); // an __d_lookup_unhash_wake: no dentry taken from it
      unnamed.returnToUser(pid);
    }
    expect(unnamed.unendedAtReturn(BIT)).toBeUndefined();
  });

  describe('a ->lookup returning to the function that made the task\'s latest in-lookup dentry (unendedAtReturn)', () => {
    it('an open()\'s dentry still open at the task\'s next lookup step after its ->lookup returned to path_openat counts as unended', () => {
      const e = new LookupEnds();
      e.end(9, 9, '0xd9');
      for (const [d, line] of [['0xd1', 10], ['0xd2', 20]] as const) {
        e.allocation(1, line, '0x10000000', d, 'path_openat');
        e.methodReturned(1, 'path_openat');
      }
      e.allocation(1, 30, '0x8', '0xd3', 'path_openat');
      // (each dentry's next step came with no end of it: lookup_open's d_lookup_done went unlogged)
      expect(e.unendedAtReturn(BIT)).toEqual({ count: 2, first: [1, 10], tasks: new Map([[1, 10]]) });
    });

    it('ended at once, or by d_splice_alias inside ->lookup, nothing is due; an outer lookup\'s dentry is not the one that returned', () => {
      const e = new LookupEnds();
      for (const task of [1, 2]) {
        e.lookupCalled(task, 10);
        e.allocation(task, 10, '0x10000000', `0xa${task}`, '__lookup_slow'); // an overlay's upper dentry
        e.lookupCalled(task, 11);
        e.allocation(task, 11, '0x10000000', `0xb${task}`, '__lookup_slow'); // the layer's, inside the upper ->lookup
        e.end(task, 11, `0xb${task}`); // d_splice_alias ends it inside the layer's ->lookup
        e.methodReturned(task, '__lookup_slow');
        e.lookupReturned(task, true); // the layer's __lookup_slow returns: the upper's is still open, its ->lookup running
      }
      e.allocation(1, 13, '0x10000000', '0xd3', 'path_openat');
      e.methodReturned(1, 'path_openat');
      e.end(1, 14, '0xd3'); // lookup_open's d_lookup_done
      e.allocation(1, 15, '0x10000000', '0xd4', 'path_openat');
      e.methodReturned(1, 'lookup_one_qstr_excl'); // a ->lookup on a dentry d_alloc made: another function
      e.allocation(1, 16, '0x8', '0xd5', 'path_openat');
      expect(e.unendedAtReturn(BIT)).toBeUndefined();
    });
  });

  describe('a dentry made again while its in-lookup state still looks open: it was freed, so that state ended', () => {
    it('counts where no end record at all came since it was made (the end probe turned off), and names the tasks past the last end', () => {
      const e = new LookupEnds();
      e.allocation(1, 10, '0x10000000', '0xd1');
      e.end(1, 11, '0xd1'); // the last end record
      e.allocation(2, 12, '0x10000000', '0xd2');
      e.allocation(3, 13, '0x10000000', '0xd3');
      e.allocation(4, 14, '0x10000000', '0xd2'); // 0xd2 again: task 2's ended unlogged
      expect(e.unendedAtReturn(BIT)).toBeUndefined(); // (one alone: a kernel that frees one in lookup reads the same)
      e.allocation(5, 15, '0x10000000', '0xd3'); // 0xd3 again
      // (task 1 made its dentry before the first end record: its ends could not show either)
      expect(e.unendedAtReturn(BIT)).toEqual({ count: 2, first: [2, 12], tasks: new Map([[2, 12], [3, 13], [1, 10], [4, 14], [5, 15]]) });
    });

    it('does not count where an end record came between (the probe was on: an end not logged then is no probe\'s)', () => {
      const e = new LookupEnds();
      e.allocation(2, 12, '0x10000000', '0xd2');
      e.allocation(3, 13, '0x10000000', '0xd3');
      e.end(9, 14, '0xd9');
      e.allocation(4, 15, '0x10000000', '0xd2');
      e.allocation(5, 16, '0x10000000', '0xd3');
      expect(e.unendedAtReturn(BIT)).toBeUndefined();
    });
  });
});
