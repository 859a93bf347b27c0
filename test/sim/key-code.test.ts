/**
 * Exploration memoises a monitor transition by its events' key (`eventsKey`): two lists of events
 * must have the same key exactly when they are equal field by field, or a transition would be
 * taken for another's.
 */
import { describe, expect, it } from 'vitest';
import { eventsKey } from '../../src/sim/key-code.js';
import type { TraceEvent } from '../../src/trace/event.js';

const ev = (over: Partial<TraceEvent> = {}): TraceEvent => ({ seq: 3, pid: 101, ev: 'acq', args: { lock: 'I1', mode: 'R' }, comm: 'stat', ...over });

describe('eventsKey', () => {
  it('is the same for equal events, made apart', () => {
    expect(eventsKey(7, [ev(), ev({ seq: 4 })])).toBe(eventsKey(7, [ev(), ev({ seq: 4 })]));
  });

  it('tells apart events that differ in any field, value type, field order or number', () => {
    const base = eventsKey(7, [ev()]);
    const others = [
      eventsKey(8, [ev()]),
      eventsKey(7, [ev({ seq: 4 })]),
      eventsKey(7, [ev({ pid: 102 })]),
      eventsKey(7, [ev({ ev: 'rel' })]),
      eventsKey(7, [ev({ comm: 'open' })]),
      eventsKey(7, [ev({ args: { lock: 'I1', mode: 'W' } })]),
      eventsKey(7, [ev({ args: { mode: 'R', lock: 'I1' } })]),
      eventsKey(7, [ev({ args: { lock: 'I1' } })]),
      eventsKey(7, [ev({ args: { lock: 'I1', mode: 'R', n: 1 } })]),
      eventsKey(7, [ev({ args: { lock: 'I1', mode: 'R', n: '1' } })]),
      eventsKey(7, [ev({ args: { lock: 'I1', mode: 'R', n: null } })]),
      eventsKey(7, [ev({ args: { lock: 'I1', mode: 'R', n: 'null' } })]),
      eventsKey(7, [ev({ fn: 'lookup' })]),
      eventsKey(7, [ev({ file: 'replay', line: 4 })]),
      eventsKey(7, [ev(), ev()]),
      eventsKey(7, []),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it('does not let one event run into the next', () => {
    const a = eventsKey(0, [ev({ args: { lock: 'I1' } }), ev({ args: {} })]);
    const b = eventsKey(0, [ev({ args: {} }), ev({ args: { lock: 'I1' } })]);
    expect(a).not.toBe(b);
  });
});
