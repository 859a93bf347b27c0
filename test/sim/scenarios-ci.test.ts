/**
 * What exploration finds on the case-insensitive race scenarios (src/sim/scenarios-ci.ts), per
 * d_add_ci shape × lock order:
 * - `ci-pair` (§2(e) schedule 1 as written: stat "foo" + open "foo" O_CREAT), in product with the
 *   bundled spec: the 2(e) deadlock for the fixed and draft shapes in today's order, and only the
 *   prediction no_dap_under_dir_lock for mainline under the new order (the ABBA of 2(d) needs an
 *   exact-case lookup, which this pair does not have);
 * - `ci-trio-shared` and `ci-trio-open`, model only (deadlock = every live task blocked), so the
 *   three-task searches stay quick; with the monitors they take 15–45 s a cell (figures below);
 * - the draft's E2 in `ci-trio-shared` taken one step further than the imbalance: the caller's
 *   up_read cancels another reader's hold, and a writer gets in beside that reader.
 */
import { describe, expect, it } from 'vitest';
import { listChooser } from '../../src/sim/chooser.js';
import { explore } from '../../src/sim/explore.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/model.js';
import { CI_SCENARIOS } from '../../src/sim/scenarios-ci.js';
import { simulate } from '../../src/sim/simulate.js';
import { bundledChecker } from '../../src/checker/incremental.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { compileBundled, run } from '../helpers/run.js';

type Cell = `${DAddCiShape}/${LockOrder}`;
const CELLS: Cell[] = ['mainline/current', 'mainline/new', 'draft/current', 'draft/new', 'fixed/current', 'fixed/new'];
const split = (c: Cell) => c.split('/') as [DAddCiShape, LockOrder];
const DEADLOCK_2E = ['lock_order_acyclic', 'no_deadlock', 'waiter_holds_nothing_needed'];
/** In today's order the draft and fixed shapes drop the parent lock while the caller owns an in-lookup dentry (85c7f81041d5). */
const RELEASE_IN_LOOKUP = ['in_lookup_parent_locked'];

/** Rotates a printed cycle "a -> b -> c -> a" to start at its smallest pid, for comparing cycles. */
function canonicalCycle(pids: number[]): number[] {
  const ring = pids.slice(0, -1);
  const k = ring.indexOf(Math.min(...ring));
  const r = [...ring.slice(k), ...ring.slice(0, k)];
  return [...r, r[0]!];
}

describe('ci-pair: §2(e) schedule 1, with the monitors', () => {
  const want: Record<Cell, string[]> = {
    'mainline/current': [],
    'mainline/new': ['no_dap_under_dir_lock'],
    'draft/current': [...RELEASE_IN_LOOKUP, ...DEADLOCK_2E],
    'draft/new': [],
    'fixed/current': [...RELEASE_IN_LOOKUP, ...DEADLOCK_2E],
    'fixed/new': [],
  };
  for (const cell of CELLS) {
    it(`${cell}: ${want[cell].length ? want[cell].join(', ') : 'clean'}`, () => {
      const [dAddCi, order] = split(cell);
      const sc = CI_SCENARIOS['ci-pair']!({ dAddCi, order });
      const r = explore(sc, { monitor: bundledChecker({ order }) });
      expect(r.cut).toBeUndefined();
      expect(r.counterexamples.map((c) => c.invariant).sort()).toEqual([...want[cell]].sort());
      for (const c of r.counterexamples) {
        const replay = simulate(sc, listChooser(c.choices));
        const v = run(compileBundled({ order }), replay.events.slice(0, c.events.length)).verdicts.find((x) => x.kind === 'violation' && x.invariant === c.invariant);
        expect(v?.event?.seq, c.invariant).toBe(c.verdict?.event?.seq);
      }
      const dl = r.counterexamples.find((c) => c.invariant === 'no_deadlock');
      // The O_CREAT opener holds I1 exclusive and sleeps on the stat's in-lookup "foo"; the stat
      // re-takes I1 in d_add_ci while it still owns "foo".
      if (dl) expect(dl.verdict?.message).toMatch(/^deadlock: 102 -> 101 -> 102\b/);
    });
  }
});

