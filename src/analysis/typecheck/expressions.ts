/**
 * The typing of expressions: literals, names (locals, fields, parameters, states, enum members),
 * operators, indexing, conditionals, templates and set literals. Comprehensions, past-time forms
 * and calls have modules of their own, reached from `expr`.
 */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import type { CheckedExpr } from '../ir.js';
import { didYouMean } from '../../diag/suggest.js';
import { BOOL, ERROR, INT, NONE, STR, TASK, compatible, elementTypes, isScalar, show, type Type } from '../types.js';
import { call } from './calls.js';
import { keysFor, typeError, type Checker, type Scope } from './context.js';
import { comprehension } from './quantifiers.js';
import { matches, old, pastTime } from './temporal.js';

export function boolExpr(cx: Checker, e: A.Expr, scope: Scope): CheckedExpr {
  const t = cx.expr(e, scope, BOOL);
  if (!compatible(t.type, BOOL) || t.type.k === 'none') typeError(cx, e.span, `expected a condition (bool), got ${show(t.type)}`);
  return t;
}

export function scalarExpr(cx: Checker, e: A.Expr, scope: Scope): CheckedExpr {
  const t = cx.expr(e, scope);
  if (!isScalar(t.type) && t.type.k !== 'error') typeError(cx, e.span, `expected a value, got ${show(t.type)}`);
  return t;
}

export function expr(cx: Checker, e: A.Expr, scope: Scope, expected?: Type): CheckedExpr {
  const span = e.span;
  switch (e.kind) {
    case 'int': return { k: 'lit', value: e.value, type: INT, span };
    case 'str': return { k: 'lit', value: e.value, type: STR, span };
    case 'bool': return { k: 'lit', value: e.value, type: BOOL, span };
    case 'none': return { k: 'lit', value: null, type: NONE, span };
    case 'ident': return ident(cx, e, scope, expected);
    case 'template': {
      const parts = e.parts.map((p) => ('kind' in p && p.kind === 'text' ? p.value : scalarOrTuple(cx, p as A.Expr, scope)));
      return { k: 'template', parts, type: STR, span };
    }
    case 'not': return { k: 'not', operand: cx.boolExpr(e.operand, scope), type: BOOL, span };
    case 'neg': {
      const operand = cx.expr(e.operand, scope, INT);
      if (!compatible(operand.type, INT)) typeError(cx, e.operand.span, `'-' needs an int, got ${show(operand.type)}`);
      return { k: 'neg', operand, type: INT, span };
    }
    case 'cond': {
      const cond = cx.boolExpr(e.cond, scope);
      const then = cx.expr(e.then, scope, expected);
      const otherwise = cx.expr(e.otherwise, scope, expected ?? then.type);
      if (!compatible(then.type, otherwise.type)) typeError(cx, e.span, `branches have different types: ${show(then.type)} and ${show(otherwise.type)}`);
      return { k: 'cond', cond, then, otherwise, type: then.type.k === 'none' ? otherwise.type : then.type, span };
    }
    case 'binary': return binary(cx, e, scope);
    case 'index': return index(cx, e, scope);
    case 'tuple': return { k: 'tuple', items: e.items.map((i) => cx.scalarExpr(i, scope)), type: { k: 'tuple', items: [] }, span };
    case 'quant': case 'count': case 'setComp': return comprehension(cx, e, scope);
    case 'setLit': {
      const items = e.items.map((i) => cx.scalarExpr(i, scope));
      const elem = items.find((i) => i.type.k !== 'none')?.type ?? (expected?.k === 'set' ? expected.elem[0] ?? NONE : NONE);
      for (const it of items) if (!compatible(it.type, elem)) typeError(cx, it.span,
        `set elements have different types: ${show(elem)} and ${show(it.type)}`);
      return { k: 'setLit', items, type: { k: 'set', elem: [elem] }, span };
    }
    case 'old': return old(cx, e, scope, expected);
    case 'once': case 'previously': case 'since': return pastTime(cx, e, scope);
    case 'pattern': return matches(cx, e, scope);
    case 'call': return call(cx, e, scope, expected);
  }
}

/**
 * An interpolated part of a message: any value, tuple or set, but not a whole map, set or relation
 * state, which would print as its own name (`{held}` gave "held"), never its entries.
 */
function scalarOrTuple(cx: Checker, e: A.Expr, scope: Scope): CheckedExpr {
  const x = cx.expr(e, scope);
  // (a `var` state is one value, and prints as it)
  if (x.k === 'state' && (x.type.k === 'map' || x.type.k === 'set' || x.type.k === 'rel')) {
    const name = x.state === '$tasks' ? 'tasks' : x.state;
    const entry = x.type.k === 'map' ? `an entry (${name}[...]), ` : '';
    const ways = `${entry}its size (size(${name})) or a comprehension ({ ... | ... in ${name} })`;
    typeError(cx, e.span, `a message cannot show a whole state ('${name}'): interpolate ${ways}`);
  }
  return x;
}

