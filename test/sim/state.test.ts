/**
 * Exploration keeps a frontier state as its key and reads it back when it expands it
 * (`readStateKey`): the state read back must be the state written, so that its steps, and so its
 * successors and verdicts, are the same. Every state of random runs of every shape and order is
 * written and read back.
 */
import { describe, expect, it } from 'vitest';
import { seededChooser } from '../../src/sim/chooser.js';
import { KeyReader, KeyWriter } from '../../src/sim/key-code.js';
import { initialState, live, runnable, step, type DAddCiShape, type LockOrder, type ModelState, type Scenario } from '../../src/sim/model.js';
import { DEFAULT_RANDOM, randomScenario } from '../../src/sim/scenarios.js';
import { cloneState, deleteFromRecord, readStateKey, setRecord, stateKey, TaskUnits, writeStateKey } from '../../src/sim/state.js';
import type { TraceEvent } from '../../src/trace/event.js';
import { scalarCode, scalarOf } from '../../src/values/scalar-code.js';

const shapes: DAddCiShape[] = ['mainline', 'draft', 'fixed'];
const orders: LockOrder[] = ['current', 'new'];

const readBack = (sc: Scenario, s: ModelState): ModelState => {
  const w = new KeyWriter();
  writeStateKey(w.start(), s);
  return readStateKey(new KeyReader(w.buffer.slice(0, w.length), 0), sc, s.seq);
};

describe('a state read back from its key', () => {
  it('is the state written, record order included, at every step of random runs', () => {
    let states = 0;
    for (const dAddCi of shapes) for (const order of orders) for (let seed = 1; seed <= 12; seed++) {
      const sc = randomScenario({
        ...DEFAULT_RANDOM, dAddCi, order, seed, tasks: 4, dirs: 2, names: 2, ci: 1, creat: 0.3, mkdir: 0.3,
        allocFail: true, exactHashed: true, revalidates: seed % 2 === 0,
      });
      const ch = seededChooser(seed, { 'alloc-fail': 0.2, 'exact-hashed': 0.3 });
      const s = initialState(sc);
      for (let n = 0; n < 3000 && live(s); n++) {
        const back = readBack(sc, s);
        // toEqual: a variable set to undefined is the key's absent one.
        expect(back).toEqual(s);
        expect(stateKey(back)).toBe(stateKey(s));
        for (const part of ['hashed', 'inLookup', 'dentryKey'] as const) expect(Object.keys(back[part])).toEqual(Object.keys(s[part]));
        back.tasks.forEach((t, i) => expect(Object.keys(t.v)).toEqual(Object.keys(s.tasks[i]!.v).filter((k) => (s.tasks[i]!.v as Record<string, unknown>)[k] !== undefined)));
        states++;
        const r = runnable(s);
        if (r.length === 0) break;
        step(sc, s, r[ch.choose(r.length, 'schedule')]!, ch, []);
      }
    }
    expect(states).toBeGreaterThan(1000);
  });

  it('goes on as the state written: the same steps give the same states', () => {
    const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi: 'draft', order: 'new', seed: 4, tasks: 3, dirs: 1, names: 1, ci: 1, creat: 0.4, mkdir: 0.2, allocFail: true, exactHashed: true });
    const a = initialState(sc);
    const ch = seededChooser(9, { 'alloc-fail': 0.2, 'exact-hashed': 0.3 });
    let b = readBack(sc, a);
    for (let n = 0; n < 400 && live(a); n++) {
      const r = runnable(a);
      if (r.length === 0) break;
      const i = r[ch.choose(r.length, 'schedule')]!;
      const picks: number[] = [];
      const ea: TraceEvent[] = [];
      const eb: TraceEvent[] = [];
      step(sc, a, i, { choose: (k, what) => { const p = ch.choose(k, what); picks.push(p); return p; } }, ea);
      let at = 0;
      step(sc, b, i, { choose: () => picks[at++]! }, eb);
      expect(eb).toEqual(ea);
      expect(stateKey(b)).toBe(stateKey(a));
      b = readBack(sc, b);
    }
  });
});

