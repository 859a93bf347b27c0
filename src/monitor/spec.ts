/**
 * A spec compiled for monitoring: per event (and phase) the handlers that event runs (`on` and
 * `after` invariants, rules, obligations falling due, syncs, past-time tables), each a closure
 * over a runtime of stores (compile.ts, store.ts). Built once per spec and shared by every run;
 * the checker's engine (src/checker/engine.ts) steps one run over a trace.
 */
import type { CaptureIR, Phase, StateIR, TExpr, TStmt, TypedSpec, InvariantIR, ObligationIR } from '../analysis/ir.js';
import type { Scalar } from '../values/event.js';
import { compileDefs, compileDomain, compileExpr, compileStmt, keyOf, type CompileContext, type Compiled, type CompiledStmt, type Env } from './compile.js';
import type { Key } from './store.js';
import { SpecGenerator } from './codegen.js';
import { traceConstantPart } from '../analysis/trace-constant.js';

export interface CompiledInvariant {
  ir: InvariantIR;
  /** Guard and body as closures that record the state they read (`env.reads`): for explanations. */
  guard: Compiled | undefined;
  body: Compiled;
  /** The same guard and body as generated code, which records nothing: for evaluation. */
  test: { guard: Compiled | undefined; body: Compiled };
  message: Compiled | undefined;
  unknownWhen: Compiled | undefined;
  unknownReason: Compiled | undefined;
  per: Compiled[] | undefined;
  slots: number;
  /** A body that is a quantifier over this store checks nothing while the store never held an entry. */
  domainStore: number | undefined;
}

export interface CompiledObligation {
  ir: ObligationIR;
  loop: (env: Env, each: () => boolean) => void;
  filter: Compiled | undefined;
  message: Compiled | undefined;
  /** The store the obligation ranges over, when it is one: while it never held an entry, nothing is checked. */
  domainStore: number | undefined;
  /** Enumerates every open item (no event in scope) for the end-of-trace report. */
  all: (env: Env, each: () => boolean) => void;
  /**
   * The parts of the `where` clause the trace as a whole fixes (`probed(...)`): false, and no item
   * can ever fall due in this trace, so none is pending at its end. Undefined when there are none.
   */
  canFallDue: Compiled | undefined;
}

export interface Handlers {
  /** Index into each engine's per-handler event counts. */
  id: number;
  on: CompiledInvariant[];
  after: CompiledInvariant[];
  rules: { guard: Compiled | undefined; body: CompiledStmt[] }[];
  /** The rules above, in order, as one generated function (codegen.ts), or undefined when there are none. */
  runRules: ((env: Env) => void) | undefined;
  obligations: CompiledObligation[];
  syncs: (Compiled | undefined)[];
  /** `byTask`: the pattern names the event's task (`pid: pid`), so its history ends with the task. */
  temporal: {
    id: number; keys: ((env: Env) => Scalar)[]; key: (env: Env) => Key | undefined; byTask: boolean;
    /** The key's id-typed fields: a `retire` of one of them forgets the history. */
    objectKeys: ((env: Env) => Scalar)[] | undefined;
  }[];
}

/** The compiled, reusable form of a spec: handlers by event. Build once, run many monitors. */
export class MonitorSpec {
  readonly handlers = new Map<string, Handlers>();
  /** The call and ret handlers again, by function name alone (no key string per event). */
  readonly callHandlers = new Map<string, Handlers>();
  readonly retHandlers = new Map<string, Handlers>();
  readonly always: CompiledInvariant[] = [];
  readonly obligations: CompiledObligation[] = [];
  readonly captures = new Map<string, { fns: Compiled[]; slots: number }>();
  readonly storeIndex = new Map<string, number>();
  readonly stateList: StateIR[] = [];
  readonly invariantNames: string[] = [];
  readonly maxSlots: number;

