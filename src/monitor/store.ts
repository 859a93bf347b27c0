/**
 * Runtime state of a compiled spec: keyed maps and sets (with optional per-position indexes),
 * relations (directed graphs) and past-time tables. Every entry remembers the trace event that
 * last wrote it, and recent deletions are remembered too, so a violation can name the events
 * behind the state it read.
 */
import type { Scalar, TraceEvent } from '../values/event.js';
import { copyMap, copySet } from '../values/copy.js';

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

/**
 * One entry of a keyed store. Its key parts are fields, not an array: a store of a long trace holds
 * hundreds of thousands of entries, and an array per entry (its object and its elements) would
 * double each one's size. `key()` builds the tuple when a caller needs one (explanations, clones).
 * Keys of three parts or more are a `LongEntry`, so that the common entry has no field for them.
 */
export class Entry {
  constructor(
    /** Key part 0. */
    readonly k0: Key,
    /** Key part 1; undefined for a key of one part. */
    readonly k1: Key | undefined,
    public v: Scalar,
    /** The event that last wrote this entry (or, once deleted, the event that deleted it). */
    public prov: TraceEvent | undefined,
  ) {}

  /** Key part `i` (none past the key's end). */
  part(i: number): Scalar {
    if (i === 0) return this.k0;
    if (i === 1) return this.k1 ?? null;
    return this.tail()[i - 2] ?? null;
  }

  /** Key parts 2 and on. */
  tail(): readonly Key[] {
    return NO_KEYS;
  }

  /** The key as a tuple (a new array). */
  key(): Scalar[] {
    return this.k1 === undefined ? [this.k0] : [this.k0, this.k1, ...this.tail()];
  }

  /** Whether the key is the tuple `ks`. */
  keyIs(ks: readonly Scalar[]): boolean {
    const n = this.k1 === undefined ? 1 : 2 + this.tail().length;
    if (ks.length !== n) return false;
    for (let i = 0; i < n; i++) if (this.part(i) !== ks[i]) return false;
    return true;
  }
}

const NO_KEYS: readonly Key[] = [];

class LongEntry extends Entry {
  constructor(k0: Key, k1: Key, private readonly rest: readonly Key[], v: Scalar, prov: TraceEvent | undefined) {
    super(k0, k1, v, prov);
  }

  override tail(): readonly Key[] {
    return this.rest;
  }
}

/**
 * A string made by concatenation (`"in-lookup " + dir + "/" + name`) is a tree of its pieces until
 * something reads its characters, and hashing it as a map key does not flatten it. A stored key
 * or value lives as long as its entry, so it is flattened once, when stored: reading one
 * character makes V8 replace the tree by the flat text, about half the size of a three-piece tree.
 * The same text is often stored twice at one event (a lock-order edge and the node list of its
 * directory each build `res_il(dir, name)`): a small cache of recently stored texts hands back the
 * copy already stored, so both hold one string. Only texts of 13 characters or more go through
 * it: V8 copies shorter concatenations flat, and trace strings come from the reader's own cache.
 */
export function flat<T extends Scalar>(x: T): T {
  if (typeof x !== 'string' || x.length < 13) return x;
  const seen = recentTexts.get(x);
  if (seen !== undefined) return seen as T;
  x.charCodeAt(0);
  if (recentTexts.size >= RECENT_TEXTS) recentTexts.clear();
  recentTexts.set(x, x);
  return x;
}

/** How many stored texts `flat` remembers (then it starts over: a bounded, not a growing, table). */
const RECENT_TEXTS = 4096;
const recentTexts = new Map<string, string>();

function newEntry(ks: readonly Scalar[], v: Scalar, prov: TraceEvent | undefined): Entry {
  const n = ks.length;
  if (n === 1) return new Entry(flat(ks[0]!) as Key, undefined, flat(v), prov);
  if (n === 2) return new Entry(flat(ks[0]!) as Key, flat(ks[1]!) as Key, flat(v), prov);
  return new LongEntry(flat(ks[0]!) as Key, flat(ks[1]!) as Key, ks.slice(2).map((k) => flat(k)) as Key[], flat(v), prov);
}

/** How many emptied levels and index buckets a store keeps for reuse. */
const SPARES = 16;

/** How many deletions per store are remembered for explanations. */
const TOMBSTONES = 1024;

