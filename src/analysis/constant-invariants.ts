/**
 * Invariants whose condition reads nothing: no event field, no state, no bound name, no call. Such
 * a condition has one value at every event (`true`, `1 == 2`, `10 / 0 == 0`, which is none == 0),
 * so the invariant holds wherever it is checked or is violated at every one of its events: a
 * placeholder or a slip, worth a warning rather than a silent always-pass or a flood of verdicts.
 */
import { warning, type Diagnostic } from '../diag/diagnostic.js';
import type { CheckedExpr, CheckedSpec } from './ir.js';

/** Whether `e` is made of literals and operators only (calls, which may read the trace, are not). */
function readsNothing(e: CheckedExpr): boolean {
  switch (e.k) {
    case 'lit': return true;
    case 'not': case 'neg': return readsNothing(e.operand);
    case 'bin': return readsNothing(e.left) && readsNothing(e.right);
    case 'cond': return readsNothing(e.cond) && readsNothing(e.then) && readsNothing(e.otherwise);
    case 'setLit': case 'tuple': return e.items.every(readsNothing);
    case 'template': return e.parts.every((p) => typeof p === 'string' || readsNothing(p));
    default: return false;
  }
}

/** A warning (KV205) at each invariant whose condition reads nothing. */
export function constantInvariants(spec: CheckedSpec): Diagnostic[] {
  return spec.invariants.filter((inv) => readsNothing(inv.body)).map((inv) => warning('KV205',
    `invariant '${inv.name}' reads nothing of the trace (no event field, state or bound name):`
      + ' it holds at every event it is checked at, or is violated at every one',
    { span: inv.body.span },
    'state it over what the events or the spec\'s state show'));
}
