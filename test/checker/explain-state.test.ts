/**
 * A verdict's "state naming the task" (lockdep's "locks held" and more) lists the latest entries of
 * each state and counts the rest: a capture that cannot show a state end (a release probe filtered
 * out) piles entries up, and one verdict must not print them all.
 */
import { describe, expect, it } from 'vitest';
import { bundledSpec, checkTrace, explain, specText } from '../../src/index.js';
import { ev } from '../../src/testing/events.js';

const SHOWN = 12;

function heldAfterTaking(locks: number) {
  const events = [
    ...Array.from({ length: locks }, (_, i) => ev(101, 'acq', { lock: `I${i + 1}`, mode: 'R' })),
    // A release of a lock the task does not hold: rel_held fails and explains task 101.
    ev(101, 'rel', { lock: 'I999', mode: 'R' }),
  ];
  const v = checkTrace(bundledSpec(), events).verdicts.find((x) => x.invariant === 'rel_held')!;
  return v.tasks.find((t) => t.pid === 101)!.state.filter((l) => l.startsWith('held[') || l.includes('held[...]'));
}

describe('the state a verdict lists per task', () => {
  it('is every entry while there are few', () => {
    const held = heldAfterTaking(SHOWN);
    expect(held).toHaveLength(SHOWN);
    expect(held.every((l) => l.startsWith('held[101, I'))).toBe(true);
  });

  it('is the latest entries of each state, and a count of the earlier ones, when they pile up', () => {
    const locks = 40;
    const held = heldAfterTaking(locks);
    const shown = held.filter((l) => l.startsWith('held['));
    expect(shown).toHaveLength(SHOWN);
    // The latest acquisitions, I29..I40, in the store's order.
    expect(shown.map((l) => /held\[101, (I\d+)\]/.exec(l)![1]).sort()).toEqual(
      Array.from({ length: SHOWN }, (_, i) => `I${locks - SHOWN + 1 + i}`).sort());
    expect(held).toContain(`... ${locks - SHOWN} earlier held[...] entries naming this task not shown`);
  });
});

describe('a task the spec\'s state does not name', () => {
  it('is said so in the spec\'s own terms, not the bundled spec\'s', () => {
    // A spec about something else: no lock, no in-lookup dentry.
    const text = 'event open(file: id)\nevent close(file: id)\nstate opened: set[task, id]\n'
      + 'on open { add (pid, file) to opened }\non close { remove (pid, file) from opened }\n'
      + 'invariant close_opened on close: (pid, file) in opened else "task {pid} closes {file} it did not open"\n';
    const spec = specText(text);
    const report = checkTrace(spec, [ev(7, 'close', { file: 'F1' })]);
    expect(report.verdicts.map((v) => v.invariant)).toEqual(['close_opened']);
    const text2 = explain(spec, report);
    expect(text2).toContain('no state of the spec names pid 7 at this point: it holds nothing the spec follows');
    expect(text2).not.toContain('lock');
  });
});
