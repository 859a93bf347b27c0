/**
 * Pass 2, typecheck: every body (defs, rules, invariants, obligations, syncs, mappings) against the
 * declarations. Resolves each name (local, event field, parameter, state, enum member, builtin,
 * def) and types each expression, building the checked IR. Reports every name and type error of
 * the spec at once, and parameters nothing uses.
 */
import type * as A from '../dsl/ast.js';
import { error, type Diagnostic, type Span } from '../diag/diagnostic.js';
import { RECORD_SOURCES, type BuiltinTable } from './builtins.js';
import type { Declarations } from './declare.js';
import { IMPLICIT_FIELDS, fieldsAt, implicitFields, type FieldScope } from './fields.js';
import type {
  CheckedDomain, CheckedExpr, CheckedSpec, CheckedStmt, DefAt, FieldSource, InvariantAt, MappingAt, ObligationAt, Phase, RuleAt, StateIR,
  SyncAt, TemporalKeyed, TriggerIR,
} from './ir.js';
import { didYouMean } from './suggest.js';
import { BOOL, ERROR, INT, NONE, STR, TASK, compatible, elementTypes, isScalar, show, type Type } from './types.js';

/** Parameters kinv itself reads (the ftrace reader), so a spec may declare them without using them. */
export const HOST_PARAMS: ReadonlySet<string> = new Set(['ftrace_leaf_functions']);

interface LocalVar { slot: number; type: Type }

/** An event pattern's event and the fields it constrains, each with the value it must have. */
interface MatchedPattern { phase: Phase; event: string; fields: { name: string; from: FieldSource; value: CheckedExpr }[] }

interface Scope {
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
}

export function typecheck(asts: A.SpecAst[], decls: Declarations, builtins: BuiltinTable): { spec: CheckedSpec; diagnostics: Diagnostic[] } {
  const c = new TypeChecker(decls, builtins);
  for (const def of decls.defs.values()) c.checkDef(def);
  for (const d of asts.flatMap((a) => a.decls)) {
    switch (d.kind) {
      case 'rule': c.checkRule(d); break;
      case 'invariant': c.checkInvariant(d); break;
      case 'obligation': c.checkObligation(d); break;
      case 'sync': c.checkSync(d); break;
      case 'mapping': c.checkMapping(d); break;
      default: break;
    }
  }
  c.checkParamsUsed();
  return { spec: c.spec, diagnostics: c.diags };
}

class TypeChecker {
  readonly diags: Diagnostic[] = [];
  readonly spec: CheckedSpec;
  private readonly usedParams = new Set<string>();
  private readonly invariantNames = new Map<string, Span>();
  private readonly obligationNames = new Set<string>();

  constructor(private readonly d: Declarations, private readonly builtins: BuiltinTable) {
    const { files, params, enums, events, states } = d;
    this.spec = { files, params, enums, events, states, defs: new Map(), rules: [], invariants: [], obligations: [], syncs: [], mappings: [] };
  }

  checkParamsUsed(): void {
    for (const [name, p] of this.d.params) {
      if (!this.usedParams.has(name) && !HOST_PARAMS.has(name)) this.diags.push(error('KV105', `parameter '${name}' is declared but never used`,
        { span: p.span }));
    }
  }

  private defSignature(name: string): { params: Type[]; type: Type } | undefined {
    const d = this.d.defs.get(name);
    return d && { params: d.params.map((p) => p.type), type: d.type };
  }

  private newScope(fields: FieldScope, oldFn?: string): Scope {
    return { fields, locals: new Map(), slots: { n: 0 }, oldFn, recordFields: undefined, inOld: false, allowTemporal: true };
  }

  checkDef(sig: { ast: A.DefDecl; params: { name: string; type: Type }[]; type: Type }): void {
    const d = sig.ast;
    const scope = this.newScope(new Map());
    scope.allowTemporal = false;
    for (const p of sig.params) scope.locals.set(p.name, { slot: scope.slots.n++, type: p.type });
    const body = this.expr(d.body, scope, sig.type);
    if (!compatible(body.type, sig.type)) this.typeError(d.body.span, `def '${d.name.name}' returns ${show(body.type)}, declared ${show(sig.type)}`);
    const def: DefAt<'checked'> = { name: d.name.name, params: sig.params, type: sig.type, body, slots: scope.slots.n, span: d.name.span };
    this.spec.defs.set(def.name, def);
  }

