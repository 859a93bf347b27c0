/**
 * The simulator: deterministic and replayable; every run speaks the event vocabulary (checked
 * against the spec's schema, with well-nested calls); the draft d_add_ci reaches each of its
 * early returns E1, E2, E3 without re-taking the parent lock; mainline and fixed never return
 * unbalanced, whatever the schedule and faults.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SchemaValidator } from '../../src/checker/check.js';
import { listChooser, recording, seededChooser } from '../../src/sim/chooser.js';
import { SCENARIOS, randomScenario, DEFAULT_RANDOM } from '../../src/sim/scenarios.js';
import { simulate } from '../../src/sim/simulate.js';
import type { DAddCiShape, LockOrder } from '../../src/sim/model.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { compileBundled, run } from '../helpers/run.js';

const shapes: DAddCiShape[] = ['mainline', 'draft', 'fixed'];
const orders: LockOrder[] = ['current', 'new'];
const IMBALANCE = new Set(['d_add_ci_parent_lock_balanced', 'lookup_parent_lock_balanced', 'rel_held', 'rel_mode', 'd_add_ci_relock_mode']);

const strip = (es: TraceEvent[]) => es.map(({ seq, pid, ev, fn, args, ret }) => ({ seq, pid, ev, fn, args, ret }));

const scenarioArb = fc.record({
  dAddCi: fc.constantFrom(...shapes), order: fc.constantFrom(...orders), seed: fc.nat(1000),
  tasks: fc.integer({ min: 1, max: 4 }), ops: fc.integer({ min: 1, max: 3 }),
  allocFail: fc.boolean(), exactHashed: fc.boolean(),
}).map((o) => randomScenario({ ...DEFAULT_RANDOM, ...o, dirs: 2, names: 2, creat: 0.3, mkdir: 0.2 }));

describe('simulate', () => {
  it('is deterministic, and a recorded choice list replays the run exactly', () => {
    const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi: 'draft', order: 'current', tasks: 4, ops: 5, seed: 7, allocFail: true, exactHashed: true });
    const rates = { 'alloc-fail': 0.2, 'exact-hashed': 0.3 };
    const a = simulate(sc, seededChooser(42, rates));
    const b = simulate(sc, seededChooser(42, rates));
    expect(strip(b.events)).toEqual(strip(a.events));
    const rec = recording(seededChooser(42, rates));
    const c = simulate(sc, rec);
    const replay = simulate(sc, listChooser(rec.log.map((x) => x.pick)));
    expect(strip(replay.events)).toEqual(strip(c.events));
  });

  it('emits only the vocabulary, with well-nested calls and every acq after its acq_req', () => {
    const validator = new SchemaValidator(compileBundled().spec);
    fc.assert(fc.property(scenarioArb, fc.array(fc.nat(3), { maxLength: 200 }), (sc, picks) => {
      const r = simulate(sc, listChooser(picks), { maxSteps: 5000 });
      const stacks = new Map<number, string[]>();
      const requested = new Map<number, string>();
      for (const e of r.events) {
        expect(validator.validate(e)).toBeUndefined();
        const st = stacks.get(e.pid) ?? [];
        stacks.set(e.pid, st);
        if (e.ev === 'call') st.push(e.fn!);
        if (e.ev === 'ret') expect(st.pop()).toBe(e.fn);
        if (e.ev === 'acq_req') requested.set(e.pid, String(e.args.lock));
        if (e.ev === 'acq') expect(requested.get(e.pid)).toBe(e.args.lock);
      }
      if (!r.deadlock && !r.cut) for (const st of stacks.values()) expect(st).toEqual([]);
    }), { numRuns: 150 });
  });

  it('mainline and fixed d_add_ci never leave a frame unbalanced, in either order', () => {
    fc.assert(fc.property(scenarioArb, fc.array(fc.nat(3), { maxLength: 200 }), (sc0, picks) => {
      if (sc0.dAddCi === 'draft') return;
      const r = simulate(sc0, listChooser(picks), { maxSteps: 5000 });
      const report = run(compileBundled({ order: sc0.order }), r.events, { all: true });
      expect(report.verdicts.filter((v) => IMBALANCE.has(v.invariant)).map((v) => v.invariant)).toEqual([]);
    }), { numRuns: 150 });
  });
});

describe('the draft d_add_ci early returns', () => {
  /** Runs a one-task scenario with forced choices and returns the d_add_ci frame's events and the verdicts. */
  function forced(name: 'single' | 'mkdir', picks: number[]) {
    const sc = SCENARIOS[name]!({ dAddCi: 'draft', order: 'current' });
    const r = simulate(sc, listChooser(picks));
    const start = r.events.findIndex((e) => e.ev === 'call' && e.fn === 'd_add_ci');
    const end = r.events.findIndex((e) => e.ev === 'ret' && e.fn === 'd_add_ci');
    const report = run(compileBundled(), r.events);
    const rel = r.events.findIndex((e, i) => i > start && e.ev === 'rel');
    return { frame: r.events.slice(start, end + 1), verdicts: report.verdicts.map((v) => [v.invariant, v.event?.seq]), end, rel };
  }
  const lockOps = (es: TraceEvent[]) => es.filter((e) => e.ev === 'rel' || e.ev === 'acq').map((e) => e.ev);

  it('E1: d_alloc_parallel fails, and d_add_ci returns the error without re-taking the lock', () => {
    // choices: no fault on the first d_alloc_parallel, the exact name not hashed, then allocation failure.
    const { frame, verdicts, end, rel } = forced('single', [0, 0, 1]);
    expect(frame.at(-1)!.ret).toBe('ERR:-12');
    expect(frame.find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('E');
    expect(lockOps(frame)).toEqual(['rel']);
    // the release itself, while the caller owns the in-lookup dentry (today's order), then the unbalanced return
    expect(verdicts.slice(0, 2)).toEqual([['in_lookup_parent_locked', rel], ['d_add_ci_parent_lock_balanced', end]]);
    expect(verdicts.map((v) => v[0])).toEqual(['in_lookup_parent_locked', 'd_add_ci_parent_lock_balanced', 'lookup_parent_lock_balanced', 'rel_held']);
  });

  it('E2: the exact-case name got hashed meanwhile, and d_add_ci returns it without re-taking the lock', () => {
    const { frame, verdicts, end, rel } = forced('single', [0, 1]);
    expect(frame.find((e) => e.ev === 'ret' && e.fn === 'd_alloc_parallel')!.args.outcome).toBe('H');
    expect(lockOps(frame)).toEqual(['rel']);
    expect(verdicts.slice(0, 2)).toEqual([['in_lookup_parent_locked', rel], ['d_add_ci_parent_lock_balanced', end]]);
  });

  it('E3: d_alloc fails on the non-in-lookup path, and d_add_ci returns -ENOMEM without re-taking the lock', () => {
    const { frame, verdicts, end } = forced('mkdir', [0, 1]);
    expect(frame.some((e) => e.ev === 'call' && e.fn === 'd_alloc')).toBe(true);
    expect(frame.at(-1)!.ret).toBe('ERR:-12');
    expect(lockOps(frame)).toEqual(['rel']);
    expect(verdicts[0]).toEqual(['d_add_ci_parent_lock_balanced', end]);
    expect(verdicts.map((v) => v[0])).toContain('rel_held');
  });

  it('the same choices give a balanced frame with the fixed shape', () => {
    for (const [name, picks] of [['single', [0, 0, 1]], ['single', [0, 1]], ['mkdir', [0, 1]]] as const) {
      const r = simulate(SCENARIOS[name]!({ dAddCi: 'fixed', order: 'current' }), listChooser([...picks]));
      expect(run(compileBundled(), r.events).verdicts.filter((v) => IMBALANCE.has(v.invariant))).toEqual([]);
    }
  });
});
