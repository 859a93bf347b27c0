/**
 * Checked spec → closures. Each expression becomes a function of an evaluation environment; state
 * is reached through the runtime in the environment (not captured), so a monitor can be cloned for
 * exploration. When `env.reads` is set (only while explaining a violation), state reads record the
 * entries and the trace events behind them.
 *
 * Hot-path note: a binder (quantifier, count, comprehension, `for`) keeps one visitor closure and
 * its loop state per compiled node instead of making them at each evaluation, with a `busy` flag:
 * a node re-entered while running (only possible through a def that recurses into it) falls back
 * to the plain per-evaluation closure, so sharing never changes a result.
 */
import type { DomainIR, TExpr, TStmt, TypedSpec } from '../analysis/ir.js';
import type { GraphBuiltin, ValueBuiltin } from '../analysis/builtins.js';
import type { Scalar, TraceEvent } from '../values/event.js';
import type { ObservedFunctions } from '../values/observed.js';
import { encodeKey, Entry, KeyedStore, Relation, TemporalStore, ValueSet, type Key } from './store.js';

export type { ObservedFunctions };

export type Value = Scalar | ValueSet | Scalar[] | Relation | KeyedStore;

/** A spec's state at run time: a keyed map or set, a relation, or the cell of a plain variable. */
export type Store = KeyedStore | Relation | { v: Scalar; prov: TraceEvent | undefined };

/**
 * Exploration's copy on write (`Runtime.cow`): monitors share their stores until one writes. `own`
 * gives the store to write, first copied unless it is the runtime's own already, and tells the
 * owner that the store may have changed.
 */
export interface StoreOwner {
  own(si: number): Store;
}

/** The state a compiled spec runs on. */
export interface Runtime {
  stores: Store[];
  temporal: TemporalStore[];
  tasks: Set<number>;
  /** What the trace can show (`unprobed(...)`); absent = a complete trace. */
  coverage?: ObservedFunctions;
  /**
   * Iterations an evaluation may still take (quantifier and comprehension elements, path-search
   * expansions) before it is abandoned with `EvaluationBudgetExceeded`; Infinity outside a
   * budgeted evaluation (state updates always run to the end).
   */
  stepsLeft: number;
  /**
   * The current event's task has an incomplete history: the edges its rules would add to a
   * relation (a graph every task's verdicts read, like the lock order) could rest on state it
   * lost, so they are not added.
   */
  untrusted?: boolean;
  /**
   * Set where stores are shared copy on write (exploration): every write goes through it, at the
   * write itself (a step that writes nothing copies nothing). Rules collect a loop's rows before
   * its body runs, so no loop walks a store that a write then replaces under it.
   */
  cow?: StoreOwner | undefined;
}

/** Store `si` to write: the runtime's own copy when stores are shared copy on write (`Runtime.cow`). */
export function writable(rt: Runtime, si: number): Store {
  const cow = rt.cow;
  return cow === undefined ? rt.stores[si]! : cow.own(si);
}

/** Thrown when an evaluation spends its step budget (see `Runtime.stepsLeft`). */
export class EvaluationBudgetExceeded extends Error {
  constructor() { super('evaluation step budget exceeded'); }
}
const BUDGET_EXCEEDED = new EvaluationBudgetExceeded();

/** One step of an evaluation's budget: a domain element visited or a graph node expanded. */
export function spend(rt: Runtime): void {
  if (--rt.stepsLeft < 0) throw BUDGET_EXCEEDED;
}

/** One state read made while explaining a violation. */
export interface Read {
  what: string;
  ev: TraceEvent | undefined;
  /** `set` = the entry exists and this event wrote it; `deleted` = absent, this event removed it. */
  how: 'set' | 'deleted' | 'absent' | 'temporal' | 'call';
  /** The state read, for reads of state (not of past-time tables or calls). */
  store?: string;
  /** For an edge of a relation read while searching a path: where the edge leads. */
  to?: Scalar;
  /**
   * For an absent entry: its key, or for a walk of a state that found no more entries, the key
   * parts the walk was pinned to (the others undefined; no key at all for a walk of every entry).
   * For an entry or edge found: its key.
   */
  key?: readonly (Scalar | undefined)[];
  /** Why this read cannot tell, found when it was made (a capture of `old(...)` at the call). */
  lost?: string;
}

export interface Env {
  ev: TraceEvent;
  call: TraceEvent | undefined;
  olds: Value[] | undefined;
  locals: Value[];
  /** Index of the current event in processing order (for past-time operators). */
  idx: number;
  rt: Runtime;
  reads: Read[] | undefined;
  /** Per `old(...)` of the open call: why the capture cannot tell (state a gap may have changed), or undefined. */
  oldLost?: (string | undefined)[] | undefined;
}

/**
 * The event of an environment that has seen none yet: an environment is made once and reused for
 * every event, and nothing reads its event before the first one is set.
 */
export const NO_EVENT: TraceEvent = Object.freeze({ seq: -1, pid: -1, ev: '', args: Object.freeze({}) });

export type Compiled = (env: Env) => Value;
export type CompiledStmt = (env: Env) => void;

export interface CompileContext {
  spec: TypedSpec;
  storeIndex: Map<string, number>;
  defs: Map<string, { fn: Compiled; slots: number; params: number }>;
}

const fmt = (v: Value): string => formatValue(v);

export function formatValue(v: Value | undefined): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return `(${v.map((x) => formatValue(x)).join(', ')})`;
  if (v instanceof ValueSet) return `{${[...v.items.values()].map((t) => (t.length === 1 ? formatValue(t[0]!) : formatValue(t))).join(', ')}}`;
  if (v instanceof Relation || v instanceof KeyedStore) return v.name;
  return String(v);
}

