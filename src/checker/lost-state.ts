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
import type { Read, Runtime } from '../monitor/compile.js';
import { KeyedStore, Relation, TemporalStore } from '../monitor/store.js';
import type { TraceEvent, TraceGap } from '../trace/event.js';

const ownedBySpec = new WeakMap<TypedSpec, ReadonlySet<string>>();

function ownedStates(spec: TypedSpec): ReadonlySet<string> {
  let s = ownedBySpec.get(spec);
  if (s === undefined) { s = taskOwnedStates(spec); ownedBySpec.set(spec, s); }
  return s;
}

export class LostState {
  /** Per event that wrote state present at a gap (or deleted it, or matched a past-time table): the first such gap. */
  private readonly staleAfter = new WeakMap<TraceEvent, TraceGap>();
  private readonly firstGap: TraceGap;
  /** A gap of no known place (a header's count short): everything read may be stale, whenever written. */
  private anywhere: TraceGap | undefined;
  private readonly owned: ReadonlySet<string>;

  constructor(spec: TypedSpec, first: TraceGap) {
    this.owned = ownedStates(spec);
    this.firstGap = first;
  }

  /** After gap `g` (its tasks already forgotten): every event behind state that is not task-owned becomes stale. */
  afterGap(g: TraceGap, states: readonly StateIR[], rt: Runtime): void {
    if (g.lasting) this.anywhere ??= g;
    const mark = (ev: TraceEvent | undefined): void => { if (ev !== undefined && !this.staleAfter.has(ev)) this.staleAfter.set(ev, g); };
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

  /** Why a verdict that made `reads` cannot tell, when one of them may have been changed by a gap; else undefined. */
  staleness(reads: readonly Read[]): string | undefined {
    for (const r of reads) {
      if (r.how === 'call' || (r.store !== undefined && this.owned.has(r.store))) continue;
      if (this.anywhere !== undefined) return because(this.anywhere, r);
      if (r.how === 'absent') return because(this.firstGap, r);
      const g = r.ev === undefined ? this.firstGap : this.staleAfter.get(r.ev);
      if (g !== undefined) return because(g, r);
    }
    return undefined;
  }
}

function because(g: TraceGap, r: Read): string {
  const who = g.pids !== undefined ? `of task${g.pids.length === 1 ? '' : 's'} ${g.pids.join(', ')}`
    : g.cpu !== undefined ? `on CPU ${g.cpu}` : 'of every task';
  const at = g.file !== undefined ? `${g.file}:` : 'line ';
  const where = g.line === undefined ? ''
    : g.window === 'opens' && g.until !== undefined ? ` somewhere between ${at}${g.line} and line ${g.until}` : ` at ${at}${g.line}`;
  const much = g.lost !== undefined ? `: ${g.lost} event${g.lost === 1 ? '' : 's'}` : '';
  const lost = `the trace lost events ${who}${where} (${g.reason}${much})`;
  const line = r.ev?.line !== undefined ? ` (line ${r.ev.line})` : '';
  if (r.how === 'absent') {
    return r.store !== undefined ? `${lost}, which may have set ${r.what.replace(/ absent$/, '')}`
      : `${lost}, which may have matched the past-time pattern this reads`;
  }
  if (r.how === 'deleted') return `${lost} after ${r.what.replace(/ absent$/, '')} was deleted${line}: they may have set it again`;
  if (r.how === 'temporal') return `${lost} after the past-time match this reads${line}: they may have matched again`;
  return `${lost} after ${r.what} was written${line}: they may have changed it`;
}
