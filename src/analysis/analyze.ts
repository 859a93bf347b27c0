/**
 * Syntax trees → checked spec. Declarations are collected first (so order in a file does not
 * matter), then every rule, invariant, obligation, sync and mapping is resolved and type-checked.
 * All name and type errors of a spec are reported together; the compiler runs only on a spec
 * without errors.
 */
import type * as A from '../dsl/ast.js';
import { error, type Diagnostic, type Result, type Span } from '../diag/diagnostic.js';
import type { Scalar } from '../values/event.js';
import { BUILTINS, RECORD_SOURCES, type BuiltinTable } from './builtins.js';
import { didYouMean } from './suggest.js';
import type {
  CaptureIR, DefIR, DomainIR, EventSchema, FieldSource, InvariantIR, MappingIR, ObligationIR, Phase, RuleIR,
  StateIR, SyncIR, TExpr, TStmt, TemporalTable, TriggerIR, TypedSpec,
} from './ir.js';
import {
  BOOL, ERROR, INT, NONE, STR, TASK, compatible, elementTypes, isScalar, show, type Type,
} from './types.js';

/** Parameters kinv itself reads (the ftrace reader), so a spec may declare them without using them. */
export const HOST_PARAMS: ReadonlySet<string> = new Set(['ftrace_leaf_functions']);

/** Fields every event carries, whatever its declaration. */
const IMPLICIT_FIELDS: Record<string, Type> = { pid: TASK, seq: INT, comm: STR, cpu: INT, ts: INT };

interface LocalVar { slot: number; type: Type }

interface Scope {
  fields: Map<string, { type: Type; from: FieldSource }>;
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

export interface AnalyzeOptions {
  /** `--param k=v` overrides, by name. */
  params?: Record<string, string>;
  /** The builtin functions a spec may call (default: the language's, in src/analysis/builtins.ts). */
  builtins?: BuiltinTable;
}

export function analyze(asts: A.SpecAst[], opts: AnalyzeOptions = {}): Result<TypedSpec> {
  return new Analyzer(opts).run(asts);
}

class Analyzer {
  private readonly diags: Diagnostic[] = [];
  private readonly spec: TypedSpec = {
    files: [], params: new Map(), enums: new Map(), events: new Map(), states: new Map(), defs: new Map(),
    rules: [], invariants: [], obligations: [], syncs: [], mappings: [], temporal: [], captures: new Map(),
  };
  private readonly usedParams = new Set<string>();
  private readonly declSpans = new Map<string, Span>();
  private readonly defAsts = new Map<string, A.DefDecl>();
  private readonly invariantNames = new Map<string, Span>();
  private readonly obligationNames = new Set<string>();

  private readonly builtins: BuiltinTable;

  constructor(private readonly opts: AnalyzeOptions) {
    this.builtins = opts.builtins ?? BUILTINS;
  }

  run(asts: A.SpecAst[]): Result<TypedSpec> {
    for (const ast of asts) this.spec.files.push(ast.span.source);
    const decls = asts.flatMap((a) => a.decls);
    // Stage 1: declarations, in dependency order (types before the things that use them).
    for (const d of decls) if (d.kind === 'enum') this.declareEnum(d);
    for (const d of decls) if (d.kind === 'param') this.declareParam(d);
    this.applyParamOverrides(decls);
    for (const d of decls) if (d.kind === 'event' || d.kind === 'fn') this.declareEvent(d);
    for (const d of decls) if (d.kind === 'state') this.declareState(d);
    for (const d of decls) if (d.kind === 'def') this.declareDef(d);
    // Stage 2: bodies.
    for (const d of decls) {
      switch (d.kind) {
        case 'def': this.checkDef(d); break;
        case 'rule': this.checkRule(d); break;
        case 'invariant': this.checkInvariant(d); break;
        case 'obligation': this.checkObligation(d); break;
        case 'sync': this.checkSync(d); break;
        case 'mapping': this.checkMapping(d); break;
        default: break;
      }
    }
    for (const [name, p] of this.spec.params) {
      if (!this.usedParams.has(name) && !HOST_PARAMS.has(name)) this.diags.push(error('KV105', `parameter '${name}' is declared but never used`, { span: p.span }));
    }
    const failed = this.diags.some((d) => d.severity === 'error');
    return failed ? { ok: false, diagnostics: this.diags } : { ok: true, value: this.spec, diagnostics: this.diags };
  }

  // ---- declarations ----

