/**
 * The hot path of a compiled spec as generated JavaScript: per event handler one function that
 * runs its rules' guards and bodies in order, and per invariant its guard and body, each straight-
 * line code (one `new Function` per spec) instead of a tree of closures calling closures. Store
 * operations go through small monomorphic helpers that V8 inlines; a `def` without binders
 * becomes a function of its parameters.
 *
 * It gives exactly what the closures of compile.ts give on the paths it runs: the same values,
 * the same state changes in the same order, the same errors. What it does not generate
 * (quantifiers and loops over a whole state, comprehensions, path searches, past-time operators,
 * keys of three or more parts) it calls the closure compiled for that node, with the same
 * environment. It never records reads:
 * an explanation evaluates the closures again with `env.reads` set, and a generated function is
 * only run while `env.reads` is unset.
 */
import type { TExpr, TStmt, TypedSpec } from '../analysis/ir.js';
import type { Scalar, TraceEvent } from '../values/event.js';
import type { DomainIR } from '../analysis/ir.js';
import {
  bitAnd, compileDomain, compileExpr, compileStmt, formatValue, spend, writable, type CompileContext, type Compiled, type CompiledStmt, type Env, type Runtime,
  type Value,
} from './compile.js';
import { flat, type Entry, type Key, type KeyedStore, type Relation } from './store.js';