function ident(cx: Checker, e: A.Ident, scope: Scope, expected?: Type): CheckedExpr {
  const span = e.span;
  const local = scope.locals.get(e.name);
  if (local && !scope.inOld) return { k: 'local', slot: local.slot, type: local.type, span };
  const field = scope.fields.get(e.name);
  if (field) return { k: 'field', name: e.name, from: field.from, type: field.type, span };
  const param = cx.d.params.get(e.name);
  if (param) {
    cx.usedParams.add(e.name);
    return { k: 'lit', value: param.value, type: param.type, span };
  }
  const state = cx.d.states.get(e.name);
  if (state) return { k: 'state', state: e.name, type: state.type, span };
  if (e.name === 'tasks') return { k: 'state', state: '$tasks', type: { k: 'set', elem: [TASK] }, span };
  // Enum members: by the expected type first, then by a unique owner.
  if (expected?.k === 'enum' && expected.members.includes(e.name)) return { k: 'lit', value: e.name, type: expected, span };
  const owners = [...cx.d.enums].filter(([, ms]) => ms.includes(e.name));
  if (owners.length === 1) {
    const [name, members] = owners[0]!;
    return { k: 'lit', value: e.name, type: { k: 'enum', name, members }, span };
  }
  if (owners.length > 1) {
    cx.diags.push(error('KV101',
      `'${e.name}' is a member of several enums (${owners.map(([n]) => n).join(', ')}); compare it with a value of the one you mean`, { span }));
    return { k: 'lit', value: e.name, type: ERROR, span };
  }
  if (scope.recordFields) {
    scope.recordFields.add(e.name);
    return { k: 'field', name: e.name, from: 'args', type: STR, span };
  }
  if (local && scope.inOld) {
    cx.diags.push(error('KV203', `'old(...)' cannot refer to '${e.name}', bound outside it: it is evaluated at the call`, { span }));
    return { k: 'lit', value: null, type: ERROR, span };
  }
  const candidates = [...scope.locals.keys(), ...scope.fields.keys(), ...cx.d.params.keys(), ...cx.d.states.keys(), ...[...cx.d.enums.values()].flat()];
  cx.diags.push(error('KV101', `unknown name '${e.name}'`, { span },
    scope.absent.get(e.name) ?? didYouMean(e.name, candidates) ?? (scope.fields.size ? `fields here: ${[...scope.fields.keys()].join(', ')}` : undefined)));
  return { k: 'lit', value: null, type: ERROR, span };
}

/** The text of a string written as a constant (a literal, or a message with nothing interpolated). */
function constantText(x: CheckedExpr): string | undefined {
  if (x.k === 'lit') return typeof x.value === 'string' && x.type.k === 'str' ? x.value : undefined;
  if (x.k === 'template') return x.parts.every((p) => typeof p === 'string') ? x.parts.join('') : undefined;
  return undefined;
}