describe('three tasks, model only: which cells can deadlock', () => {
  /**
   * Shortest deadlocks (steps to the state where every live task is blocked; the monitors see the
   * cycle earlier, as soon as it closes), or null for none; no search is cut by a bound.
   */
  const want: Record<'ci-trio-shared' | 'ci-trio-open', Record<Cell, number | null>> = {
    // 2(d) "even shared" under the new order with mainline d_add_ci; 2(e) shared in today's order.
    'ci-trio-shared': { 'mainline/current': null, 'mainline/new': 21, 'draft/current': 22, 'draft/new': null, 'fixed/current': 22, 'fixed/new': null },
    // One CI lookup, one O_CREAT open of the same name, an exclusive third party: the two-task
    // 2(e) cycle; the new order needs an exact-case lookup for its ABBA, and there is none here.
    'ci-trio-open': { 'mainline/current': null, 'mainline/new': null, 'draft/current': 22, 'draft/new': null, 'fixed/current': 22, 'fixed/new': null },
  };
  for (const [name, cells] of Object.entries(want)) {
    for (const cell of CELLS) {
      const depth = cells[cell];
      it(`${name} ${cell}: ${depth === null ? 'no deadlock' : `deadlock in ${depth} steps`}`, () => {
        const [dAddCi, order] = split(cell);
        const sc = CI_SCENARIOS[name]!({ dAddCi, order });
        const r = explore(sc);
        expect(r.cut).toBeUndefined();
        if (depth === null) { expect(r.counterexamples).toEqual([]); return; }
        const [dl] = r.counterexamples;
        expect(dl?.invariant).toBe('no_deadlock');
        expect(dl?.depth).toBe(depth);
        // The replay ends in the same deadlock, and the spec's own no_deadlock agrees on the cycle.
        const replay = simulate(sc, listChooser(dl!.choices));
        expect(replay.deadlock).toBeDefined();
        const v = run(compileBundled({ order }), replay.events).verdicts.find((x) => x.invariant === 'no_deadlock');
        const printed = /^deadlock: ([\d >-]+?) \(/.exec(v?.message ?? '')?.[1]?.split(' -> ').map(Number);
        expect(printed).toBeDefined();
        if (name === 'ci-trio-shared') expect(canonicalCycle(printed!)).toEqual(order === 'new' ? [101, 103, 102, 101] : [101, 102, 103, 101]);
      });
    }
  }

  it('ci-trio-shared: the shared deadlocks need no hand-off bit (a reader may queue behind a waiting writer)', () => {
    for (const cell of ['mainline/new', 'fixed/current'] as const) {
      const [dAddCi, order] = split(cell);
      const r = explore({ ...CI_SCENARIOS['ci-trio-shared']!({ dAddCi, order }), handoff: false });
      expect(r.counterexamples.map((c) => c.invariant), cell).toEqual(['no_deadlock']);
    }
  });
});

describe('ci-trio-shared, draft/new: E2, then the caller cancels another reader\'s hold', () => {
  // The shortest mutual_exclusion counterexample exploration with the monitors finds (28 steps):
  // 101 stats "Foo" and holds I1 shared in ->lookup; 102 stats "foo", enters d_add_ci and drops I1;
  // 101 hashes "Foo"; 102's d_alloc_parallel("Foo") hits it (H) and the draft returns without the
  // relock (E2); lookup_slow's up_read then drops a reader count that is 101's; 103's down_write
  // is granted while 101 is still inside ->lookup believing it holds I1.
  const CHOICES = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 2, 2];
  const brief = (e: TraceEvent) => [e.pid, e.ev, e.fn ?? e.args.lock ?? e.args.dentry ?? null];

  it('replays to the imbalance and to a writer beside a reader', () => {
    const sc = CI_SCENARIOS['ci-trio-shared']!({ dAddCi: 'draft', order: 'new' });
    const r = simulate(sc, listChooser(CHOICES));
    const report = run(compileBundled({ order: 'new' }), r.events);
    const violations = report.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.seq]);
    expect(violations).toEqual([
      ['d_add_ci_parent_lock_balanced', 19],
      ['lookup_parent_lock_balanced', 20],
      ['rel_held', 21],
      ['mutual_exclusion', 24],
    ]);
    expect(report.verdicts.find((v) => v.invariant === 'mutual_exclusion')?.message).toBe('task 103 acquires I1 W while {task 101 holds it R}');
    expect(r.events.slice(12, 25).map(brief)).toEqual([
      [102, 'call', 'd_add_ci'],
      [102, 'rel', 'I1'],
      [101, 'call', 'd_splice_alias'],
      [101, 'il_end', 'D100'],
      [101, 'ret', 'd_splice_alias'],
      [102, 'call', 'd_alloc_parallel'],
      [102, 'ret', 'd_alloc_parallel'],
      [102, 'ret', 'd_add_ci'],
      [102, 'ret', 'lookup'],
      [102, 'rel', 'I1'],
      [102, 'il_end', 'D101'],
      [103, 'acq_req', 'I1'],
      [103, 'acq', 'I1'],
    ]);
    expect(r.events[18]!.args.outcome).toBe('H');
  });

  it('the fixed shape under the same choices keeps the lock balanced and exclusive', () => {
    const sc = CI_SCENARIOS['ci-trio-shared']!({ dAddCi: 'fixed', order: 'new' });
    const r = simulate(sc, listChooser(CHOICES));
    const bad = new Set(['d_add_ci_parent_lock_balanced', 'lookup_parent_lock_balanced', 'rel_held', 'mutual_exclusion']);
    expect(run(compileBundled({ order: 'new' }), r.events).verdicts.filter((v) => bad.has(v.invariant))).toEqual([]);
  });
});