  private triggers(ts: A.Trigger[]): { triggers: TriggerIR[]; fields: FieldScope; oldFn: string | undefined } {
    const triggers: TriggerIR[] = [];
    let fields: FieldScope | undefined;
    for (const t of ts) {
      const ev = this.d.events.get(t.name.name);
      if (!ev) {
        this.diags.push(error('KV103', `unknown event '${t.name.name}'`, { span: t.name.span }, didYouMean(t.name.name, this.d.events.keys())));
        continue;
      }
      if (ev.kind === 'fn' && t.phase === 'event') {
        this.diags.push(error('KV103', `'${ev.name}' is a function: write 'call ${ev.name}' or 'ret ${ev.name}'`, { span: t.name.span }));
        continue;
      }
      if (ev.kind === 'event' && t.phase !== 'event') {
        this.diags.push(error('KV103', `'${ev.name}' is a point event, not a function: drop '${t.phase}'`, { span: t.span }));
        continue;
      }
      triggers.push({ phase: t.phase, name: ev.name, span: t.span });
      const f = fieldsAt(ev, t.phase);
      if (!fields) fields = f;
      else for (const [k, v] of fields) {
        const other = f.get(k);
        if (!other || !compatible(other.type, v.type) || other.from !== v.from) fields.delete(k);
      }
    }
    const oldFn = triggers.length > 0 && triggers.every((t) => t.phase === 'ret' && t.name === triggers[0]!.name) ? triggers[0]!.name : undefined;
    return { triggers, fields: fields ?? implicitFields(), oldFn };
  }

  checkRule(d: A.RuleDecl): void {
    const { triggers, fields, oldFn } = this.triggers(d.triggers);
    const scope = this.newScope(fields, oldFn);
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    const body = this.stmts(d.body, scope);
    const rule: RuleAt<'checked'> = { triggers, guard, body, slots: scope.slots.n, span: d.span };
    this.spec.rules.push(rule);
  }

  checkInvariant(d: A.InvariantDecl): void {
    const prev = this.invariantNames.get(d.name.name);
    if (prev) {
      const diag = error('KV102', `invariant '${d.name.name}' is already declared`, { span: d.name.span });
      diag.notes = [{ message: 'first declared here', span: prev }];
      this.diags.push(diag);
    }
    this.invariantNames.set(d.name.name, d.name.span);
    const { triggers, fields, oldFn } = d.timing.when === 'always'
      ? { triggers: [] as TriggerIR[], fields: implicitFields(), oldFn: undefined }
      : this.triggers(d.timing.triggers);
    const scope = this.newScope(fields, oldFn);
    const guard = d.timing.guard ? this.boolExpr(d.timing.guard, scope) : null;
    const body = this.boolExpr(d.body, scope);
    const per = d.per ? d.per.map((e) => this.scalarExpr(e, scope)) : null;
    const message = d.message ? this.expr(d.message, scope) : null;
    const unknown = d.unknown ? { cond: this.boolExpr(d.unknown.cond, scope), reason: this.expr(d.unknown.reason, scope) } : null;
    const inv: InvariantAt<'checked'> = {
      name: d.name.name, doc: d.doc, when: d.timing.when, triggers, guard, per, body, message, unknown, slots: scope.slots.n, span: d.name.span,
    };
    this.spec.invariants.push(inv);
  }

  checkObligation(d: A.ObligationDecl): void {
    // An obligation may share its name with an invariant: together they state one rule
    // (a safety part checked at events, and the part that must be done by a due point).
    if (this.obligationNames.has(d.name.name)) this.diags.push(error('KV102', `obligation '${d.name.name}' is already declared`, { span: d.name.span }));
    this.obligationNames.add(d.name.name);
    const { triggers, fields } = this.triggers(d.triggers);
    const scope = this.newScope(fields);
    const { slots, domain } = this.bindDomain(d.binding, d.domain, scope);
    const filter = d.filter ? this.boolExpr(d.filter, scope) : null;
    const message = d.message ? this.expr(d.message, scope) : null;
    for (const b of d.binding.names) scope.locals.delete(b.name);
    this.spec.obligations.push({
      name: d.name.name, doc: d.doc, slots, domain, triggers, filter, message, totalSlots: scope.slots.n, span: d.name.span,
    } satisfies ObligationAt<'checked'>);
  }

  checkSync(d: A.SyncDecl): void {
    const { triggers, fields } = this.triggers(d.triggers);
    const scope = this.newScope(fields);
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    this.spec.syncs.push({ triggers, guard, slots: scope.slots.n, span: d.span } satisfies SyncAt<'checked'>);
  }

