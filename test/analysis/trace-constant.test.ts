import { describe, expect, it } from 'vitest';
import type { TExpr } from '../../src/analysis/ir.js';
import { loadSpec } from '../../src/analysis/load.js';
import { conjuncts, isTraceConstant, traceConstantPart } from '../../src/analysis/trace-constant.js';

function obligationFilter(name: string): TExpr {
  const r = loadSpec([]);
  if (!r.ok) throw new Error('the bundled spec does not load');
  return r.value.spec.obligations.find((o) => o.name === name)!.filter!;
}

describe('the parts of a condition the whole trace fixes', () => {
  it('are in_lookup_ended\'s probed("__d_lookup_unhash") and nothing else of its where clause', () => {
    const where = obligationFilter('in_lookup_ended');
    // t == pid, d in il_from_lookup, probed(...), il_frame_done(t, d)
    expect(conjuncts(where)).toHaveLength(4);
    expect(conjuncts(where).map(isTraceConstant)).toEqual([false, false, true, false]);
    const fixed = traceConstantPart(where)!;
    expect(fixed).toMatchObject({ k: 'builtin', name: 'probed' });
  });

  it('are none where every part reads the event or the state', () => {
    expect(traceConstantPart(obligationFilter('waiters_released'))).toBeNull();
    expect(traceConstantPart(null)).toBeNull();
  });
});
