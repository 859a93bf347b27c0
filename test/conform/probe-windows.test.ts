import { describe, expect, it } from 'vitest';
import { ProbeWindows } from '../../src/conform/probe-windows.js';

describe('ProbeWindows: where a probe was on, read off calls and returns that lost their other side', () => {
  it('a return probe turned off while its entry probe goes on: the returns count as shown up to the last', () => {
    const w = new ProbeWindows();
    w.call(1, 'd_add_ci', 0); w.ret(1, 'd_add_ci', 1); w.sync(1);
    w.call(2, 'd_add_ci', 2); w.ret(2, 'd_add_ci', 3); w.sync(2);
    // (two calls after the last return whose syscalls end with no return logged)
    w.call(1, 'd_add_ci', 4); w.sync(1);
    w.call(2, 'd_add_ci', 5); w.sync(2);
    expect([...w.spans()]).toEqual([['ret d_add_ci', { from: 0, to: 3 }]]);
  });

  it('an entry probe turned on late: the calls count as shown from the first', () => {
    const w = new ProbeWindows();
    w.ret(1, 'lookup', 0); w.ret(2, 'lookup', 1);
    w.call(1, 'lookup', 2); w.ret(1, 'lookup', 3);
    expect([...w.spans()]).toEqual([['call lookup', { from: 2, to: Number.MAX_SAFE_INTEGER }]]);
  });

  it('one lost return is no probe turned off; calls that nest, or return, leave nothing', () => {
    const w = new ProbeWindows();
    w.call(1, 'lookup', 0); w.call(1, 'lookup', 1); w.ret(1, 'lookup', 2); w.ret(1, 'lookup', 3); w.sync(1);
    w.call(1, 'lookup', 4); w.sync(1);
    expect([...w.spans()]).toEqual([]);
  });

  it('a loss forgets what its tasks had open: their returns may be in it', () => {
    const w = new ProbeWindows();
    w.call(1, 'd_add_ci', 0); w.ret(1, 'd_add_ci', 1);
    w.call(1, 'd_add_ci', 2); w.call(2, 'd_add_ci', 3);
    w.forget([1, 2]);
    w.sync(1); w.sync(2);
    expect([...w.spans()]).toEqual([]);
    w.call(1, 'd_add_ci', 4); w.call(2, 'd_add_ci', 5);
    w.forget(undefined);
    w.sync(1); w.sync(2);
    expect([...w.spans()]).toEqual([]);
  });
});