function describeKey(name: string, ks: readonly Scalar[]): string {
  return `${name}[${ks.map((k) => formatValue(k)).join(', ')}]`;
}

/** What a read of `previously` that matched says (a gap after the match means a lost event came between). */
export const PREVIOUS = 'matched at the event before';

/** A read of a past-time table that found no match: a gap may have lost the match (see LostState.staleness). */
const NO_MATCH: Read = { what: 'no match', ev: undefined, how: 'absent' };

/**
 * A read of an existing entry. Its text is made only when an explanation shows it: the reads of
 * `old(...)` captures are recorded at every call, and almost none is ever shown.
 */
class EntryRead implements Read {
  readonly how = 'set' as const;
  /** `entryKey`: the key's tuple, or the entry itself (its key parts never change), so that no tuple is made until the text is. */
  constructor(readonly store: string, private readonly entryKey: readonly Scalar[] | Entry, private readonly v: Scalar,
    readonly ev: TraceEvent | undefined) {}

  get key(): readonly Scalar[] {
    return Array.isArray(this.entryKey) ? this.entryKey as readonly Scalar[] : (this.entryKey as Entry).key();
  }

  get what(): string {
    return `${describeKey(this.store, this.key)} = ${formatValue(this.v)}`;
  }
}

/** A read of an entry found, by its key (`e`'s own when `ks` is not given), or of a key not found. */
function recordRead(env: Env, store: KeyedStore, ks: readonly Scalar[] | undefined, e: Entry | undefined): void {
  if (!env.reads) return;
  if (e) {
    env.reads.push(new EntryRead(store.name, ks ?? e, e.v, e.prov));
  } else if (ks !== undefined) {
    env.reads.push(new AbsentRead(store.name, ks, store.deletedBy(ks)));
  }
}

/** A read of an absent entry; like EntryRead, its text is made only when an explanation shows it. */
class AbsentRead implements Read {
  readonly how: 'deleted' | 'absent';
  lost?: string;
  constructor(readonly store: string, readonly key: readonly Scalar[], readonly ev: TraceEvent | undefined) {
    this.how = ev ? 'deleted' : 'absent';
  }

  get what(): string {
    return `${describeKey(this.store, this.key)} absent`;
  }
}

/** A read of an edge a relation does not have (a gap empties every relation). */
function edgeAbsent(env: Env, name: string, a: Scalar, b: Scalar): void {
  env.reads!.push({ what: `${name}: ${formatValue(a)} -> ${formatValue(b)} absent`, ev: undefined, how: 'absent', store: name, to: undefined });
}

/**
 * A walk of a state that went through every entry it could find (no early stop): its result rests
 * on there being no other, which a lost event could have added. `pos`/`part`: what the walk was pinned to.
 */
function walkRead(env: Env, name: string, edges: boolean, pos?: number, part?: Scalar): void {
  const key: (Scalar | undefined)[] = [];
  if (pos !== undefined) key[pos] = part;
  const what = pos === undefined ? `an ${edges ? 'edge' : 'entry'} of ${name}`
    : edges ? `an edge of ${name} ${pos === 0 ? 'from' : 'into'} ${formatValue(part ?? null)}`
      : `an entry of ${name} with ${formatValue(part ?? null)} at key ${pos + 1}`;
  // (`to` set: a path search keeps only the reads that lead along its path, and this leads nowhere)
  env.reads!.push({ what: `${what} absent`, ev: undefined, how: 'absent', store: name, key: pos === undefined ? undefined : key, to: undefined });
}

/** Iterates a domain, binding each element's parts to `slots`; stops early when `each` returns false. */
export function compileDomain(d: DomainIR, slots: number[], ctx: CompileContext): (env: Env, each: () => boolean) => void {
  switch (d.k) {
    case 'tasks': {
      const s = slots[0]!;
      return (env, each) => { for (const t of [...env.rt.tasks]) { spend(env.rt); env.locals[s] = t; if (!each()) return; } };
    }
    case 'state': {
      const si = ctx.storeIndex.get(d.state)!;
      const st = ctx.spec.states.get(d.state)!;
      if (st.type.k === 'rel') {
        const [a, b] = slots as [number, number];
        if (d.index) {
          // One end pinned: the edges out of a node are its successors, the edges into it its
          // predecessors (the reverse index), each in the order the walk of every edge gives.
          const pos = d.index.pos;
          const value = compileExpr(d.index.value, ctx);
          return (env, each) => {
            const rel = env.rt.stores[si] as Relation;
            const v = value(env) as Scalar;
            const m = pos === 0 && v !== null ? rel.succ.get(v) : undefined;
            for (const other of pos === 0 ? (m ? [...m.keys()] : []) : rel.predecessors(v)) {
              spend(env.rt);
              env.locals[a] = pos === 0 ? v : other; env.locals[b] = pos === 0 ? other : v;
              if (!each()) return;
            }
            if (env.reads) walkRead(env, d.state, true, pos, v);
          };
        }
        return (env, each) => {
          const rel = env.rt.stores[si] as Relation;
          for (const [from, m] of [...rel.succ]) for (const to of [...m.keys()]) {
            spend(env.rt);
            env.locals[a] = from; env.locals[b] = to;
            if (!each()) return;
          }
          if (env.reads) walkRead(env, d.state, true);
        };
      }
      const n = slots.length;
      const bind = (env: Env, e: Entry): void => { for (let i = 0; i < n; i++) env.locals[slots[i]!] = e.part(i); };
      if (d.index) {
        const pos = d.index.pos;
        const value = compileExpr(d.index.value, ctx);
        const visit = (env: Env, store: KeyedStore, e: Entry, each: () => boolean): boolean => {
          spend(env.rt);
          bind(env, e);
          if (env.reads) recordRead(env, store, undefined, e);
          return each();
        };
        return (env, each) => {
          const store = env.rt.stores[si] as KeyedStore;
          const part = value(env) as Scalar;
          // Rules collect rows before changing state, so iterating the live index is safe. The
          // collection `where` would walk is walked as what it is (one entry, a map, a set): a
          // loop over `where`'s iterable takes each element through the generic protocol.
          if (!store.hasWalkOf(pos)) {
            for (const e of store.where(pos, part)) if (!visit(env, store, e, each)) return;
          } else {
            const found = store.walkOf(pos, part);
            if (found instanceof Entry) { if (!visit(env, store, found, each)) return; }
            else if (found instanceof Map) { for (const e of found.values()) if (!visit(env, store, e, each)) return; }
            else if (found !== undefined) { for (const e of found as ReadonlySet<Entry>) if (!visit(env, store, e, each)) return; }
          }
          if (env.reads) walkRead(env, d.state, false, pos, part);
        };
      }
      return (env, each) => {
        const store = env.rt.stores[si] as KeyedStore;
        let whole = true;
        store.forEachEntry((e) => {
          spend(env.rt);
          bind(env, e);
          if (env.reads) recordRead(env, store, undefined, e);
          if (each()) return true;
          whole = false;
          return false;
        });
        if (whole && env.reads) walkRead(env, d.state, false);
      };
    }
    case 'expr': {
      const coll = compileExpr(d.expr, ctx);
      const n = slots.length;
      return (env, each) => {
        const v = coll(env);
        if (v instanceof ValueSet) {
          for (const t of [...v.items.values()]) {
            spend(env.rt);
            for (let i = 0; i < n; i++) env.locals[slots[i]!] = t[i] ?? null;
            if (!each()) return;
          }
        } else if (v instanceof KeyedStore) {
          for (const e of [...v.entries()]) {
            spend(env.rt);
            for (let i = 0; i < n; i++) env.locals[slots[i]!] = e.part(i);
            if (!each()) return;
          }
        }
      };
    }
  }
}

