/**
 * Entries a rule left unwritten only because it read out-of-date state (rules-after-gap.ts). A
 * read of an entry is out of date when such a mark is the last thing that happened to its key:
 * an entry still as it was when marked (the same event wrote or deleted it), or, for a mark whose
 * key may be any (`wild`), one not written since the mark. Every write after the first gap is
 * told (`written`): it ends a mark even when it changed nothing, since it left the store as it was.
 */
import type { Scalar, TraceEvent } from '../trace/event.js';

/** What the write not made would have done: removed an entry, added one, or either (an assignment). */
export type Effect = 'removes' | 'adds' | 'sets';

export interface Mark {
  /** Parts `undefined` may be any value. */
  readonly key: readonly (Scalar | undefined)[];
  /** Why it was not made (the first cause). */
  readonly why: string;
  readonly effect: Effect;
  /** For task-owned state: the task whose entry it is (its synchronisation ends the mark). */
  readonly task: number | undefined;
  readonly ev: TraceEvent;
  /** The number of the event that made it (see `begin`). */
  readonly at: number;
  /** An exact mark: the event that had last written (or deleted) the entry when it was made. */
  readonly prov: TraceEvent | undefined;
}

interface OfState {
  exact: Map<string, Mark>;
  wild: Map<string, Mark>;
  /** Per key, when last written since the first wild mark of the state was made. */
  writes: Map<string, number>;
  latest: Mark | undefined;
}

/** Past this many, a read pinned only in part is held to the latest mark of its state, not to each. */
const EXACT_SCAN = 64;

const keyText = (key: readonly (Scalar | undefined)[]): string => (key.length === 1 && key[0] !== undefined ? String(key[0])
  : key.map((k) => (k === undefined ? '\u0002' : String(k))).join('\u0001'));

export class SkipMarks {
  /** The events since the first gap, counted. */
  private clock = 0;
  private readonly states = new Map<string, OfState>();

  /** The next event runs its rules now. */
  begin(): void {
    this.clock++;
  }

  /** The current place in the order (a synchronisation now ends the task's marks up to it). */
  get now(): number {
    return this.clock;
  }

  has(state: string): boolean {
    return this.states.has(state);
  }

  /** `prov`: for a key with every part known, the event that last wrote or deleted its entry. */
  skip(state: string, key: readonly (Scalar | undefined)[], prov: TraceEvent | undefined, ev: TraceEvent, effect: Effect, why: string,
    task: number | undefined): void {
    let s = this.states.get(state);
    if (s === undefined) { s = { exact: new Map(), wild: new Map(), writes: new Map(), latest: undefined }; this.states.set(state, s); }
    const exact = key.every((k) => k !== undefined);
    const m: Mark = { key, why, effect, task, ev, at: this.clock, prov };
    (exact ? s.exact : s.wild).set(keyText(key), m);
    s.latest = m;
  }

  /** The event under way wrote the entry of `state` at `key` (a write that may have changed nothing, so left no mark of its own in the store). */
  written(state: string, key: readonly Scalar[]): void {
    const s = this.states.get(state);
    if (s === undefined) return;
    const text = keyText(key);
    s.exact.delete(text);
    if (s.wild.size > 0) s.writes.set(text, this.clock);
  }

  /**
   * The mark that makes a read of `state` out of date: at `key` (parts undefined: any; no key: a
   * walk of every entry), of an entry last written or deleted by `by` (undefined: before the first
   * gap, or never, or a deletion no longer remembered), `present` or not. `synced`: when a task
   * last synchronised, in the count of events.
   */
  find(state: string, key: readonly (Scalar | undefined)[] | undefined, by: TraceEvent | undefined, present: boolean,
    synced: (task: number) => number | undefined): Mark | undefined {
    const s = this.states.get(state);
    if (s === undefined) return undefined;
    const applies = (m: Mark): boolean => (m.effect === 'sets' || (m.effect === 'removes') === present)
      && !(m.task !== undefined && (synced(m.task) ?? -1) >= m.at);
    // (an exact mark holds while its entry is as it was; a read that cannot name its writer is held to it)
    const exactHolds = (m: Mark): boolean => applies(m) && (by === undefined || by === m.prov);
    const wildHolds = (m: Mark, after: number): boolean => applies(m) && m.at >= after;
    if (key === undefined || (s.exact.size > EXACT_SCAN && key.some((k) => k === undefined))) {
      const m = s.latest;
      return m !== undefined && applies(m) ? m : undefined;
    }
    if (key.every((k) => k !== undefined)) {
      const text = keyText(key);
      const e = s.exact.get(text);
      if (e !== undefined && exactHolds(e)) return e;
      if (s.wild.size === 0) return undefined;
      const after = s.writes.get(text) ?? 0;
      for (const m of s.wild.values()) if (wildHolds(m, after) && matches(m.key, key)) return m;
      return undefined;
    }
    for (const m of s.exact.values()) if (applies(m) && matches(m.key, key)) return m;
    for (const m of s.wild.values()) if (wildHolds(m, 0) && matches(m.key, key)) return m;
    return undefined;
  }
}

/** Whether two keys may name the same entry (a part `undefined` may be any value). */
function matches(a: readonly (Scalar | undefined)[], b: readonly (Scalar | undefined)[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== undefined && b[i] !== undefined && String(a[i]) !== String(b[i])) return false;
  return true;
}

/** The event a skipped write belongs to, for its reason's words. */
export function eventWords(ev: TraceEvent): string {
  const name = ev.ev === 'call' || ev.ev === 'ret' ? `${ev.ev} of ${ev.fn ?? ''}` : ev.ev;
  return ev.line !== undefined ? `the ${name} at line ${ev.line}` : `the ${name} (event ${ev.seq})`;
}