  /**
   * `generated` (default true): rules and invariant tests run as generated code; false keeps the
   * closures of compile.ts everywhere (the reference the generated code is tested against).
   */
  constructor(readonly spec: TypedSpec, opts: { generated?: boolean } = {}) {
    const generate = opts.generated !== false;
    for (const st of spec.states.values()) {
      this.storeIndex.set(st.name, this.stateList.length);
      this.stateList.push(st);
    }
    const ctx: CompileContext = { spec, storeIndex: this.storeIndex, defs: new Map() };
    compileDefs(spec, ctx);
    const gen = generate ? new SpecGenerator(spec, ctx) : undefined;
    const ruleIR = new Map<Handlers, { guard: TExpr | null | undefined; body: TStmt[] }[]>();
    const tests: { c: CompiledInvariant; guard: number | undefined; body: number }[] = [];
    let maxSlots = 1;
    const h = (phase: Phase, name: string): Handlers => {
      const key = dispatchKey(phase, name);
      let x = this.handlers.get(key);
      if (!x) {
        x = { id: this.handlers.size, on: [], after: [], rules: [], runRules: undefined, obligations: [], syncs: [], temporal: [] };
        this.handlers.set(key, x);
        if (phase === 'call') this.callHandlers.set(name, x);
        else if (phase === 'ret') this.retHandlers.set(name, x);
      }
      return x;
    };
    for (const r of spec.rules) {
      maxSlots = Math.max(maxSlots, r.slots);
      // With generated code the closures of a rule are never run (its handler's generated function
      // is): compiled only if asked for, not at every start.
      const rule = gen
        ? lazyRule(r.guard ?? undefined, r.body, ctx)
        : { guard: r.guard ? compileExpr(r.guard, ctx) : undefined, body: r.body.map((s) => compileStmt(s, ctx)) };
      for (const t of r.triggers) {
        const x = h(t.phase, t.name);
        x.rules.push(rule);
        const irs = ruleIR.get(x) ?? [];
        irs.push({ guard: r.guard, body: r.body });
        ruleIR.set(x, irs);
      }
    }
    for (const inv of spec.invariants) {
      maxSlots = Math.max(maxSlots, inv.slots);
      this.invariantNames.push(inv.name);
      const domainStore = inv.body.k === 'quant' && inv.body.domain.k === 'state' ? this.storeIndex.get(inv.body.domain.state) : undefined;
      let c: CompiledInvariant;
      if (gen) {
        c = lazyInvariant(inv, domainStore, ctx);
        tests.push({ c, guard: inv.guard ? gen.exprFn(inv.guard) : undefined, body: gen.exprFn(inv.body) });
      } else {
        const guard = inv.guard ? compileExpr(inv.guard, ctx) : undefined;
        const body = compileExpr(inv.body, ctx);
        c = {
          ir: inv,
          guard,
          body,
          test: { guard, body },
          message: inv.message ? compileExpr(inv.message, ctx) : undefined,
          unknownWhen: inv.unknown ? compileExpr(inv.unknown.cond, ctx) : undefined,
          unknownReason: inv.unknown ? compileExpr(inv.unknown.reason, ctx) : undefined,
          per: inv.per ? inv.per.map((p) => compileExpr(p, ctx)) : undefined,
          slots: inv.slots,
          domainStore,
        };
      }
      if (inv.when === 'always') this.always.push(c);
      else for (const t of inv.triggers) (inv.when === 'on' ? h(t.phase, t.name).on : h(t.phase, t.name).after).push(c);
    }
    for (const ob of spec.obligations) {
      maxSlots = Math.max(maxSlots, ob.totalSlots);
      if (!this.invariantNames.includes(ob.name)) this.invariantNames.push(ob.name);
      const unindexed = ob.domain.k === 'state' ? { ...ob.domain, index: null } : ob.domain;
      const fixedByTrace = traceConstantPart(ob.filter);
      const c: CompiledObligation = {
        ir: ob,
        loop: compileDomain(ob.domain, ob.slots, ctx),
        all: compileDomain(unindexed, ob.slots, ctx),
        filter: ob.filter ? compileExpr(ob.filter, ctx) : undefined,
        message: ob.message ? compileExpr(ob.message, ctx) : undefined,
        canFallDue: fixedByTrace === null ? undefined : compileExpr(fixedByTrace, ctx),
        domainStore: ob.domain.k === 'state' ? this.storeIndex.get(ob.domain.state) : undefined,
      };
      this.obligations.push(c);
      for (const t of ob.triggers) h(t.phase, t.name).obligations.push(c);
    }
    for (const s of spec.syncs) {
      maxSlots = Math.max(maxSlots, s.slots);
      const g = s.guard ? compileExpr(s.guard, ctx) : undefined;
      for (const t of s.triggers) h(t.phase, t.name).syncs.push(g);
    }
    for (const t of spec.temporal) {
      const ev = spec.events.get(t.event)!;
      const from = (f: string): 'args' | 'call' | 'implicit' | 'ret' => {
        if (f === 'pid' || f === 'seq' || f === 'comm' || f === 'cpu' || f === 'ts') return 'implicit';
        if (t.phase === 'ret') return f === 'ret' ? 'ret' : ev.fields.some((x) => x.name === f) ? 'call' : 'args';
        return 'args';
      };
      const keys = t.fields.map((f) => {
        const g = compileExpr({ k: 'field', name: f, from: from(f), type: { k: 'str' }, span: t.span }, ctx);
        return (env: Env) => g(env) as Scalar;
      });
      const fieldsHere = t.phase === 'ret' ? [...ev.fields, ...ev.returns] : ev.fields;
      const typeOf = (f: string): string | undefined => fieldsHere.find((x) => x.name === f)?.type.k;
      const objectKeys = keys.filter((_, i) => typeOf(t.fields[i]!) === 'id');
      const byTask = t.fields.includes('pid');
      h(t.phase, t.event).temporal.push({ id: t.id, keys, key: keyOf(keys), byTask, objectKeys: objectKeys.length > 0 ? objectKeys : undefined });
    }
    for (const cap of spec.captures.values()) this.captures.set(cap.fn, compileCapture(cap, ctx));
    this.maxSlots = maxSlots;
    if (gen) {
      for (const [x, irs] of ruleIR) gen.rules(x.id, irs);
      const made = gen.finish();
      for (const x of ruleIR.keys()) x.runRules = made.rules.get(x.id);
      for (const t of tests) t.c.test = { guard: t.guard === undefined ? undefined : made.exprs[t.guard], body: made.exprs[t.body]! };
    } else {
      for (const x of ruleIR.keys()) {
        const compiled = x.rules;
        x.runRules = (env) => {
          for (const r of compiled) {
            if (r.guard && !r.guard(env)) continue;
            for (const st of r.body) st(env);
          }
        };
      }
    }
  }
}