  checkMapping(d: A.MapDecl): void {
    const scope = this.newScope(implicitFields());
    scope.fields.set('retval', { type: STR, from: 'args' });
    scope.recordFields = new Set();
    scope.allowTemporal = false;
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    const emits: MappingAt<'checked'>['emits'] = [];
    for (const e of d.emits) {
      if (e.phase === 'ignore' || !e.name) { emits.push({ phase: 'ignore', name: '', args: [] }); continue; }
      const ev = this.d.events.get(e.name.name);
      if (!ev) {
        this.diags.push(error('KV103', `unknown event '${e.name.name}'`, { span: e.name.span }, didYouMean(e.name.name, this.d.events.keys())));
        continue;
      }
      if ((ev.kind === 'fn') !== (e.phase !== 'event')) {
        const why = ev.kind === 'fn' ? `'${ev.name}' is a function: emit 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`;
        this.diags.push(error('KV103', why, { span: e.span }));
        continue;
      }
      const declared = new Map<string, Type>();
      for (const f of e.phase === 'ret' ? ev.returns : ev.fields) declared.set(f.name, f.type);
      if (e.phase === 'ret' && !declared.has('ret')) declared.set('ret', STR);
      for (const [k, t] of Object.entries(IMPLICIT_FIELDS)) if (k !== 'seq') declared.set(k, t);
      const args: { name: string; value: CheckedExpr }[] = [];
      for (const a of e.args) {
        const t = declared.get(a.name.name);
        if (!t) {
          this.diags.push(error('KV104', `'${ev.name}' has no field '${a.name.name}'`, { span: a.name.span }, didYouMean(a.name.name, declared.keys())));
          continue;
        }
        const v = this.expr(a.value, scope, t);
        if (!compatible(v.type, t)) this.typeError(a.value.span, `field '${a.name.name}' of '${ev.name}' is ${show(t)}, got ${show(v.type)}`);
        args.push({ name: a.name.name, value: v });
      }
      emits.push({ phase: e.phase, name: ev.name, args });
    }
    if (!RECORD_SOURCES.includes(d.source.name)) {
      this.diags.push(error('KV101', `unknown record source '${d.source.name}'`, { span: d.source.span },
        didYouMean(d.source.name, RECORD_SOURCES) ?? `sources: ${RECORD_SOURCES.join(', ')}`));
    }
    this.spec.mappings.push({ source: d.source.name, record: d.record.name, guard, emits, slots: scope.slots.n, span: d.span });
  }

  // ---- statements ----

  private stmts(ss: A.Stmt[], scope: Scope): CheckedStmt[] {
    return ss.map((s) => this.stmt(s, scope));
  }

  private stateRef(name: A.Ident): { state: StateIR } | undefined {
    const state = this.d.states.get(name.name);
    if (!state) {
      this.diags.push(error('KV101', `unknown state '${name.name}'`, { span: name.span }, didYouMean(name.name, this.d.states.keys())));
      return undefined;
    }
    return { state };
  }

  private keysFor(state: StateIR, keys: A.Expr[], span: Span, scope: Scope): CheckedExpr[] {
    const want = state.type.k === 'map' ? state.type.keys : [];
    if (keys.length !== want.length) {
      this.diags.push(error('KV202', `'${state.name}' takes ${want.length} key${want.length === 1 ? '' : 's'}, got ${keys.length}`, { span }));
    }
    return keys.map((k, i) => {
      const t = want[i];
      const e = this.expr(k, scope, t);
      if (t && !compatible(e.type, t)) this.typeError(k.span, `key ${i + 1} of '${state.name}' is ${show(t)}, got ${show(e.type)}`);
      return e;
    });
  }

  private stmt(s: A.Stmt, scope: Scope): CheckedStmt {
    switch (s.kind) {
      case 'assign': {
        const ref = this.stateRef(s.target.name);
        const value = this.expr(s.value, scope, ref && ref.state.type.k === 'map' ? ref.state.type.value : ref?.state.type);
        if (!ref) return { k: 'assign', state: '', keys: [], value, span: s.span };
        const st = ref.state;
        if (st.type.k === 'set' || st.type.k === 'rel') {
          this.diags.push(error('KV203', `'${st.name}' is a ${st.type.k}: use 'add ... to ${st.name}'`, { span: s.target.span }));
          return { k: 'assign', state: st.name, keys: [], value, span: s.span };
        }
        const keys = st.type.k === 'map' ? this.keysFor(st, s.target.keys, s.target.span, scope) : [];
        if (st.type.k !== 'map' && s.target.keys.length) this.diags.push(error('KV202', `'${st.name}' is a variable and takes no keys`,
          { span: s.target.span }));
        const vt = st.type.k === 'map' ? st.type.value : st.type;
        if (!compatible(value.type, vt)) this.typeError(s.value.span, `'${st.name}' holds ${show(vt)}, got ${show(value.type)}`);
        return { k: 'assign', state: st.name, keys, value, span: s.span };
      }
      case 'delete': {
        const ref = this.stateRef(s.target.name);
        if (!ref) return { k: 'delete', state: '', keys: [], span: s.span };
        if (ref.state.type.k !== 'map') {
          this.diags.push(error('KV203', `'delete' needs a map; '${ref.state.name}' is ${show(ref.state.type)}`, { span: s.target.span }));
          return { k: 'delete', state: ref.state.name, keys: [], span: s.span };
        }
        return { k: 'delete', state: ref.state.name, keys: this.keysFor(ref.state, s.target.keys, s.target.span, scope), span: s.span };
      }
      case 'add': case 'remove': {
        const ref = this.stateRef(s.target);
        const items = s.value.kind === 'tuple' ? s.value.items : [s.value];
        const st = ref?.state.type;
        const want = st?.k === 'set' ? st.elem : st?.k === 'rel' ? [st.node, st.node] : undefined;
        if (ref && !want) this.diags.push(error('KV203', `'${s.kind}' needs a set or rel; '${ref.state.name}' is ${show(ref.state.type)}`,
          { span: s.target.span }));
        if (want && want.length !== items.length) this.diags.push(error('KV202',
          `'${ref!.state.name}' holds ${want.length}-tuples, got ${items.length} value${items.length === 1 ? '' : 's'}`, { span: s.value.span }));
        const value = items.map((it, i) => {
          const e = this.expr(it, scope, want?.[i]);
          if (want?.[i] && !compatible(e.type, want[i]!)) this.typeError(it.span,
            `element ${i + 1} of '${ref!.state.name}' is ${show(want[i]!)}, got ${show(e.type)}`);
          return e;
        });
        return { k: s.kind, state: ref?.state.name ?? '', value, span: s.span };
      }
      case 'if':
        return { k: 'if', cond: this.boolExpr(s.cond, scope), then: this.stmts(s.then, scope), otherwise: this.stmts(s.otherwise, scope), span: s.span };
      case 'for': {
        const { slots, domain } = this.bindDomain(s.binding, s.domain, scope);
        const filter = s.filter ? this.boolExpr(s.filter, scope) : null;
        const body = this.stmts(s.body, scope);
        for (const b of s.binding.names) scope.locals.delete(b.name);
        return { k: 'for', slots, domain, filter, body, span: s.span };
      }
    }
  }