/**
 * The encoded key (as `encodeKey` gives it) of a past-time pattern's key fields, without building
 * the tuple: none of them → the empty key, one → the value itself, two → joined by \u0001.
 */
export function keyOf(fns: ((env: Env) => Value)[]): (env: Env) => Key | undefined {
  if (fns.length === 0) return () => '';
  if (fns.length === 1) { const a = fns[0]!; return (env) => { const v = a(env) as Scalar; return v === null ? undefined : v; }; }
  if (fns.length === 2) {
    const a = fns[0]!, b = fns[1]!;
    return (env) => {
      const x = a(env) as Scalar;
      if (x === null) return undefined;
      const y = b(env) as Scalar;
      return y === null ? undefined : String(x) + '\u0001' + String(y);
    };
  }
  return (env) => encodeKey(fns.map((f) => f(env) as Scalar));
}

function keysOf(fns: Compiled[]): (env: Env) => Scalar[] {
  if (fns.length === 1) { const a = fns[0]!; return (env) => [a(env) as Scalar]; }
  if (fns.length === 2) { const a = fns[0]!, b = fns[1]!; return (env) => [a(env) as Scalar, b(env) as Scalar]; }
  return (env) => fns.map((f) => f(env) as Scalar);
}

/**
 * The hot-path lookup of a one- or two-part key in a keyed store (no key tuple is built), recording
 * the read only while a violation is being explained. Shared by `m[k]` and `k in m`.
 */
function compileEntryLookup(si: number, kfs: Compiled[]): (env: Env) => Entry | undefined {
  const [k0, k1] = kfs as [Compiled, Compiled | undefined];
  return (env) => {
    const store = env.rt.stores[si] as KeyedStore;
    const a = k0(env) as Scalar;
    const b = k1 ? (k1(env) as Scalar) : null;
    const entry = k1 ? store.get2(a, b) : store.get1(a);
    if (env.reads) recordRead(env, store, entry ? undefined : k1 ? [a, b] : [a], entry);
    return entry;
  };
}