/** `make()`, run on the first call only. */
function once<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) { value = make(); made = true; }
    return value;
  };
}

/**
 * A rule's closures, compiled when first read. compileExpr and compileStmt depend only on the node
 * and the context, whose defs are all compiled before any rule: the same closures as compiled at once.
 */
function lazyRule(guardIR: TExpr | undefined, bodyIR: TStmt[], ctx: CompileContext): { guard: Compiled | undefined; body: CompiledStmt[] } {
  const guard = once(() => (guardIR ? compileExpr(guardIR, ctx) : undefined));
  const body = once(() => bodyIR.map((s) => compileStmt(s, ctx)));
  return { get guard() { return guard(); }, get body() { return body(); } };
}

/**
 * An invariant whose tests are generated code (set by the caller): the closures, which only explain
 * a failed test, word its message and key its verdict, are compiled when first read (as lazyRule).
 */
function lazyInvariant(inv: InvariantIR, domainStore: number | undefined, ctx: CompileContext): CompiledInvariant {
  const expr = (e: TExpr | null | undefined): (() => Compiled | undefined) => once(() => (e ? compileExpr(e, ctx) : undefined));
  const guard = expr(inv.guard);
  const body = once(() => compileExpr(inv.body, ctx));
  const message = expr(inv.message);
  const unknownWhen = expr(inv.unknown?.cond);
  const unknownReason = expr(inv.unknown?.reason);
  const per = once(() => inv.per?.map((p) => compileExpr(p, ctx)));
  return {
    ir: inv,
    get guard() { return guard(); },
    get body() { return body(); },
    test: { guard: undefined, body: () => { throw new Error('internal: an invariant test read before the generated code was made'); } },
    get message() { return message(); },
    get unknownWhen() { return unknownWhen(); },
    get unknownReason() { return unknownReason(); },
    get per() { return per(); },
    slots: inv.slots,
    domainStore,
  };
}

function compileCapture(cap: CaptureIR, ctx: CompileContext): { fns: Compiled[]; slots: number } {
  return { fns: cap.exprs.map((e) => compileExpr(e, ctx)), slots: cap.slots };
}

export function dispatchKey(phase: Phase, name: string): string {
  return phase === 'event' ? name : `${phase} ${name}`;
}

