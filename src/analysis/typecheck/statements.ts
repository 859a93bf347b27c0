/** The statements of rule bodies: assignments, deletes, adds and removes, `if` and `for`. */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import type { CheckedStmt } from '../ir.js';
import { compatible, show } from '../types.js';
import { keysFor, stateRef, typeError, type Checker, type Scope } from './context.js';
import { bindDomain } from './quantifiers.js';

export function stmts(cx: Checker, ss: A.Stmt[], scope: Scope): CheckedStmt[] {
  return ss.map((s) => stmt(cx, s, scope));
}

function stmt(cx: Checker, s: A.Stmt, scope: Scope): CheckedStmt {
  switch (s.kind) {
    case 'assign': {
      const ref = stateRef(cx, s.target.name);
      const value = cx.expr(s.value, scope, ref && ref.state.type.k === 'map' ? ref.state.type.value : ref?.state.type);
      if (!ref) return { k: 'assign', state: '', keys: [], value, span: s.span };
      const st = ref.state;
      if (st.type.k === 'set' || st.type.k === 'rel') {
        cx.diags.push(error('KV203', `'${st.name}' is a ${st.type.k}: use 'add ... to ${st.name}'`, { span: s.target.span }));
        return { k: 'assign', state: st.name, keys: [], value, span: s.span };
      }
      const keys = st.type.k === 'map' ? keysFor(cx, st, s.target.keys, s.target.span, scope) : [];
      if (st.type.k !== 'map' && s.target.keys.length) cx.diags.push(error('KV202', `'${st.name}' is a variable and takes no keys`,
        { span: s.target.span }));
      const vt = st.type.k === 'map' ? st.type.value : st.type;
      if (!compatible(value.type, vt)) typeError(cx, s.value.span, `'${st.name}' holds ${show(vt)}, got ${show(value.type)}`);
      return { k: 'assign', state: st.name, keys, value, span: s.span };
    }
    case 'delete': {
      const ref = stateRef(cx, s.target.name);
      if (!ref) return { k: 'delete', state: '', keys: [], span: s.span };
      if (ref.state.type.k !== 'map') {
        cx.diags.push(error('KV203', `'delete' needs a map; '${ref.state.name}' is ${show(ref.state.type)}`, { span: s.target.span }));
        return { k: 'delete', state: ref.state.name, keys: [], span: s.span };
      }
      return { k: 'delete', state: ref.state.name, keys: keysFor(cx, ref.state, s.target.keys, s.target.span, scope), span: s.span };
    }
    case 'add': case 'remove': {
      const ref = stateRef(cx, s.target);
      const items = s.value.kind === 'tuple' ? s.value.items : [s.value];
      const st = ref?.state.type;
      const want = st?.k === 'set' ? st.elem : st?.k === 'rel' ? [st.node, st.node] : undefined;
      if (ref && !want) cx.diags.push(error('KV203', `'${s.kind}' needs a set or rel; '${ref.state.name}' is ${show(ref.state.type)}`,
        { span: s.target.span }));
      if (want && want.length !== items.length) cx.diags.push(error('KV202',
        `'${ref!.state.name}' holds ${want.length}-tuples, got ${items.length} value${items.length === 1 ? '' : 's'}`, { span: s.value.span }));
      const value = items.map((it, i) => {
        const e = cx.expr(it, scope, want?.[i]);
        if (want?.[i] && !compatible(e.type, want[i]!)) typeError(cx, it.span,
          `element ${i + 1} of '${ref!.state.name}' is ${show(want[i]!)}, got ${show(e.type)}`);
        return e;
      });
      return { k: s.kind, state: ref?.state.name ?? '', value, span: s.span };
    }
    case 'if':
      return { k: 'if', cond: cx.boolExpr(s.cond, scope), then: stmts(cx, s.then, scope), otherwise: stmts(cx, s.otherwise, scope), span: s.span };
    case 'for': {
      const { slots, domain } = bindDomain(cx, s.binding, s.domain, scope);
      const filter = s.filter ? cx.boolExpr(s.filter, scope) : null;
      const body = stmts(cx, s.body, scope);
      for (const b of s.binding.names) scope.locals.delete(b.name);
      return { k: 'for', slots, domain, filter, body, span: s.span };
    }
  }
}
