/**
 * Runtime state of a compiled spec: keyed maps and sets (with optional per-position indexes),
 * relations (directed graphs) and past-time tables. Every entry remembers the trace event that
 * last wrote it, and recent deletions are remembered too, so a violation can name the events
 * behind the state it read.
 */
import type { Scalar, TraceEvent } from '../trace/event.js';

export type Key = string | number | boolean;

/** Encodes a key tuple; single keys are used as they are. `undefined` when a key part is none. */
export function encodeKey(ks: readonly Scalar[]): Key | undefined {
  if (ks.length === 1) {
    const k = ks[0];
    return k === null || k === undefined ? undefined : k;
  }
  let s = '';
  for (let i = 0; i < ks.length; i++) {
    const k = ks[i];
    if (k === null || k === undefined) return undefined;
    s += i === 0 ? String(k) : '\u0001' + String(k);
  }
  return s;
}

export interface Entry {
  k: Scalar[];
  v: Scalar;
  /** The event that last wrote this entry. */
  prov: TraceEvent | undefined;
}

/** How many deletions per store are remembered for explanations. */
const TOMBSTONES = 1024;

/** A map (or, with value `true`, a set) keyed by tuples of scalars. */
export class KeyedStore {
  readonly entries = new Map<Key, Entry>();
  /** index[pos] maps a key part to the encoded keys having it. */
  readonly index: (Map<Key, Set<Key>> | undefined)[];
  readonly tombs = new Map<Key, TraceEvent>();

  constructor(readonly name: string, readonly arity: number, indexed: Iterable<number>) {
    this.index = new Array<Map<Key, Set<Key>> | undefined>(arity).fill(undefined);
    for (const p of indexed) this.index[p] = new Map();
  }

  get(ks: readonly Scalar[]): Entry | undefined {
    const key = encodeKey(ks);
    return key === undefined ? undefined : this.entries.get(key);
  }

  set(ks: Scalar[], v: Scalar, prov: TraceEvent | undefined): void {
    const key = encodeKey(ks);
    if (key === undefined) return;
    const e = this.entries.get(key);
    if (e) { e.v = v; e.prov = prov; return; }
    this.entries.set(key, { k: ks, v, prov });
    for (let p = 0; p < this.arity; p++) {
      const ix = this.index[p];
      if (!ix) continue;
      const part = ks[p] as Key;
      let bucket = ix.get(part);
      if (!bucket) { bucket = new Set(); ix.set(part, bucket); }
      bucket.add(key);
    }
  }

  delete(ks: readonly Scalar[], prov: TraceEvent | undefined): void {
    const key = encodeKey(ks);
    if (key === undefined) return;
    this.deleteKey(key, prov);
  }

  deleteKey(key: Key, prov: TraceEvent | undefined): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    for (let p = 0; p < this.arity; p++) {
      const ix = this.index[p];
      if (!ix) continue;
      const part = e.k[p] as Key;
      const bucket = ix.get(part);
      if (bucket) { bucket.delete(key); if (bucket.size === 0) ix.delete(part); }
    }
    if (prov) {
      if (this.tombs.size >= TOMBSTONES) this.tombs.delete(this.tombs.keys().next().value as Key);
      this.tombs.set(key, prov);
    }
  }

  /** Entries whose key part `pos` equals `part` (all entries when no index exists for pos). */
  *where(pos: number, part: Scalar): Iterable<Entry> {
    if (part === null) return;
    if (this.arity === 1) {
      const e = this.entries.get(part);
      if (e) yield e;
      return;
    }
    const ix = this.index[pos];
    if (ix) {
      const bucket = ix.get(part);
      if (!bucket) return;
      for (const key of [...bucket]) {
        const e = this.entries.get(key);
        if (e) yield e;
      }
      return;
    }
    for (const e of [...this.entries.values()]) if (e.k[pos] === part) yield e;
  }

  clone(): KeyedStore {
    const c = new KeyedStore(this.name, this.arity, []);
    for (let p = 0; p < this.arity; p++) if (this.index[p]) (c.index as (Map<Key, Set<Key>> | undefined)[])[p] = new Map([...this.index[p]!].map(([k, s]) => [k, new Set(s)]));
    for (const [k, e] of this.entries) c.entries.set(k, { k: e.k, v: e.v, prov: e.prov });
    return c;
  }
}

/** A directed graph over scalars; each edge remembers the event that added it. */
export class Relation {
  readonly succ = new Map<Key, Map<Key, { to: Scalar; prov: TraceEvent | undefined }>>();
  size = 0;

  constructor(readonly name: string) {}

  add(a: Scalar, b: Scalar, prov: TraceEvent | undefined): void {
    if (a === null || b === null) return;
    let m = this.succ.get(a);
    if (!m) { m = new Map(); this.succ.set(a, m); }
    if (!m.has(b)) { m.set(b, { to: b, prov }); this.size++; }
  }

  remove(a: Scalar, b: Scalar): void {
    if (a === null || b === null) return;
    const m = this.succ.get(a);
    if (m?.delete(b)) { this.size--; if (m.size === 0) this.succ.delete(a); }
  }

  has(a: Scalar, b: Scalar): boolean {
    return a !== null && b !== null && (this.succ.get(a)?.has(b) ?? false);
  }

  clone(): Relation {
    const c = new Relation(this.name);
    for (const [k, m] of this.succ) c.succ.set(k, new Map(m));
    c.size = this.size;
    return c;
  }
}

/** A computed set value (comprehension, literal, successors, def result). */
export class ValueSet {
  readonly items = new Map<Key, Scalar[]>();

  add(tuple: Scalar[]): void {
    const k = encodeKey(tuple);
    if (k !== undefined && !this.items.has(k)) this.items.set(k, tuple);
  }

  has(tuple: readonly Scalar[]): boolean {
    const k = encodeKey(tuple);
    return k !== undefined && this.items.has(k);
  }

  get size(): number {
    return this.items.size;
  }
}

/** The last event matching a past-time pattern, per key. */
export interface TemporalEntry {
  idx: number;
  ev: TraceEvent;
  /** The previous match's index, for `previously` evaluated after the current event matched. */
  prevIdx: number;
}

export class TemporalStore {
  readonly last = new Map<Key, TemporalEntry>();

  record(key: Key | undefined, idx: number, ev: TraceEvent): void {
    if (key === undefined) return;
    const e = this.last.get(key);
    if (e) { e.prevIdx = e.idx; e.idx = idx; e.ev = ev; } else this.last.set(key, { idx, ev, prevIdx: -1 });
  }

  clone(): TemporalStore {
    const c = new TemporalStore();
    for (const [k, e] of this.last) c.last.set(k, { ...e });
    return c;
  }
}