export function compileExpr(e: TExpr, ctx: CompileContext): Compiled {
  switch (e.k) {
    case 'lit': { const v = e.value; return () => v; }
    case 'field': {
      const name = e.name;
      switch (e.from) {
        case 'args': return (env) => { const v = env.ev.args[name]; return v === undefined ? null : v; };
        case 'call': return (env) => { const c = env.call; if (!c) return null; const v = c.args[name]; return v === undefined ? null : v; };
        case 'ret': return (env) => (env.ev.ret === undefined ? null : env.ev.ret);
        case 'implicit':
          switch (name) {
            case 'pid': return (env) => env.ev.pid;
            case 'seq': return (env) => env.ev.seq;
            case 'comm': return (env) => env.ev.comm ?? null;
            case 'cpu': return (env) => env.ev.cpu ?? null;
            default: return (env) => env.ev.ts ?? null;
          }
      }
      break;
    }
    case 'local': { const s = e.slot; return (env) => env.locals[s] ?? null; }
    case 'state': {
      if (e.state === '$tasks') return (env) => { const vs = new ValueSet(); for (const t of env.rt.tasks) vs.add([t]); return vs; };
      const si = ctx.storeIndex.get(e.state)!;
      const st = ctx.spec.states.get(e.state)!;
      if (st.type.k !== 'map' && st.type.k !== 'set' && st.type.k !== 'rel') {
        return (env) => {
          const cell = env.rt.stores[si] as { v: Scalar; prov: TraceEvent | undefined };
          if (env.reads) env.reads.push({ what: `${e.state} = ${formatValue(cell.v)}`, ev: cell.prov, how: 'set', store: e.state });
          return cell.v;
        };
      }
      return (env) => env.rt.stores[si] as KeyedStore | Relation;
    }
    case 'lookup': {
      const si = ctx.storeIndex.get(e.state)!;
      const kfs = e.keys.map((k) => compileExpr(k, ctx));
      if (kfs.length <= 2) {
        const find = compileEntryLookup(si, kfs);
        return (env) => { const entry = find(env); return entry ? entry.v : null; };
      }
      const keys = keysOf(kfs);
      return (env) => {
        const store = env.rt.stores[si] as KeyedStore;
        const ks = keys(env);
        const entry = store.get(ks);
        if (env.reads) recordRead(env, store, ks, entry);
        return entry ? entry.v : null;
      };
    }
    case 'succ': {
      const target = compileExpr(e.target, ctx);
      const key = compileExpr(e.key, ctx);
      return (env) => {
        const rel = target(env) as Relation;
        const out = new ValueSet();
        const k = key(env) as string;
        const m = rel.succ.get(k);
        if (m) for (const to of m.keys()) out.add([to]);
        if (env.reads) {
          const name = rel.name;
          if (m) {
            for (const [to, prov] of m) {
              env.reads.push({ what: `${name}: ${formatValue(k)} -> ${formatValue(to)}`, ev: prov, how: 'set', store: name, key: [k, to] });
            }
          }
          walkRead(env, rel.name, true, 0, k);
        }
        return out;
      };
    }
    case 'member': {
      const keys = keysOf(e.elem.map((k) => compileExpr(k, ctx)));
      if (e.coll.k === 'state' && e.coll.state !== '$tasks') {
        const si = ctx.storeIndex.get(e.coll.state)!;
        const st = ctx.spec.states.get(e.coll.state)!;
        if (st.type.k !== 'rel' && e.elem.length <= 2) {
          const find = compileEntryLookup(si, e.elem.map((k) => compileExpr(k, ctx)));
          return (env) => find(env) !== undefined;
        }
        if (st.type.k === 'rel' && e.elem.length === 2) {
          const k0 = compileExpr(e.elem[0]!, ctx), k1 = compileExpr(e.elem[1]!, ctx);
          const relName = e.coll.state;
          return (env) => {
            const a = k0(env) as Scalar, b = k1(env) as Scalar;
            const has = (env.rt.stores[si] as Relation).has(a, b);
            if (!has && env.reads) edgeAbsent(env, relName, a, b);
            return has;
          };
        }
        return (env) => {
          const s = env.rt.stores[si]!;
          const ks = keys(env);
          if (s instanceof Relation) {
            const has = s.has(ks[0] ?? null, ks[1] ?? null);
            if (!has && env.reads) edgeAbsent(env, s.name, ks[0] ?? null, ks[1] ?? null);
            return has;
          }
          const entry = (s as KeyedStore).get(ks);
          if (env.reads) recordRead(env, s as KeyedStore, ks, entry);
          return entry !== undefined;
        };
      }
      const coll = compileExpr(e.coll, ctx);
      return (env) => {
        const c = coll(env);
        const ks = keys(env);
        if (c instanceof ValueSet) return c.has(ks);
        if (c instanceof KeyedStore) return c.get(ks) !== undefined;
        if (c instanceof Relation) return c.has(ks[0] ?? null, ks[1] ?? null);
        return false;
      };
    }
    case 'bin': return compileBinary(e as Extract<TExpr, { k: 'bin' }>, ctx);
    case 'not': { const a = compileExpr(e.operand, ctx); return (env) => !a(env); }
    case 'neg': { const a = compileExpr(e.operand, ctx); return (env) => { const v = a(env); return v === null ? null : -(v as number); }; }
    case 'cond': {
      const c = compileExpr(e.cond, ctx), t = compileExpr(e.then, ctx), o = compileExpr(e.otherwise, ctx);
      return (env) => (c(env) ? t(env) : o(env));
    }
    case 'quant': {
      const loop = compileDomain(e.domain, e.slots, ctx);
      const filter = e.filter ? compileExpr(e.filter, ctx) : undefined;
      const body = compileExpr(e.body, ctx);
      const forall = e.q === 'forall';
      const fresh: Compiled = (env) => {
        let found = false;
        loop(env, () => {
          if (filter && !filter(env)) return true;
          const b = !!body(env);
          if (forall ? !b : b) { found = true; return false; }
          return true;
        });
        return forall ? !found : e.q === 'exists' ? found : !found;
      };
      // The visitor is made once per node, not per evaluation (see the note at the top).
      let cur: Env | undefined;
      let found = false;
      let busy = false;
      const visit = (): boolean => {
        if (filter && !filter(cur!)) return true;
        const b = !!body(cur!);
        if (forall ? !b : b) { found = true; return false; }
        return true;
      };
      return (env) => {
        if (busy) return fresh(env);
        busy = true; cur = env; found = false;
        try { loop(env, visit); } finally { busy = false; cur = undefined; }
        return forall ? !found : e.q === 'exists' ? found : !found;
      };
    }
    case 'count': {
      const loop = compileDomain(e.domain, e.slots, ctx);
      const filter = e.filter ? compileExpr(e.filter, ctx) : undefined;
      let cur: Env | undefined;
      let n = 0;
      let busy = false;
      const visit = (): boolean => { if (!filter || filter(cur!)) n++; return true; };
      return (env) => {
        if (busy) { let m = 0; loop(env, () => { if (!filter || filter(env)) m++; return true; }); return m; }
        busy = true; cur = env; n = 0;
        try { loop(env, visit); } finally { busy = false; cur = undefined; }
        return n;
      };
    }
    case 'setComp': {
      const loop = compileDomain(e.domain, e.slots, ctx);
      const filter = e.filter ? compileExpr(e.filter, ctx) : undefined;
      const elem = compileExpr(e.elem, ctx);
      const fresh: Compiled = (env) => {
        const out = new ValueSet();
        loop(env, () => {
          if (!filter || filter(env)) {
            const v = elem(env);
            if (v !== null) out.add(Array.isArray(v) ? v : [v as Scalar]);
          }
          return true;
        });
        return out;
      };
      let cur: Env | undefined;
      let out = new ValueSet();
      let busy = false;
      const visit = (): boolean => {
        if (!filter || filter(cur!)) {
          const v = elem(cur!);
          if (v !== null) out.add(Array.isArray(v) ? v : [v as Scalar]);
        }
        return true;
      };
      return (env) => {
        if (busy) return fresh(env);
        busy = true; cur = env; out = new ValueSet();
        try { loop(env, visit); } finally { busy = false; cur = undefined; }
        return out;
      };
    }
    case 'setLit': {
      const items = e.items.map((i) => compileExpr(i, ctx));
      return (env) => {
        const out = new ValueSet();
        for (const f of items) { const v = f(env); if (v !== null) out.add(Array.isArray(v) ? v : [v as Scalar]); }
        return out;
      };
    }
    case 'tuple': { const items = e.items.map((i) => compileExpr(i, ctx)); return (env) => items.map((f) => f(env) as Scalar); }
    case 'old': {
      const i = e.index;
      return (env) => {
        const v = env.olds ? env.olds[i] : null;
        const lost = env.reads && env.oldLost ? env.oldLost[i] : undefined;
        if (lost !== undefined) env.reads!.push({ what: 'old(...)', ev: undefined, how: 'call', lost });
        return v === undefined ? null : v;
      };
    }
    case 'once': {
      const t = e.table;
      const keyFn = keyOf(e.keys.map((k) => compileExpr(k, ctx)));
      return (env) => {
        const key = keyFn(env);
        const hit = key === undefined ? undefined : env.rt.temporal[t]!.last.get(key);
        if (env.reads) env.reads.push(hit ? { what: `matched once`, ev: hit.ev, how: 'temporal' } : NO_MATCH);
        return hit !== undefined;
      };
    }
    case 'previously': {
      const t = e.table;
      const keyFn = keyOf(e.keys.map((k) => compileExpr(k, ctx)));
      return (env) => {
        const key = keyFn(env);
        const hit = key === undefined ? undefined : env.rt.temporal[t]!.last.get(key);
        const yes = hit !== undefined && (hit.idx === env.idx ? hit.prevIdx : hit.idx) === env.idx - 1;
        // (a match at the event before is stale when a gap came after it: the event before was a lost one)
        if (env.reads) env.reads.push(yes ? { what: PREVIOUS, ev: hit!.ev, how: 'temporal' } : NO_MATCH);
        return yes;
      };
    }
    case 'since': {
      const anchorT = e.anchor.table;
      const anchorKey = keyOf(e.anchor.keys.map((k) => compileExpr(k, ctx)));
      const blockers = e.blockers.map((b) => ({ t: b.table, key: keyOf(b.keys.map((k) => compileExpr(k, ctx))) }));
      return (env) => {
        const ak = anchorKey(env);
        const anchor = ak === undefined ? undefined : env.rt.temporal[anchorT]!.last.get(ak);
        if (!anchor) { if (env.reads) env.reads.push(NO_MATCH); return false; }
        for (const b of blockers) {
          const bk = b.key(env);
          const hit = bk === undefined ? undefined : env.rt.temporal[b.t]!.last.get(bk);
          if (hit && hit.idx >= anchor.idx) {
            if (env.reads) env.reads.push({ what: 'matched since', ev: hit.ev, how: 'temporal' });
            return false;
          }
        }
        if (env.reads) env.reads.push({ what: 'since', ev: anchor.ev, how: 'temporal' });
        return true;
      };
    }
    case 'matches': {
      const name = e.event, phase = e.phase;
      const fields = e.fields.map((f) => ({ get: compileExpr({ k: 'field', name: f.name, from: f.from, type: f.value.type, span: f.value.span }, ctx),
        want: compileExpr(f.value, ctx) }));
      return (env) => {
        const ev = env.ev;
        if (phase === 'event' ? ev.ev !== name : ev.ev !== phase || ev.fn !== name) return false;
        for (const f of fields) if (f.get(env) !== f.want(env)) return false;
        return true;
      };
    }
    case 'builtin': return compileBuiltin(e as Extract<TExpr, { k: 'builtin' }>, ctx);
    case 'defcall': {
      const args = e.args.map((a) => compileExpr(a, ctx));
      const name = e.def;
      // Each call site keeps one child environment and reuses it unless it is re-entered.
      let child: Env | undefined;
      let busy = false;
      return (env) => {
        const def = ctx.defs.get(name)!;
        let c: Env;
        if (!busy && child) {
          c = child;
          c.ev = env.ev; c.call = env.call; c.olds = env.olds; c.oldLost = env.oldLost; c.idx = env.idx; c.rt = env.rt; c.reads = env.reads;
        } else {
          c = { ...env, locals: new Array<Value>(def.slots).fill(null) };
          if (!busy) child = c;
        }
        for (let i = 0; i < args.length; i++) c.locals[i] = args[i]!(env);
        const reuse = c === child;
        if (reuse) busy = true;
        try { return def.fn(c); } finally { if (reuse) busy = false; }
      };
    }
    case 'template': {
      const parts = e.parts.map((p) => (typeof p === 'string' ? p : compileExpr(p, ctx)));
      return (env) => {
        let s = '';
        for (const p of parts) s += typeof p === 'string' ? p : fmt(p(env));
        return s;
      };
    }
  }
  throw new Error(`internal: cannot compile ${(e as TExpr).k}`);
}

