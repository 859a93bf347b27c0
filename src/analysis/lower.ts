/**
 * Pass 4, lower: the checked IR → the IR the monitor runs. Three rewrites, none of which can fail
 * (the spec is well-typed by now):
 * - each past-time pattern becomes a numbered table (one per distinct event, phase and key fields),
 *   which the monitor fills as events pass;
 * - each `old(e)` is hoisted into the captures of its function, evaluated at the call and read by
 *   index at the return;
 * - a binder over a state whose filter pins one key position to a value computed outside the
 *   binder (`(t, l) in held where l == lock`) reads an index of that position instead of the
 *   whole state, and the state is told to keep the index.
 */
import type {
  CaptureIR, CheckedDomain, CheckedExpr, CheckedSpec, CheckedStmt, DefIR, DomainIR, InvariantIR, MappingIR, ObligationIR, RuleIR, StateIR,
  SyncIR, TExpr, TStmt, TemporalKeyed, TemporalPattern, TemporalTable, TypedSpec,
} from './ir.js';
import { visit } from './visit.js';

export function lower(checked: CheckedSpec): TypedSpec {
  return new Lowering(checked).run();
}

class Lowering {
  private readonly temporal: TemporalTable[] = [];
  private readonly tableIds = new Map<string, number>();
  private readonly captures = new Map<string, CaptureIR>();
  private readonly states: Map<string, StateIR>;

  constructor(private readonly c: CheckedSpec) {
    // Fresh states: the indexes they keep are this lowering's choice.
    this.states = new Map([...c.states].map(([name, st]) => [name, { ...st, indexed: new Set<number>() }]));
  }

  run(): TypedSpec {
    const c = this.c;
    const defs = new Map<string, DefIR>([...c.defs].map(([name, d]) => [name, { ...d, body: this.expr(d.body) }]));
    const opt = (e: CheckedExpr | null): TExpr | null => (e ? this.expr(e) : null);
    const rules = c.rules.map((r): RuleIR => ({ ...r, guard: opt(r.guard), body: r.body.map((s) => this.stmt(s)) }));
    const invariants = c.invariants.map((i): InvariantIR => ({
      ...i,
      guard: opt(i.guard),
      body: this.expr(i.body),
      per: i.per ? i.per.map((e) => this.expr(e)) : null,
      message: opt(i.message),
      unknown: i.unknown ? { cond: this.expr(i.unknown.cond), reason: this.expr(i.unknown.reason) } : null,
    }));
    const obligations = c.obligations.map((o): ObligationIR => {
      const { domain, filter } = this.binder(o.domain, o.slots, o.filter);
      return { ...o, domain, filter, message: opt(o.message) };
    });
    const syncs = c.syncs.map((s): SyncIR => ({ ...s, guard: opt(s.guard) }));
    const mappings = c.mappings.map((m): MappingIR => ({
      ...m,
      guard: opt(m.guard),
      emits: m.emits.map((e) => ({ ...e, args: e.args.map((a) => ({ name: a.name, value: this.expr(a.value) })) })),
    }));
    const { files, params, enums, events } = c;
    const { states, temporal, captures } = this;
    return { files, params, enums, events, states, defs, rules, invariants, obligations, syncs, mappings, temporal, captures };
  }

  private table(p: TemporalPattern): number {
    const key = `${p.phase}\u0001${p.event}\u0001${p.fields.join(',')}`;
    let id = this.tableIds.get(key);
    if (id === undefined) {
      id = this.temporal.length;
      this.temporal.push({ id, phase: p.phase, event: p.event, fields: p.fields, span: p.span });
      this.tableIds.set(key, id);
    }
    return id;
  }

  private keyed(t: TemporalKeyed<'checked'>): TemporalKeyed<'lowered'> {
    return { table: this.table(t.pattern), keys: t.keys.map((k) => this.expr(k)) };
  }

  private capture(fn: string, expr: CheckedExpr, slots: number): number {
    let cap = this.captures.get(fn);
    if (!cap) { cap = { fn, exprs: [], slots: 0 }; this.captures.set(fn, cap); }
    cap.exprs.push(this.expr(expr));
    cap.slots = Math.max(cap.slots, slots);
    return cap.exprs.length - 1;
  }

  /** A binder's domain and filter, the domain narrowed to an index where the filter allows. */
  private binder(d: CheckedDomain, slots: number[], f: CheckedExpr | null): { domain: DomainIR; filter: TExpr | null } {
    const domain = this.domain(d);
    const filter = f ? this.expr(f) : null;
    return { domain: filter ? this.narrow(domain, slots, filter) : domain, filter };
  }