describe('a successor\'s key', () => {
  it('written with the tasks\' units of the state it was copied from is its key written whole', () => {
    let written = 0;
    for (const dAddCi of shapes) for (const order of orders) for (let seed = 1; seed <= 6; seed++) {
      const sc = randomScenario({
        ...DEFAULT_RANDOM, dAddCi, order, seed, tasks: 4, dirs: 1, names: 2, ci: 1, creat: 0.3, mkdir: 0.3, allocFail: true, exactHashed: true,
      });
      const ch = seededChooser(seed, { 'alloc-fail': 0.2, 'exact-hashed': 0.3 });
      const s = initialState(sc);
      const w = new KeyWriter();
      for (let n = 0; n < 2000 && live(s); n++) {
        const r = runnable(s);
        if (r.length === 0) break;
        writeStateKey(w.start(), s);
        const units = new TaskUnits();
        const back = readStateKey(new KeyReader(w.buffer.slice(0, w.length), 0), sc, s.seq, units);
        // Each runnable task's step from the state read back (wake-ups replace the tasks they wake).
        for (const i of r) {
          const next = cloneState(back, i);
          step(sc, next, i, { choose: () => 0 }, []);
          writeStateKey(w.start(), next, units);
          expect(w.text()).toBe(stateKey(next));
          written++;
        }
        step(sc, s, r[ch.choose(r.length, 'schedule')]!, ch, []);
      }
    }
    expect(written).toBeGreaterThan(1000);
  });
});

describe('the dcache records', () => {
  const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi: 'mainline', order: 'current', seed: 1, tasks: 2, dirs: 1, names: 1 });

  it('are changed in place by a state that owns them, as a copy would change them', () => {
    const s = initialState(sc);
    const hashed = s.hashed;
    setRecord(s, 'hashed', 'a/x', 'D1');
    setRecord(s, 'hashed', 'a/y', 'D2');
    setRecord(s, 'hashed', 'a/x', 'D3');
    deleteFromRecord(s, 'hashed', 'a/y');
    deleteFromRecord(s, 'hashed', 'a/none');
    expect(s.hashed).toBe(hashed);
    expect(Object.entries(s.hashed)).toEqual([['a/x', 'D3']]);
  });

  it('are shared by a copy for one task\'s step, and neither state changes them in place after', () => {
    const s = initialState(sc);
    setRecord(s, 'hashed', 'a/x', 'D1');
    setRecord(s, 'inLookup', 'a/y', { dentry: 'D2', owner: 101 });
    setRecord(s, 'dentryKey', 'D2', 'a/y');
    const before = JSON.stringify([s.hashed, s.inLookup, s.dentryKey]);
    const c = cloneState(s, 0);
    expect(c.hashed).toBe(s.hashed);
    setRecord(c, 'hashed', 'a/z', 'D3');
    deleteFromRecord(c, 'inLookup', 'a/y');
    deleteFromRecord(c, 'dentryKey', 'D2');
    setRecord(s, 'hashed', 'a/w', 'D4');
    expect(Object.keys(c.hashed)).toEqual(['a/x', 'a/z']);
    expect(Object.keys(s.hashed)).toEqual(['a/x', 'a/w']);
    expect(JSON.stringify([c.inLookup, c.dentryKey])).toBe('[{},{}]');
    // The original's own records are as they were but for its own change.
    deleteFromRecord(s, 'hashed', 'a/w');
    expect(JSON.stringify([s.hashed, s.inLookup, s.dentryKey])).toBe(before);
    // A copy it owns, once replaced, is changed in place from then on.
    const mine = c.hashed;
    setRecord(c, 'hashed', 'a/v', 'D5');
    expect(c.hashed).toBe(mine);
  });

  it('are replaced at every change by a state that does not say what it owns', () => {
    const s = initialState(sc);
    delete s.owns;
    const first = s.hashed;
    setRecord(s, 'hashed', 'a/x', 'D1');
    const second = s.hashed;
    setRecord(s, 'hashed', 'a/y', 'D2');
    deleteFromRecord(s, 'hashed', 'a/x');
    expect(new Set([first, second, s.hashed]).size).toBe(3);
    expect([first, second, s.hashed].map((r) => Object.keys(r))).toEqual([[], ['a/x'], ['a/y']]);
    expect(s.owns).toBeUndefined();
  });
});

describe('scalarOf', () => {
  it('gives back the scalar of each number scalarCode gave', () => {
    const xs = [undefined, null, true, false, 'd100', '', 'null', '1', 0, 1, -1, 0.5, 1e12, 'R', 101];
    for (const x of xs) expect(scalarOf(scalarCode(x))).toBe(x);
    expect(() => scalarOf(1 << 29)).toThrow(/no scalar/);
  });
});