function compileBinary(e: Extract<TExpr, { k: 'bin' }>, ctx: CompileContext): Compiled {
  const a = compileExpr(e.left, ctx);
  const b = compileExpr(e.right, ctx);
  switch (e.op) {
    case 'and': return (env) => !!a(env) && !!b(env);
    case 'or': return (env) => !!a(env) || !!b(env);
    case 'implies': return (env) => !a(env) || !!b(env);
    case '==': return (env) => a(env) === b(env);
    case '!=': return (env) => a(env) !== b(env);
    case '<': return (env) => num(a(env)) < num(b(env));
    case '<=': return (env) => num(a(env)) <= num(b(env));
    case '>': return (env) => num(a(env)) > num(b(env));
    case '>=': return (env) => num(a(env)) >= num(b(env));
    case '+': return (env) => nullable2(a(env), b(env), (x, y) => x + y);
    case '-': return (env) => nullable2(a(env), b(env), (x, y) => x - y);
    case '*': return (env) => nullable2(a(env), b(env), (x, y) => x * y);
    case '/': return (env) => nullable2(a(env), b(env), (x, y) => (y === 0 ? null : Math.trunc(x / y)));
    case '%': return (env) => nullable2(a(env), b(env), (x, y) => (y === 0 ? null : x % y));
    case '&': return (env) => nullable2(a(env), b(env), bitAnd);
    case 'concat': return (env) => {
      const x = a(env), y = b(env);
      return (typeof x === 'string' ? x : fmt(x)) + (typeof y === 'string' ? y : fmt(y));
    };
    case 'union': {
      // A left operand built by this very expression (comprehension, literal, union) is fresh:
      // the right one is added into it instead of copying both into a third set.
      if (freshSet(e.left)) {
        return (env) => {
          const x = a(env), y = b(env);
          if (!(x instanceof ValueSet)) { const out = new ValueSet(); if (y instanceof ValueSet) for (const t of y.items.values()) out.add(t); return out; }
          if (y instanceof ValueSet) for (const t of y.items.values()) x.add(t);
          return x;
        };
      }
      return (env) => {
        const out = new ValueSet();
        for (const v of [a(env), b(env)]) if (v instanceof ValueSet) for (const t of v.items.values()) out.add(t);
        return out;
      };
    }
  }
  throw new Error(`internal: unknown operator ${e.op}`);
}