type Level = Map<Key, Level | Entry>;

const NOTHING: readonly Entry[] = [];

const NO_INDEX: (Map<Key, Set<Entry>> | undefined)[][] = [];
const NO_POSITIONS: readonly number[] = [];
function noIndex(arity: number): (Map<Key, Set<Entry>> | undefined)[] {
  return (NO_INDEX[arity] ??= new Array<Map<Key, Set<Entry>> | undefined>(arity).fill(undefined));
}

/** The root of every store that never held an entry; never written (`set` replaces it first). */
const EMPTY_LEVEL: Level = new Map();

/**
 * A map (or, with value `true`, a set) keyed by tuples of scalars. Stored as nested maps, one
 * level per key part, so lookups never build composite keys; position 0 is indexed for free and
 * other positions on request.
 */
export class KeyedStore {
  /** EMPTY_LEVEL until the first entry: exploration clones monitors whose stores are mostly empty. */
  private root: Level = EMPTY_LEVEL;
  size = 0;
  /** Whether the store ever held an entry: a quantifier over a store that never did checked nothing. */
  everUsed = false;
  /** index[pos] (pos >= 1) maps a key part to the entries having it. */
  readonly index: (Map<Key, Set<Entry>> | undefined)[];
  /** Recent deletions (the deleted entries, `prov` = the deleting event), a fixed ring. */
  private ring: (Entry | undefined)[] | undefined;
  private ringAt = 0;
  /** Allocated on first use, like `root`: a cloned monitor's stores mostly stay empty. */
  private spareLevels: Level[] | undefined;
  /** The key each spare level still holds (see `spare`), undefined for one that holds none. */
  private spareLeft: (Key | undefined)[] | undefined;
  private spareBuckets: Set<Entry>[] | undefined;
  /** The entry each spare bucket still holds, as `spareLeft`. */
  private spareBucketLeft: (Entry | undefined)[] | undefined;

  /** The indexed key positions, in order (a clone keeps the same). */
  private readonly positions: readonly number[];

  constructor(readonly name: string, readonly arity: number, indexed: Iterable<number>) {
    let index: (Map<Key, Set<Entry>> | undefined)[] | undefined;
    let positions: number[] | undefined;
    for (const p of indexed) {
      if (p <= 0) continue;
      index ??= new Array<Map<Key, Set<Entry>> | undefined>(arity).fill(undefined);
      if (index[p] === undefined) (positions ??= []).push(p);
      index[p] = new Map();
    }
    this.positions = positions === undefined ? NO_POSITIONS : positions.sort((a, b) => a - b);
    // A store without indexes shares its arity's array of none (never written).
    this.index = index ?? noIndex(arity);
  }

  /** Lookup by one or two key parts without building a tuple (the hot path). */
  get1(k: Scalar): Entry | undefined {
    return k === null ? undefined : (this.root.get(k) as Entry | undefined);
  }

  get2(a: Scalar, b: Scalar): Entry | undefined {
    if (a === null || b === null) return undefined;
    const m = this.root.get(a) as Level | undefined;
    return m === undefined ? undefined : (m.get(b) as Entry | undefined);
  }

  get(ks: readonly Scalar[]): Entry | undefined {
    if (ks.length === 1) return this.get1(ks[0] ?? null);
    if (ks.length === 2) return this.get2(ks[0] ?? null, ks[1] ?? null);
    let m: Level | Entry | undefined = this.root;
    for (const k of ks) {
      if (k === null || m === undefined) return undefined;
      m = (m as Level).get(k);
    }
    return m as Entry | undefined;
  }

  set(ks: Scalar[], v: Scalar, prov: TraceEvent | undefined): void {
    if (ks.length === 1) { this.set1(ks[0] ?? null, v, prov); return; }
    if (ks.length === 2) { this.set2(ks[0] ?? null, ks[1] ?? null, v, prov); return; }
    if (this.root === EMPTY_LEVEL) this.root = new Map();
    let m = this.root;
    const last = ks.length - 1;
    for (let i = 0; i < last; i++) {
      const k = ks[i];
      if (k === null || k === undefined) return;
      let next = m.get(k) as Level | undefined;
      if (!next) { next = this.emptySpareLevel() ?? new Map(); m.set(flat(k), next); }
      m = next;
    }
    const k = ks[last];
    if (k === null || k === undefined) return;
    const e = m.get(k) as Entry | undefined;
    if (e) { e.v = v; e.prov = prov; return; }
    const entry = newEntry(ks, v, prov);
    m.set(entry.part(last) as Key, entry);
    this.size++;
    this.everUsed = true;
    for (let p = 1; p < this.arity; p++) this.addToIndex(p, entry);
  }

