/**
 * What a gap may have changed. Events lost from a task (a damaged record, a lost-events marker, a
 * return whose call is missing) may have written any state their task's rules write: not only the
 * task's own (which the gap forgets) but state keyed by objects, which other tasks' verdicts read.
 * A lost `d_drop` of a dentry leaves the name hashed for every later lookup of it. So state written
 * before a gap is *stale*: a verdict that read it (or read the absence of an entry a lost event
 * could have made, or of a past-time match it could have been) cannot tell, and is unknown. State
 * only its own task writes (`taskOwnedStates`) stays trustworthy for tasks the gap did not affect,
 * since their entries cannot have been written by another task's events.
 */
import type { StateIR, TypedSpec } from '../analysis/ir.js';
import { taskOwnedStates } from '../analysis/task-owned.js';
import { PREVIOUS, formatValue, type Read, type Runtime } from '../monitor/compile.js';
import { KeyedStore, Relation, TemporalStore } from '../monitor/store.js';
import type { Scalar, TraceEvent, TraceGap } from '../trace/event.js';
import { SkipMarks, eventWords, type Effect } from './skip-marks.js';
import { copyMap, copySet } from '../values/copy.js';

const NO_KEY: readonly Scalar[] = [];

const ownedBySpec = new WeakMap<TypedSpec, ReadonlySet<string>>();

function ownedStates(spec: TypedSpec): ReadonlySet<string> {
  let s = ownedBySpec.get(spec);
  if (s === undefined) { s = taskOwnedStates(spec); ownedBySpec.set(spec, s); }
  return s;
}

/** Events kept for the next gap to mark (LostState.since) before it walks the whole state instead. */
const MAX_SINCE = 1 << 16;

export class LostState {
  /** Per event that wrote state present at a gap (or deleted it, or matched a past-time table): the first such gap. */
  private readonly staleAfter = new WeakMap<TraceEvent, TraceGap>();
  /**
   * The first gap marked every event behind the state then (afterGap); the events whose rules ran
   * since the last gap (and the past-time matches) are all a later gap has to mark: a gap per task
   * of a tie across CPUs comes thousands of times in a capture, and a walk of the whole state at
   * each was most of its check. Past MAX_SINCE events the list is dropped and the next gap walks
   * the state again, so that a long run after a gap keeps no event reachable.
   */
  private scanned = false;
  private since: TraceEvent[] = [];
  /** Per event after a gap whose rules read state a gap may have changed: why (what it wrote rests on that). */
  private readonly derived = new WeakMap<TraceEvent, string>();
  private readonly firstGap: TraceGap;
  /** A gap of no known place (a header's count short): everything read may be stale, whenever written. */
  private anywhere: TraceGap | undefined;
  /**
   * The tasks a gap forgot and that have not synchronised since, by the gap; `everyTask`: the last
   * gap of every task or of a CPU (any task may have run on it), and `synced` the tasks that have
   * synchronised since it. An absent entry of task-owned state is out of date for these only.
   */
  private touched = new Map<number, TraceGap>();
  private everyTask: TraceGap | undefined;
  private synced = new Set<number>();
  private readonly owned: ReadonlySet<string>;
  private readonly taskKeys: ReadonlyMap<string, readonly number[]>;
  /** The relations: a gap empties them, so an edge absent after one may be an edge it forgot. */
  private readonly relations: ReadonlySet<string>;
  /** The states of one value (no key). */
  private readonly scalars: ReadonlySet<string>;
  /** What rules that read out-of-date state left unwritten (skip-marks.ts). Shared with clones (more caution for each, never less). */
  private readonly marks = new SkipMarks();
  /** When each task last synchronised, in the marks' order: a mark of its task-owned state before it is over. */
  private syncedAt = new Map<number, number>();

  constructor(spec: TypedSpec, first: TraceGap) {
    this.owned = ownedStates(spec);
    this.firstGap = first;
    this.relations = new Set([...spec.states.values()].filter((st) => st.type.k === 'rel').map((st) => st.name));
    this.scalars = new Set([...spec.states.values()].filter((st) => st.type.k !== 'rel' && st.type.k !== 'map' && st.type.k !== 'set').map((st) => st.name));
    this.taskKeys = new Map([...this.owned].map((n) => [n, spec.states.get(n)!.taskPositions.filter((p) => p >= 0)]));
  }

