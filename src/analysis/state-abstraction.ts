/**
 * Which parts of a monitor's state exploration may abstract when it decides whether two states
 * are one, found from the compiled spec alone (never from the names of its variables), so that
 * states the spec cannot tell apart by any continuation are explored once:
 *
 * - **sequence stores**: maps whose values are event sequence numbers (`m[k] := seq`, or another
 *   such map's value) and are read only in order comparisons (`<`, `<=`, `>`, `>=`, `==`, `!=`)
 *   against another such value or the current event's `seq`. Every later event has a larger
 *   `seq` than any stored one, so two states whose stored numbers are in the same order (ranks)
 *   behave alike: the fingerprint holds ranks, not numbers. A stored number that reaches anything
 *   else (arithmetic, a constant, a def's argument, a message, an `old(...)` capture, a key, a
 *   binder over its values) keeps the map exact.
 * - **transient stores**: stores that every event reading them first empties (a rule without a
 *   guard whose first statement is `for (x, ...) in s { remove (x, ...) from s }`, or `delete`
 *   for a map, before any other rule of that event reads them), read by nothing that runs before
 *   the rules (`on` invariants, obligations, `old(...)` captures) or at every event (`always`
 *   invariants), nor by syncs or mappings: their contents between events are dead, and the
 *   fingerprint leaves them out. So are stores nothing reads at all.
 * - **past-time tables**: a table no `previously` reads matters by its entries and, for tables a
 *   `since` reads, by the order of their last matches among those tables only; whether an entry
 *   matched the event just before is kept for tables `previously` reads.
 *
 * A spec where none applies is fingerprinted exactly (`exact`).
 */
import type { DefIR, TExpr, TypedSpec } from './ir.js';
import { walk, type IrNode as Node } from './visit.js';

export interface StateAbstraction {
  /** Nothing to abstract: the exact fingerprint. */
  exact: boolean;
  /** Store names whose values are ranked (sequence stores). */
  seqStores: Set<string>;
  /** Store names left out (transient stores). */
  deadStores: Set<string>;
  /** Past-time tables a `previously` reads (their "matched at the event before" flag is kept). */
  previousTables: Set<number>;
  /** Past-time tables a `since` reads (the order of their last matches is kept among them). */
  orderedTables: Set<number>;
  /** Whether the spec reads the `tasks` domain (the tasks seen so far), which then belongs in every fingerprint. */
  usesTasks: boolean;
  /**
   * Whether the spec reads the current event's `seq` only to store it in a sequence store or to
   * compare it in order with such a store's value (or not at all): a step's outcome up to the
   * abstract fingerprint is then the same whatever the event's `seq` (every later event's is
   * larger than any stored), and exploration numbers its transitions without it.
   */
  seqOrderOnly: boolean;
}

const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const STMT_TARGETS = new Set(['assign', 'delete', 'add', 'remove']);


/** Every part of the spec a monitor runs, each with what it is (for the transient-store rules). */
function parts(spec: TypedSpec): { what: string; node: unknown }[] {
  const out: { what: string; node: unknown }[] = [];
  for (const d of spec.defs.values()) out.push({ what: 'def', node: d.body });
  for (const r of spec.rules) out.push({ what: 'rule', node: r });
  for (const i of spec.invariants) out.push({ what: 'invariant', node: i });
  for (const o of spec.obligations) out.push({ what: 'obligation', node: o });
  for (const s of spec.syncs) out.push({ what: 'sync', node: s });
  for (const m of spec.mappings) out.push({ what: 'mapping', node: m });
  for (const c of spec.captures.values()) out.push({ what: 'capture', node: c.exprs });
  return out;
}

/** Abstractions found before the spec was loaded (a spec product's, made by the build), by spec. */
const recorded = new WeakMap<TypedSpec, StateAbstraction>();

/** Records `a` as what `findStateAbstraction(spec)` gives (spec-product.ts: the build found it on the same spec). */
export function recordStateAbstraction(spec: TypedSpec, a: StateAbstraction): void {
  recorded.set(spec, a);
}

/** The abstraction recorded for `spec`, if any. */
export function recordedStateAbstraction(spec: TypedSpec): StateAbstraction | undefined {
  return recorded.get(spec);
}

/** The state abstraction of `spec`: the one recorded for it, else found. */
export function stateAbstraction(spec: TypedSpec): StateAbstraction {
  return recorded.get(spec) ?? findStateAbstraction(spec);
}

