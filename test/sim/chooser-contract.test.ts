/**
 * The Chooser contract (src/sim/chooser.ts) as exploration and replay rely on it: a list chooser
 * takes each pick modulo its n and falls back to 0 when the list runs out; decisions with a single
 * option consume nothing; a recording lists exactly the decisions with more than one option, so
 * that its picks replay the run; a seeded chooser is a pure function of its seed and honours
 * two-way fault rates. An exact list chooser (a user's `--replay`) answers as a list chooser where
 * every pick is in range, and refuses a pick out of range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactListChooser, listChooser, recording, ReplayMismatch, seededChooser, type Chooser } from '../../src/sim/chooser.js';

/** Draws a sequence of decisions of the given widths. */
const draw = (ch: Chooser, widths: readonly number[], why = 'schedule') => widths.map((n) => ch.choose(n, why));

describe('listChooser', () => {
  it('takes picks modulo n, skips single-option decisions, and picks 0 once the list runs out', () => {
    const ch = listChooser([3, 1, 5]);
    expect(draw(ch, [2, 1, 4, 1, 3, 2, 7])).toEqual([1, 0, 1, 0, 2, 0, 0]);
  });

  it('always answers in range', () => {
    fc.assert(fc.property(fc.array(fc.nat(50)), fc.array(fc.integer({ min: 1, max: 9 })), (picks, widths) => {
      const got = draw(listChooser(picks), widths);
      got.forEach((p, i) => { expect(p).toBeGreaterThanOrEqual(0); expect(p).toBeLessThan(widths[i]!); });
    }));
  });
});

describe('exactListChooser', () => {
  it('answers as listChooser where every pick is in range, counting the picks taken', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }), fc.array(fc.nat(8), { maxLength: 40 }), (widths, raw) => {
      const picks = raw.slice(0, widths.filter((n) => n > 1).length).map((p, i) => p % widths.filter((n) => n > 1)[i]!);
      const exact = exactListChooser(picks);
      expect(draw(exact, widths)).toEqual(draw(listChooser(picks), widths));
      expect(exact.used).toBe(picks.length);
    }));
  });

  it("refuses a pick out of its decision's range, naming the decision", () => {
    const ch = exactListChooser([1, 0, 2]);
    expect(ch.choose(2, 'schedule')).toBe(1);
    expect(ch.choose(1, 'schedule')).toBe(0);
    expect(ch.choose(3, 'alloc-fail')).toBe(0);
    let thrown: unknown;
    try { ch.choose(2, 'writer-handoff'); } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(ReplayMismatch);
    expect((thrown as ReplayMismatch).message).toBe('choice 3 is 2, but that decision (writer-handoff) has 2 options, 0 to 1');
    expect(ch.used).toBe(2);
  });
});

describe('recording', () => {
  it('logs the decisions with more than one option, and their picks replay the same answers', () => {
    fc.assert(fc.property(fc.nat(), fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 60 }), (seed, widths) => {
      const rec = recording(seededChooser(seed));
      const first = draw(rec, widths, 'alloc-fail');
      expect(rec.log.map((c) => c.n)).toEqual(widths.filter((n) => n > 1));
      expect(rec.log.every((c) => c.why === 'alloc-fail')).toBe(true);
      expect(draw(listChooser(rec.log.map((c) => c.pick)), widths)).toEqual(first);
    }));
  });
});

describe('seededChooser', () => {
  it('is a pure function of its seed', () => {
    const widths = Array.from({ length: 200 }, (_, i) => 2 + (i % 5));
    expect(draw(seededChooser(7), widths)).toEqual(draw(seededChooser(7), widths));
    expect(draw(seededChooser(7), widths)).not.toEqual(draw(seededChooser(8), widths));
  });

  it('takes a named two-way fault with its rate, and leaves other decisions uniform', () => {
    const never = seededChooser(1, { 'alloc-fail': 0 });
    const always = seededChooser(1, { 'alloc-fail': 1 });
    expect(draw(never, Array<number>(100).fill(2), 'alloc-fail').every((p) => p === 0)).toBe(true);
    expect(draw(always, Array<number>(100).fill(2), 'alloc-fail').every((p) => p === 1)).toBe(true);
    const picks = draw(seededChooser(3, { 'alloc-fail': 0 }), Array<number>(400).fill(2), 'schedule');
    expect(picks.filter((p) => p === 1).length).toBeGreaterThan(100);
  });
});
