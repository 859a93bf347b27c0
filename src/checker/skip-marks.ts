/**
 * Entries a rule left unwritten only because it read out-of-date state (rules-after-gap.ts), and
 * the entries written since. A read of an entry is out of date when the last thing that happened
 * to its key, in the order of the events after the first gap, is such a mark: not a write of the
 * entry (what the store's entry says) nor an executed write that changed nothing (`written`).
 */
import type { Scalar, TraceEvent } from '../trace/event.js';

/** What the write not made would have done: removed an entry, added one, or either (an assignment). */
export type Effect = 'removes' | 'adds' | 'sets';

export interface Mark {
  /** Parts `undefined` may be any value. */
  readonly key: readonly (Scalar | undefined)[];
  readonly at: number;
  /** Why it was not made (the first cause); undefined for a write made (which ends the marks before it). */
  readonly why: string | undefined;
  readonly effect: Effect;
  /** For task-owned state: the task whose entry it is (its synchronisation ends the mark). */
  readonly task: number | undefined;
  readonly ev: TraceEvent | undefined;
}

interface OfState { exact: Map<string, Mark>; wild: Map<string, Mark>; latest: Mark | undefined }

/** Past this many, a read pinned only in part is held to the latest mark of its state, not to each. */
const EXACT_SCAN = 64;

const keyText = (key: readonly (Scalar | undefined)[]): string => key.map((k) => (k === undefined ? '\u0002' : String(k))).join('\u0001');

export class SkipMarks {
  private clock = 0;
  private readonly order = new WeakMap<TraceEvent, number>();
  private readonly states = new Map<string, OfState>();

  /** Event `ev` runs its rules now. */
  begin(ev: TraceEvent): void {
    this.order.set(ev, ++this.clock);
  }

  /** The current place in the order (a synchronisation now ends the marks up to it). */
  get now(): number {
    return this.clock;
  }

  has(state: string): boolean {
    return this.states.has(state);
  }

  skip(state: string, key: readonly (Scalar | undefined)[], ev: TraceEvent, effect: Effect, why: string, task: number | undefined): void {
    let s = this.states.get(state);
    if (s === undefined) { s = { exact: new Map(), wild: new Map(), latest: undefined }; this.states.set(state, s); }
    const m: Mark = { key, at: this.order.get(ev) ?? this.clock, why, effect, task, ev };
    (key.every((k) => k !== undefined) ? s.exact : s.wild).set(keyText(key), m);
    s.latest = m;
  }

  /** Event `ev` wrote the entry of `state` at `key` (a write that may have changed nothing, so left no mark of its own in the store). */
  written(state: string, key: readonly Scalar[], ev: TraceEvent): void {
    const s = this.states.get(state);
    if (s === undefined) return;
    const text = keyText(key);
    // (kept only where it ends a mark: an exact one, or a mark whose key may be this one)
    if (s.wild.size === 0 && !s.exact.has(text)) return;
    s.exact.set(text, { key, at: this.order.get(ev) ?? this.clock, why: undefined, effect: 'sets', task: undefined, ev });
  }

  /**
   * The mark that makes a read of `state` out of date: at `key` (parts undefined: any; no key: a
   * walk of every entry), of an entry written by `by` (or removed by it; undefined: before the
   * first gap, or never), `present` or not. `synced`: when a task last synchronised.
   */
  find(state: string, key: readonly (Scalar | undefined)[] | undefined, by: TraceEvent | undefined, present: boolean,
    synced: (task: number) => number | undefined): Mark | undefined {
    const s = this.states.get(state);
    if (s === undefined) return undefined;
    const w = by === undefined ? 0 : this.order.get(by) ?? 0;
    const counts = (m: Mark | undefined, after: number): boolean => m !== undefined && m.why !== undefined && m.at >= after
      && (m.effect === 'sets' || (m.effect === 'removes') === present) && !(m.task !== undefined && (synced(m.task) ?? -1) >= m.at);
    if (key === undefined || (s.exact.size > EXACT_SCAN && key.some((k) => k === undefined))) return counts(s.latest, w) ? s.latest : undefined;
    if (key.every((k) => k !== undefined)) {
      const e = s.exact.get(keyText(key));
      if (counts(e, w)) return e!;
      // (a write made since a mark whose key may be this one ends it)
      const after = e !== undefined && e.why === undefined ? Math.max(w, e.at) : w;
      for (const m of s.wild.values()) if (counts(m, after) && matches(m.key, key)) return m;
      return undefined;
    }
    for (const m of s.exact.values()) if (counts(m, w) && matches(m.key, key)) return m;
    for (const m of s.wild.values()) if (counts(m, w) && matches(m.key, key)) return m;
    return undefined;
  }
}

/** Whether two keys may name the same entry (a part `undefined` may be any value). */
function matches(a: readonly (Scalar | undefined)[], b: readonly (Scalar | undefined)[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== undefined && b[i] !== undefined && String(a[i]) !== String(b[i])) return false;
  return true;
}
