/**
 * The rules of an event after a gap, run so that what they did *not* write is accounted for too.
 * A rule whose condition (its `when` guard, an `if`, a loop's rows) read state a gap may have
 * changed may have taken another way had the lost events been seen: the writes of the way not
 * taken are left undone (a mark a lost unhash would have removed stays). Marking every state such
 * a rule may write as out of date leaves almost nothing judged; instead the targets of the skipped
 * writes are worked out: their keys are evaluated where they rest on the event and on state that
 * is not out of date (else that key part may be any), and a target the write would not change (an
 * add of an entry present, a removal of one absent, an assignment of the value there) is left
 * alone. LostState keeps what is left (`skipped`): a later read of such an entry, not written
 * since, cannot tell.
 */
import type { StmtAt, TExpr, TStmt, TypedSpec } from '../analysis/ir.js';
import { visit } from '../analysis/visit.js';
import {
  compileDefs, compileDomain, compileExpr, compileStmt, type CompileContext, type Compiled, type CompiledStmt, type Env,
} from '../monitor/compile.js';
import { dispatchKey } from '../monitor/spec.js';
import { KeyedStore, Relation, type Key } from '../monitor/store.js';
import type { Scalar, TraceEvent } from '../trace/event.js';
import type { LostState } from './lost-state.js';
import type { Effect } from './skip-marks.js';

/** A write a way not taken would have made: key parts `undefined` may be any value. */
interface Target {
  stmt: TStmt & { k: 'assign' | 'delete' | 'add' | 'remove' };
  si: number;
  keys: (Compiled | undefined)[];
  value: Compiled | undefined;
}

const made = new WeakMap<object, RulesAfterGap>();

/** The rules of `compiled` as run after a gap, made once per compiled spec. */
export function rulesAfterGap(compiled: { readonly spec: TypedSpec; readonly storeIndex: Map<string, number> }): RulesAfterGap {
  let r = made.get(compiled);
  if (r === undefined) { r = new RulesAfterGap(compiled.spec, compiled.storeIndex); made.set(compiled, r); }
  return r;
}

type Run = (env: Env, lost: LostState) => void;

interface Rule { guard: Compiled | undefined; body: Run[]; targets: Target[] }

export class RulesAfterGap {
  private readonly byHandler = new Map<string, Rule[]>();
  private readonly ctx: CompileContext;

  constructor(spec: TypedSpec, storeIndex: Map<string, number>) {
    this.ctx = { spec, storeIndex, defs: new Map() };
    compileDefs(spec, this.ctx);
    // (in the order MonitorSpec gives a handler its rules: the spec's)
    for (const r of spec.rules) {
      const rule: Rule = {
        guard: r.guard ? compileExpr(r.guard, this.ctx) : undefined,
        body: r.body.map((s) => this.stmt(s)),
        targets: r.guard ? this.targets(r.body, new Set()) : [],
      };
      for (const t of r.triggers) {
        const k = dispatchKey(t.phase, t.name);
        const list = this.byHandler.get(k) ?? [];
        list.push(rule);
        this.byHandler.set(k, list);
      }
    }
  }

  /** Runs the rules of handler `key` for the event in `env`, with `env.reads` recording. */
  run(key: string, env: Env, lost: LostState): void {
    const rules = this.byHandler.get(key);
    if (rules === undefined) return;
    for (const r of rules) {
      if (r.guard !== undefined) {
        const from = env.reads!.length;
        const fired = r.guard(env);
        if (r.targets.length > 0) this.otherWay(env, lost, from, fired ? [] : r.targets);
        if (!fired) continue;
      }
      for (const st of r.body) st(env, lost);
    }
  }

  /**
   * After a condition (whose reads begin at `from`): when it read state a gap may have changed,
   * the writes `skipped` of the way it did not take are marked out of date.
   */
  private otherWay(env: Env, lost: LostState, from: number, skipped: readonly Target[]): void {
    if (skipped.length === 0) return;
    const reads = env.reads!;
    if (!lost.stale(reads, from)) return;
    // (its words made once, and only when some write not made is marked)
    let why: string | undefined;
    const reason = (): string => (why ??= lost.staleness(reads, true, from)!);
    for (const t of skipped) this.mark(env, lost, t, reason);
  }