  private claim(name: A.Ident, what: string): boolean {
    const prev = this.declSpans.get(name.name);
    if (prev) {
      const d = error('KV102', `${what} '${name.name}' is already declared`, { span: name.span });
      d.notes = [{ message: 'first declared here', span: prev }];
      this.diags.push(d);
      return false;
    }
    this.declSpans.set(name.name, name.span);
    return true;
  }

  private declareEnum(d: A.EnumDecl): void {
    if (!this.claim(d.name, 'enum')) return;
    const seen = new Set<string>();
    for (const m of d.members) {
      if (seen.has(m.name)) this.diags.push(error('KV102', `enum member '${m.name}' repeated`, { span: m.span }));
      seen.add(m.name);
    }
    this.spec.enums.set(d.name.name, [...seen]);
  }

  private resolveType(t: A.TypeRef): Type {
    switch (t.name) {
      case 'int': return INT;
      case 'str': return STR;
      case 'bool': return BOOL;
      case 'id': return { k: 'id' };
      case 'task': return TASK;
      case 'set': return t.elem ? { k: 'set', elem: [this.resolveType(t.elem)] } : ERROR;
      default: {
        const members = this.spec.enums.get(t.name);
        if (members) return { k: 'enum', name: t.name, members };
        this.diags.push(error('KV101', `unknown type '${t.name}'`, { span: t.span }, didYouMean(t.name, ['int', 'str', 'bool', 'id', 'task', ...this.spec.enums.keys()]) ?? 'types are int, str, bool, id, task and declared enums'));
        return ERROR;
      }
    }
  }

  private declareParam(d: A.ParamDecl): void {
    if (!this.claim(d.name, 'parameter')) return;
    const type = this.resolveType(d.type);
    const value = this.literalValue(d.value, type);
    this.spec.params.set(d.name.name, { type, value, span: d.name.span });
  }

  private literalValue(lit: A.Literal, type: Type): Scalar {
    const bad = (): Scalar => {
      this.diags.push(error('KV201', `default value does not have type ${show(type)}`, { span: lit.span }));
      return null;
    };
    switch (lit.kind) {
      case 'int': return type.k === 'int' ? lit.value : bad();
      case 'str': return type.k === 'str' || type.k === 'id' ? lit.value : bad();
      case 'bool': return type.k === 'bool' ? lit.value : bad();
      case 'ident': return type.k === 'enum' && type.members.includes(lit.name) ? lit.name : bad();
    }
  }

  private applyParamOverrides(decls: A.Decl[]): void {
    for (const [name, raw] of Object.entries(this.opts.params ?? {})) {
      const p = this.spec.params.get(name);
      const anchor = decls[0]?.span ?? { source: '<command line>', start: 0, end: 0 };
      if (!p) {
        this.diags.push(error('KV105', `unknown parameter '${name}' given with --param`, { span: { ...anchor, end: anchor.start } },
          didYouMean(name, this.spec.params.keys()) ?? `the spec declares: ${[...this.spec.params.keys()].join(', ') || 'no parameters'}`));
        continue;
      }
      const v = parseParamValue(raw, p.type);
      if (v === undefined) {
        this.diags.push(error('KV106', `--param ${name}=${raw}: expected ${p.type.k === 'enum' ? `one of ${p.type.members.join(', ')}` : show(p.type)}`, { span: p.span }));
        continue;
      }
      p.value = v;
    }
  }

  private declareEvent(d: A.EventDecl | A.FnDecl): void {
    if (!this.claim(d.name, d.kind === 'fn' ? 'function' : 'event')) return;
    const fields = this.fieldList(d.fields);
    const returns = d.kind === 'fn' ? this.fieldList(d.returns) : [];
    this.spec.events.set(d.name.name, { name: d.name.name, kind: d.kind, fields, returns, span: d.name.span });
  }

  private fieldList(fs: A.FieldDecl[]): { name: string; type: Type; optional?: boolean }[] {
    const seen = new Set<string>();
    const out: { name: string; type: Type; optional?: boolean }[] = [];
    for (const f of fs) {
      if (seen.has(f.name.name)) this.diags.push(error('KV102', `field '${f.name.name}' repeated`, { span: f.name.span }));
      else if (f.name.name in IMPLICIT_FIELDS) this.diags.push(error('KV102', `field '${f.name.name}' is implicit on every event`, { span: f.name.span }));
      seen.add(f.name.name);
      out.push(f.optional ? { name: f.name.name, type: this.resolveType(f.type), optional: true } : { name: f.name.name, type: this.resolveType(f.type) });
    }
    return out;
  }