  /** After gap `g`, which forgot the tasks `pids`: every event behind state that is not task-owned becomes stale. */
  afterGap(g: TraceGap, pids: readonly number[], states: readonly StateIR[], rt: Runtime): void {
    if (g.lasting) this.anywhere ??= g;
    if (g.pids === undefined) { this.everyTask = g; this.synced.clear(); }
    for (const p of pids) this.touched.set(p, g);
    const mark = (ev: TraceEvent | undefined): void => { if (ev !== undefined && !this.staleAfter.has(ev)) this.staleAfter.set(ev, g); };
    if (this.scanned) {
      // What is behind the state now and was not at the gap before: the events since, whose rules
      // ran (derive) — at most what they wrote or deleted, and it is read through them — and the
      // past-time matches (an event may match one with no rule to run).
      for (const ev of this.since) mark(ev);
      this.since = [];
      for (const t of rt.temporal as TemporalStore[]) for (const e of t.last.values()) mark(e.ev);
      return;
    }
    this.scanned = true;
    states.forEach((st, i) => {
      if (this.owned.has(st.name)) return;
      const s = rt.stores[i];
      if (s instanceof KeyedStore) {
        s.forEachEntry((e) => { mark(e.prov); return true; });
        s.forEachDeletion(mark);
      } else if (!(s instanceof Relation) && s !== undefined) {
        // (a relation is emptied at every gap: its edges all come after the last)
        mark((s as { prov: TraceEvent | undefined }).prov);
      }
    });
    for (const t of rt.temporal as TemporalStore[]) for (const e of t.last.values()) mark(e.ev);
  }

  /**
   * A copy for a clone of the engine: the tasks touched and synchronised are its own; the events
   * marked stale are shared (a gap one clone sees marks events of their common past for both,
   * which only makes the other more cautious).
   */
  clone(): LostState {
    const c = Object.assign(Object.create(LostState.prototype) as LostState, this);
    c.touched = copyMap(this.touched);
    c.synced = copySet(this.synced);
    c.syncedAt = copyMap(this.syncedAt);
    c.since = [...this.since];
    return c;
  }

  /** Task `pid` synchronised: its task-owned state is complete again. */
  sync(pid: number): void {
    this.touched.delete(pid);
    if (this.everyTask !== undefined) this.synced.add(pid);
    this.syncedAt.set(pid, this.marks.now);
  }

  /** Event `ev` (after a gap) is about to run its rules: its place in the order of the marks. */
  begin(): void {
    this.marks.begin();
  }

  /**
   * Event `ev`, whose rule read out-of-date state (`why`, the first cause), did not write the entry
   * of `state` at `key` (parts `undefined` may be any value): had the lost events been seen, it might have.
   */
  skipped(state: string, key: readonly (Scalar | undefined)[], prov: TraceEvent | undefined, ev: TraceEvent, effect: Effect, why: string): void {
    const p = this.taskKeys.get(state)?.[0];
    const t = p === undefined ? undefined : key[p];
    this.marks.skip(state, key, prov, ev, effect, why, typeof t === 'number' ? t : undefined);
  }

  /** Whether a write of `state` now could end a mark (else `written` need not be told). */
  marked(state: string): boolean {
    return this.marks.has(state);
  }

  /** The event under way (after a gap) wrote the entry of `state` at `key`. */
  written(state: string, key: readonly Scalar[]): void {
    this.marks.written(state, key);
  }

  /** Event `ev` (after a gap) ran rules that made `reads`: when one of them is stale, so is all it wrote. */
  derive(ev: TraceEvent, reads: readonly Read[]): void {
    if (this.scanned) {
      if (this.since.length < MAX_SINCE) this.since.push(ev);
      else { this.scanned = false; this.since = []; }
    }
    // (the first cause, not a chain of computations from it)
    const why = this.staleness(reads, true);
    if (why !== undefined) this.derived.set(ev, why);
  }