  // ---- expressions ----

  private typeError(span: Span, message: string): void {
    this.diags.push(error('KV201', message, { span }));
  }

  private boolExpr(e: A.Expr, scope: Scope): CheckedExpr {
    const t = this.expr(e, scope, BOOL);
    if (!compatible(t.type, BOOL) || t.type.k === 'none') this.typeError(e.span, `expected a condition (bool), got ${show(t.type)}`);
    return t;
  }

  private scalarExpr(e: A.Expr, scope: Scope): CheckedExpr {
    const t = this.expr(e, scope);
    if (!isScalar(t.type) && t.type.k !== 'error') this.typeError(e.span, `expected a value, got ${show(t.type)}`);
    return t;
  }

  private expr(e: A.Expr, scope: Scope, expected?: Type): CheckedExpr {
    const span = e.span;
    switch (e.kind) {
      case 'int': return { k: 'lit', value: e.value, type: INT, span };
      case 'str': return { k: 'lit', value: e.value, type: STR, span };
      case 'bool': return { k: 'lit', value: e.value, type: BOOL, span };
      case 'none': return { k: 'lit', value: null, type: NONE, span };
      case 'ident': return this.ident(e, scope, expected);
      case 'template': {
        const parts = e.parts.map((p) => ('kind' in p && p.kind === 'text' ? p.value : this.scalarOrTuple(p as A.Expr, scope)));
        return { k: 'template', parts, type: STR, span };
      }
      case 'not': return { k: 'not', operand: this.boolExpr(e.operand, scope), type: BOOL, span };
      case 'neg': {
        const operand = this.expr(e.operand, scope, INT);
        if (!compatible(operand.type, INT)) this.typeError(e.operand.span, `'-' needs an int, got ${show(operand.type)}`);
        return { k: 'neg', operand, type: INT, span };
      }
      case 'cond': {
        const cond = this.boolExpr(e.cond, scope);
        const then = this.expr(e.then, scope, expected);
        const otherwise = this.expr(e.otherwise, scope, expected ?? then.type);
        if (!compatible(then.type, otherwise.type)) this.typeError(e.span, `branches have different types: ${show(then.type)} and ${show(otherwise.type)}`);
        return { k: 'cond', cond, then, otherwise, type: then.type.k === 'none' ? otherwise.type : then.type, span };
      }
      case 'binary': return this.binary(e, scope);
      case 'index': return this.index(e, scope);
      case 'tuple': return { k: 'tuple', items: e.items.map((i) => this.scalarExpr(i, scope)), type: { k: 'tuple', items: [] }, span };
      case 'quant': case 'count': case 'setComp': return this.comprehension(e, scope);
      case 'setLit': {
        const items = e.items.map((i) => this.scalarExpr(i, scope));
        const elem = items.find((i) => i.type.k !== 'none')?.type ?? (expected?.k === 'set' ? expected.elem[0] ?? NONE : NONE);
        for (const it of items) if (!compatible(it.type, elem)) this.typeError(it.span,
          `set elements have different types: ${show(elem)} and ${show(it.type)}`);
        return { k: 'setLit', items, type: { k: 'set', elem: [elem] }, span };
      }
      case 'old': {
        if (scope.inOld) { this.diags.push(error('KV203', `'old' cannot be nested`, { span })); return this.expr(e.operand, scope); }
        if (!scope.oldFn) {
          this.diags.push(error('KV203', `'old(...)' is only allowed where every trigger is the return of one function ('on ret f' or 'after ret f')`,
            { span }));
          return { k: 'lit', value: null, type: ERROR, span };
        }
        const fn = this.d.events.get(scope.oldFn)!;
        const callScope: Scope = { ...this.newScope(fieldsAt(fn, 'call')), inOld: true };
        const inner = this.expr(e.operand, callScope, expected);
        return { k: 'old', fn: fn.name, expr: inner, slots: callScope.slots.n, type: inner.type, span };
      }
      case 'once': case 'previously': {
        if (!scope.allowTemporal) {
          this.diags.push(error('KV203', `'${e.kind}' is not allowed here`, { span }));
          return { k: 'lit', value: false, type: BOOL, span };
        }
        const pats = this.patternDisjunction(e.operand, scope);
        if (pats.length === 0) return { k: 'lit', value: false, type: BOOL, span };
        if (e.kind === 'previously') {
          if (pats.length > 1) this.diags.push(error('KV203', `'previously' takes one event pattern`, { span: e.operand.span }));
          return { k: 'previously', pattern: pats[0]!.pattern, keys: pats[0]!.keys, type: BOOL, span };
        }
        // once (P or Q) == once P or once Q
        return pats.map((p): CheckedExpr => ({ k: 'once', pattern: p.pattern, keys: p.keys, type: BOOL, span }))
          .reduce((a, b) => ({ k: 'bin', op: 'or', left: a, right: b, type: BOOL, span }));
      }
      case 'since': {
        if (!scope.allowTemporal) {
          this.diags.push(error('KV203', `'since' is not allowed here`, { span }));
          return { k: 'lit', value: false, type: BOOL, span };
        }
        const anchor = this.patternDisjunction(e.right, scope);
        if (anchor.length !== 1) {
          if (anchor.length > 1) this.diags.push(error('KV203', `the right side of 'since' must be one event pattern`, { span: e.right.span }));
          return { k: 'lit', value: false, type: BOOL, span };
        }
        let blockers: TemporalKeyed<'checked'>[] = [];
        if (e.left.kind === 'bool' && e.left.value) blockers = [];
        else if (e.left.kind === 'not') blockers = this.patternDisjunction(e.left.operand, scope);
        else this.diags.push(error('KV203', `the left side of 'since' must be 'not PATTERN' (nothing matching PATTERN since ...) or 'true'`,
          { span: e.left.span }));
        return { k: 'since', blockers, anchor: anchor[0]!, type: BOOL, span };
      }
      case 'pattern': {
        const m = this.pattern(e, scope);
        if (!m) return { k: 'lit', value: false, type: BOOL, span };
        return { k: 'matches', phase: m.phase, event: m.event, fields: m.fields, type: BOOL, span };
      }
      case 'call': return this.call(e, scope, expected);
    }
  }