/** Whether every evaluation of `e` makes a new set that nothing else holds (so a union may add into it). */
function freshSet(e: TExpr): boolean {
  switch (e.k) {
    case 'setComp': case 'setLit': return true;
    case 'bin': return e.op === 'union';
    case 'cond': return freshSet(e.then) && freshSet(e.otherwise);
    default: return false;
  }
}

/** 64-bit AND of two numbers; non-negative 31-bit integers (flags) take the int32 operator, which gives the same. */
export function bitAnd(x: number, y: number): number {
  if (x >= 0 && y >= 0 && x <= 0x7fffffff && y <= 0x7fffffff && Number.isInteger(x) && Number.isInteger(y)) return x & y;
  return Number(BigInt.asUintN(64, BigInt(Math.trunc(x))) & BigInt.asUintN(64, BigInt(Math.trunc(y))));
}

function num(v: Value): number {
  return typeof v === 'number' ? v : NaN;
}

/** Integer arithmetic over values that may be none; a division by zero has no value either (none, not NaN, which would be stored and never equal itself). */
function nullable2(x: Value, y: Value, f: (a: number, b: number) => number | null): Scalar {
  if (typeof x !== 'number' || typeof y !== 'number') return null;
  return f(x, y);
}

/**
 * A builtin call: the implementation comes with the IR node (src/analysis/builtins.ts), so the
 * monitor only passes it the compiled arguments, then the environment as its context.
 */
function compileBuiltin(e: Extract<TExpr, { k: 'builtin' }>, ctx: CompileContext): Compiled {
  const b = e.builtin;
  if (b.kind === 'graph') return compileGraphBuiltin(e, b, ctx);
  return compileValueBuiltin(b, e.args.map((a) => compileExpr(a, ctx)));
}

/** Arities 0 to 2 get a closure without an argument array (builtins run per mapped record). */
function compileValueBuiltin(b: ValueBuiltin, args: Compiled[]): Compiled {
  const f = b.impl;
  const [a0, a1] = args;
  switch (args.length) {
    case 0: return (env) => f(env);
    case 1: return (env) => f(a0!(env), env);
    case 2: return (env) => f(a0!(env), a1!(env), env);
    default: return (env) => f(...args.map((a) => a(env)), env);
  }
}

function compileGraphBuiltin(e: Extract<TExpr, { k: 'builtin' }>, b: GraphBuiltin, ctx: CompileContext): Compiled {
  const succ = successorFn(e.args[0]!, ctx);
  const from = compileExpr(e.args[1]!, ctx), to = compileExpr(e.args[2]!, ctx);
  return (env) => b.fromPath(findPath(env, succ, from(env) as Scalar, to(env) as Scalar));
}

type Successors = (env: Env, node: Scalar) => Iterable<Scalar>;