  /** Why a verdict that made `reads` (from index `from`) cannot tell, when one of them may have been changed by a gap; else undefined. */
  staleness(reads: readonly Read[], cause = false, from = 0): string | undefined {
    for (let i = from; i < reads.length; i++) {
      const r = reads[i]!;
      // (what a gap did to the entry read comes first: a mark is the reason only where nothing else is)
      const why = this.readStaleness(r, cause, true) ?? (r.store !== undefined && this.marks.has(r.store) ? this.skippedReason(r, cause) : undefined);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  /** Whether `staleness` would give a reason (without making its words). */
  stale(reads: readonly Read[], from = 0): boolean {
    for (let i = from; i < reads.length; i++) {
      const r = reads[i]!;
      if (this.readStaleness(r, true, false) !== undefined) return true;
      if (r.store !== undefined && this.marks.has(r.store) && this.skippedReason(r, true) !== undefined) return true;
    }
    return false;
  }

  /** `words`: false gives STALE for a reason that would have to be worded. */
  private readStaleness(r: Read, cause: boolean, words: boolean): string | undefined {
    const because = words ? becauseOf : staleOnly;
    if (r.lost !== undefined) return r.lost;
    if (r.how === 'call') return undefined;
    if (r.store !== undefined && this.owned.has(r.store)) {
      if (r.how === 'set') return this.derivedReason(r, cause);
      // An absent entry of a task the gap forgot (or of any task, for a walk not pinned to one) may be held still.
      const g = this.ownedAbsence(r);
      return g === undefined ? undefined : because(g, r);
    }
    if (this.anywhere !== undefined) return because(this.anywhere, r);
    if (r.how === 'absent') return because(this.firstGap, r, this.relations.has(r.store ?? ''));
    const g = r.ev === undefined ? this.firstGap : this.staleAfter.get(r.ev);
    if (g !== undefined) return because(g, r);
    return r.how !== 'temporal' ? this.derivedReason(r, cause) : undefined;
  }

  /** For a read of an entry a rule that read out-of-date state may have written had it seen the lost events: why (`cause`: only the first cause). */
  private skippedReason(r: Read, cause: boolean): string | undefined {
    // (a read of a state of one value names no key: it has one, the empty one)
    const key = r.key ?? (this.scalars.has(r.store!) ? NO_KEY : undefined);
    const m = this.marks.find(r.store!, key, r.ev, r.how === 'set', (t) => this.syncedAt.get(t));
    if (m === undefined) return undefined;
    if (cause) return m.why;
    const what = m.key.length === 0 ? r.store! : `${r.store!}[${m.key.map((k) => (k === undefined ? '*' : formatValue(k))).join(', ')}]`;
    const verb = m.effect === 'removes' ? 'remove' : m.effect === 'adds' ? 'add' : 'set';
    const line = r.how === 'set' && r.ev?.line !== undefined ? ` (line ${r.ev.line})` : '';
    const who = m.ev === undefined ? 'a rule' : eventWords(m.ev);
    return `${r.what}${line} may be out of date: ${who} did not ${verb} ${what} only because of what it read: ${m.why!}`;
  }

  /** For a read of what an event wrote from out-of-date state: why (`cause`: only the first cause). */
  private derivedReason(r: Read, cause: boolean): string | undefined {
    const d = r.ev === undefined ? undefined : this.derived.get(r.ev);
    if (d === undefined || cause) return d;
    const line = r.ev?.line !== undefined ? ` (line ${r.ev.line})` : '';
    const what = r.how === 'deleted' ? `the deletion of ${r.what.replace(/ absent$/, '')}` : r.what;
    return `${what}${line} was computed from state that may be out of date: ${d}`;
  }

  /** The gap that may have made an absent entry of task-owned state wrong, if any. */
  private ownedAbsence(r: Read): TraceGap | undefined {
    if (this.anywhere !== undefined) return this.anywhere;
    for (const p of this.taskKeys.get(r.store!) ?? []) {
      const t = r.key?.[p];
      // (a walk not pinned to one task: any task's entry may be missing)
      if (typeof t !== 'number') return this.everyTask ?? this.touched.values().next().value;
      const g = this.touched.get(t) ?? (this.synced.has(t) ? undefined : this.everyTask);
      if (g !== undefined) return g;
    }
    return undefined;
  }
}

const STALE = 'stale';
const staleOnly = (): string => STALE;

function becauseOf(g: TraceGap, r: Read, emptied = false): string {
  const who = g.pids !== undefined ? `of task${g.pids.length === 1 ? '' : 's'} ${g.pids.join(', ')}`
    : g.cpu !== undefined ? `on CPU ${g.cpu}` : 'of every task';
  const at = g.file !== undefined ? `${g.file}:` : 'line ';
  const where = g.line === undefined ? ''
    : g.window === 'opens' && g.until !== undefined ? ` somewhere between ${at}${g.line} and line ${g.until}` : ` at ${at}${g.line}`;
  const much = g.lost !== undefined ? `: ${g.lost} event${g.lost === 1 ? '' : 's'}` : '';
  const lost = `the trace lost events ${who}${where} (${g.reason}${much})`;
  const line = r.ev?.line !== undefined ? ` (line ${r.ev.line})` : '';
  if (r.how === 'absent') {
    const what = r.what.replace(/ absent$/, '');
    // (a relation starts over at every gap: what removes its edges may be what was lost)
    if (emptied) return `${lost}; ${r.store!} starts over at a gap, so ${what} may be missing only because of it`;
    if (r.store === undefined) return `${lost}, which may have matched the past-time pattern this reads`;
    return `${lost}, which may have ${r.key === undefined || /^an (entry|edge) /.test(what) ? 'added' : 'set'} ${what}`;
  }
  if (r.how === 'deleted') return `${lost} after ${r.what.replace(/ absent$/, '')} was deleted${line}: they may have set it again`;
  if (r.how === 'temporal' && r.what === PREVIOUS) return `${lost} after the event before this one${line}: one of them came between`;
  if (r.how === 'temporal') return `${lost} after the past-time match this reads${line}: they may have matched again`;
  return `${lost} after ${r.what} was written${line}: they may have changed it`;
}
