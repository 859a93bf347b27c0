/**
 * The forms about the trace's past: `old(...)` (a value at the call of the function whose return
 * triggers), `once`, `previously` and `since` over event patterns, and an event pattern as a
 * condition on the current event.
 */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import { fieldsAt } from '../fields.js';
import type { CheckedExpr, FieldSource, Phase, TemporalKeyed } from '../ir.js';
import { didYouMean } from '../../diag/suggest.js';
import { BOOL, ERROR, compatible, show, type Type } from '../types.js';
import { newScope, typeError, type Checker, type Scope } from './context.js';

/** An event pattern's event and the fields it constrains, each with the value it must have. */
interface MatchedPattern { phase: Phase; event: string; fields: { name: string; from: FieldSource; value: CheckedExpr }[] }

/** `old(e)`: `e` at the call of the function whose return triggers, with only the call's fields in scope. */
export function old(cx: Checker, e: Extract<A.Expr, { kind: 'old' }>, scope: Scope, expected?: Type): CheckedExpr {
  const span = e.span;
  if (scope.inOld) { cx.diags.push(error('KV203', `'old' cannot be nested`, { span })); return cx.expr(e.operand, scope); }
  if (!scope.oldFn) {
    cx.diags.push(error('KV203', `'old(...)' is only allowed where every trigger is the return of one function ('on ret f' or 'after ret f')`,
      { span }));
    return { k: 'lit', value: null, type: ERROR, span };
  }
  const fn = cx.d.events.get(scope.oldFn)!;
  const callScope: Scope = { ...newScope(fieldsAt(fn, 'call')), inOld: true };
  const inner = cx.expr(e.operand, callScope, expected);
  return { k: 'old', fn: fn.name, expr: inner, slots: callScope.slots.n, type: inner.type, span };
}

/** `once P`, `previously P` and `not P since Q`: past-time operators over event patterns, not allowed in defs and mappings. */
export function pastTime(cx: Checker, e: Extract<A.Expr, { kind: 'once' | 'previously' | 'since' }>, scope: Scope): CheckedExpr {
  const span = e.span;
  if (!scope.allowTemporal) {
    cx.diags.push(error('KV203', `'${e.kind}' is not allowed here`, { span }));
    return { k: 'lit', value: false, type: BOOL, span };
  }
  if (e.kind === 'since') return since(cx, e, scope);
  const pats = patternDisjunction(cx, e.operand, scope);
  if (pats.length === 0) return { k: 'lit', value: false, type: BOOL, span };
  if (e.kind === 'previously') {
    if (pats.length > 1) cx.diags.push(error('KV203', `'previously' takes one event pattern`, { span: e.operand.span }));
    return { k: 'previously', pattern: pats[0]!.pattern, keys: pats[0]!.keys, type: BOOL, span };
  }
  // once (P or Q) == once P or once Q
  return pats.map((p): CheckedExpr => ({ k: 'once', pattern: p.pattern, keys: p.keys, type: BOOL, span }))
    .reduce((a, b) => ({ k: 'bin', op: 'or', left: a, right: b, type: BOOL, span }));
}

function since(cx: Checker, e: Extract<A.Expr, { kind: 'since' }>, scope: Scope): CheckedExpr {
  const span = e.span;
  const anchor = patternDisjunction(cx, e.right, scope);
  if (anchor.length !== 1) {
    if (anchor.length > 1) cx.diags.push(error('KV203', `the right side of 'since' must be one event pattern`, { span: e.right.span }));
    return { k: 'lit', value: false, type: BOOL, span };
  }
  let blockers: TemporalKeyed<'checked'>[] = [];
  if (e.left.kind === 'bool' && e.left.value) blockers = [];
  else if (e.left.kind === 'not') blockers = patternDisjunction(cx, e.left.operand, scope);
  else {
    // `not P since Q` parses as `not (P since Q)`: the left side is then P itself.
    const hint = e.left.kind === 'pattern' || e.left.kind === 'call'
      ? "'not' takes all of 'P since Q' after it: for nothing matching P since Q, write '(not P) since Q'" : undefined;
    cx.diags.push(error('KV203', `the left side of 'since' must be 'not PATTERN' (nothing matching PATTERN since ...) or 'true'`,
      { span: e.left.span }, hint));
  }
  return { k: 'since', blockers, anchor: anchor[0]!, type: BOOL, span };
}

/** An event pattern as a condition: whether the current event matches it. */
export function matches(cx: Checker, e: Extract<A.Expr, { kind: 'pattern' }>, scope: Scope): CheckedExpr {
  const m = matchPattern(cx, e, scope);
  if (!m) return { k: 'lit', value: false, type: BOOL, span: e.span };
  return { k: 'matches', phase: m.phase, event: m.event, fields: m.fields, type: BOOL, span: e.span };
}

/** `P or Q or ...` where each is an event pattern → the patterns, each with its key values (fields sorted by name). */
function patternDisjunction(cx: Checker, e: A.Expr, scope: Scope): TemporalKeyed<'checked'>[] {
  if (e.kind === 'binary' && e.op === 'or') return [...patternDisjunction(cx, e.left, scope), ...patternDisjunction(cx, e.right, scope)];
  let pat: Extract<A.Expr, { kind: 'pattern' }> | undefined;
  if (e.kind === 'pattern') pat = e;
  else if (e.kind === 'call' && e.args.length === 0 && cx.d.events.has(e.callee.name)) {
    pat = { kind: 'pattern', phase: 'event', name: e.callee, args: [], span: e.span };
  }
  if (!pat) {
    cx.diags.push(error('KV203', `past-time operators apply to event patterns such as 'acq(lock: l, pid: pid)'`, { span: e.span }));
    return [];
  }
  const m = matchPattern(cx, pat, scope);
  if (!m) return [];
  const fields = m.fields.map((f) => f.name);
  const order = fields.map((_, i) => i).sort((a, b) => fields[a]!.localeCompare(fields[b]!));
  const pattern = { phase: m.phase, event: m.event, fields: order.map((i) => fields[i]!), span: pat.span };
  return [{ pattern, keys: order.map((i) => m.fields[i]!.value) }];
}

function matchPattern(cx: Checker, p: Extract<A.Expr, { kind: 'pattern' }>, scope: Scope): MatchedPattern | undefined {
  const ev = cx.d.events.get(p.name.name);
  if (!ev) {
    cx.diags.push(error('KV103', `unknown event '${p.name.name}'`, { span: p.name.span }, didYouMean(p.name.name, cx.d.events.keys())));
    return undefined;
  }
  if ((ev.kind === 'fn') !== (p.phase !== 'event')) {
    const why = ev.kind === 'fn' ? `'${ev.name}' is a function: write 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`;
    cx.diags.push(error('KV103', why, { span: p.span }));
    return undefined;
  }
  const avail = fieldsAt(ev, p.phase);
  const fields: { name: string; from: FieldSource; value: CheckedExpr }[] = [];
  for (const a of p.args) {
    const f = avail.get(a.name.name);
    if (!f) {
      cx.diags.push(error('KV104', `'${ev.name}' has no field '${a.name.name}'`, { span: a.name.span }, didYouMean(a.name.name, avail.keys())));
      continue;
    }
    const value = cx.expr(a.value, scope, f.type);
    if (!compatible(value.type, f.type)) typeError(cx, a.value.span, `field '${a.name.name}' is ${show(f.type)}, got ${show(value.type)}`);
    fields.push({ name: a.name.name, from: f.from, value });
  }
  return { phase: p.phase, event: ev.name, fields };
}