  /** Files a new entry under its key part `p` when the store keeps an index of that part. */
  private addToIndex(p: number, entry: Entry): void {
    const ix = this.index[p];
    if (!ix) return;
    const part = entry.part(p) as Key;
    let bucket = ix.get(part);
    if (bucket) { bucket.add(entry); return; }
    const spares = this.spareBuckets;
    if (spares === undefined || spares.length === 0) { bucket = new Set(); ix.set(part, bucket); bucket.add(entry); return; }
    bucket = spares.pop()!;
    const left = this.spareBucketLeft!.pop();
    ix.set(part, bucket);
    // The entry it still holds goes once the new one is in (see `spare`).
    bucket.add(entry);
    if (left !== undefined) bucket.delete(left);
  }

  /** A spare level emptied of the key it may still hold, or undefined when there is none. */
  private emptySpareLevel(): Level | undefined {
    const spares = this.spareLevels;
    if (spares === undefined || spares.length === 0) return undefined;
    const m = spares.pop()!;
    const left = this.spareLeft!.pop();
    if (left !== undefined) m.delete(left);
    return m;
  }

  /** `set([a], v, prov)` of a one-part store, without the tuple (generated code's writes). */
  set1(a: Scalar, v: Scalar, prov: TraceEvent | undefined): void {
    if (this.root === EMPTY_LEVEL) this.root = new Map();
    if (a === null || a === undefined) return;
    const e = this.root.get(a) as Entry | undefined;
    if (e) { e.v = v; e.prov = prov; return; }
    const entry = new Entry(flat(a) as Key, undefined, flat(v), prov);
    this.root.set(entry.k0, entry);
    this.size++;
    this.everUsed = true;
  }

  /**
   * `set([a, b], v, prov)` of a two-part store, without the tuple, step for step: the level of `a`
   * is made even when `b` is none (where it stands in the store's order is where `set` puts it).
   */
  set2(a: Scalar, b: Scalar, v: Scalar, prov: TraceEvent | undefined): void {
    if (this.root === EMPTY_LEVEL) this.root = new Map();
    if (a === null || a === undefined) return;
    let m = this.root.get(a) as Level | undefined;
    /** The key a spare level taken for `a` still holds (see `spare`): it goes once the new entry is in. */
    let left: Key | undefined;
    if (!m) {
      const spares = this.spareLevels;
      if (spares === undefined || spares.length === 0) m = new Map();
      else { m = spares.pop()!; left = this.spareLeft!.pop(); }
      this.root.set(flat(a), m);
    }
    if (b === null || b === undefined) { if (left !== undefined) m.delete(left); return; }
    if (left === undefined) {
      const e = m.get(b) as Entry | undefined;
      if (e) { e.v = v; e.prov = prov; return; }
    }
    const entry = new Entry(flat(a) as Key, flat(b) as Key, flat(v), prov);
    m.set(entry.k1!, entry);
    // (in the left-over's place when its key is the same)
    if (left !== undefined && !sameKey(left, entry.k1!)) m.delete(left);
    this.size++;
    this.everUsed = true;
    this.addToIndex(1, entry);
  }

  /** Deletes an entry of this store (one that `get`, `where` or iteration gave). */
  deleteEntry(e: Entry, prov: TraceEvent | undefined): void {
    if (e.k1 === undefined) {
      if (this.root.get(e.k0) !== e) return;
      this.root.delete(e.k0);
      this.removed(e, prov);
      return;
    }
    if (e.tail().length === 0) { this.take2(e.k0, e.k1, prov); return; }
    this.delete(e.key(), prov);
  }

