/**
 * The declarations with bodies: defs, rules, invariants, obligations, syncs and mappings, each
 * with the scope its triggers give; and the parameters nothing uses.
 */
import type * as A from '../../dsl/ast.js';
import { error } from '../../diag/diagnostic.js';
import { RECORD_SOURCES } from '../builtins.js';
import { IMPLICIT_FIELDS, fieldsAt, implicitFields, type FieldScope } from '../fields.js';
import type { CheckedExpr, DefAt, InvariantAt, MappingAt, ObligationAt, RuleAt, SyncAt, TriggerIR } from '../ir.js';
import { didYouMean } from '../../diag/suggest.js';
import { STR, compatible, show, type Type } from '../types.js';
import { newScope, typeError, type Checker } from './context.js';
import { bindDomain, checkFreshName } from './quantifiers.js';
import { stmts } from './statements.js';

/** Parameters kinv itself reads (the ftrace reader), so a spec may declare them without using them. */
export const HOST_PARAMS: ReadonlySet<string> = new Set(['ftrace_leaf_functions', 'every_cpu']);

export function checkParamsUsed(cx: Checker): void {
  for (const [name, p] of cx.d.params) {
    if (!cx.usedParams.has(name) && !HOST_PARAMS.has(name)) cx.diags.push(error('KV105', `parameter '${name}' is declared but never used`,
      { span: p.span }));
  }
}

export function checkDef(cx: Checker, sig: { ast: A.DefDecl; params: { name: string; type: Type }[]; type: Type }): void {
  const d = sig.ast;
  const scope = newScope(new Map());
  scope.allowTemporal = false;
  const seen = new Set<string>();
  d.params.forEach((p, i) => {
    checkFreshName(cx, p.name, scope, seen);
    scope.locals.set(sig.params[i]!.name, { slot: scope.slots.n++, type: sig.params[i]!.type });
  });
  const body = cx.expr(d.body, scope, sig.type);
  if (!compatible(body.type, sig.type)) typeError(cx, d.body.span, `def '${d.name.name}' returns ${show(body.type)}, declared ${show(sig.type)}`);
  const def: DefAt<'checked'> = { name: d.name.name, params: sig.params, type: sig.type, body, slots: scope.slots.n, span: d.name.span };
  cx.spec.defs.set(def.name, def);
}

function triggerScope(cx: Checker, ts: A.Trigger[]): { triggers: TriggerIR[]; fields: FieldScope; oldFn: string | undefined; absent: Map<string, string> } {
  const triggers: TriggerIR[] = [];
  const each: { at: string; fields: FieldScope; ret: FieldScope | undefined }[] = [];
  let fields: FieldScope | undefined;
  for (const t of ts) {
    const ev = cx.d.events.get(t.name.name);
    if (!ev) {
      cx.diags.push(error('KV103', `unknown event '${t.name.name}'`, { span: t.name.span }, didYouMean(t.name.name, cx.d.events.keys())));
      continue;
    }
    if (ev.kind === 'fn' && t.phase === 'event') {
      cx.diags.push(error('KV103', `'${ev.name}' is a function: write 'call ${ev.name}' or 'ret ${ev.name}'`, { span: t.name.span }));
      continue;
    }
    if (ev.kind === 'event' && t.phase !== 'event') {
      cx.diags.push(error('KV103', `'${ev.name}' is a point event, not a function: drop '${t.phase}'`, { span: t.span }));
      continue;
    }
    triggers.push({ phase: t.phase, name: ev.name, span: t.span });
    const f = fieldsAt(ev, t.phase);
    each.push({ at: t.phase === 'event' ? ev.name : `${t.phase} ${ev.name}`, fields: new Map(f), ret: t.phase === 'call' ? fieldsAt(ev, 'ret') : undefined });
    if (!fields) fields = f;
    else for (const [k, v] of fields) {
      const other = f.get(k);
      if (!other || !compatible(other.type, v.type) || other.from !== v.from) fields.delete(k);
    }
  }
  const oldFn = triggers.length > 0 && triggers.every((t) => t.phase === 'ret' && t.name === triggers[0]!.name) ? triggers[0]!.name : undefined;
  const scope = fields ?? implicitFields();
  return { triggers, fields: scope, oldFn, absent: absentFields(each, scope) };
}

