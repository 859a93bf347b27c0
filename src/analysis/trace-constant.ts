/**
 * Parts of a condition that the whole trace fixes: they read no event, no state and no bound
 * variable, only what the capture can show (`probed("__d_lookup_unhash")`). An obligation whose
 * `where` clause has such a part that is false can never fall due in this trace.
 */
import type { TExpr } from './ir.js';

/** The builtins whose value depends on the trace as a whole, never on the moment they are read. */
const CAPTURE_BUILTINS = new Set(['probed', 'complete_trace']);

/** The top-level conjuncts of `e` (`a and (b and c)` → a, b, c). */
export function conjuncts(e: TExpr): TExpr[] {
  return e.k === 'bin' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/** Whether `e` reads only literals and what the capture as a whole can show. */
export function isTraceConstant(e: TExpr): boolean {
  switch (e.k) {
    case 'lit': return true;
    case 'template': return e.parts.every((p) => typeof p === 'string' || isTraceConstant(p));
    case 'not': return isTraceConstant(e.operand);
    case 'bin': return isTraceConstant(e.left) && isTraceConstant(e.right);
    case 'builtin': return CAPTURE_BUILTINS.has(e.name) && e.args.every(isTraceConstant);
    default: return false;
  }
}

/** The conjunction of the trace-constant conjuncts of a condition, or null when it has none. */
export function traceConstantPart(e: TExpr | null): TExpr | null {
  if (e === null) return null;
  const parts = conjuncts(e).filter(isTraceConstant);
  if (parts.length === 0) return null;
  return parts.reduce((a, b) => ({ k: 'bin', op: 'and', left: a, right: b, type: { k: 'bool' }, span: a.span }) as TExpr);
}
