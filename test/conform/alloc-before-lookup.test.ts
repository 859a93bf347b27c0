import { describe, expect, it } from 'vitest';
import { AllocBeforeLookup } from '../../src/conform/alloc-before-lookup.js';

describe('AllocBeforeLookup', () => {
  it('a ->lookup after its __lookup_slow\'s d_alloc_parallel is in order; one without it is counted, the first place kept', () => {
    const a = new AllocBeforeLookup();
    a.lookupSlowCall(1); a.allocation(1); a.lookup(1, 't:1'); a.lookupSlowReturn(1);
    expect(a.described()).toBeUndefined();
    a.lookupSlowCall(1); a.lookup(1, 't:7'); a.lookupSlowReturn(1);
    a.lookupSlowCall(2); a.lookup(2, 't:9');
    expect(a.described()).toBe('2 ->lookup calls inside __lookup_slow without the d_alloc_parallel before them, the first at t:7');
  });

  it('a lower layer\'s lookup inside an upper ->lookup (overlayfs) is judged by its own __lookup_slow', () => {
    const a = new AllocBeforeLookup();
    a.lookupSlowCall(1); a.allocation(1); a.lookup(1, 'upper');
    a.lookupSlowCall(1); a.lookup(1, 'lower without its allocation');
    a.lookupSlowReturn(1);
    // back in the upper frame: a nested ->lookup there (__lookup_hash, d_alloc's) is not counted
    a.lookup(1, 'nested in upper');
    expect([a.count, a.first]).toEqual([1, 'lower without its allocation']);
  });

  it('a ->lookup outside any __lookup_slow seen (lookup_open, a task that began before the capture) is not judged', () => {
    const a = new AllocBeforeLookup();
    a.lookup(1, 't:1');
    a.lookupSlowCall(2); a.forget(2); a.lookup(2, 't:2');
    a.lookupSlowCall(3); a.forget(undefined); a.lookup(3, 't:3');
    expect(a.count).toBe(0);
  });
});