/**
 * Why a name that is a field somewhere near is not one here: a rule on several events sees only
 * the fields all of them have, alike, and a `call` does not see what its function returns.
 * Without it, `ret` at `on call f` is an unknown name that suggests `seq`.
 */
function absentFields(each: { at: string; fields: FieldScope; ret: FieldScope | undefined }[], scope: FieldScope): Map<string, string> {
  const absent = new Map<string, string>();
  const names = new Set(each.flatMap((e) => [...e.fields.keys(), ...(e.ret?.keys() ?? [])]));
  for (const k of names) {
    if (scope.has(k)) continue;
    const has = each.filter((e) => e.fields.has(k)).map((e) => `'${e.at}'`);
    const lacks = each.filter((e) => !e.fields.has(k)).map((e) => `'${e.at}'`);
    const atRet = each.find((e) => !e.fields.has(k) && e.ret?.has(k));
    absent.set(k, lacks.length === 0
      ? `'${k}' differs in type or source between ${has.join(', ')}: a rule on several events sees only the fields they all have alike`
      : has.length > 0
        ? `'${k}' is a field of ${has.join(', ')} but not of ${lacks.join(', ')}: a rule on several events sees only the fields they all have`
        : `'${k}' is a field of '${atRet!.at.replace(/^call /, 'ret ')}', not of '${atRet!.at}': the call has not returned yet`);
  }
  return absent;
}

export function checkRule(cx: Checker, d: A.RuleDecl): void {
  const { triggers, fields, oldFn, absent } = triggerScope(cx, d.triggers);
  const scope = newScope(fields, oldFn, absent);
  const guard = d.guard ? cx.boolExpr(d.guard, scope) : null;
  const body = stmts(cx, d.body, scope);
  const rule: RuleAt<'checked'> = { triggers, guard, body, slots: scope.slots.n, span: d.span };
  cx.spec.rules.push(rule);
}

export function checkInvariant(cx: Checker, d: A.InvariantDecl): void {
  const prev = cx.invariantNames.get(d.name.name);
  if (prev) {
    const diag = error('KV102', `invariant '${d.name.name}' is already declared`, { span: d.name.span });
    diag.notes = [{ message: 'first declared here', span: prev }];
    cx.diags.push(diag);
  }
  cx.invariantNames.set(d.name.name, d.name.span);
  const { triggers, fields, oldFn, absent } = d.timing.when === 'always'
    ? { triggers: [] as TriggerIR[], fields: implicitFields(), oldFn: undefined, absent: undefined }
    : triggerScope(cx, d.timing.triggers);
  const scope = newScope(fields, oldFn, absent);
  const guard = d.timing.guard ? cx.boolExpr(d.timing.guard, scope) : null;
  const body = cx.boolExpr(d.body, scope);
  const per = d.per ? d.per.map((e) => cx.scalarExpr(e, scope)) : null;
  const message = d.message ? cx.expr(d.message, scope) : null;
  const unknown = d.unknown ? { cond: cx.boolExpr(d.unknown.cond, scope), reason: cx.expr(d.unknown.reason, scope) } : null;
  const inv: InvariantAt<'checked'> = {
    name: d.name.name, doc: d.doc, when: d.timing.when, triggers, guard, per, body, message, unknown, slots: scope.slots.n, span: d.name.span,
  };
  cx.spec.invariants.push(inv);
}

export function checkObligation(cx: Checker, d: A.ObligationDecl): void {
  // An obligation may share its name with an invariant: together they state one rule
  // (a safety part checked at events, and the part that must be done by a due point).
  if (cx.obligationNames.has(d.name.name)) cx.diags.push(error('KV102', `obligation '${d.name.name}' is already declared`, { span: d.name.span }));
  cx.obligationNames.add(d.name.name);
  const { triggers, fields, absent } = triggerScope(cx, d.triggers);
  const scope = newScope(fields, undefined, absent);
  const { slots, domain } = bindDomain(cx, d.binding, d.domain, scope);
  const filter = d.filter ? cx.boolExpr(d.filter, scope) : null;
  const message = d.message ? cx.expr(d.message, scope) : null;
  for (const b of d.binding.names) scope.locals.delete(b.name);
  cx.spec.obligations.push({
    name: d.name.name, doc: d.doc, slots, domain, triggers, filter, message, totalSlots: scope.slots.n, span: d.name.span,
  } satisfies ObligationAt<'checked'>);
}

