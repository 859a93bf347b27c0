/**
 * Pass 2, typecheck: every body (defs, rules, invariants, obligations, syncs, mappings) against the
 * declarations. Resolves each name (local, event field, parameter, state, enum member, builtin,
 * def) and types each expression, building the checked IR. Reports every name and type error of
 * the spec at once, and parameters nothing uses.
 *
 * The parts are in typecheck/, one job each: declarations.ts (the bodies of each declaration),
 * statements.ts, expressions.ts (names, operators, indexing), quantifiers.ts (bindings and
 * comprehensions), temporal.ts (old, once, previously, since, event patterns), calls.ts (builtins
 * and defs). context.ts holds what they share; this module joins them.
 */
import type * as A from '../dsl/ast.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { BuiltinTable } from './builtins.js';
import type { Declarations } from './declare.js';
import type { CheckedSpec } from './ir.js';
import type { Checker } from './typecheck/context.js';
import { checkDef, checkInvariant, checkMapping, checkObligation, checkParamsUsed, checkRule, checkSync } from './typecheck/declarations.js';
import { boolExpr, expr, scalarExpr } from './typecheck/expressions.js';

export { HOST_PARAMS } from './typecheck/declarations.js';

export function typecheck(asts: A.SpecAst[], decls: Declarations, builtins: BuiltinTable): { spec: CheckedSpec; diagnostics: Diagnostic[] } {
  const { files, params, enums, events, states } = decls;
  const cx: Checker = {
    d: decls,
    builtins,
    spec: { files, params, enums, events, states, defs: new Map(), rules: [], invariants: [], obligations: [], syncs: [], mappings: [] },
    diags: [],
    usedParams: new Set(),
    invariantNames: new Map(),
    obligationNames: new Set(),
    expr: (e, scope, expected) => expr(cx, e, scope, expected),
    boolExpr: (e, scope) => boolExpr(cx, e, scope),
    scalarExpr: (e, scope) => scalarExpr(cx, e, scope),
  };
  for (const def of decls.defs.values()) checkDef(cx, def);
  for (const d of asts.flatMap((a) => a.decls)) {
    switch (d.kind) {
      case 'rule': checkRule(cx, d); break;
      case 'invariant': checkInvariant(cx, d); break;
      case 'obligation': checkObligation(cx, d); break;
      case 'sync': checkSync(cx, d); break;
      case 'mapping': checkMapping(cx, d); break;
      default: break;
    }
  }
  checkParamsUsed(cx);
  return { spec: cx.spec, diagnostics: cx.diags };
}
