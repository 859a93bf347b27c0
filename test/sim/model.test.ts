/**
 * The model's routines (src/sim/model.ts, src/sim/routines/): every program point of every
 * routine is reached by some run, so no label is dead, and a task's stack of return points is
 * empty between syscalls (every routine entered is left).
 */
import { describe, expect, it } from 'vitest';
import { seededChooser } from '../../src/sim/chooser.js';
import { initialState, live, programPoints, runnable, step, type DAddCiShape, type LockOrder, type Pc } from '../../src/sim/model.js';
import { DEFAULT_RANDOM, randomScenario } from '../../src/sim/scenarios.js';

const shapes: DAddCiShape[] = ['mainline', 'draft', 'fixed'];
const orders: LockOrder[] = ['current', 'new'];

describe('the model\'s routines', () => {
  it('reach every program point, and leave every routine they enter', () => {
    const seen = new Set<Pc>();
    for (const dAddCi of shapes) for (const order of orders) for (let seed = 1; seed <= 20; seed++) {
      const sc = randomScenario({ ...DEFAULT_RANDOM, dAddCi, order, seed, tasks: 3, dirs: 1, names: 1, ci: 1, creat: 0.3, mkdir: 0.3, allocFail: true, exactHashed: true, revalidates: seed % 2 === 0 });
      const ch = seededChooser(seed, { 'alloc-fail': 0.2, 'exact-hashed': 0.3 });
      const s = initialState(sc);
      for (let n = 0; n < 5000 && live(s); n++) {
        const r = runnable(s);
        if (r.length === 0) break;
        const i = r[ch.choose(r.length, 'schedule')]!;
        seen.add(s.tasks[i]!.pc);
        step(sc, s, i, ch, []);
        const t = s.tasks[i]!;
        if (t.pc === 'task:start' || t.pc === 'task:exit') expect(t.stack).toEqual([]);
      }
    }
    expect([...seen].sort()).toEqual(programPoints().sort());
  });
});