  private scalarOrTuple(e: A.Expr, scope: Scope): CheckedExpr {
    return this.expr(e, scope);
  }

  private ident(e: A.Ident, scope: Scope, expected?: Type): CheckedExpr {
    const span = e.span;
    const local = scope.locals.get(e.name);
    if (local && !scope.inOld) return { k: 'local', slot: local.slot, type: local.type, span };
    const field = scope.fields.get(e.name);
    if (field) return { k: 'field', name: e.name, from: field.from, type: field.type, span };
    const param = this.d.params.get(e.name);
    if (param) {
      this.usedParams.add(e.name);
      return { k: 'lit', value: param.value, type: param.type, span };
    }
    const state = this.d.states.get(e.name);
    if (state) return { k: 'state', state: e.name, type: state.type, span };
    if (e.name === 'tasks') return { k: 'state', state: '$tasks', type: { k: 'set', elem: [TASK] }, span };
    // Enum members: by the expected type first, then by a unique owner.
    if (expected?.k === 'enum' && expected.members.includes(e.name)) return { k: 'lit', value: e.name, type: expected, span };
    const owners = [...this.d.enums].filter(([, ms]) => ms.includes(e.name));
    if (owners.length === 1) {
      const [name, members] = owners[0]!;
      return { k: 'lit', value: e.name, type: { k: 'enum', name, members }, span };
    }
    if (owners.length > 1) {
      this.diags.push(error('KV101',
        `'${e.name}' is a member of several enums (${owners.map(([n]) => n).join(', ')}); compare it with a value of the one you mean`, { span }));
      return { k: 'lit', value: e.name, type: ERROR, span };
    }
    if (scope.recordFields) {
      scope.recordFields.add(e.name);
      return { k: 'field', name: e.name, from: 'args', type: STR, span };
    }
    if (local && scope.inOld) {
      this.diags.push(error('KV203', `'old(...)' cannot refer to '${e.name}', bound outside it: it is evaluated at the call`, { span }));
      return { k: 'lit', value: null, type: ERROR, span };
    }
    const candidates = [...scope.locals.keys(), ...scope.fields.keys(), ...this.d.params.keys(), ...this.d.states.keys(), ...[...this.d.enums.values()].flat()];
    this.diags.push(error('KV101', `unknown name '${e.name}'`, { span },
      didYouMean(e.name, candidates) ?? (scope.fields.size ? `fields here: ${[...scope.fields.keys()].join(', ')}` : undefined)));
    return { k: 'lit', value: null, type: ERROR, span };
  }