  delete(ks: readonly Scalar[], prov: TraceEvent | undefined): void {
    if (ks.length === 2) { this.take2(ks[0] ?? null, ks[1] ?? null, prov); return; }
    const path: Level[] = [];
    let m = this.root;
    const last = ks.length - 1;
    for (let i = 0; i < last; i++) {
      const k = ks[i];
      if (k === null || k === undefined) return;
      const next = m.get(k) as Level | undefined;
      if (!next) return;
      path.push(m);
      m = next;
    }
    const k = ks[last];
    if (k === null || k === undefined) return;
    const e = m.get(k) as Entry | undefined;
    if (!e) return;
    m.delete(k);
    // Drop emptied levels so memory follows live entries.
    for (let i = path.length - 1; i >= 0 && m.size === 0; i--) {
      path[i]!.delete(ks[i] as Key);
      this.spare(m, undefined);
      m = path[i]!;
    }
    this.removed(e, prov);
  }

  /** `delete([a], prov)` of a one-part store, without the tuple, finding the entry once. */
  take1(a: Scalar | undefined, prov: TraceEvent | undefined): void {
    if (a === null || a === undefined) return;
    const e = this.root.get(a) as Entry | undefined;
    if (e === undefined) return;
    this.root.delete(a);
    this.removed(e, prov);
  }

  /** `delete([a, b], prov)` of a two-part store, without the tuple or the path array, finding the entry once. */
  take2(a: Scalar | undefined, b: Scalar | undefined, prov: TraceEvent | undefined): void {
    if (a === null || a === undefined || b === null || b === undefined) return;
    const m = this.root.get(a) as Level | undefined;
    if (!m) return;
    const e = m.get(b) as Entry | undefined;
    if (!e) return;
    if (m.size === 1) { this.root.delete(a); this.spare(m, e.k1); } else m.delete(b);
    this.removed(e, prov);
  }

  /**
   * Emptied levels and index buckets are kept for reuse (a few): a lock taken and released
   * empties and refills the same levels at every event, and new maps would be garbage each time.
   * A level whose last entry goes keeps that entry (`left`, its key) until it is filled again: V8
   * gives a Map emptied by `delete` a new table (a call into the runtime and an allocation each
   * time), while one whose last key goes after a new one came in keeps its table.
   */
  private spare(m: Level, left: Key | undefined): void {
    this.spareLevels ??= [];
    this.spareLeft ??= [];
    if (this.spareLevels.length < SPARES) { this.spareLevels.push(m); this.spareLeft.push(left); }
  }

  /** Bookkeeping after entry `e` left the tree: size, indexes, tombstone. */
  private removed(e: Entry, prov: TraceEvent | undefined): void {
    this.size--;
    for (let p = 1; p < this.arity; p++) {
      const ix = this.index[p];
      if (!ix) continue;
      const part = e.part(p) as Key;
      const bucket = ix.get(part);
      if (bucket) {
        // The last entry stays in the emptied bucket until it is filled again, as a level's (see `spare`).
        if (bucket.size !== 1 || !bucket.has(e)) { bucket.delete(e); continue; }
        ix.delete(part);
        this.spareBuckets ??= [];
        this.spareBucketLeft ??= [];
        if (this.spareBuckets.length < SPARES) { this.spareBuckets.push(bucket); this.spareBucketLeft.push(e); }
      }
    }
    if (prov) {
      e.prov = prov;
      // Grown as deletions come, up to TOMBSTONES: exploration clones stores by the thousand, each deleting a few entries.
      // One store for both the growing ring and the full one (ringAt is its length until it is
      // full): a branch first taken at the 1,025th deletion would undo the optimized code then.
      this.ring ??= [];
      this.ring[this.ringAt] = e;
      this.ringAt = (this.ringAt + 1) % TOMBSTONES;
    }
  }

  /** The event that most recently deleted the entry `ks`, if still remembered. */
  deletedBy(ks: readonly Scalar[]): TraceEvent | undefined {
    if (!this.ring) return undefined;
    for (let i = 1; i <= this.ring.length; i++) {
      const e = this.ring[(this.ringAt - i + TOMBSTONES) % TOMBSTONES];
      if (!e) return undefined;
      if (e.keyIs(ks)) return this.get(ks) ? undefined : e.prov;
    }
    return undefined;
  }

  /** Calls `each` with the event of every deletion still remembered (see `deletedBy`). */
  forEachDeletion(each: (ev: TraceEvent | undefined) => void): void {
    if (this.ring) for (const e of this.ring) if (e !== undefined) each(e.prov);
  }

  /** Every entry. */
  *entries(): Generator<Entry> {
    if (this.arity === 1) { yield* this.root.values() as Iterable<Entry>; return; }
    yield* walk(this.root, this.arity - 1);
  }

