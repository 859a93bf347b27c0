/**
 * Binding names over a collection: the domain of `for`, `forall`/`exists`, `count`, set
 * comprehensions and obligations, and the comprehension expressions themselves.
 */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import type { CheckedDomain, CheckedExpr } from '../ir.js';
import { BOOL, ERROR, INT, elementTypes, show } from '../types.js';
import { typeError, type Checker, type Scope } from './context.js';

export function bindDomain(cx: Checker, binding: A.Binding, domainAst: A.Expr, scope: Scope): { slots: number[]; domain: CheckedDomain } {
  const dom = cx.expr(domainAst, scope);
  const elems = elementTypes(dom.type);
  if (!elems && dom.type.k !== 'error') typeError(cx, domainAst.span, `cannot range over ${show(dom.type)}: expected a set, map or rel`);
  if (elems && elems.length !== binding.names.length) {
    const keysOnly = dom.type.k === 'map' && dom.k === 'state' && binding.names.length === elems.length + 1
      ? `a map binds its keys: read the value as ${dom.state}[${binding.names.slice(0, elems.length).map((n) => n.name).join(', ')}]` : undefined;
    cx.diags.push(error('KV202', `${show(dom.type)} has ${elems.length}-element entries; bind ${elems.length} name${elems.length === 1 ? '' : 's'}`,
      { span: binding.span }, keysOnly));
  }
  const seen = new Set<string>();
  const slots = binding.names.map((n, i) => {
    const slot = scope.slots.n++;
    if (n.name !== '_') checkFreshName(cx, n, scope, seen);
    if (n.name !== '_') scope.locals.set(n.name, { slot, type: elems?.[i] ?? ERROR });
    return slot;
  });
  let domain: CheckedDomain;
  if (dom.k === 'state' && dom.state === '$tasks') domain = { k: 'tasks' };
  else if (dom.k === 'state') domain = { k: 'state', state: dom.state, index: null };
  else domain = { k: 'expr', expr: dom };
  return { slots, domain };
}

/**
 * A bound name that hides another makes the hidden one unreachable in its body, silently:
 * `forall (pid, l) in held: pid == pid` compares the binder with itself, never with the event's
 * task. Such a spec is rejected instead of checked as something its author did not write.
 */
export function checkFreshName(cx: Checker, n: A.Ident, scope: Scope, seen: Set<string>): void {
  const state = cx.d.states.get(n.name);
  const param = cx.d.params.get(n.name);
  const what = seen.has(n.name) ? 'a name bound just before it'
    : scope.locals.has(n.name) ? 'a name bound outside it'
    : scope.fields.has(n.name) ? `the event's field '${n.name}'`
    : state ? `the state '${n.name}'`
    : param ? `the parameter '${n.name}'`
    : undefined;
  seen.add(n.name);
  if (!what) return;
  const d = error('KV102', `'${n.name}' hides ${what}: inside, '${n.name}' would mean the bound value only`,
    { span: n.span }, `give it another name`);
  // States and parameters share one namespace with every imported file: a def parameter of the
  // bundled vocabulary clashes with a state of the importing file, and without the state's place
  // the error reads as a fault of the file it points into.
  const hidden = what.startsWith('the state') ? state?.span : what.startsWith('the parameter') ? param?.span : undefined;
  if (hidden) d.notes = [{ message: `${what.slice(4)} is declared here`, span: hidden }];
  cx.diags.push(d);
}

export function comprehension(cx: Checker, e: Extract<A.Expr, { kind: 'quant' | 'count' | 'setComp' }>, scope: Scope): CheckedExpr {
  const span = e.span;
  const saved = new Map(scope.locals);
  const { slots, domain } = bindDomain(cx, e.binding, e.domain, scope);
  const filter = e.filter ? cx.boolExpr(e.filter, scope) : null;
  let out: CheckedExpr;
  if (e.kind === 'quant') out = { k: 'quant', q: e.q, slots, domain, filter, body: cx.boolExpr(e.body, scope), type: BOOL, span };
  else if (e.kind === 'count') out = { k: 'count', slots, domain, filter, type: INT, span };
  else {
    const elem = cx.scalarExpr(e.elem, scope);
    out = { k: 'setComp', elem, slots, domain, filter, type: { k: 'set', elem: [elem.type] }, span };
  }
  scope.locals.clear();
  for (const [k, v] of saved) scope.locals.set(k, v);
  return out;
}
