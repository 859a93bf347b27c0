/** The API for users' own suites: checkTrace, the toSatisfySpec matcher, and a user-written invariant. */
import { describe, expect, it } from 'vitest';
import 'kinv/vitest';
import { bundledSpec, checkTrace, specText } from 'kinv';
import type { TraceEvent } from 'kinv';

const e = (pid: number, ev: string, args: Record<string, string | number> = {}, extra: Partial<TraceEvent> = {}): TraceEvent => ({ seq: 0, pid, ev, args, ...extra });
const balanced = [e(1, 'acq_req', { lock: 'I1', mode: 'R', kind: 'blocking' }), e(1, 'acq', { lock: 'I1', mode: 'R' }), e(1, 'rel', { lock: 'I1', mode: 'R' }), e(1, 'syscall_exit')];

describe('library API', () => {
  it('checkTrace returns the verdicts', () => {
    const r = checkTrace(bundledSpec(), [...balanced, e(1, 'rel', { lock: 'I1', mode: 'R' })]);
    expect(r.verdicts.map((v) => [v.invariant, v.event?.seq])).toEqual([['rel_held', 4]]);
  });

  it('toSatisfySpec passes on a clean trace and fails with the counterexample', () => {
    expect(balanced).toSatisfySpec(bundledSpec());
    const bad = [...balanced, e(1, 'rel', { lock: 'I1', mode: 'R' })];
    expect(() => expect(bad).toSatisfySpec(bundledSpec())).toThrow(/violation\[rel_held\]: task 1 releases I1 \(R\) but does not hold it/);
  });

  it('a user-written invariant on top of the bundled vocabulary', () => {
    const spec = specText(`import "events.kinv"
/// No task ever takes a directory lock exclusive.
invariant never_exclusive on acq: mode == R else "task {pid} takes {lock} exclusive"
`);
    const r = checkTrace(spec, [e(2, 'acq', { lock: 'I3', mode: 'W' })]);
    expect(r.verdicts.map((v) => v.message)).toEqual(['task 2 takes I3 exclusive']);
  });
});