/** Finds the state abstraction of `spec` from its IR (see the module comment). */
export function findStateAbstraction(spec: TypedSpec): StateAbstraction {
  const seqStores = sequenceStores(spec);
  const deadStores = transientStores(spec);
  const previousTables = new Set<number>();
  const orderedTables = new Set<number>();
  let usesTasks = false;
  for (const p of parts(spec)) {
    walk(p.node, (n) => {
      if (n.k === 'tasks' || (n.k === 'state' && n.state === '$tasks')) usesTasks = true;
      if (n.k === 'previously') previousTables.add(n.table as number);
      if (n.k === 'since') {
        orderedTables.add((n.anchor as { table: number }).table);
        for (const b of n.blockers as { table: number }[]) orderedTables.add(b.table);
      }
    });
  }
  // The exact temporal part keeps the flag and the order of every table.
  const temporalExact = spec.temporal.every((t) => previousTables.has(t.id) && orderedTables.has(t.id));
  return {
    exact: seqStores.size === 0 && deadStores.size === 0 && temporalExact, seqStores, deadStores, previousTables, orderedTables, usesTasks,
    seqOrderOnly: readsSeqInOrderOnly(spec, seqStores),
  };
}

/** Whether every read of the current event's `seq` is stored in a sequence store or compared in order with one's value (see `seqOrderOnly`). */
function readsSeqInOrderOnly(spec: TypedSpec, seqStores: Set<string>): boolean {
  // A past-time pattern that names `seq` (`once acq(seq: 3)`) keys its table by event numbers,
  // which the fingerprints keep as they are: a monitor reused from another path would answer it
  // with that path's numbering.
  if (spec.temporal.some((t) => t.fields.includes('seq'))) return false;
  const isSeqLookup = (e: unknown): boolean => {
    const x = e as Node | undefined;
    return x !== undefined && x !== null && x.k === 'lookup' && seqStores.has(x.state as string);
  };
  let ok = true;
  for (const p of parts(spec)) {
    walk(p.node, (n, parent) => {
      if (!ok || n.k !== 'field' || n.name !== 'seq' || n.from !== 'implicit') return;
      if (parent !== undefined && parent.k === 'assign' && parent.value === n && seqStores.has(parent.state as string)) return;
      const other = parent?.left === n ? parent.right : parent?.left;
      if (parent !== undefined && parent.k === 'bin' && COMPARISONS.has(parent.op as string) && isSeqLookup(other)) return;
      ok = false;
    });
  }
  return ok;
}

/** Maps whose values are event sequence numbers read only in order comparisons (see the module comment). */
function sequenceStores(spec: TypedSpec): Set<string> {
  const cands = new Set<string>();
  const keyCount = new Map<string, number>();
  for (const st of spec.states.values()) {
    if (st.type.k === 'map' && st.type.value.k === 'int') { cands.add(st.name); keyCount.set(st.name, st.type.keys.length); }
  }
  const isSeq = (e: unknown): boolean => {
    const x = e as Node | undefined;
    if (!x) return false;
    if (x.k === 'field') return x.name === 'seq' && x.from === 'implicit';
    return x.k === 'lookup' && cands.has(x.state as string);
  };
  // Every node that names a candidate, with its parent, found in one walk: each round below looks only at these.
  const uses: { n: Node; parent: Node | undefined }[] = [];
  for (const p of parts(spec)) {
    walk(p.node, (n, parent) => {
      const s = n.state;
      if (typeof s === 'string' && cands.has(s)) uses.push({ n, parent });
    });
  }
  // Drop the maps some use disqualifies until none is left to drop (a map is a sequence map only if what it is compared with is one).
  for (let changed = true; changed;) {
    changed = false;
    const bad = new Set<string>();
    for (const { n, parent } of uses) {
      const s = n.state as string;
      if (!cands.has(s)) continue;
      if (n.k === 'lookup') {
        const ok = parent !== undefined && parent.k === 'bin' && COMPARISONS.has(parent.op as string)
          && isSeq(parent.left === n ? parent.right : parent.left);
        if (!ok) bad.add(s);
        continue;
      }
      if (n.k === 'assign') { if (!isSeq(n.value)) bad.add(s); continue; }
      if (n.k === 'delete') continue;
      // The whole map: only a key membership test (`k in m`) reads no value.
      if (n.k === 'state' && parent !== undefined && parent.k === 'member' && parent.coll === n) continue;
      // A binder over the map's keys alone (as many slots as key positions) reads no value either.
      if (n.k === 'state' && parent !== undefined && parent.domain === n && Array.isArray(parent.slots) && parent.slots.length === keyCount.get(s)) continue;
      bad.add(s);
    }
    for (const s of bad) { cands.delete(s); changed = true; }
  }
  return cands;
}