  private declareState(d: A.StateDecl): void {
    if (!this.claim(d.name, 'state')) return;
    let type: Type;
    const t = d.type;
    switch (t.kind) {
      case 'mapType': type = { k: 'map', keys: t.keys.map((k) => this.resolveType(k)), value: this.resolveType(t.value) }; break;
      case 'setType': type = { k: 'set', elem: t.keys.map((k) => this.resolveType(k)) }; break;
      case 'relType': type = { k: 'rel', node: this.resolveType(t.node) }; break;
      case 'varType': type = this.resolveType(t.value); break;
    }
    const taskPositions: number[] = [];
    const keys = type.k === 'map' ? type.keys : type.k === 'set' ? type.elem : [];
    keys.forEach((k, i) => { if (k.k === 'task') taskPositions.push(i); });
    if (type.k === 'map' && type.value.k === 'task') taskPositions.push(-1);
    this.spec.states.set(d.name.name, { name: d.name.name, type, taskPositions, indexed: new Set(), span: d.name.span });
  }

  private declareDef(d: A.DefDecl): void {
    if (!this.claim(d.name, 'def')) return;
    this.defAsts.set(d.name.name, d);
  }

  private defSignature(name: string): { params: Type[]; type: Type } | undefined {
    const d = this.defAsts.get(name);
    if (!d) return undefined;
    return { params: d.params.map((p) => this.resolveTypeQuiet(p.type)), type: this.resolveTypeQuiet(d.type) };
  }

  private resolveTypeQuiet(t: A.TypeRef): Type {
    const n = this.diags.length;
    const r = this.resolveType(t);
    this.diags.length = n; // reported once, by checkDef
    return r;
  }

  // ---- bodies ----

  private newScope(fields: Map<string, { type: Type; from: FieldSource }>, oldFn?: string): Scope {
    return { fields, locals: new Map(), slots: { n: 0 }, oldFn, recordFields: undefined, inOld: false, allowTemporal: true };
  }

  private checkDef(d: A.DefDecl): void {
    const scope = this.newScope(new Map());
    scope.allowTemporal = false;
    const params = d.params.map((p) => ({ name: p.name.name, type: this.resolveType(p.type) }));
    for (const p of params) scope.locals.set(p.name, { slot: scope.slots.n++, type: p.type });
    const type = this.resolveType(d.type);
    const body = this.expr(d.body, scope, type);
    if (!compatible(body.type, type)) this.typeError(d.body.span, `def '${d.name.name}' returns ${show(body.type)}, declared ${show(type)}`);
    const def: DefIR = { name: d.name.name, params, type, body, slots: scope.slots.n, span: d.name.span };
    this.spec.defs.set(def.name, def);
  }

