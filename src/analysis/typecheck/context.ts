/**
 * What every part of the type checker shares: the declarations it checks against, the spec it
 * builds, the diagnostics it reports, and the scope of names at a point of a body.
 */
import type { Diagnostic, Span } from '../../diag/diagnostic.js';
import { error } from '../../diag/diagnostic.js';
import type * as A from '../../dsl/ast.js';
import type { BuiltinTable } from '../builtins.js';
import type { Declarations } from '../declare.js';
import type { FieldScope } from '../fields.js';
import type { CheckedExpr, CheckedSpec, StateIR } from '../ir.js';
import { didYouMean } from '../../diag/suggest.js';
import { compatible, show, type Type } from '../types.js';

/**
 * The checker's state, and its typing of an expression, which every form calls back for its parts
 * (the modules of the forms never import each other: typecheck.ts joins them here).
 */
export interface Checker {
  readonly d: Declarations;
  readonly builtins: BuiltinTable;
  readonly spec: CheckedSpec;
  readonly diags: Diagnostic[];
  readonly usedParams: Set<string>;
  readonly invariantNames: Map<string, Span>;
  readonly obligationNames: Set<string>;
  /** Types an expression; `expected` resolves enum members and empty sets. */
  expr(e: A.Expr, scope: Scope, expected?: Type): CheckedExpr;
  /** An expression that must be a condition. */
  boolExpr(e: A.Expr, scope: Scope): CheckedExpr;
  /** An expression that must be a scalar value. */
  scalarExpr(e: A.Expr, scope: Scope): CheckedExpr;
}

export interface LocalVar { slot: number; type: Type }

export interface Scope {
  fields: FieldScope;
  locals: Map<string, LocalVar>;
  slots: { n: number };
  /** The function whose call `old(...)` refers to, when every trigger is its return. */
  oldFn: string | undefined;
  /** In a mapping: unknown names are raw record fields (text). */
  recordFields: Set<string> | undefined;
  /** Inside old(...): no locals, only the call's fields. */
  inOld: boolean;
  /** Temporal operators are evaluated where the trace is observed, not inside defs. */
  allowTemporal: boolean;
  /** Why a field of one of the triggers (or of the return of a called function) is not in scope. */
  absent: Map<string, string>;
}

export function newScope(fields: FieldScope, oldFn?: string, absent: Map<string, string> = new Map()): Scope {
  return { fields, locals: new Map(), slots: { n: 0 }, oldFn, recordFields: undefined, inOld: false, allowTemporal: true, absent };
}

export function typeError(cx: Checker, span: Span, message: string): void {
  cx.diags.push(error('KV201', message, { span }));
}

export function defSignature(cx: Checker, name: string): { params: Type[]; type: Type } | undefined {
  const d = cx.d.defs.get(name);
  return d && { params: d.params.map((p) => p.type), type: d.type };
}

export function stateRef(cx: Checker, name: A.Ident): { state: StateIR } | undefined {
  const state = cx.d.states.get(name.name);
  if (!state) {
    cx.diags.push(error('KV101', `unknown state '${name.name}'`, { span: name.span }, didYouMean(name.name, cx.d.states.keys())));
    return undefined;
  }
  return { state };
}

export function keysFor(cx: Checker, state: StateIR, keys: A.Expr[], span: Span, scope: Scope): CheckedExpr[] {
  const want = state.type.k === 'map' ? state.type.keys : [];
  if (keys.length !== want.length) {
    cx.diags.push(error('KV202', `'${state.name}' takes ${want.length} key${want.length === 1 ? '' : 's'}, got ${keys.length}`, { span }));
  }
  return keys.map((k, i) => {
    const t = want[i];
    const e = cx.expr(k, scope, t);
    if (t && !compatible(e.type, t)) typeError(cx, k.span, `key ${i + 1} of '${state.name}' is ${show(t)}, got ${show(e.type)}`);
    return e;
  });
}