  /**
   * The first level of the tree: entries by key for a one-part key, maps of entries by the second
   * part for a two-part key. For generated walks of the whole store, which meet the entries in the
   * order `forEachEntry` does; not to be changed through.
   */
  topLevel(): ReadonlyMap<Key, unknown> {
    return this.root;
  }

  /** Calls `each` on every entry until it returns false; like `entries()` without a generator. */
  forEachEntry(each: (e: Entry) => boolean): void {
    if (this.arity === 1) {
      for (const e of this.root.values()) if (!each(e as Entry)) return;
      return;
    }
    if (this.arity === 2) {
      for (const m of this.root.values()) for (const e of (m as Level).values()) if (!each(e as Entry)) return;
      return;
    }
    for (const e of this.entries()) if (!each(e)) return;
  }

  /**
   * What `where(pos, part)` walks, as the collection itself, for a loop that knows its kind (a
   * loop over `where`'s iterable meets arrays, sets and map iterators at one site, and takes each
   * element through the generic iteration protocol, an object per element): the entry of a
   * one-part key, the map of entries under a first key part, or the index's set of entries; or
   * undefined when there is none. `undefined` too for a position `where` must filter for (no index, or
   * a key of three parts or more): the caller walks `where` then, as `hasWalkOf` tells.
   */
  walkOf(pos: number, part: Scalar): Entry | ReadonlyMap<Key, Entry> | ReadonlySet<Entry> | undefined {
    if (part === null) return undefined;
    if (pos === 0) return this.root.get(part) as Entry | ReadonlyMap<Key, Entry> | undefined;
    return this.index[pos]?.get(part);
  }

  /** Whether `walkOf(pos, ...)` gives what `where(pos, ...)` walks (else it is undefined and `where` is to be walked). */
  hasWalkOf(pos: number): boolean {
    return pos === 0 ? this.arity <= 2 : this.index[pos] !== undefined;
  }

  /** Entries whose key part `pos` equals `part`. */
  where(pos: number, part: Scalar): Iterable<Entry> {
    if (part === null) return NOTHING;
    if (pos === 0) {
      const sub = this.root.get(part);
      if (sub === undefined) return NOTHING;
      if (this.arity === 1) return [sub as Entry];
      if (this.arity === 2) return (sub as Level).values() as Iterable<Entry>;
      return walk(sub as Level, this.arity - 2);
    }
    const ix = this.index[pos];
    if (ix) return ix.get(part) ?? NOTHING;
    return [...this.entries()].filter((e) => e.part(pos) === part);
  }

  clone(): KeyedStore {
    const c = new KeyedStore(this.name, this.arity, this.positions);
    c.everUsed = this.everUsed;
    // Exploration clones a monitor per transition, and most of a spec's stores are empty at any time.
    if (this.size === 0) return c;
    if (this.arity === 1 || this.arity === 2) {
      // Level by level, in iteration order: what `set` of each entry in turn builds, without the key tuples.
      c.root = new Map();
      c.size = this.size;
      if (this.arity === 1) {
        this.root.forEach((e, k) => { c.root.set(k, new Entry((e as Entry).k0, undefined, (e as Entry).v, (e as Entry).prov)); });
        return c;
      }
      const indexed = this.positions.length > 0;
      this.root.forEach((m, k) => {
        // (`set` of the entries in turn makes no level that holds none: an indexed store's copy has none)
        if (indexed && (m as Level).size === 0) return;
        const level: Level = new Map();
        (m as Level).forEach((e, k1) => {
          const copy = new Entry((e as Entry).k0, (e as Entry).k1, (e as Entry).v, (e as Entry).prov);
          level.set(k1, copy);
          if (indexed) c.addToIndex(1, copy);
        });
        c.root.set(k, level);
      });
      return c;
    }
    for (const e of this.entries()) c.set(e.key(), e.v, e.prov);
    return c;
  }
}

function* walk(m: Level, depth: number): Generator<Entry> {
  if (depth === 0) { yield* m.values() as Iterable<Entry>; return; }
  for (const sub of m.values()) yield* walk(sub as Level, depth - 1);
}

/** Whether two keys are one key of a Map or Set (SameValueZero: NaN is itself). */
function sameKey(x: Scalar, y: Scalar): boolean {
  return x === y || (x !== x && y !== y);
}

