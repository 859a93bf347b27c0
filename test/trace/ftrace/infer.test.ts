/** The i_rwsem offset is read off the capture itself: the parent's down_read comes just before __lookup_slow. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inferIrwsemOffset } from '../../../src/trace/ftrace/infer.js';

const head = (f: string) => gunzipSync(readFileSync(f)).subarray(0, 1 << 19).toString('latin1');

describe('inferIrwsemOffset', () => {
  it('finds 160 on the stock 6.1 capture and 216 on the lockdep build', () => {
    expect(inferIrwsemOffset(head('traces/kernel/trace.gz'))).toBe(160);
    expect(inferIrwsemOffset(head('traces/kernel-buggy/trace.gz'))).toBe(216);
  });
  it('says nothing when no down_read precedes a slow lookup of the same task', () => {
    expect(inferIrwsemOffset('  ls-1 [000] ..... 1.0: lkslow: (__lookup_slow+0x0/0x1) dinode=0xffff0000\n')).toBeUndefined();
  });
});