function successorFn(rel: TExpr, ctx: CompileContext): Successors {
  if (rel.k === 'lit' && typeof rel.value === 'string' && ctx.spec.defs.has(rel.value)) {
    const name = rel.value;
    let child: Env | undefined;
    let busy = false;
    return (env, node) => {
      const def = ctx.defs.get(name)!;
      let c: Env;
      if (!busy && child) {
        c = child;
        c.ev = env.ev; c.call = env.call; c.olds = env.olds; c.oldLost = env.oldLost; c.idx = env.idx; c.rt = env.rt; c.reads = env.reads;
        c.locals.fill(null);
      } else {
        c = { ...env, locals: new Array<Value>(def.slots).fill(null) };
        if (!busy) child = c;
      }
      c.locals[0] = node;
      const reuse = c === child;
      if (reuse) busy = true;
      let v: Value;
      const from = c.reads?.length ?? 0;
      try { v = def.fn(c); } finally { if (reuse) busy = false; }
      // Edges a path search inside the def read are the def's own reads, not edges of this search.
      // (but a walk's "no other entry", which matters only when no path is found)
      if (c.reads) for (let i = from; i < c.reads.length; i++) if (c.reads[i]!.how !== 'absent') delete c.reads[i]!.to;
      const out: Scalar[] = [];
      if (v instanceof ValueSet) for (const t of v.items.values()) out.push(t[0] ?? null);
      return out;
    };
  }
  const f = compileExpr(rel, ctx);
  return (env, node) => {
    const r = f(env) as Relation;
    const m = node === null ? undefined : r.succ.get(node);
    if (env.reads) {
      if (m) {
        for (const [to, prov] of m) {
          env.reads.push({ what: `${r.name}: ${formatValue(node)} -> ${formatValue(to)}`, ev: prov, how: 'set', store: r.name, to, key: [node, to] });
        }
      }
      walkRead(env, r.name, true, 0, node);
    }
    return m ? [...m.keys()] : [];
  };
}

/**
 * Shortest path from → … → to with at least one edge (so reaches(R, x, x) means a cycle through x).
 * When explaining, only what the found path rests on counts as read: the edges along it (and what
 * a successor `def` read at its nodes), not every edge the search looked at.
 */
function findPath(env: Env, succ: Successors, from: Scalar, to: Scalar): Scalar[] | undefined {
  const outer = env.reads;
  if (outer === undefined) return searchPath(env, succ, from, to);
  const readsAt = new Map<Scalar, Read[]>();
  const recording: Successors = (e, node) => {
    const scratch: Read[] = [];
    e.reads = scratch;
    // (the search expands each node once)
    try { return [...succ(e, node)]; } finally { e.reads = outer; readsAt.set(node, scratch); }
  };
  const path = searchPath(env, recording, from, to);
  if (path === undefined) {
    for (const rs of readsAt.values()) outer.push(...rs);
    return undefined;
  }
  for (let i = 0; i + 1 < path.length; i++) {
    for (const r of readsAt.get(path[i]!) ?? []) if (!('to' in r) || r.to === path[i + 1]) outer.push(r);
  }
  return path;
}

function searchPath(env: Env, succ: Successors, from: Scalar, to: Scalar): Scalar[] | undefined {
  if (from === null || to === null) return undefined;
  // Made only when `from` has a successor: most searches (a task that waits for nobody) end here.
  let parent: Map<Scalar, Scalar> | undefined;
  let queue: Scalar[] | undefined;
  for (const n of succ(env, from)) {
    if (n === to) return [from, to];
    parent ??= new Map();
    queue ??= [];
    if (!parent.has(n)) { parent.set(n, from); queue.push(n); }
  }
  if (parent === undefined || queue === undefined) return undefined;
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i]!;
    spend(env.rt);
    for (const n of succ(env, cur)) {
      if (n === to) {
        const path: Scalar[] = [to, cur];
        let p = parent.get(cur);
        while (p !== undefined && p !== from) { path.push(p); p = parent.get(p); }
        path.push(from);
        return path.reverse();
      }
      if (!parent.has(n) && n !== from) { parent.set(n, cur); queue.push(n); }
    }
  }
  return undefined;
}