  private mark(env: Env, lost: LostState, t: Target, reason: () => string): void {
    const reads = env.reads!;
    const at = reads.length;
    // A key part whose value rests on state out of date, or on a row not bound, may be any.
    const part = (f: Compiled | undefined): Scalar | undefined => {
      if (f === undefined) return undefined;
      const from = reads.length;
      let v: Scalar | undefined;
      try { v = f(env) as Scalar; } catch { v = undefined; }
      if (v !== undefined && lost.stale(reads, from)) v = undefined;
      return v;
    };
    let key: (Scalar | undefined)[];
    let value: Scalar | undefined;
    try {
      key = t.keys.map(part);
      value = t.value === undefined ? undefined : part(t.value);
    } finally {
      // (what the targets' keys read is not what the rule read)
      reads.length = at;
    }
    const exact = key.every((k) => k !== undefined);
    if (exact && !changes(env, t, key as Scalar[], value)) return;
    const op = t.stmt.k;
    const effect: Effect = op === 'add' ? 'adds' : op === 'remove' || op === 'delete' || value === null ? 'removes' : 'sets';
    lost.skipped(t.stmt.state, key, exact ? writer(env, t, key as Scalar[]) : undefined, env.ev, effect, reason());
  }

  private stmt(s: TStmt): Run {
    switch (s.k) {
      case 'assign': case 'delete': case 'add': case 'remove': {
        const f: CompiledStmt = compileStmt(s, this.ctx);
        const keys = (s.k === 'add' || s.k === 'remove' ? s.value : s.keys).map((k) => compileExpr(k, this.ctx));
        const state = s.state;
        return (env, lost) => {
          // A write made ends the marks of its entry, even one that changed nothing (and so left the
          // store as it was): unless what led to it (the event's reads so far, its key's) may be out
          // of date, as then it may not have been made, or not there.
          if (lost.marked(state)) {
            const reads = env.reads!;
            const at = reads.length;
            const key = keys.map((k) => k(env) as Scalar);
            if (!lost.stale(reads, 0)) lost.written(state, key);
            reads.length = at;
          }
          f(env);
        };
      }
      case 'if': {
        const c = compileExpr(s.cond, this.ctx);
        const then = s.then.map((x) => this.stmt(x));
        const otherwise = s.otherwise.map((x) => this.stmt(x));
        const thenTargets = this.targets(s.then, new Set());
        const otherTargets = this.targets(s.otherwise, new Set());
        return (env, lost) => {
          const from = env.reads!.length;
          const yes = c(env);
          this.otherWay(env, lost, from, yes ? otherTargets : thenTargets);
          for (const f of yes ? then : otherwise) f(env, lost);
        };
      }
      case 'for': return this.loop(s);
    }
  }

  /** A loop: when its rows rest on state out of date, a row it did not see may have been there. */
  private loop(s: StmtAt<'lowered'> & { k: 'for' }): Run {
    const domain = compileDomain(s.domain, s.slots, this.ctx);
    const filter = s.filter ? compileExpr(s.filter, this.ctx) : undefined;
    const body = s.body.map((x) => this.stmt(x));
    // A row not seen has the part the loop is pinned to (`where t == pid`), when that rests on no
    // state out of date: then only the others may be any.
    const index = s.domain.k === 'state' && s.domain.index !== null ? s.domain.index : undefined;
    const pinned = index === undefined ? undefined : { slot: s.slots[index.pos]!, value: compileExpr(index.value, this.ctx) };
    // Of a state's own rows, a row not seen (no filter, no pin that reads state) is an entry the store
    // does not have: removing it changes nothing here.
    const own = s.domain.k === 'state' && s.filter === null && (index === undefined || pure(index.value)) ? s.domain.state : undefined;
    const notOwnRow = (t: Target): boolean => !(t.stmt.state === own && (t.stmt.k === 'remove' || t.stmt.k === 'delete') && rowKey(t.stmt, s.slots));
    const unseenPinned = pinned === undefined ? [] : this.targets(s.body, new Set(s.slots.filter((sl) => sl !== pinned.slot))).filter(notOwnRow);
    const unseen = this.targets(s.body, new Set(s.slots)).filter(notOwnRow);
    return (env, lost) => {
      const from = env.reads!.length;
      // Collect first, as the compiled loop does: the body may change the state being iterated.
      const rows: Scalar[][] = [];
      domain(env, () => { if (!filter || filter(env)) rows.push(s.slots.map((sl) => (env.locals[sl] ?? null) as Scalar)); return true; });
      if (pinned !== undefined && unseenPinned.length + unseen.length > 0) {
        const at = env.reads!.length;
        const v = pinned.value(env);
        const sure = !lost.stale(env.reads!, at);
        env.reads!.length = at;
        if (sure) env.locals[pinned.slot] = v;
        this.otherWay(env, lost, from, sure ? unseenPinned : unseen);
      } else this.otherWay(env, lost, from, unseen);
      for (const r of rows) {
        s.slots.forEach((sl, i) => { env.locals[sl] = r[i] ?? null; });
        for (const f of body) f(env, lost);
      }
    };
  }

