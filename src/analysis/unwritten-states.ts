/**
 * States that the spec reads and that no rule ever fills: no `:=` assigns them (but from
 * themselves, as `n := n + 1`, which leaves none none), no `add ... to` adds to them. Such a state
 * is empty (a map, set or relation) or none (a var) at every event, so whatever reads it reads a
 * constant: a quantifier over it checks nothing, a lookup in it is none, and an invariant that
 * rests on it passes (or fails) without looking at the trace. That is a rule left out, or a write
 * to another state by a slip, worth a warning rather than a silent pass.
 */
import { warning, type Diagnostic, type Span } from '../diag/diagnostic.js';
import { closest } from '../diag/suggest.js';
import type { CheckedExpr, CheckedSpec } from './ir.js';
import type { Type } from './types.js';
import { walk } from './visit.js';

/** Where a part of the spec is read: what holds it, and a span to fall back on. */
interface Site { where: string; span: Span }

/** Statements name the state they write in the same field as a read names the state it reads. */
const WRITES: ReadonlySet<unknown> = new Set(['assign', 'delete', 'add', 'remove']);

/**
 * Whether `e` is none whenever what it reads of `state` is none: a read of the var, an entry of
 * the map, arithmetic on such a value (`+ - * / % &` and unary minus give none for none), a lookup
 * keyed by one, or a choice whose both branches are such. An assignment to `state` of such a value,
 * or under such a key, leaves an empty state empty: `count := count + 1` is none for ever.
 */
function noneWith(e: CheckedExpr, state: string): boolean {
  switch (e.k) {
    case 'state': return e.state === state && isVar(e.type);
    case 'lookup': return e.state === state || e.keys.some((k) => noneWith(k, state));
    case 'bin': return ARITHMETIC.has(e.op) && (noneWith(e.left, state) || noneWith(e.right, state));
    case 'neg': return noneWith(e.operand, state);
    case 'cond': return noneWith(e.then, state) && noneWith(e.otherwise, state);
    default: return false;
  }
}

const ARITHMETIC: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '&']);

/** The parts of the spec outside the defs, each with what it is. */
function parts(spec: CheckedSpec): { at: Site; node: unknown }[] {
  return [
    ...spec.rules.map((r) => ({ at: { where: 'a rule', span: r.span }, node: r })),
    ...spec.invariants.map((i) => ({ at: { where: `invariant '${i.name}'`, span: i.span }, node: i })),
    ...spec.obligations.map((o) => ({ at: { where: `obligation '${o.name}'`, span: o.span }, node: o })),
    ...spec.syncs.map((y) => ({ at: { where: 'a sync', span: y.span }, node: y })),
    ...spec.mappings.map((m) => ({ at: { where: 'a mapping', span: m.span }, node: m })),
  ];
}

