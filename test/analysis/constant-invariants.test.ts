/** Invariants whose condition reads nothing of the trace get a warning (KV205) at the condition; others none. */
import { describe, expect, it } from 'vitest';
import { loadSpecText } from '../../src/analysis/load.js';

const PRELUDE = 'event acq(lock: id, mode: str)\nstate held: set[task, id]\n';

function warnings(body: string): [string, string, string][] {
  const text = PRELUDE + body;
  const r = loadSpecText(text, 'c.kinv');
  // (the prelude's state is read and never filled: that warning, KV206, is unwritten-states.test.ts's)
  return r.diagnostics.filter((d) => d.code !== 'KV206').map((d) => [d.code, d.severity, d.span ? text.slice(d.span.start, d.span.end) : '']);
}

describe('constant invariants', () => {
  it('warns at a condition of literals and operators only (true, 1 == 2, 10 / 0 == 0, if/else of literals)', () => {
    expect(warnings('invariant a on acq: true\ninvariant b on acq: 10 / 0 == 0\ninvariant c on acq: (if 1 < 2 then "x" else "y") == "x" else "never"\n')).toEqual([
      ['KV205', 'warning', 'true'],
      ['KV205', 'warning', '10 / 0 == 0'],
      ['KV205', 'warning', '(if 1 < 2 then "x" else "y") == "x"'],
    ]);
    const text = PRELUDE + 'invariant a on acq: true\n';
    expect(loadSpecText(text, 'c.kinv').diagnostics[0]!.message)
      .toBe("invariant 'a' reads nothing of the trace (no event field, state or bound name): it holds at every event it is checked at, or is violated at every one");
    // a warning, not an error: the spec loads
    expect(loadSpecText(text, 'c.kinv').ok).toBe(true);
  });

  it('says nothing of a condition that reads a field, a state, a binding, the task or a call', () => {
    expect(warnings([
      'invariant f on acq: mode != "X"',
      'invariant s on acq: size(held) >= 0',
      'invariant q on acq: forall (t, l) in held: true',
      'invariant p on acq: pid > 0',
      'invariant c on acq: probed("d_add_ci") or true',
      'def yes(): bool = true',
      'invariant d on acq: yes()',
    ].join('\n') + '\n')).toEqual([]);
  });
});
