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
import type { CheckedDomain, CheckedExpr, CheckedSpec, CheckedStmt } from './ir.js';
import type { Type } from './types.js';
import { visit } from './visit.js';

/** Where an expression of the spec is: what holds it, and a span to fall back on. */
interface Site { where: string; span: Span }

/** What `walkSpec` meets outside the defs' bodies. */
interface Parts {
  expr(e: CheckedExpr, at: Site): void;
  /** A binder's domain that is a whole state (`for (a, b) in s`, an obligation's `(a, b) in s`). */
  stateDomain(state: string, at: Site): void;
  /** `state[keys] := value` (`keys` empty for a var). */
  assign(state: string, keys: readonly CheckedExpr[], value: CheckedExpr, span: Span): void;
  /** `add ... to state`. */
  add(state: string): void;
}

function walkExprs(es: readonly (CheckedExpr | null)[], at: Site, parts: Parts): void {
  for (const e of es) if (e !== null) parts.expr(e, at);
}

function walkDomain(d: CheckedDomain, at: Site, parts: Parts): void {
  if (d.k === 'state') parts.stateDomain(d.state, at);
  else if (d.k === 'expr') parts.expr(d.expr, at);
}

function walkStmts(body: readonly CheckedStmt[], where: string, parts: Parts): void {
  for (const s of body) {
    const at = { where, span: s.span };
    switch (s.k) {
      case 'assign': parts.assign(s.state, s.keys, s.value, s.span); walkExprs([...s.keys, s.value], at, parts); break;
      case 'add': parts.add(s.state); walkExprs(s.value, at, parts); break;
      case 'delete': walkExprs(s.keys, at, parts); break;
      case 'remove': walkExprs(s.value, at, parts); break;
      case 'if': walkExprs([s.cond], at, parts); walkStmts(s.then, where, parts); walkStmts(s.otherwise, where, parts); break;
      case 'for': walkDomain(s.domain, at, parts); walkExprs([s.filter], at, parts); walkStmts(s.body, where, parts); break;
    }
  }
}

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

/** Every expression, state domain and fill of the spec's rules, invariants, obligations, syncs and mappings. */
function walkSpec(spec: CheckedSpec, parts: Parts): void {
  for (const r of spec.rules) {
    walkExprs([r.guard], { where: 'a rule', span: r.span }, parts);
    walkStmts(r.body, 'a rule', parts);
  }
  for (const inv of spec.invariants) {
    const at = { where: `invariant '${inv.name}'`, span: inv.span };
    walkExprs([inv.guard, ...(inv.per ?? []), inv.body, inv.message, inv.unknown?.cond ?? null, inv.unknown?.reason ?? null], at, parts);
  }
  for (const ob of spec.obligations) {
    const at = { where: `obligation '${ob.name}'`, span: ob.span };
    walkDomain(ob.domain, at, parts);
    walkExprs([ob.filter, ob.message], at, parts);
  }
  for (const s of spec.syncs) walkExprs([s.guard], { where: 'a sync', span: s.span }, parts);
  for (const m of spec.mappings) {
    walkExprs([m.guard, ...m.emits.flatMap((e) => e.args.map((a) => a.value))], { where: 'a mapping', span: m.span }, parts);
  }
}

/** A warning (KV206) at each state some part of the spec reads and no rule fills. */
export function unwrittenStates(spec: CheckedSpec): Diagnostic[] {
  /** The first place each state is read, by state name. */
  const reads = new Map<string, Site>();
  const filled = new Set<string>();
  const called = new Set<string>();
  const read = (state: string, at: Site): void => { if (!reads.has(state)) reads.set(state, at); };
  const readsIn = (e: CheckedExpr, at: Site): void => visit(e, (x) => {
    const here = { where: at.where, span: x.span };
    if (x.k === 'state' || x.k === 'lookup') read(x.state, here);
    else if ((x.k === 'quant' || x.k === 'count' || x.k === 'setComp') && x.domain.k === 'state') read(x.domain.state, here);
    else if (x.k === 'defcall') called.add(x.def);
    // (a successor def given as a relation, `reaches(blockers, a, b)`, is its name typed as a rel)
    else if (x.k === 'lit' && x.type.k === 'rel' && typeof x.value === 'string') called.add(x.value);
  });
  /** Per state filled only from itself, the key or value of its first such assignment that is none while the state is. */
  const fromItself = new Map<string, { part: CheckedExpr; key: boolean }>();
  walkSpec(spec, {
    expr: readsIn, stateDomain: read, add: (state) => filled.add(state),
    assign: (state, keys, value) => {
      const key = keys.find((k) => noneWith(k, state));
      if (key === undefined && !noneWith(value, state)) filled.add(state);
      else if (!fromItself.has(state)) fromItself.set(state, key !== undefined ? { part: key, key: true } : { part: value, key: false });
    },
  });
  // A def's reads count where it is called (one nobody calls reads nothing), and defs call defs.
  const done = new Set<string>();
  for (let more = true; more;) {
    more = false;
    for (const name of called) {
      const d = spec.defs.get(name);
      if (done.has(name) || d === undefined) continue;
      done.add(name);
      readsIn(d.body, { where: `def '${name}'`, span: d.span });
      more = true;
    }
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