  /** The writes of `stmts`, either way of every condition; a key reading a slot of `unbound` may be any value. */
  private targets(stmts: readonly TStmt[], unbound: ReadonlySet<number>): Target[] {
    const out: Target[] = [];
    const walk = (s: TStmt, free: ReadonlySet<number>): void => {
      switch (s.k) {
        case 'assign': case 'delete': {
          const keys = s.keys.map((k) => (readsSlot(k, free) ? undefined : compileExpr(k, this.ctx)));
          const value = s.k === 'assign' && !readsSlot(s.value, free) ? compileExpr(s.value, this.ctx) : undefined;
          out.push({ stmt: s, si: this.ctx.storeIndex.get(s.state)!, keys, value });
          return;
        }
        case 'add': case 'remove':
          out.push({ stmt: s, si: this.ctx.storeIndex.get(s.state)!, keys: s.value.map((k) => (readsSlot(k, free) ? undefined : compileExpr(k, this.ctx))),
            value: undefined });
          return;
        case 'if': for (const x of [...s.then, ...s.otherwise]) walk(x, free); return;
        case 'for': { const inner = new Set([...free, ...s.slots]); for (const x of s.body) walk(x, inner); return; }
      }
    };
    for (const s of stmts) walk(s, unbound);
    return out;
  }
}

/** Whether `e` reads nothing but the event, literals and bound values (no state, no past). */
function pure(e: TExpr): boolean {
  let ok = true;
  visit(e, (x) => { if (!['lit', 'field', 'local', 'bin', 'not', 'neg', 'cond', 'tuple', 'setLit', 'template', 'builtin'].includes(x.k)) ok = false; });
  return ok;
}

/** Whether the key of `st` is the loop's row itself, part for part. */
function rowKey(st: TStmt & { k: 'assign' | 'delete' | 'add' | 'remove' }, slots: readonly number[]): boolean {
  const parts = st.k === 'add' || st.k === 'remove' ? st.value : st.keys;
  return parts.length === slots.length && parts.every((p, i) => p.k === 'local' && p.slot === slots[i]);
}

function readsSlot(e: TExpr, slots: ReadonlySet<number>): boolean {
  if (slots.size === 0) return false;
  let found = false;
  visit(e, (x) => { if (x.k === 'local' && slots.has(x.slot)) found = true; });
  return found;
}

/** Whether the write `t` at the full key `key` would change the state (`value`: the assigned value, undefined when unknown). */
function changes(env: Env, t: Target, key: readonly Scalar[], value: Scalar | undefined): boolean {
  const store = env.rt.stores[t.si];
  const op = t.stmt.k;
  if (store instanceof Relation) {
    const has = store.has(key[0] ?? null, key[1] ?? null);
    return op === 'add' ? !has : has;
  }
  if (store instanceof KeyedStore) {
    const e = store.get(key);
    if (op === 'add') return e === undefined;
    if (op === 'remove' || op === 'delete' || value === null) return e !== undefined;
    return value === undefined || e === undefined || e.v !== value;
  }
  const cell = store as { v: Scalar } | undefined;
  return op !== 'assign' || value === undefined || cell === undefined || cell.v !== value;
}

/** The event that last wrote (or deleted, if still remembered) the entry of the target's state at `key`. */
function writer(env: Env, t: Target, key: readonly Scalar[]): TraceEvent | undefined {
  const store = env.rt.stores[t.si];
  if (store instanceof Relation) return key[0] === null || key[0] === undefined ? undefined : store.succ.get(key[0])?.get(key[1] as Key);
  if (store instanceof KeyedStore) return store.get(key)?.prov ?? store.deletedBy(key);
  return (store as { prov: TraceEvent | undefined } | undefined)?.prov;
}