  private binary(e: Extract<A.Expr, { kind: 'binary' }>, scope: Scope): CheckedExpr {
    const span = e.span;
    switch (e.op) {
      case 'and': case 'or': case 'implies':
        return { k: 'bin', op: e.op, left: this.boolExpr(e.left, scope), right: this.boolExpr(e.right, scope), type: BOOL, span };
      case '==': case '!=': {
        // Resolve enum members against the other side's type.
        const leftFirst = e.left.kind !== 'ident' || this.isBound(e.left.name, scope);
        let left: CheckedExpr, right: CheckedExpr;
        if (leftFirst) { left = this.expr(e.left, scope); right = this.expr(e.right, scope, left.type); }
        else { right = this.expr(e.right, scope); left = this.expr(e.left, scope, right.type); }
        if (!compatible(left.type, right.type)) this.typeError(span, `cannot compare ${show(left.type)} with ${show(right.type)}`);
        return { k: 'bin', op: e.op, left, right, type: BOOL, span };
      }
      case '<': case '<=': case '>': case '>=': case '-': case '*': case '/': case '%': case '&': {
        const cmp = e.op === '<' || e.op === '<=' || e.op === '>' || e.op === '>=';
        const left = this.expr(e.left, scope, INT);
        const right = this.expr(e.right, scope, INT);
        if (cmp && (left.type.k === 'time' || right.type.k === 'time')) return this.timeComparison(e.op, left, right, e);
        for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
          if (!compatible(x.type, INT)) this.typeError(ast.span, `'${e.op}' needs ints, got ${show(x.type)}`);
        }
        return { k: 'bin', op: e.op, left, right, type: cmp ? BOOL : INT, span };
      }
      case '+': {
        const left = this.expr(e.left, scope);
        const right = this.expr(e.right, scope, left.type.k === 'set' ? left.type : undefined);
        if (left.type.k === 'set' || right.type.k === 'set') {
          if (!compatible(left.type, right.type)) this.typeError(span, `cannot join ${show(left.type)} and ${show(right.type)}`);
          return { k: 'bin', op: 'union', left, right, type: left.type.k === 'set' ? left.type : right.type, span };
        }
        const numeric = compatible(left.type, INT) && compatible(right.type, INT) && left.type.k !== 'none' && right.type.k !== 'none';
        if (!numeric) {
          for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
            if (!isScalar(x.type) && x.type.k !== 'error') this.typeError(ast.span, `'+' joins values, got ${show(x.type)}`);
          }
        }
        return { k: 'bin', op: numeric ? '+' : 'concat', left, right, type: numeric ? INT : STR, span };
      }
      case 'in': case 'not in': {
        const coll = this.expr(e.right, scope);
        const elems = elementTypes(coll.type);
        const items = e.left.kind === 'tuple' ? e.left.items : [e.left];
        if (!elems && coll.type.k !== 'error') {
          this.typeError(e.right.span, `'in' needs a set, map or rel, got ${show(coll.type)}`);
        }
        const want = coll.type.k === 'map' ? coll.type.keys : elems;
        if (want && want.length !== items.length) this.diags.push(error('KV202',
          `'${show(coll.type)}' has ${want.length}-element entries, got ${items.length}`, { span: e.left.span }));
        const elem = items.map((it, i) => {
          const x = this.expr(it, scope, want?.[i]);
          if (want?.[i] && !compatible(x.type, want[i]!)) this.typeError(it.span, `expected ${show(want[i]!)}, got ${show(x.type)}`);
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
  private timeComparison(op: string, left: CheckedExpr, right: CheckedExpr, e: Extract<A.Expr, { kind: 'binary' }>): CheckedExpr {
    for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
      if (x.type.k !== 'time' && x.type.k !== 'none' && x.type.k !== 'error') {
        this.typeError(ast.span, `'${op}' compares a time (seconds, as 'ts') with another time, got ${show(x.type)}`);
      }
    }
    return { k: 'bin', op, left, right, type: BOOL, span: e.span };
  }

  private isBound(name: string, scope: Scope): boolean {
    return scope.locals.has(name) || scope.fields.has(name) || this.d.params.has(name) || this.d.states.has(name);
  }

  private index(e: Extract<A.Expr, { kind: 'index' }>, scope: Scope): CheckedExpr {
    const span = e.span;
    const target = this.expr(e.target, scope);
    if (target.k === 'state' && target.type.k === 'map') {
      const state = this.d.states.get(target.state)!;
      return { k: 'lookup', state: state.name, keys: this.keysFor(state, e.keys, span, scope), type: target.type.value, span };
    }
    if (target.type.k === 'rel') {
      if (e.keys.length !== 1) this.diags.push(error('KV202', `a rel takes one key (the source node)`, { span }));
      const key = this.expr(e.keys[0]!, scope, target.type.node);
      if (!compatible(key.type, target.type.node)) this.typeError(e.keys[0]!.span, `expected ${show(target.type.node)}, got ${show(key.type)}`);
      return { k: 'succ', target, key, type: { k: 'set', elem: [target.type.node] }, span };
    }
    if (target.type.k !== 'error') this.typeError(e.target.span, `only maps and rels can be indexed; this is ${show(target.type)}`);
    return { k: 'lit', value: null, type: ERROR, span };
  }

  private bindDomain(binding: A.Binding, domainAst: A.Expr, scope: Scope): { slots: number[]; domain: CheckedDomain } {
    const dom = this.expr(domainAst, scope);
    const elems = elementTypes(dom.type);
    if (!elems && dom.type.k !== 'error') this.typeError(domainAst.span, `cannot range over ${show(dom.type)}: expected a set, map or rel`);
    if (elems && elems.length !== binding.names.length) {
      this.diags.push(error('KV202', `${show(dom.type)} has ${elems.length}-element entries; bind ${elems.length} name${elems.length === 1 ? '' : 's'}`,
        { span: binding.span }));
    }
    const slots = binding.names.map((n, i) => {
      const slot = scope.slots.n++;
      if (n.name !== '_') scope.locals.set(n.name, { slot, type: elems?.[i] ?? ERROR });
      return slot;
    });
    let domain: CheckedDomain;
    if (dom.k === 'state' && dom.state === '$tasks') domain = { k: 'tasks' };
    else if (dom.k === 'state') domain = { k: 'state', state: dom.state, index: null };
    else domain = { k: 'expr', expr: dom };
    return { slots, domain };
  }

  private comprehension(e: Extract<A.Expr, { kind: 'quant' | 'count' | 'setComp' }>, scope: Scope): CheckedExpr {
    const span = e.span;
    const saved = new Map(scope.locals);
    const { slots, domain } = this.bindDomain(e.binding, e.domain, scope);
    const filter = e.filter ? this.boolExpr(e.filter, scope) : null;
    let out: CheckedExpr;
    if (e.kind === 'quant') out = { k: 'quant', q: e.q, slots, domain, filter, body: this.boolExpr(e.body, scope), type: BOOL, span };
    else if (e.kind === 'count') out = { k: 'count', slots, domain, filter, type: INT, span };
    else {
      const elem = this.scalarExpr(e.elem, scope);
      out = { k: 'setComp', elem, slots, domain, filter, type: { k: 'set', elem: [elem.type] }, span };
    }
    scope.locals.clear();
    for (const [k, v] of saved) scope.locals.set(k, v);
    return out;
  }

  private call(e: Extract<A.Expr, { kind: 'call' }>, scope: Scope, expected?: Type): CheckedExpr {
    const span = e.span;
    const name = e.callee.name;
    const ev = this.d.events.get(name);
    if (ev && e.args.length === 0) {
      // `acq()` — an event pattern with no constraints.
      return this.expr({ kind: 'pattern', phase: 'event', name: e.callee, args: [], span }, scope, expected);
    }
    const b = Object.hasOwn(this.builtins, name) ? this.builtins[name] : undefined;
    if (b?.kind === 'graph') {
      if (e.args.length !== 3) {
        this.diags.push(error('KV202', `'${name}' takes 3 arguments (relation, from, to), got ${e.args.length}`, { span }));
        return { k: 'lit', value: null, type: ERROR, span };
      }
      const relAst = e.args[0]!;
      let rel: CheckedExpr;
      let node: Type = ERROR;
      const relName = relAst.kind === 'ident' ? relAst.name : undefined;
      const def = relName ? this.defSignature(relName) : undefined;
      if (def && relName) {
        if (def.params.length !== 1 || def.type.k !== 'set' || def.type.elem.length !== 1 || !compatible(def.params[0]!, def.type.elem[0]!)) {
          this.typeError(relAst.span, `'${relName}' must take one value and return a set of the same type to be used as a relation`);
        }
        node = def.params[0] ?? ERROR;
        rel = { k: 'lit', value: relName, type: { k: 'rel', node }, span: relAst.span };
      } else {
        rel = this.expr(relAst, scope);
        if (rel.k !== 'state' || rel.type.k !== 'rel') {
          if (rel.type.k !== 'error') this.typeError(relAst.span, `'${name}' needs a rel state or a successor def, got ${show(rel.type)}`);
        } else node = rel.type.node;
      }
      const from = this.expr(e.args[1]!, scope, node);
      const to = this.expr(e.args[2]!, scope, node);
      for (const [x, ast] of [[from, e.args[1]!], [to, e.args[2]!]] as const) {
        if (!compatible(x.type, node)) this.typeError(ast.span, `expected ${show(node)}, got ${show(x.type)}`);
      }
      return { k: 'builtin', name, builtin: b, args: [rel, from, to], type: b.result, span };
    }
    if (b?.mappingOnly && !scope.recordFields) {
      this.diags.push(error('KV203', `'${name}(...)' is only meaningful in a 'map' declaration`, { span }));
      return { k: 'lit', value: null, type: ERROR, span };
    }
    if (b) {
      if (e.args.length !== b.params.length) {
        this.diags.push(error('KV202', `'${name}' takes ${b.params.length} argument${b.params.length === 1 ? '' : 's'}, got ${e.args.length}`, { span }));
      }
      const args = e.args.map((a, i) => {
        const want = b.params[i];
        const x = this.expr(a, scope, typeof want === 'string' ? undefined : want);
        if (want === 'collection') {
          if (!elementTypes(x.type) && x.type.k !== 'error') this.typeError(a.span, `'${name}' needs a collection, got ${show(x.type)}`);
        } else if (want === 'value' || want === undefined) {
          if (!isScalar(x.type) && x.type.k !== 'error') this.typeError(a.span, `argument ${i + 1} of '${name}' must be a value`);
        } else if (!compatible(x.type, want)) this.typeError(a.span, `argument ${i + 1} of '${name}' is ${show(want)}, got ${show(x.type)}`);
        return x;
      });
      return { k: 'builtin', name, builtin: b, args, type: b.result, span };
    }
    const sig = this.defSignature(name);
    if (sig) {
      if (e.args.length !== sig.params.length) {
        this.diags.push(error('KV202', `'${name}' takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, got ${e.args.length}`, { span }));
      }
      const args = e.args.map((a, i) => {
        const want = sig.params[i];
        const x = this.expr(a, scope, want);
        if (want && !compatible(x.type, want)) this.typeError(a.span, `argument ${i + 1} of '${name}' is ${show(want)}, got ${show(x.type)}`);
        return x;
      });
      return { k: 'defcall', def: name, args, type: sig.type, span };
    }
    this.diags.push(error('KV101', `unknown function '${name}'`, { span: e.callee.span },
      didYouMean(name, [...Object.keys(this.builtins), ...this.d.defs.keys(), ...this.d.events.keys()])));
    return { k: 'lit', value: null, type: ERROR, span };
  }

  /** `P or Q or ...` where each is an event pattern → the patterns, each with its key values (fields sorted by name). */
  private patternDisjunction(e: A.Expr, scope: Scope): TemporalKeyed<'checked'>[] {
    if (e.kind === 'binary' && e.op === 'or') return [...this.patternDisjunction(e.left, scope), ...this.patternDisjunction(e.right, scope)];
    let pat: Extract<A.Expr, { kind: 'pattern' }> | undefined;
    if (e.kind === 'pattern') pat = e;
    else if (e.kind === 'call' && e.args.length === 0 && this.d.events.has(e.callee.name)) {
      pat = { kind: 'pattern', phase: 'event', name: e.callee, args: [], span: e.span };
    }
    if (!pat) {
      this.diags.push(error('KV203', `past-time operators apply to event patterns such as 'acq(lock: l, pid: pid)'`, { span: e.span }));
      return [];
    }
    const m = this.pattern(pat, scope);
    if (!m) return [];
    const fields = m.fields.map((f) => f.name);
    const order = fields.map((_, i) => i).sort((a, b) => fields[a]!.localeCompare(fields[b]!));
    const pattern = { phase: m.phase, event: m.event, fields: order.map((i) => fields[i]!), span: pat.span };
    return [{ pattern, keys: order.map((i) => m.fields[i]!.value) }];
  }

  private pattern(p: Extract<A.Expr, { kind: 'pattern' }>, scope: Scope): MatchedPattern | undefined {
    const ev = this.d.events.get(p.name.name);
    if (!ev) {
      this.diags.push(error('KV103', `unknown event '${p.name.name}'`, { span: p.name.span }, didYouMean(p.name.name, this.d.events.keys())));
      return undefined;
    }
    if ((ev.kind === 'fn') !== (p.phase !== 'event')) {
      const why = ev.kind === 'fn' ? `'${ev.name}' is a function: write 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`;
      this.diags.push(error('KV103', why, { span: p.span }));
      return undefined;
    }
    const avail = fieldsAt(ev, p.phase);
    const fields: { name: string; from: FieldSource; value: CheckedExpr }[] = [];
    for (const a of p.args) {
      const f = avail.get(a.name.name);
      if (!f) {
        this.diags.push(error('KV104', `'${ev.name}' has no field '${a.name.name}'`, { span: a.name.span }, didYouMean(a.name.name, avail.keys())));
        continue;
      }
      const value = this.expr(a.value, scope, f.type);
      if (!compatible(value.type, f.type)) this.typeError(a.value.span, `field '${a.name.name}' is ${show(f.type)}, got ${show(value.type)}`);
      fields.push({ name: a.name.name, from: f.from, value });
    }
    return { phase: p.phase, event: ev.name, fields };
  }
}