/**
 * A directed graph over scalars; each edge remembers the event that added it. `succ` maps a node
 * to its successors, each mapped to that event: the successor is the key itself, so an edge costs
 * one map slot and no object of its own (a lock-order graph holds an edge per name ever looked up).
 */
export class Relation {
  readonly succ = new Map<Key, Map<Key, TraceEvent | undefined>>();
  size = 0;
  /**
   * With a reverse index (a spec walks the edges into a node, `where b == x`): each node's
   * predecessors, and for each node of `succ` the order it came into `succ`, so that a walk of the
   * index meets the edges in the order a walk of every edge would. A node with one predecessor
   * maps to that node itself, not a set of one: most nodes of a lock-order graph have one, and
   * a Set for each was the largest part of what adding an edge allocated.
   */
  private readonly pred: Map<Key, Key | Set<Key>> | undefined;
  private readonly rank: Map<Key, number> | undefined;
  private nextRank = 0;

  constructor(readonly name: string, reverseIndex = false) {
    if (reverseIndex) { this.pred = new Map(); this.rank = new Map(); }
  }

  /** Whether it keeps the reverse index (memory per edge) or walks every edge for `predecessors`. */
  get reverseIndexed(): boolean {
    return this.pred !== undefined;
  }

  add(a: Scalar, b: Scalar, prov: TraceEvent | undefined): void {
    if (a === null || b === null) return;
    let m = this.succ.get(a);
    if (m?.has(b)) return;
    const fa = flat(a) as Key;
    if (!m) { m = new Map(); this.succ.set(fa, m); this.rank?.set(fa, this.nextRank++); }
    const fb = flat(b) as Key;
    m.set(fb, prov);
    this.size++;
    if (this.pred) {
      const p = this.pred.get(fb);
      if (p === undefined) this.pred.set(fb, fa);
      else if (typeof p === 'object') p.add(fa);
      else if (!sameKey(p, fa)) this.pred.set(fb, new Set([p, fa]));
    }
  }

  remove(a: Scalar, b: Scalar): void {
    if (a === null || b === null) return;
    const m = this.succ.get(a);
    if (!m?.delete(b)) return;
    this.size--;
    if (m.size === 0) { this.succ.delete(a); this.rank?.delete(a); }
    if (this.pred) {
      const p = this.pred.get(b);
      if (p === undefined) return;
      if (typeof p !== 'object') { if (sameKey(p, a)) this.pred.delete(b); return; }
      p.delete(a);
      if (p.size === 0) this.pred.delete(b);
    }
  }

  has(a: Scalar, b: Scalar): boolean {
    return a !== null && b !== null && (this.succ.get(a)?.has(b) ?? false);
  }

  /** The nodes with an edge to `b`, in the order a walk of `succ` meets them. */
  predecessors(b: Scalar): Key[] {
    if (b === null) return [];
    if (!this.pred) {
      const out: Key[] = [];
      for (const [a, m] of this.succ) if (m.has(b)) out.push(a);
      return out;
    }
    const p = this.pred.get(b);
    if (p === undefined) return [];
    if (typeof p !== 'object') return [p];
    const out = [...p];
    if (out.length > 1) out.sort((x, y) => this.rank!.get(x)! - this.rank!.get(y)!);
    return out;
  }

  /** Drops every edge. */
  clear(): void {
    this.succ.clear();
    this.pred?.clear();
    this.rank?.clear();
    this.size = 0;
  }

  clone(): Relation {
    const c = new Relation(this.name, this.pred !== undefined);
    this.succ.forEach((m, k) => { c.succ.set(k, copyMap(m)); });
    this.pred?.forEach((p, k) => { c.pred!.set(k, typeof p === 'object' ? copySet(p) : p); });
    this.rank?.forEach((r, k) => { c.rank!.set(k, r); });
    c.nextRank = this.nextRank;
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
  /** The task the pattern's key names, if it names one. */
  task?: number | undefined;
  /** The objects (id-typed fields) the pattern's key names. */
  objects?: readonly Scalar[] | undefined;
  /** The epoch of the store that may change it in place (see `TemporalStore.epoch`). */
  epoch: number;
}

/** The keys a temporal store recorded for one task or object, and the store clone that may change them. */
interface KeysOf {
  keys: Set<Key>;
  epoch: number;
}

/** Each temporal store's epoch, new at each clone (see `TemporalStore.epoch`). */
let epochs = 0;

export class TemporalStore {
  constructor(
    readonly last = new Map<Key, TemporalEntry>(),
    /** The keys recorded for each task, for patterns that name the task (see `forgetTask`). */
    private readonly keysOfTask = new Map<number, KeysOf>(),
    /** The keys recorded for each object, for patterns that name one (see `forgetObject`). */
    private readonly keysOfObject = new Map<Scalar, KeysOf>(),
  ) {}