export function compileStmt(s: TStmt, ctx: CompileContext): CompiledStmt {
  // A write takes its store with `writable` only where it changes it (an entry deleted that exists,
  // an edge added that is new): a shared store a step leaves as it was is not copied.
  switch (s.k) {
    case 'assign': {
      const si = ctx.storeIndex.get(s.state)!;
      const value = compileExpr(s.value, ctx);
      if (s.keys.length === 0) {
        return (env) => {
          const v = value(env) as Scalar;
          const cell = writable(env.rt, si) as { v: Scalar; prov: TraceEvent | undefined };
          cell.v = v;
          cell.prov = env.ev;
        };
      }
      const kfs = s.keys.map((k) => compileExpr(k, ctx));
      const keys = keysOf(kfs);
      if (kfs.length <= 2) {
        const [k0, k1] = kfs as [Compiled, Compiled | undefined];
        return (env) => {
          const v = value(env) as Scalar;
          let store = env.rt.stores[si] as KeyedStore;
          const a = k0(env) as Scalar;
          const b = k1 ? (k1(env) as Scalar) : null;
          let entry = k1 ? store.get2(a, b) : store.get1(a);
          if (v === null && !entry) return;
          if (env.rt.cow !== undefined) { store = env.rt.cow.own(si) as KeyedStore; entry = k1 ? store.get2(a, b) : store.get1(a); }
          if (v === null) { store.deleteEntry(entry!, env.ev); return; }
          if (entry) { entry.v = v; entry.prov = env.ev; return; }
          store.set(k1 ? [a, b] : [a], v, env.ev);
        };
      }
      return (env) => {
        const v = value(env) as Scalar;
        const ks = keys(env);
        // Assigning none removes the entry: a map never stores none.
        if (v === null) { if ((env.rt.stores[si] as KeyedStore).get(ks) !== undefined) (writable(env.rt, si) as KeyedStore).delete(ks, env.ev); }
        else (writable(env.rt, si) as KeyedStore).set(ks, v, env.ev);
      };
    }
    case 'delete': {
      const si = ctx.storeIndex.get(s.state)!;
      const kfs = s.keys.map((k) => compileExpr(k, ctx));
      const keys = keysOf(kfs);
      if (kfs.length <= 2) {
        const [k0, k1] = kfs as [Compiled, Compiled | undefined];
        return (env) => {
          const store = env.rt.stores[si] as KeyedStore;
          const a = k0(env) as Scalar;
          const b = k1 ? (k1(env) as Scalar) : null;
          const entry = k1 ? store.get2(a, b) : store.get1(a);
          if (!entry) return;
          if (env.rt.cow === undefined) { store.deleteEntry(entry, env.ev); return; }
          const own = env.rt.cow.own(si) as KeyedStore;
          own.deleteEntry((k1 ? own.get2(a, b) : own.get1(a))!, env.ev);
        };
      }
      return (env) => {
        const ks = keys(env);
        if ((env.rt.stores[si] as KeyedStore).get(ks) !== undefined) (writable(env.rt, si) as KeyedStore).delete(ks, env.ev);
      };
    }
    case 'add': case 'remove': {
      const si = ctx.storeIndex.get(s.state)!;
      const vfs = s.value.map((k) => compileExpr(k, ctx));
      const vals = keysOf(vfs);
      const adding = s.k === 'add';
      const kind = ctx.spec.states.get(s.state)!.type.k;
      if (vfs.length === 2) {
        // Two parts (an edge, or a pair in a set): no tuple is built unless a new entry needs one.
        const [v0, v1] = vfs as [Compiled, Compiled];
        if (kind === 'rel') {
          return adding
            ? (env) => {
              if (env.rt.untrusted) return;
              const a = v0(env) as Scalar, b = v1(env) as Scalar;
              if (a !== null && b !== null && !(env.rt.stores[si] as Relation).has(a, b)) (writable(env.rt, si) as Relation).add(a, b, env.ev);
            }
            : (env) => {
              const a = v0(env) as Scalar, b = v1(env) as Scalar;
              if ((env.rt.stores[si] as Relation).has(a, b)) (writable(env.rt, si) as Relation).remove(a, b);
            };
        }
        return (env) => {
          const store = env.rt.stores[si] as KeyedStore;
          const a = v0(env) as Scalar, b = v1(env) as Scalar;
          if (!adding && store.get2(a, b) === undefined) return;
          const own = writable(env.rt, si) as KeyedStore;
          const entry = own.get2(a, b);
          if (adding) { if (entry) { entry.v = true; entry.prov = env.ev; } else own.set([a, b], true, env.ev); }
          else own.deleteEntry(entry!, env.ev);
        };
      }
      return (env) => {
        const st = env.rt.stores[si]!;
        const ks = vals(env);
        if (st instanceof Relation) {
          const a = ks[0] ?? null, b = ks[1] ?? null;
          if (adding) { if (!env.rt.untrusted && a !== null && b !== null && !st.has(a, b)) (writable(env.rt, si) as Relation).add(a, b, env.ev); }
          else if (st.has(a, b)) (writable(env.rt, si) as Relation).remove(a, b);
        } else if (adding) (writable(env.rt, si) as KeyedStore).set(ks, true, env.ev);
        else if ((st as KeyedStore).get(ks) !== undefined) (writable(env.rt, si) as KeyedStore).delete(ks, env.ev);
      };
    }
    case 'if': {
      const c = compileExpr(s.cond, ctx);
      const t = s.then.map((x) => compileStmt(x, ctx));
      const o = s.otherwise.map((x) => compileStmt(x, ctx));
      return (env) => { for (const f of c(env) ? t : o) f(env); };
    }
    case 'for': {
      const loop = compileDomain(s.domain, s.slots, ctx);
      const filter = s.filter ? compileExpr(s.filter, ctx) : undefined;
      const body = s.body.map((x) => compileStmt(x, ctx));
      const fresh: CompiledStmt = (env) => {
        // Collect first: the body may change the state being iterated.
        const rows: Value[][] = [];
        loop(env, () => { if (!filter || filter(env)) rows.push(s.slots.map((sl) => env.locals[sl] ?? null)); return true; });
        for (const r of rows) {
          s.slots.forEach((sl, i) => { env.locals[sl] = r[i] ?? null; });
          for (const f of body) f(env);
        }
      };
      // The same, with the rows in one flat array and the collector made once (see the note at the top).
      const slots = s.slots;
      const n = slots.length;
      // `rows` keeps its length between runs (no shrinking and regrowing); `m` is this run's fill.
      const rows: Value[] = [];
      let m = 0;
      let cur: Env | undefined;
      let busy = false;
      const collect = (): boolean => {
        if (!filter || filter(cur!)) for (let i = 0; i < n; i++) rows[m++] = cur!.locals[slots[i]!] ?? null;
        return true;
      };
      return (env) => {
        if (busy) { fresh(env); return; }
        busy = true; cur = env; m = 0;
        loop(env, collect);
        for (let r = 0; r < m; r += n) {
          for (let i = 0; i < n; i++) env.locals[slots[i]!] = rows[r + i] ?? null;
          for (let j = 0; j < body.length; j++) body[j]!(env);
        }
        busy = false; cur = undefined;
      };
    }
  }
}

export function compileDefs(spec: TypedSpec, ctx: CompileContext): void {
  for (const def of spec.defs.values()) {
    ctx.defs.set(def.name, { fn: compileExpr(def.body, ctx), slots: Math.max(def.slots, def.params.length), params: def.params.length });
  }
}
