/**
 * Calls: an event name with no arguments (a pattern), a builtin of the builtins table (graph
 * builtins take a relation: a rel state or a successor def), and a def.
 */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import type { CheckedExpr } from '../ir.js';
import { didYouMean } from '../../diag/suggest.js';
import { ERROR, compatible, elementTypes, isScalar, show, type Type } from '../types.js';
import { defSignature, typeError, type Checker, type Scope } from './context.js';

export function call(cx: Checker, e: Extract<A.Expr, { kind: 'call' }>, scope: Scope, expected?: Type): CheckedExpr {
  const span = e.span;
  const name = e.callee.name;
  const ev = cx.d.events.get(name);
  if (ev && e.args.length === 0) {
    // `acq()` — an event pattern with no constraints.
    return cx.expr({ kind: 'pattern', phase: 'event', name: e.callee, args: [], span }, scope, expected);
  }
  const b = Object.hasOwn(cx.builtins, name) ? cx.builtins[name] : undefined;
  if (b?.kind === 'graph') {
    if (e.args.length !== 3) {
      cx.diags.push(error('KV202', `'${name}' takes 3 arguments (relation, from, to), got ${e.args.length}`, { span }));
      return { k: 'lit', value: null, type: ERROR, span };
    }
    const relAst = e.args[0]!;
    let rel: CheckedExpr;
    let node: Type = ERROR;
    const relName = relAst.kind === 'ident' ? relAst.name : undefined;
    const def = relName ? defSignature(cx, relName) : undefined;
    if (def && relName) {
      if (def.params.length !== 1 || def.type.k !== 'set' || def.type.elem.length !== 1 || !compatible(def.params[0]!, def.type.elem[0]!)) {
        typeError(cx, relAst.span, `'${relName}' must take one value and return a set of the same type to be used as a relation`);
      }
      node = def.params[0] ?? ERROR;
      rel = { k: 'lit', value: relName, type: { k: 'rel', node }, span: relAst.span };
    } else {
      rel = cx.expr(relAst, scope);
      if (rel.k !== 'state' || rel.type.k !== 'rel') {
        if (rel.type.k !== 'error') typeError(cx, relAst.span, `'${name}' needs a rel state or a successor def, got ${show(rel.type)}`);
      } else node = rel.type.node;
    }
    const from = cx.expr(e.args[1]!, scope, node);
    const to = cx.expr(e.args[2]!, scope, node);
    for (const [x, ast] of [[from, e.args[1]!], [to, e.args[2]!]] as const) {
      if (!compatible(x.type, node)) typeError(cx, ast.span, `expected ${show(node)}, got ${show(x.type)}`);
    }
    return { k: 'builtin', name, builtin: b, args: [rel, from, to], type: b.result, span };
  }
  if (b?.mappingOnly && !scope.recordFields) {
    cx.diags.push(error('KV203', `'${name}(...)' is only meaningful in a 'map' declaration`, { span },
      name === 'entry' ? `at 'ret f' the call's fields are in scope by name, and 'old(e)' reads e at the call` : undefined));
    return { k: 'lit', value: null, type: ERROR, span };
  }
  if (b) {
    if (e.args.length !== b.params.length) {
      cx.diags.push(error('KV202', `'${name}' takes ${b.params.length} argument${b.params.length === 1 ? '' : 's'}, got ${e.args.length}`, { span }));
    }
    const args = e.args.map((a, i) => {
      const want = b.params[i];
      const x = cx.expr(a, scope, typeof want === 'string' ? undefined : want);
      if (want === 'collection') {
        if (!elementTypes(x.type) && x.type.k !== 'error') typeError(cx, a.span, `'${name}' needs a collection, got ${show(x.type)}`);
      } else if (want === 'value' || want === undefined) {
        if (!isScalar(x.type) && x.type.k !== 'error') typeError(cx, a.span, `argument ${i + 1} of '${name}' must be a value`);
      } else if (!compatible(x.type, want)) typeError(cx, a.span, `argument ${i + 1} of '${name}' is ${show(want)}, got ${show(x.type)}`);
      // A bare record field names nothing of the call record: entry(sem) would read the call's
      // field named by the return's own sem=, none at every return a probe prints.
      if (name === 'entry' && a.kind === 'ident' && x.k === 'field') {
        cx.diags.push(error('KV201', `'entry' takes the name of a field of the call record, as text: '${a.name}' here is this record's own field`,
          { span: a.span }, `write entry("${a.name}")`));
      }
      return x;
    });
    return { k: 'builtin', name, builtin: b, args, type: b.result, span };
  }
  const sig = defSignature(cx, name);
  if (sig) {
    if (e.args.length !== sig.params.length) {
      cx.diags.push(error('KV202', `'${name}' takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, got ${e.args.length}`, { span }));
    }
    const args = e.args.map((a, i) => {
      const want = sig.params[i];
      const x = cx.expr(a, scope, want);
      if (want && !compatible(x.type, want)) typeError(cx, a.span, `argument ${i + 1} of '${name}' is ${show(want)}, got ${show(x.type)}`);
      return x;
    });
    return { k: 'defcall', def: name, args, type: sig.type, span };
  }
  cx.diags.push(error('KV101', `unknown function '${name}'`, { span: e.callee.span },
    didYouMean(name, [...Object.keys(cx.builtins), ...cx.d.defs.keys(), ...cx.d.events.keys()])));
  return { k: 'lit', value: null, type: ERROR, span };
}