export function checkSync(cx: Checker, d: A.SyncDecl): void {
  const { triggers, fields, absent } = triggerScope(cx, d.triggers);
  const scope = newScope(fields, undefined, absent);
  const guard = d.guard ? cx.boolExpr(d.guard, scope) : null;
  cx.spec.syncs.push({ triggers, guard, slots: scope.slots.n, span: d.span } satisfies SyncAt<'checked'>);
}

export function checkMapping(cx: Checker, d: A.MapDecl): void {
  const scope = newScope(implicitFields());
  scope.fields.set('retval', { type: STR, from: 'args' });
  scope.recordFields = new Set();
  scope.allowTemporal = false;
  const guard = d.guard ? cx.boolExpr(d.guard, scope) : null;
  const emits: MappingAt<'checked'>['emits'] = [];
  for (const e of d.emits) {
    if (e.phase === 'ignore' || !e.name) { emits.push({ phase: 'ignore', name: '', args: [] }); continue; }
    const ev = cx.d.events.get(e.name.name);
    if (!ev) {
      cx.diags.push(error('KV103', `unknown event '${e.name.name}'`, { span: e.name.span }, didYouMean(e.name.name, cx.d.events.keys())));
      continue;
    }
    if ((ev.kind === 'fn') !== (e.phase !== 'event')) {
      const why = ev.kind === 'fn' ? `'${ev.name}' is a function: emit 'call ${ev.name}(...)' or 'ret ${ev.name}(...)'` : `'${ev.name}' is a point event`;
      cx.diags.push(error('KV103', why, { span: e.span }));
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
        cx.diags.push(error('KV104', `'${ev.name}' has no field '${a.name.name}'`, { span: a.name.span }, didYouMean(a.name.name, declared.keys())));
        continue;
      }
      const v = cx.expr(a.value, scope, t);
      if (!compatible(v.type, t)) typeError(cx, a.value.span, `field '${a.name.name}' of '${ev.name}' is ${show(t)}, got ${show(v.type)}`);
      args.push({ name: a.name.name, value: v });
    }
    // A required field an emit leaves out is none in every event it makes: each would be reported
    // as a damaged trace record (KV302, at the trace's line), though the fault is here.
    const given = new Set(e.args.map((a) => a.name.name));
    const missing = (e.phase === 'ret' ? ev.returns : ev.fields).filter((f) => f.optional !== true && !given.has(f.name));
    if (missing.length > 0) {
      const at = e.phase === 'event' ? ev.name : `${e.phase} ${ev.name}`;
      const one = missing.length === 1;
      const names = missing.map((f) => `'${f.name}'`).join(', ');
      const what = `'${at}' needs ${one ? 'field' : 'fields'} ${names}`;
      cx.diags.push(error('KV202', `${what}: every record this maps would be an event without ${one ? 'it' : 'them'}, damaged`,
        { span: e.span }, `give ${one ? 'it' : 'them'} a value, or declare ${one ? 'it' : 'them'} optional (${missing[0]!.name}?: ${show(missing[0]!.type)})`));
    }
    emits.push({ phase: e.phase, name: ev.name, args });
  }
  if (!RECORD_SOURCES.includes(d.source.name)) {
    cx.diags.push(error('KV101', `unknown record source '${d.source.name}'`, { span: d.source.span },
      didYouMean(d.source.name, RECORD_SOURCES) ?? `sources: ${RECORD_SOURCES.join(', ')}`));
  }
  cx.spec.mappings.push({ source: d.source.name, record: d.record.name, guard, emits, slots: scope.slots.n, span: d.span });
}