  private triggers(ts: A.Trigger[]): { triggers: TriggerIR[]; fields: Map<string, { type: Type; from: FieldSource }>; oldFn: string | undefined } {
    const triggers: TriggerIR[] = [];
    let fields: Map<string, { type: Type; from: FieldSource }> | undefined;
    for (const t of ts) {
      const ev = this.spec.events.get(t.name.name);
      if (!ev) {
        this.diags.push(error('KV103', `unknown event '${t.name.name}'`, { span: t.name.span }, didYouMean(t.name.name, this.spec.events.keys())));
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

  private checkRule(d: A.RuleDecl): void {
    const { triggers, fields, oldFn } = this.triggers(d.triggers);
    const scope = this.newScope(fields, oldFn);
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    const body = this.stmts(d.body, scope);
    const rule: RuleIR = { triggers, guard, body, slots: scope.slots.n, span: d.span };
    this.spec.rules.push(rule);
  }

  private checkInvariant(d: A.InvariantDecl): void {
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
    const inv: InvariantIR = {
      name: d.name.name, doc: d.doc, when: d.timing.when, triggers, guard, per, body, message, unknown, slots: scope.slots.n, span: d.name.span,
    };
    this.spec.invariants.push(inv);
  }

  private checkObligation(d: A.ObligationDecl): void {
    // An obligation may share its name with an invariant: together they state one rule
    // (a safety part checked at events, and the part that must be done by a due point).
    if (this.obligationNames.has(d.name.name)) this.diags.push(error('KV102', `obligation '${d.name.name}' is already declared`, { span: d.name.span }));
    this.obligationNames.add(d.name.name);
    const { triggers, fields } = this.triggers(d.triggers);
    const scope = this.newScope(fields);
    const { slots, domain } = this.bindDomain(d.binding, d.domain, scope);
    const filter = d.filter ? this.boolExpr(d.filter, scope) : null;
    const narrowed = filter ? this.narrow(domain, slots, filter) : domain;
    const message = d.message ? this.expr(d.message, scope) : null;
    for (const b of d.binding.names) scope.locals.delete(b.name);
    this.spec.obligations.push({
      name: d.name.name, doc: d.doc, slots, domain: narrowed, triggers, filter, message, totalSlots: scope.slots.n, span: d.name.span,
    } satisfies ObligationIR);
  }

  private checkSync(d: A.SyncDecl): void {
    const { triggers, fields } = this.triggers(d.triggers);
    const scope = this.newScope(fields);
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    this.spec.syncs.push({ triggers, guard, slots: scope.slots.n, span: d.span } satisfies SyncIR);
  }

  private checkMapping(d: A.MapDecl): void {
    const scope = this.newScope(implicitFields());
    scope.fields.set('retval', { type: STR, from: 'args' });
    scope.recordFields = new Set();
    scope.allowTemporal = false;
    const guard = d.guard ? this.boolExpr(d.guard, scope) : null;
    const emits: MappingIR['emits'] = [];
    for (const e of d.emits) {
      if (e.phase === 'ignore' || !e.name) { emits.push({ phase: 'ignore', name: '', args: [] }); continue; }
      const ev = this.spec.events.get(e.name.name);
      if (!ev) {
        this.diags.push(error('KV103', `unknown event '${e.name.name}'`, { span: e.name.span }, didYouMean(e.name.name, this.spec.events.keys())));
        continue;
      }
      if ((ev.kind === 'fn') !== (e.phase !== 'event')) {
        this.diags.push(error('KV103', ev.kind === 'fn' ? `'${ev.name}' is a function: emit 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`, { span: e.span }));
        continue;
      }
      const declared = new Map<string, Type>();
      for (const f of e.phase === 'ret' ? ev.returns : ev.fields) declared.set(f.name, f.type);
      if (e.phase === 'ret' && !declared.has('ret')) declared.set('ret', STR);
      for (const [k, t] of Object.entries(IMPLICIT_FIELDS)) if (k !== 'seq') declared.set(k, t);
      const args: { name: string; value: TExpr }[] = [];
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
      this.diags.push(error('KV101', `unknown record source '${d.source.name}'`, { span: d.source.span }, didYouMean(d.source.name, RECORD_SOURCES) ?? `sources: ${RECORD_SOURCES.join(', ')}`));
    }
    this.spec.mappings.push({ source: d.source.name, record: d.record.name, guard, emits, slots: scope.slots.n, span: d.span });
  }

  // ---- statements ----

  private stmts(ss: A.Stmt[], scope: Scope): TStmt[] {
    return ss.map((s) => this.stmt(s, scope));
  }

  private stateRef(name: A.Ident): { state: StateIR } | undefined {
    const state = this.spec.states.get(name.name);
    if (!state) {
      this.diags.push(error('KV101', `unknown state '${name.name}'`, { span: name.span }, didYouMean(name.name, this.spec.states.keys())));
      return undefined;
    }
    return { state };
  }

  private keysFor(state: StateIR, keys: A.Expr[], span: Span, scope: Scope): TExpr[] {
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

  private stmt(s: A.Stmt, scope: Scope): TStmt {
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
        if (st.type.k !== 'map' && s.target.keys.length) this.diags.push(error('KV202', `'${st.name}' is a variable and takes no keys`, { span: s.target.span }));
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
        const want = ref ? (ref.state.type.k === 'set' ? ref.state.type.elem : ref.state.type.k === 'rel' ? [ref.state.type.node, ref.state.type.node] : undefined) : undefined;
        if (ref && !want) this.diags.push(error('KV203', `'${s.kind}' needs a set or rel; '${ref.state.name}' is ${show(ref.state.type)}`, { span: s.target.span }));
        if (want && want.length !== items.length) this.diags.push(error('KV202', `'${ref!.state.name}' holds ${want.length}-tuples, got ${items.length} value${items.length === 1 ? '' : 's'}`, { span: s.value.span }));
        const value = items.map((it, i) => {
          const e = this.expr(it, scope, want?.[i]);
          if (want?.[i] && !compatible(e.type, want[i]!)) this.typeError(it.span, `element ${i + 1} of '${ref!.state.name}' is ${show(want[i]!)}, got ${show(e.type)}`);
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
        return { k: 'for', slots, domain: filter ? this.narrow(domain, slots, filter) : domain, filter, body, span: s.span };
      }
    }
  }

  // ---- expressions ----

  private typeError(span: Span, message: string): void {
    this.diags.push(error('KV201', message, { span }));
  }

  private boolExpr(e: A.Expr, scope: Scope): TExpr {
    const t = this.expr(e, scope, BOOL);
    if (!compatible(t.type, BOOL) || t.type.k === 'none') this.typeError(e.span, `expected a condition (bool), got ${show(t.type)}`);
    return t;
  }

  private scalarExpr(e: A.Expr, scope: Scope): TExpr {
    const t = this.expr(e, scope);
    if (!isScalar(t.type) && t.type.k !== 'error') this.typeError(e.span, `expected a value, got ${show(t.type)}`);
    return t;
  }

  private expr(e: A.Expr, scope: Scope, expected?: Type): TExpr {
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
        for (const it of items) if (!compatible(it.type, elem)) this.typeError(it.span, `set elements have different types: ${show(elem)} and ${show(it.type)}`);
        return { k: 'setLit', items, type: { k: 'set', elem: [elem] }, span };
      }
      case 'old': {
        if (scope.inOld) { this.diags.push(error('KV203', `'old' cannot be nested`, { span })); return this.expr(e.operand, scope); }
        if (!scope.oldFn) {
          this.diags.push(error('KV203', `'old(...)' is only allowed where every trigger is the return of one function ('on ret f' or 'after ret f')`, { span }));
          return { k: 'lit', value: null, type: ERROR, span };
        }
        const fn = this.spec.events.get(scope.oldFn)!;
        const callScope: Scope = { ...this.newScope(fieldsAt(fn, 'call')), inOld: true };
        const inner = this.expr(e.operand, callScope, expected);
        const cap = this.capture(fn.name);
        cap.exprs.push(inner);
        cap.slots = Math.max(cap.slots, callScope.slots.n);
        return { k: 'old', index: cap.exprs.length - 1, type: inner.type, span };
      }
      case 'once': case 'previously': {
        if (!scope.allowTemporal) { this.diags.push(error('KV203', `'${e.kind}' is not allowed here`, { span })); return { k: 'lit', value: false, type: BOOL, span }; }
        const pats = this.patternDisjunction(e.operand, scope);
        if (pats.length === 0) return { k: 'lit', value: false, type: BOOL, span };
        if (e.kind === 'previously') {
          if (pats.length > 1) this.diags.push(error('KV203', `'previously' takes one event pattern`, { span: e.operand.span }));
          return { k: 'previously', table: pats[0]!.table, keys: pats[0]!.keys, type: BOOL, span };
        }
        // once (P or Q) == once P or once Q
        return pats.map((p): TExpr => ({ k: 'once', table: p.table, keys: p.keys, type: BOOL, span }))
          .reduce((a, b) => ({ k: 'bin', op: 'or', left: a, right: b, type: BOOL, span }));
      }
      case 'since': {
        if (!scope.allowTemporal) { this.diags.push(error('KV203', `'since' is not allowed here`, { span })); return { k: 'lit', value: false, type: BOOL, span }; }
        const anchor = this.patternDisjunction(e.right, scope);
        if (anchor.length !== 1) {
          if (anchor.length > 1) this.diags.push(error('KV203', `the right side of 'since' must be one event pattern`, { span: e.right.span }));
          return { k: 'lit', value: false, type: BOOL, span };
        }
        let blockers: { table: number; keys: TExpr[] }[] = [];
        if (e.left.kind === 'bool' && e.left.value) blockers = [];
        else if (e.left.kind === 'not') blockers = this.patternDisjunction(e.left.operand, scope);
        else this.diags.push(error('KV203', `the left side of 'since' must be 'not PATTERN' (nothing matching PATTERN since ...) or 'true'`, { span: e.left.span }));
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

  private scalarOrTuple(e: A.Expr, scope: Scope): TExpr {
    return this.expr(e, scope);
  }

  private capture(fn: string): CaptureIR {
    let c = this.spec.captures.get(fn);
    if (!c) { c = { fn, exprs: [], slots: 0 }; this.spec.captures.set(fn, c); }
    return c;
  }

  private ident(e: A.Ident, scope: Scope, expected?: Type): TExpr {
    const span = e.span;
    const local = scope.locals.get(e.name);
    if (local && !scope.inOld) return { k: 'local', slot: local.slot, type: local.type, span };
    const field = scope.fields.get(e.name);
    if (field) return { k: 'field', name: e.name, from: field.from, type: field.type, span };
    const param = this.spec.params.get(e.name);
    if (param) {
      this.usedParams.add(e.name);
      return { k: 'lit', value: param.value, type: param.type, span };
    }
    const state = this.spec.states.get(e.name);
    if (state) return { k: 'state', state: e.name, type: state.type, span };
    if (e.name === 'tasks') return { k: 'state', state: '$tasks', type: { k: 'set', elem: [TASK] }, span };
    // Enum members: by the expected type first, then by a unique owner.
    if (expected?.k === 'enum' && expected.members.includes(e.name)) return { k: 'lit', value: e.name, type: expected, span };
    const owners = [...this.spec.enums].filter(([, ms]) => ms.includes(e.name));
    if (owners.length === 1) {
      const [name, members] = owners[0]!;
      return { k: 'lit', value: e.name, type: { k: 'enum', name, members }, span };
    }
    if (owners.length > 1) {
      this.diags.push(error('KV101', `'${e.name}' is a member of several enums (${owners.map(([n]) => n).join(', ')}); compare it with a value of the one you mean`, { span }));
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
    const candidates = [...scope.locals.keys(), ...scope.fields.keys(), ...this.spec.params.keys(), ...this.spec.states.keys(), ...[...this.spec.enums.values()].flat()];
    this.diags.push(error('KV101', `unknown name '${e.name}'`, { span }, didYouMean(e.name, candidates) ?? (scope.fields.size ? `fields here: ${[...scope.fields.keys()].join(', ')}` : undefined)));
    return { k: 'lit', value: null, type: ERROR, span };
  }

  private binary(e: Extract<A.Expr, { kind: 'binary' }>, scope: Scope): TExpr {
    const span = e.span;
    switch (e.op) {
      case 'and': case 'or': case 'implies':
        return { k: 'bin', op: e.op, left: this.boolExpr(e.left, scope), right: this.boolExpr(e.right, scope), type: BOOL, span };
      case '==': case '!=': {
        // Resolve enum members against the other side's type.
        const leftFirst = e.left.kind !== 'ident' || this.isBound(e.left.name, scope);
        let left: TExpr, right: TExpr;
        if (leftFirst) { left = this.expr(e.left, scope); right = this.expr(e.right, scope, left.type); }
        else { right = this.expr(e.right, scope); left = this.expr(e.left, scope, right.type); }
        if (!compatible(left.type, right.type)) this.typeError(span, `cannot compare ${show(left.type)} with ${show(right.type)}`);
        return { k: 'bin', op: e.op, left, right, type: BOOL, span };
      }
      case '<': case '<=': case '>': case '>=': case '-': case '*': case '/': case '%': case '&': {
        const left = this.expr(e.left, scope, INT);
        const right = this.expr(e.right, scope, INT);
        for (const [x, ast] of [[left, e.left], [right, e.right]] as const) {
          if (!compatible(x.type, INT)) this.typeError(ast.span, `'${e.op}' needs ints, got ${show(x.type)}`);
        }
        const cmp = e.op === '<' || e.op === '<=' || e.op === '>' || e.op === '>=';
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
        if (want && want.length !== items.length) this.diags.push(error('KV202', `'${show(coll.type)}' has ${want.length}-element entries, got ${items.length}`, { span: e.left.span }));
        const elem = items.map((it, i) => {
          const x = this.expr(it, scope, want?.[i]);
          if (want?.[i] && !compatible(x.type, want[i]!)) this.typeError(it.span, `expected ${show(want[i]!)}, got ${show(x.type)}`);
          return x;
        });
        const m: TExpr = { k: 'member', elem, coll, type: BOOL, span };
        return e.op === 'in' ? m : { k: 'not', operand: m, type: BOOL, span };
      }
    }
  }

  private isBound(name: string, scope: Scope): boolean {
    return scope.locals.has(name) || scope.fields.has(name) || this.spec.params.has(name) || this.spec.states.has(name);
  }

  private index(e: Extract<A.Expr, { kind: 'index' }>, scope: Scope): TExpr {
    const span = e.span;
    const target = this.expr(e.target, scope);
    if (target.k === 'state' && target.type.k === 'map') {
      const state = this.spec.states.get(target.state)!;
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

  private bindDomain(binding: A.Binding, domainAst: A.Expr, scope: Scope): { slots: number[]; domain: DomainIR } {
    const dom = this.expr(domainAst, scope);
    const elems = elementTypes(dom.type);
    if (!elems && dom.type.k !== 'error') this.typeError(domainAst.span, `cannot range over ${show(dom.type)}: expected a set, map or rel`);
    if (elems && elems.length !== binding.names.length) {
      this.diags.push(error('KV202', `${show(dom.type)} has ${elems.length}-element entries; bind ${elems.length} name${elems.length === 1 ? '' : 's'}`, { span: binding.span }));
    }
    const slots = binding.names.map((n, i) => {
      const slot = scope.slots.n++;
      if (n.name !== '_') scope.locals.set(n.name, { slot, type: elems?.[i] ?? ERROR });
      return slot;
    });
    let domain: DomainIR;
    if (dom.k === 'state' && dom.state === '$tasks') domain = { k: 'tasks' };
    else if (dom.k === 'state') domain = { k: 'state', state: dom.state, index: null };
    else domain = { k: 'expr', expr: dom };
    return { slots, domain };
  }

  /** Uses an index when the filter pins one key position to a value computed outside the binder. */
  private narrow(domain: DomainIR, slots: number[], filter: TExpr): DomainIR {
    if (domain.k !== 'state') return domain;
    const state = this.spec.states.get(domain.state);
    if (!state || (state.type.k !== 'map' && state.type.k !== 'set')) return domain;
    for (const c of conjuncts(filter)) {
      if (c.k !== 'bin' || c.op !== '==') continue;
      for (const [a, b] of [[c.left, c.right], [c.right, c.left]] as const) {
        if (a.k !== 'local') continue;
        const pos = slots.indexOf(a.slot);
        if (pos < 0 || mentionsSlots(b, slots)) continue;
        if (slots.length > 1) state.indexed.add(pos);
        return { k: 'state', state: domain.state, index: { pos, value: b } };
      }
    }
    return domain;
  }

  private comprehension(e: Extract<A.Expr, { kind: 'quant' | 'count' | 'setComp' }>, scope: Scope): TExpr {
    const span = e.span;
    const saved = new Map(scope.locals);
    const { slots, domain } = this.bindDomain(e.binding, e.domain, scope);
    const filter = e.filter ? this.boolExpr(e.filter, scope) : null;
    const narrowed = filter ? this.narrow(domain, slots, filter) : domain;
    let out: TExpr;
    if (e.kind === 'quant') out = { k: 'quant', q: e.q, slots, domain: narrowed, filter, body: this.boolExpr(e.body, scope), type: BOOL, span };
    else if (e.kind === 'count') out = { k: 'count', slots, domain: narrowed, filter, type: INT, span };
    else {
      const elem = this.scalarExpr(e.elem, scope);
      out = { k: 'setComp', elem, slots, domain: narrowed, filter, type: { k: 'set', elem: [elem.type] }, span };
    }
    scope.locals.clear();
    for (const [k, v] of saved) scope.locals.set(k, v);
    return out;
  }

  private call(e: Extract<A.Expr, { kind: 'call' }>, scope: Scope, expected?: Type): TExpr {
    const span = e.span;
    const name = e.callee.name;
    const ev = this.spec.events.get(name);
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
      let rel: TExpr;
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
      didYouMean(name, [...Object.keys(this.builtins), ...this.defAsts.keys(), ...this.spec.events.keys()])));
    return { k: 'lit', value: null, type: ERROR, span };
  }

  /** `P or Q or ...` where each is an event pattern → one temporal table per pattern. */
  private patternDisjunction(e: A.Expr, scope: Scope): { table: number; keys: TExpr[] }[] {
    if (e.kind === 'binary' && e.op === 'or') return [...this.patternDisjunction(e.left, scope), ...this.patternDisjunction(e.right, scope)];
    let pat: Extract<A.Expr, { kind: 'pattern' }> | undefined;
    if (e.kind === 'pattern') pat = e;
    else if (e.kind === 'call' && e.args.length === 0 && this.spec.events.has(e.callee.name)) pat = { kind: 'pattern', phase: 'event', name: e.callee, args: [], span: e.span };
    if (!pat) {
      this.diags.push(error('KV203', `past-time operators apply to event patterns such as 'acq(lock: l, pid: pid)'`, { span: e.span }));
      return [];
    }
    const m = this.pattern(pat, scope);
    if (!m) return [];
    const fields = m.fields.map((f) => f.name);
    const order = fields.map((_, i) => i).sort((a, b) => fields[a]!.localeCompare(fields[b]!));
    const sorted = order.map((i) => fields[i]!);
    let table = this.spec.temporal.find((t) => t.phase === m.phase && t.event === m.event && t.fields.join(',') === sorted.join(','));
    if (!table) {
      table = { id: this.spec.temporal.length, phase: m.phase, event: m.event, fields: sorted, span: pat.span } satisfies TemporalTable;
      this.spec.temporal.push(table);
    }
    return [{ table: table.id, keys: order.map((i) => m.fields[i]!.value) }];
  }

  private pattern(p: Extract<A.Expr, { kind: 'pattern' }>, scope: Scope): { phase: Phase; event: string; fields: { name: string; from: FieldSource; value: TExpr }[] } | undefined {
    const ev = this.spec.events.get(p.name.name);
    if (!ev) {
      this.diags.push(error('KV103', `unknown event '${p.name.name}'`, { span: p.name.span }, didYouMean(p.name.name, this.spec.events.keys())));
      return undefined;
    }
    if ((ev.kind === 'fn') !== (p.phase !== 'event')) {
      this.diags.push(error('KV103', ev.kind === 'fn' ? `'${ev.name}' is a function: write 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`, { span: p.span }));
      return undefined;
    }
    const avail = fieldsAt(ev, p.phase);
    const fields: { name: string; from: FieldSource; value: TExpr }[] = [];
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

function implicitFields(): Map<string, { type: Type; from: FieldSource }> {
  const m = new Map<string, { type: Type; from: FieldSource }>();
  for (const [k, t] of Object.entries(IMPLICIT_FIELDS)) m.set(k, { type: t, from: 'implicit' });
  return m;
}

/** The fields in scope at an event of the given phase. */
export function fieldsAt(ev: EventSchema, phase: Phase): Map<string, { type: Type; from: FieldSource }> {
  const m = implicitFields();
  if (phase === 'ret') {
    for (const f of ev.fields) m.set(f.name, { type: f.type, from: 'call' });
    m.set('ret', { type: STR, from: 'ret' });
    for (const f of ev.returns) m.set(f.name, { type: f.type, from: f.name === 'ret' ? 'ret' : 'args' });
  } else {
    for (const f of ev.fields) m.set(f.name, { type: f.type, from: 'args' });
  }
  return m;
}

function conjuncts(e: TExpr): TExpr[] {
  return e.k === 'bin' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function mentionsSlots(e: TExpr, slots: number[]): boolean {
  let found = false;
  visit(e, (x) => { if (x.k === 'local' && slots.includes(x.slot)) found = true; });
  return found;
}

/** Calls `f` on every sub-expression. */
export function visit(e: TExpr, f: (x: TExpr) => void): void {
  f(e);
  const kids: (TExpr | null | undefined)[] = [];
  switch (e.k) {
    case 'lookup': kids.push(...e.keys); break;
    case 'succ': kids.push(e.target, e.key); break;
    case 'member': kids.push(...e.elem, e.coll); break;
    case 'bin': kids.push(e.left, e.right); break;
    case 'not': case 'neg': kids.push(e.operand); break;
    case 'cond': kids.push(e.cond, e.then, e.otherwise); break;
    case 'quant': kids.push(e.filter, e.body, domainExpr(e.domain)); break;
    case 'count': kids.push(e.filter, domainExpr(e.domain)); break;
    case 'setComp': kids.push(e.elem, e.filter, domainExpr(e.domain)); break;
    case 'setLit': case 'tuple': kids.push(...e.items); break;
    case 'once': case 'previously': kids.push(...e.keys); break;
    case 'since': kids.push(...e.anchor.keys, ...e.blockers.flatMap((b) => b.keys)); break;
    case 'matches': kids.push(...e.fields.map((f) => f.value)); break;
    case 'builtin': case 'defcall': kids.push(...e.args); break;
    case 'template': for (const p of e.parts) if (typeof p !== 'string') kids.push(p); break;
    default: break;
  }
  for (const k of kids) if (k) visit(k, f);
}

function domainExpr(d: DomainIR): TExpr | null {
  return d.k === 'expr' ? d.expr : d.k === 'state' && d.index ? d.index.value : null;
}

function parseParamValue(raw: string, t: Type): Scalar | undefined {
  switch (t.k) {
    // An int is a whole number that a double holds exactly: 1.5 is no offset, and 2^53 + 1 would silently become 2^53.
    case 'int': { const n = raw.trim() === '' ? NaN : Number(raw); return Number.isSafeInteger(n) ? n : undefined; }
    case 'bool': return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'str': case 'id': return raw;
    case 'enum': return t.members.includes(raw) ? raw : undefined;
    default: return undefined;
  }
}