  /**
   * An entry or key set of this epoch is this store's to change in place; any other it shares
   * with the store it was cloned from (or another clone) and replaces before changing it.
   * Exploration clones a monitor's tables at most transitions, and copying every entry and set
   * was most of a clone. A clone gives both stores new epochs.
   */
  private epoch = ++epochs;

  /** Records a match; true when the key is new (its objects are then given to `nameObjects`). */
  record(key: Key | undefined, idx: number, ev: TraceEvent, task?: number): boolean {
    if (key === undefined) return false;
    const e = this.last.get(key);
    if (e) {
      if (e.epoch === this.epoch) { e.prevIdx = e.idx; e.idx = idx; e.ev = ev; return false; }
      this.last.set(key, { idx, ev, prevIdx: e.idx, task: e.task, objects: e.objects, epoch: this.epoch });
      return false;
    }
    this.last.set(key, { idx, ev, prevIdx: -1, task, objects: undefined, epoch: this.epoch });
    if (task !== undefined) this.addTo(this.keysOfTask, task, key);
    return true;
  }

  /** The objects a key just recorded names (see `forgetObject`). */
  nameObjects(key: Key, objects: readonly Scalar[]): void {
    const e = this.last.get(key);
    if (!e) return;
    if (e.epoch !== this.epoch) throw new Error('internal: objects named for a temporal entry not just recorded');
    e.objects = objects;
    for (const o of objects) if (o !== null) this.addTo(this.keysOfObject, o, key);
  }

  /** Drops the history of a task that exited (only patterns that name the task recorded it). */
  forgetTask(task: number): void {
    const of = this.keysOfTask.get(task);
    if (!of) return;
    this.keysOfTask.delete(task);
    for (const k of of.keys) this.drop(k);
  }

  /**
   * Drops the history of an object that died (`retire`): its id may name a new object next, which
   * has no past, and a long run of short-lived objects keeps only the live ones' histories.
   */
  forgetObject(obj: Scalar): void {
    const of = this.keysOfObject.get(obj);
    if (!of) return;
    this.keysOfObject.delete(obj);
    for (const k of of.keys) this.drop(k);
  }

  private drop(key: Key): void {
    const e = this.last.get(key);
    if (!e) return;
    this.last.delete(key);
    if (e.task !== undefined) this.removeFrom(this.keysOfTask, e.task, key);
    if (e.objects) for (const o of e.objects) if (o !== null) this.removeFrom(this.keysOfObject, o, key);
  }

  private addTo<K>(m: Map<K, KeysOf>, k: K, key: Key): void {
    const of = m.get(k);
    if (of === undefined) { m.set(k, { keys: new Set([key]), epoch: this.epoch }); return; }
    if (of.keys.has(key)) return;
    this.own(m, k, of).add(key);
  }

  private removeFrom<K>(m: Map<K, KeysOf>, k: K, key: Key): void {
    const of = m.get(k);
    if (of === undefined || !of.keys.has(key)) return;
    if (of.keys.size === 1) { m.delete(k); return; }
    this.own(m, k, of).delete(key);
  }

  /** The key set of `k` as this store's own: a copy put in its place when it is shared. */
  private own<K>(m: Map<K, KeysOf>, k: K, of: KeysOf): Set<Key> {
    if (of.epoch === this.epoch) return of.keys;
    const keys = copySet(of.keys);
    m.set(k, { keys, epoch: this.epoch });
    return keys;
  }

  /** A copy sharing the entries and key sets, which each store then replaces before changing one. */
  clone(): TemporalStore {
    this.epoch = ++epochs;
    return new TemporalStore(copyMap(this.last), copyMap(this.keysOfTask), copyMap(this.keysOfObject));
  }
}