function binary(cx: Checker, e: Extract<A.Expr, { kind: 'binary' }>, scope: Scope): CheckedExpr {
  const span = e.span;
  switch (e.op) {
    case 'and': case 'or': case 'implies':
      return { k: 'bin', op: e.op, left: cx.boolExpr(e.left, scope), right: cx.boolExpr(e.right, scope), type: BOOL, span };
    case '==': case '!=': {
      // Resolve enum members against the other side's type.
      const leftFirst = e.left.kind !== 'ident' || isBound(cx, e.left.name, scope);
      let left: CheckedExpr, right: CheckedExpr;
      if (leftFirst) { left = cx.expr(e.left, scope); right = cx.expr(e.right, scope, left.type); }
      else { right = cx.expr(e.right, scope); left = cx.expr(e.left, scope, right.type); }
      if (!compatible(left.type, right.type)) typeError(cx, span, `cannot compare ${show(left.type)} with ${show(right.type)}`);
      // An enum compared with a string none of its members is: always false with ==, always true with !=.
      for (const [value, other] of [[left, right], [right, left]] as const) {
        const text = constantText(value);
        if (other.type.k !== 'enum' || text === undefined || other.type.members.includes(text)) continue;
        typeError(cx, value.span, `"${text}" is no member of ${other.type.name} (${other.type.members.join(', ')}): `
          + `the comparison would be ${e.op === '==' ? 'false' : 'true'} whatever the value`);
      }
      return { k: 'bin', op: e.op, left, right, type: BOOL, span };
    }
    case '<': case '<=': case '>': case '>=': case '-': case '*': case '/': case '%': case '&': {
      const cmp = e.op === '<' || e.op === '<=' || e.op === '>' || e.op === '>=';
      const left = cx.expr(e.left, scope, INT);
      const right = cx.expr(e.right, scope, INT);
      if (cmp && (left.type.k === 'time' || right.type.k === 'time')) return timeComparison(cx, e.op, left, right, e);
      for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
        if (!compatible(x.type, INT)) typeError(cx, ast.span, `'${e.op}' needs ints, got ${show(x.type)}`);
      }
      return { k: 'bin', op: e.op, left, right, type: cmp ? BOOL : INT, span };
    }
    case '+': {
      const left = cx.expr(e.left, scope);
      const right = cx.expr(e.right, scope, left.type.k === 'set' ? left.type : undefined);
      if (left.type.k === 'set' || right.type.k === 'set') {
        if (!compatible(left.type, right.type)) typeError(cx, span, `cannot join ${show(left.type)} and ${show(right.type)}`);
        return { k: 'bin', op: 'union', left, right, type: left.type.k === 'set' ? left.type : right.type, span };
      }
      const numeric = compatible(left.type, INT) && compatible(right.type, INT) && left.type.k !== 'none' && right.type.k !== 'none';
      if (!numeric) {
        for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
          if (!isScalar(x.type) && x.type.k !== 'error') typeError(cx, ast.span, `'+' joins values, got ${show(x.type)}`);
        }
      }
      return { k: 'bin', op: numeric ? '+' : 'concat', left, right, type: numeric ? INT : STR, span };
    }
    case 'in': case 'not in': {
      const coll = cx.expr(e.right, scope);
      const elems = elementTypes(coll.type);
      const items = e.left.kind === 'tuple' ? e.left.items : [e.left];
      if (!elems && coll.type.k !== 'error') {
        typeError(cx, e.right.span, `'in' needs a set, map or rel, got ${show(coll.type)}`);
      }
      const want = coll.type.k === 'map' ? coll.type.keys : elems;
      if (want && want.length !== items.length) cx.diags.push(error('KV202',
        `'${show(coll.type)}' has ${want.length}-element entries, got ${items.length}`, { span: e.left.span }));
      const elem = items.map((it, i) => {
        const x = cx.expr(it, scope, want?.[i]);
        if (want?.[i] && !compatible(x.type, want[i]!)) typeError(cx, it.span, `expected ${show(want[i]!)}, got ${show(x.type)}`);
        return x;
      });
      const m: CheckedExpr = { k: 'member', elem, coll, type: BOOL, span };
      return e.op === 'in' ? m : { k: 'not', operand: m, type: BOOL, span };
    }
  }
}

/**
 * An ordered comparison where a side is a time (`ts`): times compare only with times (seconds
 * with a fraction, none where the source records no time), never with ints.
 */
function timeComparison(cx: Checker, op: string, left: CheckedExpr, right: CheckedExpr, e: Extract<A.Expr, { kind: 'binary' }>): CheckedExpr {
  for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
    if (x.type.k !== 'time' && x.type.k !== 'none' && x.type.k !== 'error') {
      typeError(cx, ast.span, `'${op}' compares a time (seconds, as 'ts') with another time, got ${show(x.type)}`);
    }
  }
  return { k: 'bin', op, left, right, type: BOOL, span: e.span };
}

function isBound(cx: Checker, name: string, scope: Scope): boolean {
  return scope.locals.has(name) || scope.fields.has(name) || cx.d.params.has(name) || cx.d.states.has(name);
}

function index(cx: Checker, e: Extract<A.Expr, { kind: 'index' }>, scope: Scope): CheckedExpr {
  const span = e.span;
  const target = cx.expr(e.target, scope);
  if (target.k === 'state' && target.type.k === 'map') {
    const state = cx.d.states.get(target.state)!;
    return { k: 'lookup', state: state.name, keys: keysFor(cx, state, e.keys, span, scope), type: target.type.value, span };
  }
  if (target.type.k === 'rel') {
    if (e.keys.length !== 1) cx.diags.push(error('KV202', `a rel takes one key (the source node)`, { span }));
    const key = cx.expr(e.keys[0]!, scope, target.type.node);
    if (!compatible(key.type, target.type.node)) typeError(cx, e.keys[0]!.span, `expected ${show(target.type.node)}, got ${show(key.type)}`);
    return { k: 'succ', target, key, type: { k: 'set', elem: [target.type.node] }, span };
  }
  if (target.type.k !== 'error') typeError(cx, e.target.span, `only maps and rels can be indexed; this is ${show(target.type)}`);
  return { k: 'lit', value: null, type: ERROR, span };
}
