/**
 * The columns the renderer prints as tracefs does (kernel 6.1 trace_output.c): the timestamp of a
 * nanosecond clock as seconds with microseconds (truncated), or with nanoseconds, of a counter as
 * a 12-wide integer, and the latency flags column.
 */
import { describe, expect, it } from 'vitest';
import { clockInNs, flagsText, tsText } from '../../../src/trace/tracedat/render.js';

describe('tracefs columns', () => {
  it('timestamps: ns clocks print seconds.microseconds (cut, not rounded); counters an integer', () => {
    expect(clockInNs('global')).toBe(true);
    expect(clockInNs('counter')).toBe(false);
    expect(clockInNs('x86-tsc')).toBe(false);
    expect(tsText(15_545_893_999, true)).toBe('   15.545893');
    expect(tsText(123_456_789_012_345, true)).toBe('123456.789012');
    expect(tsText(24, false)).toBe('          24');
  });

  it('timestamps with nanoseconds (what kinv reads a trace.dat with): every digit, as `trace-cmd report -t` prints them', () => {
    expect(tsText(15_545_893_999, true, true, true)).toBe('   15.545893999');
    expect(tsText(45_000_000_007, true, false, true)).toBe('45.000000007');
    expect(tsText(24, false, true, true)).toBe('          24');
  });

  it('flags: irqs-off, need-resched, hard/soft irq, preempt depth, migrate-disable', () => {
    expect(flagsText(0, 0)).toBe('.....');
    expect(flagsText(0, 1)).toBe('...1.');
    expect(flagsText(0x04 | 0x20, 0)).toBe('.N...');
    expect(flagsText(0x04, 0)).toBe('.n...');
    expect(flagsText(0x01 | 0x08 | 0x10, 0x12)).toBe('d.H21');
    expect(flagsText(0x40 | 0x08, 0)).toBe('..Z..');
    expect(flagsText(0x80, 0)).toBe('..b..');
  });
});
