import { describe, expect, it } from 'vitest';
import { compileBundled, compileText, ev, run, verdicts } from '../helpers/run.js';

const EVENTS = `
event acq_req(lock: id, mode: str)
event step(to: str)
`;

describe('the evaluation budget', () => {
  // Four nested quantifiers over n elements take n^4 steps: 20 elements are 160,000 steps.
  const nested = compileText(`${EVENTS}
state seen: set[int]
on acq_req { add seq to seen }
invariant quad after acq_req: forall a in seen: forall b in seen: forall c in seen: forall d in seen: a + b + c + d >= 0
`);
  const acqs = (n: number) => Array.from({ length: n }, () => ev(1, 'acq_req', { lock: 'L', mode: 'R' }));

  it('abandons the first evaluation that spends it, as unknown, and evaluates the invariant no more', () => {
    // After event k the domain has n = k+1 elements and one evaluation visits n + n^2 + n^3 + n^4
    // of them: over 10,000 first at k = 9 (10 + 100 + 1,000 + 10,000).
    const r = run(nested, acqs(30), { evaluationBudget: 10_000 });
    expect(verdicts(r)).toEqual([['unknown', 'quad', 9]]);
    expect(r.verdicts[0]!.reason).toMatch(/more than 10,000 steps/);
    expect(r.evaluated.quad).toBe(9);
    expect(r.undecided.quad).toBe(1);
    expect(r.unknown.quad).toBe(20);
  });

  it('does not touch an evaluation within it', () => {
    const r = run(nested, acqs(30), { evaluationBudget: 30 + 30 ** 2 + 30 ** 3 + 30 ** 4 });
    expect(verdicts(r)).toEqual([]);
    expect(r.evaluated.quad).toBe(30);
  });

  it('bounds a path search along a long chain', () => {
    const chain = compileText(`${EVENTS}
state next: rel[str]
on step { add (str(seq), to) to next }
invariant acyclic after step: not reaches(next, to, str(seq))
`);
    const steps = Array.from({ length: 400 }, (_, i) => ev(1, 'step', { to: String(i + 1) }));
    const within = run(chain, steps, { evaluationBudget: 1_000 });
    expect(within.verdicts).toEqual([]);
    const r = run(chain, [...Array.from({ length: 400 }, (_, i) => ev(1, 'step', { to: String(i - 1) }))], { evaluationBudget: 100 });
    // Each edge points back one node: the search from i-1 expands the i nodes i-2 … -1 behind it,
    // over 100 first at i = 101.
    expect(verdicts(r)).toEqual([['unknown', 'acyclic', 101]]);
  });

  it('leaves a rule over thousands of concurrent readers of one lock within the default', () => {
    const spec = compileBundled();
    const n = 3000;
    const items = [];
    for (let p = 1; p <= n; p++) items.push(ev(p, 'syscall_exit'), ev(p, 'acq_req', { lock: 'L1', mode: 'R', kind: 'blocking' }), ev(p, 'acq', { lock: 'L1', mode: 'R' }));
    items.push(ev(n + 1, 'syscall_exit'), ev(n + 1, 'acq_req', { lock: 'L1', mode: 'W', kind: 'blocking' }), ev(n + 1, 'acq', { lock: 'L1', mode: 'W' }));
    for (let p = 1; p <= n + 1; p++) items.push(ev(p, 'rel', { lock: 'L1', mode: p <= n ? 'R' : 'W' }), ev(p, 'syscall_exit'));
    const r = run(spec, items);
    // The writer's acquisition among 3,000 readers is the one violation; no evaluation ran out of steps.
    expect(verdicts(r)).toEqual([['violation', 'mutual_exclusion', 3 * n + 2]]);
    expect(Object.values(r.undecided).every((x) => x === 0)).toBe(true);
  });
});

describe('a task that exits', () => {
  const spec = compileText(`
event acq(lock: id)
event rel(lock: id)
event task_exit()
invariant seen on rel: once acq(pid: pid, lock: lock)
`);

  it('takes its past with it: a pid handed out again names a task with no history', () => {
    const r = run(spec, [ev(5, 'acq', { lock: 'L' }), ev(5, 'rel', { lock: 'L' }), ev(5, 'task_exit'), ev(5, 'rel', { lock: 'L' })]);
    expect(verdicts(r)).toEqual([['violation', 'seen', 3]]);
  });

  it('keeps the past of tasks that live on', () => {
    const r = run(spec, [ev(5, 'acq', { lock: 'L' }), ev(6, 'acq', { lock: 'L' }), ev(5, 'task_exit'), ev(6, 'rel', { lock: 'L' })]);
    expect(verdicts(r)).toEqual([]);
  });
});