  private domain(d: CheckedDomain): DomainIR {
    switch (d.k) {
      case 'state': return { k: 'state', state: d.state, index: null };
      case 'expr': return { k: 'expr', expr: this.expr(d.expr) };
      case 'tasks': return d;
    }
  }

  /** Uses an index when the filter pins one key position to a value computed outside the binder. */
  private narrow(domain: DomainIR, slots: number[], filter: TExpr): DomainIR {
    if (domain.k !== 'state') return domain;
    const state = this.states.get(domain.state);
    if (!state || (state.type.k !== 'map' && state.type.k !== 'set' && state.type.k !== 'rel')) return domain;
    for (const c of conjuncts(filter)) {
      if (c.k !== 'bin' || c.op !== '==') continue;
      for (const [a, b] of [[c.left, c.right], [c.right, c.left]] as const) {
        if (a.k !== 'local') continue;
        const pos = slots.indexOf(a.slot);
        if (pos < 0 || mentionsSlots(b, slots)) continue;
        // A one-key state is looked up directly; only a position of a longer key needs an index.
        if (slots.length > 1) state.indexed.add(pos);
        return { k: 'state', state: domain.state, index: { pos, value: b } };
      }
    }
    return domain;
  }

  private stmt(s: CheckedStmt): TStmt {
    switch (s.k) {
      case 'assign': return { ...s, keys: s.keys.map((k) => this.expr(k)), value: this.expr(s.value) };
      case 'delete': return { ...s, keys: s.keys.map((k) => this.expr(k)) };
      case 'add': case 'remove': return { ...s, value: s.value.map((v) => this.expr(v)) };
      case 'if': return { ...s, cond: this.expr(s.cond), then: s.then.map((x) => this.stmt(x)), otherwise: s.otherwise.map((x) => this.stmt(x)) };
      case 'for': {
        const { domain, filter } = this.binder(s.domain, s.slots, s.filter);
        return { ...s, domain, filter, body: s.body.map((x) => this.stmt(x)) };
      }
    }
  }

  private expr(e: CheckedExpr): TExpr {
    const { type, span } = e;
    const all = (es: CheckedExpr[]): TExpr[] => es.map((x) => this.expr(x));
    switch (e.k) {
      case 'lit': case 'field': case 'local': case 'state': return e;
      case 'lookup': return { ...e, keys: all(e.keys) };
      case 'succ': return { ...e, target: this.expr(e.target), key: this.expr(e.key) };
      case 'member': return { ...e, elem: all(e.elem), coll: this.expr(e.coll) };
      case 'bin': return { ...e, left: this.expr(e.left), right: this.expr(e.right) };
      case 'not': case 'neg': return { ...e, operand: this.expr(e.operand) };
      case 'cond': return { ...e, cond: this.expr(e.cond), then: this.expr(e.then), otherwise: this.expr(e.otherwise) };
      case 'quant': {
        const { domain, filter } = this.binder(e.domain, e.slots, e.filter);
        return { ...e, domain, filter, body: this.expr(e.body) };
      }
      case 'count': return { ...e, ...this.binder(e.domain, e.slots, e.filter) };
      case 'setComp': {
        const { domain, filter } = this.binder(e.domain, e.slots, e.filter);
        return { ...e, domain, filter, elem: this.expr(e.elem) };
      }
      case 'setLit': case 'tuple': return { ...e, items: all(e.items) };
      case 'old': return { k: 'old', index: this.capture(e.fn, e.expr, e.slots), type, span };
      case 'once': case 'previously': return { k: e.k, ...this.keyed(e), type, span };
      case 'since': return { k: 'since', anchor: this.keyed(e.anchor), blockers: e.blockers.map((b) => this.keyed(b)), type, span };
      case 'matches': return { ...e, fields: e.fields.map((f) => ({ ...f, value: this.expr(f.value) })) };
      case 'builtin': case 'defcall': return { ...e, args: all(e.args) };
      case 'template': return { ...e, parts: e.parts.map((p) => (typeof p === 'string' ? p : this.expr(p))) };
    }
  }
}

function conjuncts(e: TExpr): TExpr[] {
  return e.k === 'bin' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

function mentionsSlots(e: TExpr, slots: number[]): boolean {
  let found = false;
  visit(e, (x) => { if (x.k === 'local' && slots.includes(x.slot)) found = true; });
  return found;
}