/** The stores an expression or statement reads, through the defs it calls (`defReads` memoises them). */
function readsOf(node: unknown, spec: TypedSpec, defReads: Map<string, Set<string>>): Set<string> {
  const out = new Set<string>();
  walk(node, (n) => {
    if (n.k === 'defcall') {
      for (const s of defStores(n.def as string, spec, defReads)) out.add(s);
      return;
    }
    // A graph builtin names its successor def by a string (`reaches(blockers, a, b)`): any string naming a def counts as a call.
    if (n.k === 'lit' && typeof n.value === 'string' && spec.defs.has(n.value)) {
      for (const s of defStores(n.value, spec, defReads)) out.add(s);
      return;
    }
    if (typeof n.state === 'string' && !STMT_TARGETS.has(n.k as string)) out.add(n.state);
  });
  return out;
}

function defStores(name: string, spec: TypedSpec, defReads: Map<string, Set<string>>): Set<string> {
  let r = defReads.get(name);
  if (r) return r;
  // A recursive def reads what its body reads: the empty set stands while it is walked.
  r = new Set<string>();
  defReads.set(name, r);
  const def: DefIR | undefined = spec.defs.get(name);
  if (def) for (const s of readsOf(def.body, spec, defReads)) r.add(s);
  return r;
}

/** Whether the statement empties store `s` whole: `for (x, ...) in s { remove (x, ...) from s }` (or `delete s[x, ...]` for a map). */
function clears(stmt: Node, s: string): boolean {
  if (stmt.k !== 'for' || stmt.filter !== null) return false;
  const d = stmt.domain as Node;
  if (d.k !== 'state' || d.state !== s || d.index !== null) return false;
  const body = stmt.body as Node[];
  if (body.length !== 1) return false;
  const b = body[0]!;
  const slots = stmt.slots as number[];
  const items = (b.k === 'remove' ? b.value : b.k === 'delete' ? b.keys : undefined) as TExpr[] | undefined;
  if (b.state !== s || items === undefined || items.length !== slots.length) return false;
  return items.every((e, i) => e.k === 'local' && e.slot === slots[i]);
}

function transientStores(spec: TypedSpec): Set<string> {
  const defReads = new Map<string, Set<string>>();
  // What a rule or invariant reads, walked once however many stores ask (a walk's result depends
  // only on the finished def entries of `defReads`, so a second walk would find the same).
  const readsMemo = new Map<unknown, Set<string>>();
  const reads = (node: unknown): Set<string> => {
    let r = readsMemo.get(node);
    if (r === undefined) { r = readsOf(node, spec, defReads); readsMemo.set(node, r); }
    return r;
  };
  const restReads = new Map<unknown, Set<string>>();
  const readsAfterFirst = (r: TypedSpec['rules'][number]): Set<string> => {
    let x = restReads.get(r);
    if (x === undefined) { x = readsOf(r.body.slice(1), spec, defReads); restReads.set(r, x); }
    return x;
  };
  const key = (t: { phase: string; name: string }): string => `${t.phase} ${t.name}`;
  // Read before the rules of an event, at every event, or outside the rules' order: never transient.
  const pinned = new Set<string>();
  for (const i of spec.invariants) if (i.when !== 'after') for (const s of readsOf(i, spec, defReads)) pinned.add(s);
  for (const o of spec.obligations) for (const s of readsOf(o, spec, defReads)) pinned.add(s);
  for (const y of spec.syncs) for (const s of readsOf(y, spec, defReads)) pinned.add(s);
  for (const m of spec.mappings) for (const s of readsOf(m, spec, defReads)) pinned.add(s);
  for (const c of spec.captures.values()) for (const s of readsOf(c.exprs, spec, defReads)) pinned.add(s);
  const out = new Set<string>();
  for (const st of spec.states.values()) {
    const s = st.name;
    if (pinned.has(s) || (st.type.k !== 'set' && st.type.k !== 'map')) continue;
    // Per event: whether a rule empties the store before any rule reads it; then which events read it.
    const cleared = new Map<string, boolean>();
    let ok = true;
    for (const r of spec.rules) {
      const first = r.body[0] as unknown as Node | undefined;
      const empties = r.guard === null && first !== undefined && clears(first, s);
      const readsIt = (empties ? readsAfterFirst(r) : reads(r)).has(s);
      for (const t of r.triggers) {
        const k = key(t);
        if (!cleared.has(k)) {
          if (empties) cleared.set(k, true);
          else if (readsIt) { ok = false; break; }
        }
      }
      if (!ok) break;
    }
    if (!ok) continue;
    for (const i of spec.invariants) {
      if (i.when !== 'after' || !reads(i).has(s)) continue;
      if (!i.triggers.every((t) => cleared.get(key(t)) === true)) { ok = false; break; }
    }
    if (ok) out.add(s);
  }
  return out;
}