/** A warning (KV206) at each state some part of the spec reads and no rule fills. */
export function unwrittenStates(spec: CheckedSpec): Diagnostic[] {
  /** The first place each state is read, by state name. */
  const reads = new Map<string, Site>();
  const filled = new Set<string>();
  const called = new Set<string>();
  /** Per state filled only from itself, the key or value of its first such assignment that is none while the state is. */
  const fromItself = new Map<string, { part: CheckedExpr; key: boolean }>();
  const assign = (state: string, keys: readonly CheckedExpr[], value: CheckedExpr): void => {
    const key = keys.find((k) => noneWith(k, state));
    if (key === undefined && !noneWith(value, state)) filled.add(state);
    else if (!fromItself.has(state)) fromItself.set(state, key !== undefined ? { part: key, key: true } : { part: value, key: false });
  };
  const readsIn = (node: unknown, at: Site): void => walk(node, (n, parent) => {
    if (n.k === 'assign') assign(n.state as string, n.keys as CheckedExpr[], n.value as CheckedExpr);
    else if (n.k === 'add') filled.add(n.state as string);
    else if (n.k === 'defcall') called.add(n.def as string);
    // (a successor def given as a relation, `reaches(blockers, a, b)`, is its name typed as a rel)
    else if (n.k === 'lit' && (n.type as Type).k === 'rel' && typeof n.value === 'string') called.add(n.value);
    // (a read of a whole state, an entry of it, or a binder's domain, which has no span of its own)
    if (typeof n.state === 'string' && !WRITES.has(n.k) && !reads.has(n.state)) {
      reads.set(n.state, { where: at.where, span: (n.span ?? parent?.span ?? at.span) as Span });
    }
  });
  for (const p of parts(spec)) readsIn(p.node, p.at);
  // A def's reads count where it is called (one nobody calls reads nothing); defs call defs, and a
  // Set's walk meets the names added while it goes.
  for (const name of called) {
    const d = spec.defs.get(name);
    if (d !== undefined) readsIn(d.body, { where: `def '${name}'`, span: d.span });
  }
  const out: Diagnostic[] = [];
  for (const [name, st] of spec.states) {
    const at = reads.get(name);
    if (at === undefined || filled.has(name)) continue;
    const self = fromItself.get(name);
    if (self !== undefined) {
      const empty = isVar(st.type) ? 'none' : 'empty';
      const d = warning('KV206',
        `state '${name}' is assigned only from itself: every ${isVar(st.type) ? 'value' : 'key or value'} assigned to it is none while it is ${empty},`
          + ` and it starts ${empty}, so it is ${empty} at every event and what reads it reads a constant`,
        { span: st.span },
        startHint(name, st.type));
      d.notes = [{ message: self.key ? 'keyed by its own entry here (none while it is empty)' : 'assigned from itself here', span: self.part.span }];
      out.push(d);
      continue;
    }
    const near = closest(name, filled);
    const how = fillSyntax(name, st.type);
    const d = warning('KV206',
      `state '${name}' is read but no rule assigns it or adds to it: it is ${isVar(st.type) ? 'none' : 'empty'} at every event,`
        + ' so what reads it reads a constant',
      { span: st.span },
      near !== undefined ? `did you mean '${near}', which rules write? Else write it in a rule (${how})`
        : `write it in a rule (${how}), or read the state that is written`);
    d.notes = [{ message: `read by ${at.where}`, span: at.span }];
    out.push(d);
  }
  return out;
}

function isVar(t: Type): boolean {
  return t.k !== 'map' && t.k !== 'set' && t.k !== 'rel';
}

/** How to give a state of type `t` a first value: a counter's start when it counts, in the spec's own syntax. */
function startHint(name: string, t: Type): string {
  if (t.k === 'map') {
    const keys = t.keys.map((_, i) => `k${i + 1}`).join(', ');
    const key = t.keys.length === 1 ? 'k1' : `(${keys})`;
    return t.value.k === 'int' ? `give it a value where it is none, as \`${name}[${keys}] := if ${key} in ${name} then ${name}[${keys}] + 1 else 1\``
      : `give it a value not taken from itself where it is none, as \`${name}[${keys}] := if ${key} in ${name} then ... else <a first value>\``;
  }
  return t.k === 'int' ? `give it a value where it is none, as \`${name} := if ${name} == none then 1 else ${name} + 1\``
    : `give it a value not taken from itself where it is none, as \`${name} := if ${name} == none then <a first value> else ...\``;
}

/** How a rule fills a state of type `t`, in the spec's own syntax. */
function fillSyntax(name: string, t: Type): string {
  if (t.k === 'map') return `\`${name}[${t.keys.map((_, i) => `k${i + 1}`).join(', ')}] := ...\``;
  if (t.k === 'set') return `\`add ${t.elem.length === 1 ? 'x' : `(${t.elem.map((_, i) => `x${i + 1}`).join(', ')})`} to ${name}\``;
  if (t.k === 'rel') return '`add (a, b) to ' + name + '`';
  return `\`${name} := ...\``;
}