/** The helpers generated code calls (bound once, so each call site stays monomorphic). */
const HELPERS = {
  lk1(s: KeyedStore, a: Scalar): Scalar {
    const e = s.get1(a);
    return e === undefined ? null : e.v;
  },
  lk2(s: KeyedStore, a: Scalar, b: Scalar): Scalar {
    const e = s.get2(a, b);
    return e === undefined ? null : e.v;
  },
  has1(s: KeyedStore, a: Scalar): boolean {
    return s.get1(a) !== undefined;
  },
  has2(s: KeyedStore, a: Scalar, b: Scalar): boolean {
    return s.get2(a, b) !== undefined;
  },
  // Writes take the runtime and the store's index: where stores are shared copy on write
  // (`Runtime.cow`), a write that changes the store first takes it as its own (compile.ts's `writable`),
  // so it looks the entry up before. Without sharing (checking a trace) each write finds its entry
  // once: a lookup and then a write that looks it up again was a tenth of the check.
  asg1(R: Runtime, i: number, v: Scalar, a: Scalar, ev: TraceEvent): void {
    let s = R.stores[i] as KeyedStore;
    if (R.cow === undefined) {
      if (v === null) s.take1(a, ev); else s.set1(a, v, ev);
      return;
    }
    let e = s.get1(a);
    if (v === null && e === undefined) return;
    s = R.cow.own(i) as KeyedStore;
    if (v === null) { s.take1(a, ev); return; }
    e = s.get1(a);
    if (e) { e.v = v; e.prov = ev; return; }
    s.set1(a, v, ev);
  },
  asg2(R: Runtime, i: number, v: Scalar, a: Scalar, b: Scalar, ev: TraceEvent): void {
    let s = R.stores[i] as KeyedStore;
    if (R.cow === undefined) {
      if (v === null) s.take2(a, b, ev); else s.set2(a, b, v, ev);
      return;
    }
    let e = s.get2(a, b);
    if (v === null && e === undefined) return;
    s = R.cow.own(i) as KeyedStore;
    if (v === null) { s.take2(a, b, ev); return; }
    e = s.get2(a, b);
    if (e) { e.v = v; e.prov = ev; return; }
    s.set2(a, b, v, ev);
  },
  del1(R: Runtime, i: number, a: Scalar, ev: TraceEvent): void {
    const s = R.stores[i] as KeyedStore;
    if (R.cow === undefined) { s.take1(a, ev); return; }
    if (s.get1(a) !== undefined) (R.cow.own(i) as KeyedStore).take1(a, ev);
  },
  del2(R: Runtime, i: number, a: Scalar, b: Scalar, ev: TraceEvent): void {
    const s = R.stores[i] as KeyedStore;
    if (R.cow === undefined) { s.take2(a, b, ev); return; }
    if (s.get2(a, b) !== undefined) (R.cow.own(i) as KeyedStore).take2(a, b, ev);
  },
  /** `add x to s` of one part, as the closure's `set([x], true)`. */
  add1(R: Runtime, i: number, a: Scalar, ev: TraceEvent): void {
    (writable(R, i) as KeyedStore).set1(a, true, ev);
  },
  add2(R: Runtime, i: number, a: Scalar, b: Scalar, ev: TraceEvent): void {
    (writable(R, i) as KeyedStore).set2(a, b, true, ev);
  },
  /** `x = v` of a plain variable. */
  setCell(R: Runtime, i: number, v: Scalar, ev: TraceEvent): void {
    const c = writable(R, i) as { v: Scalar; prov: TraceEvent | undefined };
    c.v = v;
    c.prov = ev;
  },
  relAdd(R: Runtime, i: number, a: Scalar, b: Scalar, ev: TraceEvent): void {
    if (R.cow === undefined) { (R.stores[i] as Relation).add(a, b, ev); return; }
    if (a !== null && b !== null && !(R.stores[i] as Relation).has(a, b)) (R.cow.own(i) as Relation).add(a, b, ev);
  },
  relRemove(R: Runtime, i: number, a: Scalar, b: Scalar): void {
    if (R.cow === undefined) { (R.stores[i] as Relation).remove(a, b); return; }
    if ((R.stores[i] as Relation).has(a, b)) (R.cow.own(i) as Relation).remove(a, b);
  },
  relHas(r: Relation, a: Scalar, b: Scalar): boolean {
    return r.has(a, b);
  },
  spend,
  /** The entries of a one-part store's top level (see KeyedStore.topLevel). */
  entries1(top: ReadonlyMap<Key, unknown>): IterableIterator<Entry> {
    return top.values() as IterableIterator<Entry>;
  },
  /** The second-level maps of a two-part store's top level. */
  levels2(top: ReadonlyMap<Key, unknown>): IterableIterator<ReadonlyMap<Key, Entry>> {
    return top.values() as IterableIterator<ReadonlyMap<Key, Entry>>;
  },
  /** The entries of `s` whose key part `pos` is `part` (as the closure's indexed domain reads them). */
  where(s: KeyedStore, pos: number, part: Value): Iterable<Entry> {
    return s.where(pos, part as Scalar);
  },
  /** The map of entries under first key part `part` of a two-part store (what `where(0, part)` walks), if any. */
  under(s: KeyedStore, part: Value): ReadonlyMap<Key, Entry> | undefined {
    return s.walkOf(0, part as Scalar) as ReadonlyMap<Key, Entry> | undefined;
  },
  /** The index's set of entries whose key part `pos` is `part` (what `where(pos, part)` walks), if any. */
  bucket(s: KeyedStore, pos: number, part: Value): ReadonlySet<Entry> | undefined {
    return s.walkOf(pos, part as Scalar) as ReadonlySet<Entry> | undefined;
  },
  /** The entry of a one-part store's key `part` (what `where(0, part)` walks), if any. */
  entry1(s: KeyedStore, part: Value): Entry | undefined {
    return s.get1(part as Scalar);
  },
  num(v: Value): number {
    return typeof v === 'number' ? v : NaN;
  },
  add(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' ? null : x + y; },
  sub(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' ? null : x - y; },
  mul(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' ? null : x * y; },
  div(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' ? null : y === 0 ? null : Math.trunc(x / y); },
  mod(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' || y === 0 ? null : x % y; },
  and(x: Value, y: Value): Scalar { return typeof x !== 'number' || typeof y !== 'number' ? null : bitAnd(x, y); },
  neg(v: Value): Scalar { return v === null ? null : -(v as number); },
  concat(x: Value, y: Value): string {
    return (typeof x === 'string' ? x : formatValue(x)) + (typeof y === 'string' ? y : formatValue(y));
  },
  fmt(v: Value): string { return formatValue(v); },
};

/** What a spec's generated code gives: the rules of each handler, and each invariant's tests. */
export interface GeneratedSpec {
  /** Runs the rules given to `rules()` under this key, in order. */
  rules: Map<number, (env: Env) => void>;
  /** An expression given to `expr()`, by the id it returned. */
  exprs: Compiled[];
}

/** Builds the source of one spec's generated functions; `finish()` compiles them all at once. */
export class SpecGenerator {
  /** Values the code reaches by index: literals, fallback closures, builtins. */
  private readonly consts: unknown[] = [];
  private readonly fns: string[] = [];
  private readonly ruleKeys: number[] = [];
  private exprCount = 0;
  private quantCount = 0;
  /** Generated defs by name: the function's name, or null when the def stays a closure. */
  private readonly defs = new Map<string, string | null>();
  private readonly defBusy = new Set<string>();
  /** Whether each def depends on its parameters alone (`pure`), by name. */
  private readonly pureDefs = new Map<string, boolean>();
  /** The values the code being generated computes once (see `Reuse`); undefined where none is reused. */
  private reuse: Reuse | undefined;
  private tempCount = 0;

  constructor(private readonly spec: TypedSpec, private readonly ctx: CompileContext) {}

  /** Registers the rules of one handler (each a guard and a body); returns nothing until `finish`. */
  rules(key: number, rules: { guard: TExpr | null | undefined; body: TStmt[] }[]): void {
    const lines: string[] = [];
    for (const r of rules) {
      // The guard and the body one stretch: the guard runs before any write of the body.
      const { code, declare } = this.reusing(writtenBy(r.body), () => {
        const body = r.body.map((s) => this.stmt(s, '    ')).join('\n');
        return r.guard ? `    if (${this.expr(r.guard, undefined)}) {\n${body}\n    }` : body;
      });
      lines.push(`  {\n${declare ? `    ${declare}\n` : ''}${code}\n  }`);
    }
    this.fns.push(`function rules${this.ruleKeys.length}(env) {\n${PROLOGUE}\n${lines.join('\n')}\n}`);
    this.ruleKeys.push(key);
  }

  /** Registers an expression; its generated function is `exprs[id]` after `finish`. */
  exprFn(e: TExpr): number {
    const id = this.exprCount++;
    const { code, declare } = this.reusing(NOTHING_WRITTEN, () => this.expr(e, undefined));
    this.fns.push(`function expr${id}(env) {\n${PROLOGUE}\n${declare ? `  ${declare}\n` : ''}  return ${code};\n}`);
    return id;
  }

  finish(): GeneratedSpec {
    const rules = this.ruleKeys.map((_, i) => `rules${i}`).join(', ');
    const exprs = Array.from({ length: this.exprCount }, (_, i) => `expr${i}`).join(', ');
    const src = [
      '"use strict";',
      `const { ${Object.keys(HELPERS).join(', ')} } = H;`,
      ...this.consts.map((_, i) => `const K${i} = K[${i}];`),
      ...this.fns,
      `return { rules: [${rules}], exprs: [${exprs}] };`,
    ].join('\n');
    const made = new Function('H', 'K', src) as (h: typeof HELPERS, k: unknown[]) => { rules: ((env: Env) => void)[]; exprs: Compiled[] };
    const out = made(HELPERS, this.consts);
    return { rules: new Map(this.ruleKeys.map((k, i) => [k, out.rules[i]!])), exprs: out.exprs };
  }

  /**
   * Generates a stretch of code that writes only the stores `written` (and binds no local it reads:
   * a rule, a loop's body for one row, an expression) with its own reused values; `declare` is the
   * declaration of their temporaries, to put before the code.
   */
  private reusing(written: ReadonlySet<string>, gen: () => string): { code: string; declare: string } {
    const outer = this.reuse;
    const r = new Reuse(written, () => `u${this.tempCount++}`);
    this.reuse = r;
    try {
      const code = gen();
      return { code, declare: r.declaration() };
    } finally {
      this.reuse = outer;
    }
  }

  /** Generates code of a function of its own (a def, a quantifier's walk), which reuses nothing of the code that calls it. */
  private apart<T>(gen: () => T): T {
    const outer = this.reuse;
    this.reuse = undefined;
    try { return gen(); } finally { this.reuse = outer; }
  }

  /**
   * `code` (the code of `e`) read from its temporary when `e` is the same value all along the
   * stretch (`stable`): computed at its first use, as before, and never again there.
   */
  private reused(e: TExpr, code: string): string {
    const r = this.reuse;
    if (r === undefined || !this.stable(e, r)) return code;
    const t = r.temp(code);
    return `(${t} !== undefined ? ${t} : (${t} = ${code}))`;
  }

  /**
   * Whether `e` has one value all along a stretch of `r`: it reads event fields, locals (a stretch
   * binds none that it reads), captures, stores the stretch never writes, and defs of their
   * parameters alone; no builtin (it may read the environment), binder or past-time operator.
   */
  private stable(e: TExpr, r: Reuse): boolean {
    switch (e.k) {
      case 'lit': case 'field': case 'local': case 'old': return true;
      case 'lookup': return !r.written.has(e.state) && e.keys.every((k) => this.stable(k, r));
      case 'member':
        return e.coll.k === 'state' && e.coll.state !== '$tasks' && !r.written.has(e.coll.state) && e.elem.every((k) => this.stable(k, r));
      case 'bin': return e.op !== 'union' && this.stable(e.left, r) && this.stable(e.right, r);
      case 'not': case 'neg': return this.stable(e.operand, r);
      case 'cond': return this.stable(e.cond, r) && this.stable(e.then, r) && this.stable(e.otherwise, r);
      case 'template': return e.parts.every((p) => typeof p === 'string' || this.stable(p, r));
      case 'defcall': return this.pureDef(e.def) && e.args.every((a) => this.stable(a, r));
      default: return false;
    }
  }

  private pureDef(name: string): boolean {
    let pure = this.pureDefs.get(name);
    if (pure === undefined) {
      pure = this.pure(this.spec.defs.get(name)!.body, new Set([name]));
      this.pureDefs.set(name, pure);
    }
    return pure;
  }

  private konst(v: unknown): string {
    this.consts.push(v);
    return `K${this.consts.length - 1}`;
  }

  /** The closure of `e`, called with the rule's or invariant's environment; never inside a def (its locals are parameters there). */
  private fallback(e: TExpr, params: string[] | undefined): string {
    if (params !== undefined) throw new NotGenerated();
    return `${this.konst(compileExpr(e, this.ctx))}(env)`;
  }

  private fallbackStmt(s: TStmt, indent: string): string {
    const f: CompiledStmt = compileStmt(s, this.ctx);
    return `${indent}${this.konst(f)}(env);`;
  }

  private lit(v: Scalar): string {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string') return JSON.stringify(v);
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v < 0 ? `(${v})` : String(v);
    return this.konst(v);
  }

  private store(name: string): string {
    return `S[${this.storeAt(name)}]`;
  }

  /** The index of a state's store (what a write passes with the runtime, see HELPERS.asg1). */
  private storeAt(name: string): number {
    return this.ctx.storeIndex.get(name)!;
  }

  /**
   * JavaScript for `e`; `params` are the names of a generated def's parameters (its locals), or
   * undefined in a rule or invariant (locals are `env.locals`).
   */
  private expr(e: TExpr, params: string[] | undefined): string {
    const x = (y: TExpr): string => this.expr(y, params);
    switch (e.k) {
      case 'lit': return this.lit(e.value);
      case 'field': {
        const name = JSON.stringify(e.name);
        switch (e.from) {
          case 'args': return `(A[${name}] ?? null)`;
          case 'call': return `(C === undefined ? null : (C.args[${name}] ?? null))`;
          case 'ret': return '(ev.ret === undefined ? null : ev.ret)';
          case 'implicit':
            switch (e.name) {
              case 'pid': return 'ev.pid';
              case 'seq': return 'ev.seq';
              case 'comm': return '(ev.comm ?? null)';
              case 'cpu': return '(ev.cpu ?? null)';
              default: return '(ev.ts ?? null)';
            }
        }
        break;
      }
      case 'local': {
        if (params === undefined) return `(L[${e.slot}] ?? null)`;
        const p = params[e.slot];
        if (p === undefined) throw new Error(`internal: local ${e.slot} outside a def's parameters`);
        return p;
      }
      case 'state': {
        if (e.state === '$tasks') return this.fallback(e, params);
        const st = this.spec.states.get(e.state)!;
        if (st.type.k !== 'map' && st.type.k !== 'set' && st.type.k !== 'rel') return `${this.store(e.state)}.v`;
        return this.store(e.state);
      }
      case 'lookup': {
        if (e.keys.length === 1) return this.reused(e, `lk1(${this.store(e.state)}, ${x(e.keys[0]!)})`);
        if (e.keys.length === 2) return this.reused(e, `lk2(${this.store(e.state)}, ${x(e.keys[0]!)}, ${x(e.keys[1]!)})`);
        return this.fallback(e, params);
      }
      case 'member': {
        if (e.coll.k !== 'state' || e.coll.state === '$tasks') return this.fallback(e, params);
        const st = this.spec.states.get(e.coll.state)!;
        const s = this.store(e.coll.state);
        if (st.type.k === 'rel') return e.elem.length === 2 ? this.reused(e, `relHas(${s}, ${x(e.elem[0]!)}, ${x(e.elem[1]!)})`) : this.fallback(e, params);
        if (e.elem.length === 1) return this.reused(e, `has1(${s}, ${x(e.elem[0]!)})`);
        if (e.elem.length === 2) return this.reused(e, `has2(${s}, ${x(e.elem[0]!)}, ${x(e.elem[1]!)})`);
        return this.fallback(e, params);
      }
      case 'bin': {
        const a = x(e.left), b = x(e.right);
        switch (e.op) {
          case 'and': return `(!!${a} && !!${b})`;
          case 'or': return `(!!${a} || !!${b})`;
          case 'implies': return `(!${a} || !!${b})`;
          case '==': return `(${a} === ${b})`;
          case '!=': return `(${a} !== ${b})`;
          case '<': return `(num(${a}) < num(${b}))`;
          case '<=': return `(num(${a}) <= num(${b}))`;
          case '>': return `(num(${a}) > num(${b}))`;
          case '>=': return `(num(${a}) >= num(${b}))`;
          case '+': return `add(${a}, ${b})`;
          case '-': return `sub(${a}, ${b})`;
          case '*': return `mul(${a}, ${b})`;
          case '/': return `div(${a}, ${b})`;
          case '%': return `mod(${a}, ${b})`;
          case '&': return `and(${a}, ${b})`;
          case 'concat': return `concat(${a}, ${b})`;
          default: return this.fallback(e, params);
        }
      }
      case 'not': return `(!${x(e.operand)})`;
      case 'neg': return `neg(${x(e.operand)})`;
      case 'cond': return `(${x(e.cond)} ? ${x(e.then)} : ${x(e.otherwise)})`;
      case 'old': return params === undefined ? `(O === undefined ? null : (O[${e.index}] ?? null))` : this.fallback(e, params);
      case 'builtin': {
        if (e.builtin.kind !== 'value') return this.fallback(e, params);
        const f = this.konst(e.builtin.impl);
        return `${f}(${[...e.args.map(x), 'env'].join(', ')})`;
      }
      case 'defcall': {
        const fn = this.apart(() => this.def(e.def));
        if (fn === null) return this.fallback(e, params);
        return this.reused(e, `${fn}(env${e.args.map((a) => ', ' + x(a)).join('')})`);
      }
      case 'template': {
        const parts = e.parts.map((p) => (typeof p === 'string' ? JSON.stringify(p) : `fmt(${x(p)})`));
        return `(""${parts.map((p) => ' + ' + p).join('')})`;
      }
      case 'quant': {
        if (params !== undefined) break;
        // As the closure: the first element the filter admits whose body decides (false for
        // forall, true for exists and no) ends the walk; each element is a budget step.
        // (its filter and body one stretch per element, in a function of its own)
        const each = this.apart(() => this.reusing(NOTHING_WRITTEN, () => {
          const filter = e.filter ? this.expr(e.filter, undefined) : 'true';
          const body = this.expr(e.body, undefined);
          const decides = e.q === 'forall' ? `!(${body})` : `(${body})`;
          return `if (${filter}) { if (${decides}) return ${e.q === 'exists'}; }`;
        }));
        const loop = this.apart(() => this.indexLoop(e.domain, e.slots, each.declare ? `{ ${each.declare} ${each.code} }` : each.code));
        if (loop === undefined) break;
        const fn = `quant${this.quantCount++}`;
        this.fns.push(`function ${fn}(env) {\n${PROLOGUE}\n  ${loop}\n  return ${e.q !== 'exists'};\n}`);
        return `${fn}(env)`;
      }
      default: break;
    }
    // Binders, sets, tuples, past-time operators, path searches: the closure, in a rule or invariant only.
    return this.fallback(e, params);
  }

  /**
   * The generated function of a def (`def3(env, p0, p1)`), or null when its body needs a closure
   * (a binder, a path search: they bind locals of their own) or it calls itself.
   */
  private def(name: string): string | null {
    const known = this.defs.get(name);
    if (known !== undefined) return known;
    if (this.defBusy.has(name)) return null;
    const def = this.spec.defs.get(name)!;
    this.defBusy.add(name);
    let body: string | null;
    const params = def.params.map((_, i) => `p${i}`);
    try { body = this.expr(def.body, params); } catch (err) { if (!(err instanceof NotGenerated)) throw err; body = null; }
    this.defBusy.delete(name);
    if (body === null) { this.defs.set(name, null); return null; }
    const fn = `def${this.defs.size}`;
    const sig = `env${params.map((p) => ', ' + p).join('')}`;
    if (params.length < 1 || params.length > 2 || !buildsString(def.body) || !this.pure(def.body, new Set([name]))) {
      this.fns.push(`function ${fn}(${sig}) {\n${DEF_PROLOGUE}\n  return ${body};\n}`);
      this.defs.set(name, fn);
      return fn;
    }
    // A def of its parameters alone (`res_il(dir, name)`: "in-lookup " + dir + "/" + name) is
    // called with the same strings many times per event: its result is remembered, so each call
    // gives the one string already made (hashed once as a store key) instead of a new one.
    const memo = this.konst(params.length === 1 ? new Memo1() : new Memo2());
    const strings = params.map((p) => `typeof ${p} === "string"`).join(' && ');
    this.fns.push(`function ${fn}_(${sig}) {\n${DEF_PROLOGUE}\n  return ${body};\n}`);
    this.fns.push(`function ${fn}(${sig}) {\n  if (!(${strings})) return ${fn}_(${sig});\n`
      + `  let v = ${memo}.get(${params.join(', ')});\n  if (v === undefined) v = ${memo}.set(${params.join(', ')}, ${fn}_(${sig}));\n  return v;\n}`);
    this.defs.set(name, fn);
    return fn;
  }

  /**
   * A binder over a keyed store narrowed to an index (`(u, l) in held where u == pid`) as a plain
   * loop running `each` at every element, as compileDomain's closure does it: the indexed value
   * computed once, a budget step and the slots bound per element, in the index's order. No
   * reads are recorded (generated code never runs while an explanation records them).
   * Undefined for other domains (the closure is called).
   */
  private indexLoop(d: DomainIR, slots: number[], each: string): string | undefined {
    if (d.k !== 'state') return undefined;
    const st = this.spec.states.get(d.state)!;
    const arity = st.type.k === 'map' ? st.type.keys.length : st.type.k === 'set' ? st.type.elem.length : 0;
    if (arity < 1 || arity > 2 || slots.length !== arity) return undefined;
    const bind = slots.map((sl, i) => (i === 0 ? `L[${sl}] = e.k0;` : `L[${sl}] = e.k1 === undefined ? null : e.k1;`)).join(' ');
    if (d.index !== null) {
      // A loop over the collection `where` would walk, of the one kind it is at this store and
      // position: a loop over `where`'s iterable takes each element through the generic protocol.
      const store = this.store(d.state);
      const value = this.expr(d.index.value, undefined);
      const visit = `spend(env.rt); ${bind} ${each}`;
      const pos = d.index.pos;
      if (pos === 0 && arity === 1) return `{ const e = entry1(${store}, ${value}); if (e !== undefined) { ${visit} } }`;
      if (pos === 0) return `{ const lv = under(${store}, ${value}); if (lv !== undefined) for (const e of lv.values()) { ${visit} } }`;
      if (st.indexed.has(pos)) return `{ const b = bucket(${store}, ${pos}, ${value}); if (b !== undefined) for (const e of b) { ${visit} } }`;
      return `for (const e of where(${store}, ${pos}, ${value})) { ${visit} }`;
    }
    // The whole store, level by level in the order of its forEachEntry (what the closure walks),
    // with no closure made per run: `for (a, b) in new_edges { remove ... }` runs at every lock request.
    const top = `${this.store(d.state)}.topLevel()`;
    if (arity === 1) return `for (const e of entries1(${top})) { spend(env.rt); ${bind} ${each} }`;
    return `for (const level of levels2(${top})) for (const e of level.values()) { spend(env.rt); ${bind} ${each} }`;
  }

  /**
   * Whether `e` depends on nothing but its def's parameters: no event field, state, builtin (a
   * builtin reads the environment) or binder, and calls only defs of the same kind. For the same
   * strings it gives the same value, which is all the memo of `def` relies on.
   */
  private pure(e: TExpr, busy: Set<string>): boolean {
    switch (e.k) {
      case 'lit': case 'local': return true;
      case 'bin': return e.op !== 'union' && this.pure(e.left, busy) && this.pure(e.right, busy);
      case 'not': case 'neg': return this.pure(e.operand, busy);
      case 'cond': return this.pure(e.cond, busy) && this.pure(e.then, busy) && this.pure(e.otherwise, busy);
      case 'template': return e.parts.every((p) => typeof p === 'string' || this.pure(p, busy));
      case 'defcall': {
        if (busy.has(e.def)) return false;
        const def = this.spec.defs.get(e.def)!;
        busy.add(e.def);
        const ok = this.pure(def.body, busy) && e.args.every((a) => this.pure(a, busy));
        busy.delete(e.def);
        return ok;
      }
      default: return false;
    }
  }

  private stmt(s: TStmt, indent: string): string {
    const x = (e: TExpr): string => this.expr(e, undefined);
    switch (s.k) {
      case 'assign': {
        if (s.keys.length === 0) return `${indent}setCell(R, ${this.storeAt(s.state)}, ${x(s.value)}, ev);`;
        if (s.keys.length === 1) return `${indent}asg1(R, ${this.storeAt(s.state)}, ${x(s.value)}, ${x(s.keys[0]!)}, ev);`;
        if (s.keys.length === 2) return `${indent}asg2(R, ${this.storeAt(s.state)}, ${x(s.value)}, ${x(s.keys[0]!)}, ${x(s.keys[1]!)}, ev);`;
        return this.fallbackStmt(s, indent);
      }
      case 'delete': {
        if (s.keys.length === 1) return `${indent}del1(R, ${this.storeAt(s.state)}, ${x(s.keys[0]!)}, ev);`;
        if (s.keys.length === 2) return `${indent}del2(R, ${this.storeAt(s.state)}, ${x(s.keys[0]!)}, ${x(s.keys[1]!)}, ev);`;
        return this.fallbackStmt(s, indent);
      }
      case 'add': case 'remove': {
        const kind = this.spec.states.get(s.state)!.type.k;
        const st = `R, ${this.storeAt(s.state)}`;
        const adding = s.k === 'add';
        if (kind === 'rel') {
          if (s.value.length !== 2) return this.fallbackStmt(s, indent);
          const [a, b] = [x(s.value[0]!), x(s.value[1]!)];
          // An untrusted task's edges are not added, and their ends not even evaluated (as the closure).
          return adding ? `${indent}if (!env.rt.untrusted) relAdd(${st}, ${a}, ${b}, ev);` : `${indent}relRemove(${st}, ${a}, ${b});`;
        }
        if (s.value.length === 1) return adding ? `${indent}add1(${st}, ${x(s.value[0]!)}, ev);` : `${indent}del1(${st}, ${x(s.value[0]!)}, ev);`;
        if (s.value.length === 2) {
          const [a, b] = [x(s.value[0]!), x(s.value[1]!)];
          return adding ? `${indent}add2(${st}, ${a}, ${b}, ev);` : `${indent}del2(${st}, ${a}, ${b}, ev);`;
        }
        return this.fallbackStmt(s, indent);
      }
      case 'if': {
        const inner = indent + '  ';
        const then = s.then.map((t) => this.stmt(t, inner)).join('\n');
        const otherwise = s.otherwise.map((t) => this.stmt(t, inner)).join('\n');
        return `${indent}if (${x(s.cond)}) {\n${then}\n${indent}}${otherwise ? ` else {\n${otherwise}\n${indent}}` : ''}`;
      }
      case 'for': {
        // As the closure: the rows (each binding of the slots the filter admits) are collected
        // first, since the body may change the state iterated, then the body runs on each. The
        // rows array is the node's own (a for statement is never re-entered while it runs).
        const rows = this.konst([]);
        const n = s.slots.length;
        const save = s.slots.map((sl) => `${rows}[m++] = L[${sl}] ?? null;`).join(' ');
        const bind = s.slots.map((sl, i) => `L[${sl}] = ${rows}[r + ${i}];`).join(' ');
        // The filter is a stretch of its own at each element, the body at each row.
        const filter = s.filter ? this.reusing(NOTHING_WRITTEN, () => x(s.filter!)) : undefined;
        const collect = filter === undefined ? save
          : filter.declare ? `{ ${filter.declare} if (${filter.code}) { ${save} } }` : `if (${filter.code}) { ${save} }`;
        const inner = indent + '  ';
        const body = this.reusing(writtenBy(s.body), () => s.body.map((t) => this.stmt(t, inner + '  ')).join('\n'));
        const walk = this.indexLoop(s.domain, s.slots, collect)
          ?? `${this.konst(compileDomain(s.domain, s.slots, this.ctx))}(env, () => { ${collect} return true; });`;
        return `${indent}{\n${inner}let m = 0;\n${inner}${walk}\n`
          + `${inner}for (let r = 0; r < m; r += ${n}) {\n${inner}  ${bind}${body.declare ? ' ' + body.declare : ''}\n${body.code}\n${inner}}\n${indent}}`;
      }
    }
  }
}

/**
 * The values a stretch of generated code computes once: a lookup of a store the stretch never
 * writes, or a call of a def of its parameters alone, gives the same value each time it is
 * evaluated there with the same keys, so it is computed at its first use and then read from a
 * temporary. A rule that named `il_dir[d]` and `res_il(il_dir[d], il_name[d])` in five
 * statements looked each up five times.
 */
class Reuse {
  private readonly temps = new Map<string, string>();

  constructor(readonly written: ReadonlySet<string>, private readonly newTemp: () => string) {}

  /** The temporary of the value `code` computes (the same for the same code). */
  temp(code: string): string {
    let t = this.temps.get(code);
    if (t === undefined) { t = this.newTemp(); this.temps.set(code, t); }
    return t;
  }

  /** The declaration of the stretch's temporaries (each undefined until its first use), or ''. */
  declaration(): string {
    return this.temps.size === 0 ? '' : `let ${[...this.temps.values()].join(', ')};`;
  }
}

const NOTHING_WRITTEN: ReadonlySet<string> = new Set();

/** The stores the statements write, in any branch or loop. */
function writtenBy(stmts: readonly TStmt[], into = new Set<string>()): Set<string> {
  for (const s of stmts) {
    switch (s.k) {
      case 'if': writtenBy(s.then, into); writtenBy(s.otherwise, into); break;
      case 'for': writtenBy(s.body, into); break;
      default: into.add(s.state);
    }
  }
  return into;
}

/** Whether `e` joins strings (a new string at each evaluation): what a def's memo saves. A def that only picks among its parameters is cheaper to run again. */
function buildsString(e: TExpr): boolean {
  switch (e.k) {
    case 'bin': return e.op === 'concat' || buildsString(e.left) || buildsString(e.right);
    case 'template': return e.parts.some((p) => typeof p !== 'string');
    case 'cond': return buildsString(e.cond) || buildsString(e.then) || buildsString(e.otherwise);
    case 'not': case 'neg': return buildsString(e.operand);
    case 'defcall': return true;
    default: return false;
  }
}

/** How many results a def's memo keeps: past it the memo starts over (memory stays flat on any trace). */
const MEMO_ENTRIES = 4096;

/** The remembered results of a pure def of one string parameter. */
class Memo1 {
  // Emptied in place, never replaced: code that read a field V8 took as constant would be undone when it changed.
  private readonly m = new Map<string, Scalar>();

  get(a: string): Scalar | undefined {
    return this.m.get(a);
  }

  set(a: string, v: Scalar): Scalar {
    if (this.m.size >= MEMO_ENTRIES) this.m.clear();
    const kept = flat(v);
    this.m.set(a, kept);
    return kept;
  }
}

/** The remembered results of a pure def of two string parameters. */
class Memo2 {
  private readonly m = new Map<string, Map<string, Scalar>>();
  private size = 0;

  get(a: string, b: string): Scalar | undefined {
    const inner = this.m.get(a);
    return inner === undefined ? undefined : inner.get(b);
  }

  set(a: string, b: string, v: Scalar): Scalar {
    if (this.size >= MEMO_ENTRIES) { this.m.clear(); this.size = 0; }
    let inner = this.m.get(a);
    if (inner === undefined) { inner = new Map(); this.m.set(a, inner); }
    const kept = flat(v);
    inner.set(b, kept);
    this.size++;
    return kept;
  }
}

/** What each generated function reads first: the event, its call, the captures, locals, stores. */
const PROLOGUE = '  const ev = env.ev, A = ev.args, C = env.call, O = env.olds, L = env.locals, R = env.rt, S = R.stores;';
/** A def's: its locals are its parameters. */
const DEF_PROLOGUE = '  const ev = env.ev, A = ev.args, C = env.call, S = env.rt.stores;';

/** A def body that needs closures of its own (thrown while generating a def, caught there). */
class NotGenerated extends Error {}
