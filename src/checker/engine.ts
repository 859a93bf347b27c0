/**
 * The monitor: runs a compiled spec over a stream of trace events, one event at a time, and
 * produces verdicts. Per event it touches only the handlers registered for that event (dispatch
 * by event and phase), and state only through keyed stores. Tasks whose history is incomplete
 * (capture started mid-run, lost events) are *unknown* until a `sync` event: invariants at their
 * events are skipped and counted, never reported.
 *
 * Order at each event: `on` invariants and due obligations (state before the event), rules,
 * past-time tables, `after` invariants (state after it), syncs, `always` invariants.
 *
 * This module keeps stepping, gaps and finishing; the compiled spec and its handlers are
 * src/monitor/spec.ts, explanation and de-duplication src/checker/explain.ts.
 */
import type { Phase, StateIR } from '../analysis/ir.js';
import { TASK_UNKNOWN, TIED_ACROSS_CPUS, type Scalar, type TraceEvent, type TraceGap } from '../trace/event.js';
import {
  NO_EVENT, EvaluationBudgetExceeded, formatValue, type Env, type ObservedFunctions, type Read, type Runtime, type Store, type StoreOwner,
  type Value,
} from '../monitor/compile.js';
import { MonitorSpec, dispatchKey, type CompiledInvariant, type CompiledObligation } from '../monitor/spec.js';
import { KeyedStore, Relation, TemporalStore, type Entry } from '../monitor/store.js';
import { forgetTask } from './task-state.js';
import { LostState } from './lost-state.js';
import { rulesAfterGap } from './rules-after-gap.js';
import { Explainer, objectParts, verdictKey, type Verdict } from './explain.js';
import { sortBy, sortStrings } from './sort-small.js';
import { PartTable } from './part-table.js';
import { scalarCode } from '../values/scalar-code.js';
import { copyMap, copySet } from '../values/copy.js';
import { stateAbstraction, type StateAbstraction } from '../analysis/state-abstraction.js';

export type { Verdict };

interface Frame {
  fn: string;
  call: TraceEvent;
  olds: Value[] | undefined;
  oldReads: Read[] | undefined;
  /** Per capture: why it cannot tell (it read state a gap may have changed), when there was a gap before the call. */
  oldLost?: (string | undefined)[] | undefined;
  unknown: boolean;
  /** Whether it is unknown because events were lost (a gap), not because the capture began after the call. */
  lossUnknown?: boolean;
  /**
   * The frame's part of the open calls' digest part but for `unknown` (its function, captures and
   * call are fixed once the call's step is over), made at the first digest that reads it; engines
   * that share the frame (`ownFrames`) share it, and copies of the frame keep it.
   */
  part?: string;
  /** The number of `part` (`Engine.framesPartNumber`). */
  partId?: number;
}

export interface EngineOptions {
  /** Report every violation, not only the first per invariant and object. */
  all?: boolean;
  /** Tasks are unknown until a sync event (captures that start mid-run). */
  tasksStartUnknown?: boolean;
  /** Called for each verdict as it happens. */
  onVerdict?: (v: Verdict) => void;
  /** What the trace can show (ftrace captures: the probed functions); absent = complete. */
  coverage?: ObservedFunctions;
  /**
   * Steps one evaluation of an invariant may take (domain elements visited, graph nodes expanded)
   * before the invariant is abandoned as unknown for the rest of the trace; default
   * DEFAULT_EVALUATION_BUDGET. It bounds specs whose nested quantifiers or path searches would
   * take hours on a large state, never a rule that a trace of a real kernel drives that far.
   */
  evaluationBudget?: number;
  /** Verdicts without explanations (`CloneOptions.bare`). */
  bare?: boolean;
}

export const DEFAULT_EVALUATION_BUDGET = 1_000_000;

/** The vocabulary's event for a task that is gone (contract 2): its per-task state is freed after it. */
const TASK_EXIT = 'task_exit';
/** The vocabulary's `retire {obj}`: the object is dead, a later use of its id names a new one. */
const OBJECT_DIES = 'retire';
const OBJECT_DIES_FIELD = 'obj';

/** What a step without verdicts returns: one list for every such step, frozen so that no caller can fill it. */
const NO_VERDICTS: Verdict[] = Object.freeze([]) as unknown as Verdict[];

/** Set while `clone` builds an engine: the engine it copies, which the constructor shares or copies from. */
let cloneOf: Engine | undefined;
/** Set with `cloneOf` when the clone counts into its original's counters (`CloneOptions.sharedTallies`). */
let cloneTallies = false;

export interface CloneOptions {
  /**
   * The clone counts into the original's counters and per-handler counts instead of copies of
   * them: for a search, which reads only verdicts and digests (neither depends on them), and
   * clones an engine per transition.
   */
  sharedTallies?: boolean;
  /**
   * The clone and its own clones give verdicts without explanations (no slice, tasks or related
   * verdicts; the invariant, message and event as ever): for a search, which takes each
   * counterexample's verdict again from its own path through a fresh engine. Explaining a
   * violation evaluates its invariant again and walks the state; a search meets the same
   * violation on thousands of paths.
   */
  bare?: boolean;
}

/** The invariants over budget of every engine that has none (most): an engine makes its own set on the first. */
const NONE_OVER_BUDGET: ReadonlySet<string> = new Set<string>();

export interface EngineCounters {
  /** Invariant name → times its condition was evaluated. */
  evaluated: Record<string, number>;
  /** Invariant name → evaluations skipped because the task's state was unknown. */
  unknown: Record<string, number>;
  /** Invariant name → failed evaluations the trace cannot confirm (`unknown when`): unknown verdicts. */
  undecided: Record<string, number>;
  /** Invariant name → evaluations over a domain that never held anything (not counted as evaluated). */
  vacuous: Record<string, number>;
  violations: number;
  events: number;
  gaps: number;
  /**
   * Evaluations skipped (in `unknown`) because events were lost: of a task whose state a gap of
   * lost events left unknown, not one the capture began in the middle of (see `LOSS_FREE_GAPS`).
   * Those rules went unjudged where the trace had something to judge: the verdict is unknown.
   */
  skippedAfterLoss: number;
  /** Violations not reported because the same invariant was already reported for the same object (without `--all`). */
  repeats: number;
}

/**
 * Gaps that lose no record the trace had: a capture that begins again (its tasks unknown until
 * they sync, as at the start of any capture), a CPU's buffer that starts late or a ring buffer
 * that overwrote its oldest events (the capture begins later on that CPU), and records of two
 * CPUs stamped with the same time (all there, their order unknown: their tasks are unknown until
 * they sync), and records that name no task (a CPU's records before function_graph's first `=>`
 * marker on it, read as that CPU's history beginning after them). Evaluations skipped after them are those a capture's start and its clock's grain
 * leave unjudged, which every capture taken mid-run has; after any other gap, records were lost.
 */
const LOSS_FREE_GAPS: ReadonlySet<string> = new Set(['a new capture begins', 'buffer started', 'overwritten history', TIED_ACROSS_CPUS, TASK_UNKNOWN]);

/** Whether a gap lost history the trace had (see `LOSS_FREE_GAPS`). */
export function losesHistory(g: TraceGap): boolean {
  return !LOSS_FREE_GAPS.has(g.reason);
}

export { dispatchKey };

/** The compiled, reusable form of a spec (src/monitor/spec.ts): build once, start many engines. */
export class CompiledSpec extends MonitorSpec {
  /** The digest parts of its engines' states, numbered as met (see `Engine.digest`). */
  readonly digestParts = new Map<string, number>();
  /** The numbers of the stores' and the open calls' digest parts (see `Engine.storePartNumber`). */
  readonly partTable = new PartTable();
  /** The number of a sequence store's part by the number of its exact part (see `Engine.seqPartNumber`). */
  readonly seqParts = new Map<number, number>();
  private abstractionMade: AbstractionPlan | undefined;

  /** What `Engine.canonicalDigest` may abstract (src/analysis/state-abstraction.ts), by store index. */
  get abstraction(): AbstractionPlan {
    if (this.abstractionMade === undefined) {
      const a = stateAbstraction(this.spec);
      const index = (names: Set<string>): Set<number> => new Set([...names].map((n) => this.storeIndex.get(n)!));
      this.abstractionMade = { ...a, seqStores: index(a.seqStores), deadStores: index(a.deadStores) };
    }
    return this.abstractionMade;
  }

  /** A fresh monitor over this spec. */
  start(opts: EngineOptions = {}): Engine {
    return new Engine(this, opts);
  }
}

/** A spec's state abstraction with stores by index. */
interface AbstractionPlan extends Omit<StateAbstraction, 'seqStores' | 'deadStores'> {
  seqStores: Set<number>;
  deadStores: Set<number>;
}

/**
 * Exploration's copy on write (see `Engine.clone`): which stores and past-time tables an engine
 * still shares with engines it was cloned from or cloned, and each store's digest part while
 * no step may have written the store since. As the runtime's `cow`, it gives each write its store
 * (`own`): copied at the first write since the engine last shared it.
 */
class Sharing implements StoreOwner {
  /**
   * Bit `i % 32` of word `i >> 5` set where store `i` is the engine's own: copied since the last
   * clone, or never shared (words, not an array per store: a search clones engines by the hundred
   * thousand, and a clone owns nothing yet).
   */
  ownStore: number[];
  /** The same of the past-time tables. */
  ownTemporal: number[];
  ownFrames = false;
  /** Per store, the number of its digest part (`storePart`), undefined once a step may have written it. */
  parts: (number | undefined)[];
  /** The number of the open calls' digest part, undefined once a step may have changed them. */
  framesPart: number | undefined = undefined;
  /**
   * The number of the past-time tables' canonical part (`canonicalTemporalPart`), undefined once a
   * step may have written a table; never kept when a `previously` reads one (its part then depends
   * on the event number).
   */
  canonicalTemporal: number | undefined = undefined;
  /**
   * The number of the past-time tables' part of the exact digest (`temporalPart`), undefined once
   * a step may have written a table; kept only when no match marks the event before (a mark that
   * the next event takes away, tables unwritten).
   */
  temporal: number | undefined = undefined;
  /** Which of the per-task sets and maps and the reported set are the engine's own (`OWN_*` bits). */
  ownSets = 0;
  /** The number of the reported verdicts' digest part, and how many there were then (the set only grows). */
  reportedPart: number | undefined = undefined;
  reportedSize = 0;

  constructor(private readonly rt: Runtime, ownStore: number[], ownTemporal: number[], parts: (number | undefined)[]) {
    this.ownStore = ownStore;
    this.ownTemporal = ownTemporal;
    this.parts = parts;
  }

  /** Store `i` to write: copied first if it is shared; its digest part is dropped. */
  own(i: number): Store {
    this.parts[i] = undefined;
    const w = i >> 5, bit = 1 << (i & 31);
    if ((this.ownStore[w]! & bit) !== 0) return this.rt.stores[i]!;
    const copy = copyStore(this.rt.stores[i]!);
    this.rt.stores[i] = copy;
    this.ownStore[w]! |= bit;
    return copy;
  }
}

/** Bits of `Sharing.ownSets`. */
const OWN_TASKS = 1;
const OWN_UNKNOWN = 2;
const OWN_CPU = 4;
const OWN_COMMS = 8;
const OWN_REPORTED = 16;
const OWN_ALL_SETS = 31;

/** One run of a compiled spec over one trace. */
export class Engine {
  readonly counters: EngineCounters;
  readonly rt: Runtime;
  /** Open calls per task; shared by clones until a step may change them (see `Engine.clone`). */
  private frames: Map<number, Frame[]>;
  // These four, `rt.tasks` and `reported` are shared by clones too (see `beforeTaskWrites`).
  private unknownTasks: Set<number>;
  /** The unknown tasks a loss of events made unknown (a subset of `unknownTasks`, copied with it). */
  private lossUnknown: Set<number>;
  /** Whether a task first seen from now on is unknown because of a loss (see `newTasksUnknown`). */
  private newTasksLossUnknown = false;
  /** Whether the step's task is unknown because of a loss (its evaluations skipped count in `skippedAfterLoss`). */
  private stepLossUnknown = false;
  /** Set by a gap of every task: a task first seen after it may have lost events in it too. */
  private newTasksUnknown = false;
  /** Set by a lasting gap: no sync makes a task known again. */
  private noSync = false;
  /** Loss windows opened and not yet closed (TraceGap.window): no sync makes a task known inside one. */
  private lossWindows = 0;
  /** Made by the first gap: what the gaps so far may have changed. */
  private lost: LostState | undefined;
  private lastCpu: Map<number, number>;
  private comms: Map<number, string>;
  /** Events seen per handler (by `Handlers.id`): which triggers a trace ever produced. */
  private seenByHandler: number[];
  private reported: Set<string>;
  /** Made when first needed: most engines of a search never explain anything. */
  private explainerMade: Explainer | undefined;
  private readonly budget: number;
  /** Invariants whose evaluation spent the whole budget once: not evaluated again. */
  private overBudget: ReadonlySet<string> = NONE_OVER_BUDGET;
  private readonly env: Env;
  private idx = 0;
  /** The obligation falling due that `collectDue` collects the open items of, and those items (made when there is one). */
  private dueObligation: CompiledObligation | undefined;
  private dueRows: Value[][] | undefined;
  /**
   * Made once per engine, when an obligation first falls due, not once per due check: obligations
   * fall due at most returns and exits, and a closure and an array each time were a twentieth of
   * what a check allocated (and most clones of a search never check one).
   */
  private collectDueMade: (() => boolean) | undefined;
  private get collectDue(): () => boolean {
    return this.collectDueMade ??= (): boolean => {
      const ob = this.dueObligation!;
      const env = this.env;
      if (ob.filter && !ob.filter(env)) return true;
      (this.dueRows ??= []).push(ob.ir.slots.map((s) => env.locals[s] ?? null));
      return true;
    };
  }
  /**
   * The verdicts of the step under way (emptied by the step's end): shared by an engine's clones,
   * as the locals are (see the constructor).
   */
  private readonly stepOut: Verdict[];
  /** Set once the engine is cloned or digested (exploration); undefined on `kinv check`'s path. */
  private sharing: Sharing | undefined;

  constructor(readonly compiled: CompiledSpec, readonly opts: EngineOptions) {
    const from = cloneOf;
    const sharedTallies = cloneTallies;
    cloneOf = undefined;
    cloneTallies = false;
    this.rt = {
      stores: from ? from.rt.stores.slice() : compiled.stateList.map((st) => newStore(st)),
      temporal: from ? from.rt.temporal.slice() : compiled.spec.temporal.map(() => new TemporalStore()),
      tasks: from ? from.rt.tasks : new Set(),
      coverage: opts.coverage,
      stepsLeft: Infinity,
    };
    this.budget = opts.evaluationBudget ?? DEFAULT_EVALUATION_BUDGET;
    // A clone shares its original's locals and verdict list: scratch that a step fills and reads
    // before it ends (engines step one at a time), where a search clones an engine per transition.
    this.stepOut = from ? from.stepOut : [];
    const locals = from ? from.env.locals : new Array<Value>(compiled.maxSlots + 4).fill(null);
    this.env = { ev: NO_EVENT, call: undefined, olds: undefined, locals, idx: 0, rt: this.rt,
      reads: undefined };
    if (from !== undefined) {
      // A clone (see `clone`): the containers are the original's, shared until a step changes them.
      this.frames = from.frames;
      this.unknownTasks = from.unknownTasks;
      this.lossUnknown = from.lossUnknown;
      this.lastCpu = from.lastCpu;
      this.comms = from.comms;
      this.reported = from.reported;
      if (sharedTallies) {
        this.seenByHandler = from.seenByHandler;
        this.counters = from.counters;
        return;
      }
      this.seenByHandler = from.seenByHandler.slice();
      const c = from.counters;
      this.counters = {
        evaluated: { ...c.evaluated }, unknown: { ...c.unknown }, undecided: { ...c.undecided }, vacuous: { ...c.vacuous },
        violations: c.violations, events: c.events, gaps: c.gaps, skippedAfterLoss: c.skippedAfterLoss, repeats: c.repeats,
      };
      return;
    }
    this.frames = new Map();
    this.unknownTasks = new Set();
    this.lossUnknown = new Set();
    this.lastCpu = new Map();
    this.comms = new Map();
    this.reported = new Set();
    // Built whole (Object.fromEntries), not key by key: a record filled by computed keys goes to dictionary
    // mode, which makes a clone's copy ({ ...r }) two hundred times slower and the record several times larger.
    const zeros = (): Record<string, number> => Object.fromEntries(compiled.invariantNames.map((n) => [n, 0]));
    this.counters = {
      evaluated: zeros(), unknown: zeros(), undecided: zeros(), vacuous: zeros(), violations: 0, events: 0, gaps: 0, skippedAfterLoss: 0, repeats: 0,
    };
    this.seenByHandler = new Array<number>(compiled.handlers.size).fill(0);
  }

  private get explainer(): Explainer {
    return this.explainerMade ??= new Explainer({
      rt: this.rt, stateList: this.compiled.stateList, comm: (pid) => this.comms.get(pid), isKnown: (pid) => this.isKnown(pid),
    });
  }

  /** How many events of this phase and name the engine has seen (0 for events no rule or invariant names). */
  seen(phase: Phase, name: string): number {
    const h = this.compiled.handlers.get(dispatchKey(phase, name));
    return h === undefined ? 0 : this.seenByHandler[h.id]!;
  }

  /** Processes one event; returns the verdicts it caused (usually none: then the one shared, frozen empty list). */
  step(ev: TraceEvent): Verdict[] {
    // Verdicts are rare: the step's list is made only when one comes (see `verdictsOfStep`).
    const out = this.stepOut;
    const c = this.compiled;
    const pid = ev.pid;
    if (this.sharing !== undefined) this.beforeTaskWrites(ev);
    this.counters.events++;
    if (!this.rt.tasks.has(pid)) {
      this.rt.tasks.add(pid);
      if (this.opts.tasksStartUnknown || this.newTasksUnknown) this.unknownTasks.add(pid);
      // (in a capture taken mid-run a task first seen is unknown anyway, loss or none)
      if (this.newTasksLossUnknown && this.opts.tasksStartUnknown !== true) this.lossUnknown.add(pid);
    }
    if (ev.cpu !== undefined && this.lastCpu.get(pid) !== ev.cpu) this.lastCpu.set(pid, ev.cpu);
    if (ev.comm !== undefined && this.comms.get(pid) !== ev.comm) this.comms.set(pid, ev.comm);
    const env = this.env;
    env.ev = ev;
    env.idx = this.idx++;
    env.call = undefined;
    env.olds = undefined;
    env.oldLost = undefined;
    env.reads = undefined;
    let phase: Phase = 'event';
    let name = ev.ev;
    let frame: Frame | undefined;
    if (ev.ev === 'call' || ev.ev === 'ret') {
      phase = ev.ev;
      name = ev.fn ?? '';
    }
    if (this.sharing !== undefined) this.beforeWrites(phase, name);
    let unknown = this.unknownTasks.has(pid);
    let lossUnknown = unknown && this.lossUnknown.has(pid);
    if (phase === 'call') {
      let stack = this.frames.get(pid);
      if (!stack) { stack = []; this.frames.set(pid, stack); }
      frame = { fn: name, call: ev, olds: undefined, oldReads: undefined, unknown };
      if (lossUnknown) frame.lossUnknown = true;
      const cap = c.captures.get(name);
      if (cap && !unknown) {
        env.call = ev;
        env.reads = [];
        const lost = this.lost;
        if (lost === undefined) frame.olds = cap.fns.map((f) => f(env));
        else {
          // Whether each capture read state a gap may have changed is decided now: a gap after the call changes nothing it read.
          const reads = env.reads;
          frame.oldLost = cap.fns.map(() => undefined);
          frame.olds = cap.fns.map((f, i) => {
            const from = reads.length;
            const v = f(env);
            const why = lost.staleness(reads.slice(from));
            frame!.oldLost![i] = why === undefined ? undefined : `${why} (before the call's old(...) read it)`;
            return v;
          });
        }
        frame.oldReads = env.reads;
        env.reads = undefined;
      }
      stack.push(frame);
    } else if (phase === 'ret') {
      frame = this.popFrame(pid, name);
      if (frame) {
        env.call = frame.call;
        env.olds = frame.olds;
        env.oldLost = frame.oldLost;
        if (frame.unknown) { unknown = true; if (frame.lossUnknown === true) lossUnknown = true; }
      } else {
        unknown = true;
      }
    }
    const h = phase === 'event' ? c.handlers.get(name) : phase === 'call' ? c.callHandlers.get(name) : c.retHandlers.get(name);
    this.rt.untrusted = unknown;
    this.stepLossUnknown = lossUnknown;
    // Indexed loops, not for-of: an array iterator per loop is garbage wherever the step runs unoptimized.
    if (h) {
      this.seenByHandler[h.id]!++;
      const on = h.on;
      for (let i = 0; i < on.length; i++) this.evaluate(on[i]!, unknown, frame, out);
      const obligations = h.obligations;
      for (let i = 0; i < obligations.length; i++) this.checkObligation(obligations[i]!, unknown, out);
      if (h.runRules !== undefined) {
        if (this.lost === undefined) h.runRules(env);
        else this.runRulesAfterGap(phase, name, ev);
      }
      const temporal = h.temporal;
      for (let i = 0; i < temporal.length; i++) {
        const t = temporal[i]!;
        const store = this.rt.temporal[t.id]!;
        const key = t.key(env);
        if (store.record(key, env.idx, ev, t.byTask ? pid : undefined) && t.objectKeys !== undefined) store.nameObjects(key!, t.objectKeys.map((k) => k(env)));
      }
      const after = h.after;
      for (let i = 0; i < after.length; i++) this.evaluate(after[i]!, unknown, frame, out);
      const syncs = h.syncs;
      for (let i = 0; i < syncs.length; i++) {
        const g = syncs[i];
        if (!this.noSync && this.lossWindows === 0 && (!g || g(env))) { this.unknownTasks.delete(pid); this.lossUnknown.delete(pid); this.lost?.sync(pid); }
      }
    }
    const always = c.always;
    for (let i = 0; i < always.length; i++) this.evaluate(always[i]!, false, frame, out);
    if (name === TASK_EXIT && phase === 'event') this.retire(pid);
    else if (name === OBJECT_DIES && phase === 'event') this.objectDied(ev.args[OBJECT_DIES_FIELD] ?? null);
    return this.verdictsOfStep();
  }

  /** The verdicts the step gathered in `stepOut`, as a list of their own (the shared empty list when none). */
  private verdictsOfStep(): Verdict[] {
    const out = this.stepOut;
    if (out.length === 0) return NO_VERDICTS;
    const vs = out.slice();
    out.length = 0;
    return vs;
  }

  /**
   * The task has exited (its rules and obligations ran on the exit event): what the engine keeps
   * per task goes, so a run of a million short-lived tasks takes the memory of the live ones, and
   * a pid the kernel hands out again names a new task, without the old one's history. The spec's
   * own state is the spec's to clear (the bundled spec does, on `task_exit`): a rule may rightly
   * remember an exited task.
   */
  private retire(pid: number): void {
    this.rt.tasks.delete(pid);
    this.unknownTasks.delete(pid);
    this.lossUnknown.delete(pid);
    this.frames.delete(pid);
    this.lastCpu.delete(pid);
    this.comms.delete(pid);
    this.explainerMade?.forget(pid);
    for (const t of this.rt.temporal) t.forgetTask(pid);
  }

  /** What the engine keeps per object goes with it: the past-time histories keyed by it. */
  private objectDied(obj: Scalar): void {
    if (obj === null) return;
    for (const t of this.rt.temporal) t.forgetObject(obj);
  }

  private popFrame(pid: number, fn: string): Frame | undefined {
    const stack = this.frames.get(pid);
    if (!stack) return undefined;
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i]!.fn === fn) {
        const f = stack[i]!;
        if (i === stack.length - 1) stack.pop();
        else stack.length = i;
        return f;
      }
    }
    return undefined;
  }

  /** Whether `pid` has an open call of `fn` (sources use this to report a return with no call). */
  hasOpenCall(pid: number, fn: string): boolean {
    const stack = this.frames.get(pid);
    if (!stack) return false;
    for (let i = stack.length - 1; i >= 0; i--) if (stack[i]!.fn === fn) return true;
    return false;
  }

  /** Whether the innermost open call of `pid` is one of `fn` (a return of `fn` then closes it and skips nothing). */
  returnsInnermost(pid: number, fn: string): boolean {
    const stack = this.frames.get(pid);
    return stack !== undefined && stack.length > 0 && stack[stack.length - 1]!.fn === fn;
  }

  /** Open calls of `pid` above the innermost call of `fn`: a return of `fn` would skip them. */
  callsAbove(pid: number, fn: string): TraceEvent[] {
    const stack = this.frames.get(pid) ?? [];
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i]!.fn !== fn) continue;
      if (i === stack.length - 1) return [];
      return stack.slice(i + 1).map((f) => f.call);
    }
    return [];
  }

  isKnown(pid: number): boolean {
    return !this.unknownTasks.has(pid);
  }

  /**
   * Whether a return of `pid` can be held to the calls its trace showed: a known task the trace has
   * shown already, or any task where tasks start known. A task an ftrace capture has not shown yet
   * may begin with the returns of calls made before the capture began.
   */
  followsCallsOf(pid: number): boolean {
    if (this.unknownTasks.has(pid)) return false;
    return this.rt.tasks.has(pid) || !(this.opts.tasksStartUnknown === true || this.newTasksUnknown);
  }

  /** Lost events or an unknown span: the affected tasks' state becomes unknown and is dropped. */
  gap(g: TraceGap): void {
    if (this.sharing !== undefined) this.ownEverything();
    this.counters.gaps++;
    if (g.lasting) this.noSync = true;
    if (g.window === 'opens') this.lossWindows++;
    else if (g.window === 'closes' && this.lossWindows > 0) this.lossWindows--;
    let pids: number[];
    const loss = losesHistory(g);
    if (g.pids) pids = g.pids;
    else {
      // Every task, even for a loss of one CPU: a task last seen on another CPU may have run on
      // that one in the lost span (and a task first seen after it may have begun in it).
      pids = [...this.rt.tasks];
      this.newTasksUnknown = true;
      if (loss) this.newTasksLossUnknown = true;
    }
    for (const pid of pids) this.forget(pid, loss);
    // A relation (a lock-order graph) is history every task's verdicts read, and what removes its
    // edges (a rename, the end of an inode) may be what was lost: it starts over, so that no
    // cycle joins edges across the loss. Edges come only from tasks whose history is known.
    for (const s of this.rt.stores) if (s instanceof Relation) s.clear();
    (this.lost ??= new LostState(this.compiled.spec, g)).afterGap(g, pids, this.compiled.stateList, this.rt);
  }

  /**
   * The rules of an event after a gap, by the closures (which record reads; the generated code of
   * codegen.ts gives the same and records none): what they write rests on what they read, so
   * when that may be out of date (LostState), so is what they wrote.
   */
  private runRulesAfterGap(phase: Phase, name: string, ev: TraceEvent): void {
    const env = this.env;
    const lost = this.lost!;
    env.reads = [];
    try {
      lost.begin();
      rulesAfterGap(this.compiled).run(dispatchKey(phase, name), env, lost);
      lost.derive(ev, env.reads);
    } finally {
      env.reads = undefined;
    }
  }

  /**
   * Why the failed evaluation `run` cannot tell, when it read state a gap may have changed (see
   * LostState); undefined when there was no gap or it read none.
   */
  private lostReason(run: () => unknown): string | undefined {
    if (this.lost === undefined) return undefined;
    const env = this.env;
    env.reads = [];
    try {
      run();
      return this.lost.staleness(env.reads);
    } finally {
      env.reads = undefined;
    }
  }

  private forget(pid: number, loss: boolean): void {
    this.unknownTasks.add(pid);
    if (loss) this.lossUnknown.add(pid);
    for (const f of this.frames.get(pid) ?? []) { f.unknown = true; if (loss) f.lossUnknown = true; }
    this.compiled.stateList.forEach((st, i) => {
      if (st.taskPositions.length === 0) return;
      const store = this.rt.stores[i];
      if (!(store instanceof KeyedStore)) return;
      forgetTask(store, st.taskPositions, pid);
    });
  }

  private evaluate(inv: CompiledInvariant, unknown: boolean, frame: Frame | undefined, out: Verdict[]): void {
    const name = inv.ir.name;
    // (almost always empty: no set lookup per evaluation)
    if (this.overBudget.size > 0 && this.overBudget.has(name)) { this.counters.unknown[name]!++; return; }
    this.rt.stepsLeft = this.budget;
    try {
      this.evaluateWithinBudget(inv, unknown, frame, out);
    } catch (e) {
      if (!(e instanceof EvaluationBudgetExceeded)) throw e;
      this.abandon(inv, frame, out);
    } finally {
      this.rt.stepsLeft = Infinity;
    }
  }

  private evaluateWithinBudget(inv: CompiledInvariant, unknown: boolean, frame: Frame | undefined, out: Verdict[]): void {
    const env = this.env;
    const name = inv.ir.name;
    const test = inv.test;
    if (test.guard && !test.guard(env)) return;
    if (unknown) { this.skipped(name); return; }
    const counter = this.vacuous(inv.domainStore) ? this.counters.vacuous : this.counters.evaluated;
    counter[name]!++;
    let holds: boolean;
    try { holds = !!test.body(env); } catch (e) { counter[name]!--; throw e; }
    if (holds) return;
    // A loss the capture reports is named before what the spec's unknown-when clause says the
    // capture may not show: it is a fact about this capture, the clause a possibility.
    // (the when clause and the unknown-when clause too: either may have read what a gap changed)
    // (evaluated again, recording reads: with a budget of its own, as the explanation below)
    if (this.lost !== undefined) this.rt.stepsLeft = this.budget;
    const lostReason = this.lostReason(() => { inv.guard?.(env); inv.body(env); inv.unknownWhen?.(env); });
    const undecided = lostReason !== undefined || (inv.unknownWhen !== undefined && inv.unknownWhen(env) === true);
    if (undecided) this.counters.undecided[name]!++;
    const key = verdictKey((undecided ? '?' : '') + name, objectParts(this.compiled.spec, env, inv.per));
    if (!this.opts.all && this.reported.has(key)) { if (!undecided) this.counters.repeats++; return; }
    if (this.sharing !== undefined) this.ownReported();
    this.reported.add(key);
    // The explanation evaluates the body again (recording reads): it gets a budget of its own.
    this.rt.stepsLeft = this.budget;
    out.push(this.explain(inv, frame, undecided, lostReason));
  }

  /** An evaluation that spent its budget: unknown here, and not evaluated again in this trace. */
  private abandon(inv: CompiledInvariant, frame: Frame | undefined, out: Verdict[]): void {
    const env = this.env;
    const name = inv.ir.name;
    env.reads = undefined;
    if (this.overBudget === NONE_OVER_BUDGET) this.overBudget = new Set();
    (this.overBudget as Set<string>).add(name);
    this.counters.undecided[name]!++;
    const v: Verdict = {
      kind: 'unknown', invariant: name, doc: inv.ir.doc, specSpan: inv.ir.span,
      reason: `evaluating it took more than ${this.budget.toLocaleString('en-US')} steps (quantifier elements and path-search nodes) at this event; `
        + 'it is not evaluated for the rest of the trace (raise the bound with --eval-budget)',
      message: `${name} not decided: evaluation budget spent`,
      event: env.ev, call: frame?.call, slice: [], tasks: this.involvedTasks([env.ev.pid]), related: [],
    };
    this.opts.onVerdict?.(v);
    out.push(v);
  }

  /** An evaluation of `name` skipped because the step's task is unknown. */
  private skipped(name: string): void {
    this.counters.unknown[name]!++;
    if (this.stepLossUnknown) this.counters.skippedAfterLoss++;
  }

  private vacuous(store: number | undefined): boolean {
    if (store === undefined) return false;
    const st = this.rt.stores[store];
    return st instanceof KeyedStore && !st.everUsed;
  }

  private explain(inv: CompiledInvariant, frame: Frame | undefined, undecided = false, lostReason?: string): Verdict {
    const env = this.env;
    // A bare engine (`EngineOptions.bare`) gives the invariant, message and event only: it does not
    // evaluate the body again to record what it read, nor walk the state for the slice and tasks.
    const bare = this.opts.bare === true;
    let reads: Read[] = [];
    if (!bare) {
      env.reads = reads;
      inv.body(env);
      reads = env.reads;
      env.reads = undefined;
    }
    const message = inv.message ? formatValue(inv.message(env)) : `${inv.ir.name} violated`;
    if (!undecided) this.counters.violations++;
    const slice = bare ? [] : this.explainer.slice(reads, frame, env.ev);
    const reason = lostReason ?? (undecided && inv.unknownReason ? formatValue(inv.unknownReason(env)) : undefined);
    const v: Verdict = {
      kind: undecided ? 'unknown' : 'violation', ...(reason === undefined ? {} : { reason }),
      invariant: inv.ir.name, doc: inv.ir.doc, specSpan: inv.ir.span, message,
      event: env.ev, call: frame?.call, slice, tasks: bare ? [] : this.involvedTasks([env.ev.pid, ...slice.map((s) => s.ev.pid)]),
      related: bare ? [] : this.explainer.relate(env.ev.pid, slice),
    };
    if (!bare) this.explainer.remember(env.ev.pid, v);
    this.opts.onVerdict?.(v);
    return v;
  }

  /** Per task: every entry of per-task state that names it (locks held, dentries owned, ...). */
  involvedTasks(pids: number[]): Verdict['tasks'] {
    return this.explainer.involvedTasks(pids);
  }

  private checkObligation(ob: CompiledObligation, unknown: boolean, out: Verdict[]): void {
    const env = this.env;
    const name = ob.ir.name;
    if (unknown) { this.skipped(name); return; }
    if (this.vacuous(ob.domainStore)) this.counters.vacuous[name]!++;
    else this.counters.evaluated[name]!++;
    this.dueObligation = ob;
    this.dueRows = undefined;
    ob.loop(env, this.collectDue);
    // (filled by collectDue while the loop ran)
    const found = this.dueRows as Value[][] | undefined;
    this.dueObligation = undefined;
    this.dueRows = undefined;
    if (found === undefined) return;
    for (const row of found) {
      ob.ir.slots.forEach((s, i) => { env.locals[s] = row[i] ?? null; });
      const reads = this.itemReads(ob, row);
      // An item opened before a gap may have been closed by an event the gap lost; its where clause
      // may have read what one changed.
      const lostReason = this.lost === undefined ? undefined : this.lost.staleness(reads) ?? this.lostReason(() => ob.filter?.(env));
      const key = verdictKey((lostReason === undefined ? '' : '?') + name, row.map((x) => formatValue(x)));
      if (!this.opts.all && this.reported.has(key)) { if (lostReason === undefined) this.counters.repeats++; continue; }
      if (this.sharing !== undefined) this.ownReported();
      this.reported.add(key);
      env.reads = [];
      const message = ob.message ? formatValue(ob.message(env)) : `${name}: ${row.map((x) => formatValue(x)).join(', ')} still open`;
      env.reads = undefined;
      if (lostReason === undefined) this.counters.violations++;
      else this.counters.undecided[name]!++;
      const bare = this.opts.bare === true;
      const slice = bare ? [] : this.explainer.slice(reads, undefined, env.ev);
      const v: Verdict = {
        kind: lostReason === undefined ? 'violation' : 'unknown', ...(lostReason === undefined ? {} : { reason: lostReason }),
        invariant: name, doc: ob.ir.doc, specSpan: ob.ir.span, message, event: env.ev, call: undefined,
        slice, tasks: bare ? [] : this.involvedTasks([env.ev.pid]), related: bare ? [] : this.explainer.relate(env.ev.pid, slice),
      };
      if (!bare) this.explainer.remember(env.ev.pid, v);
      this.opts.onVerdict?.(v);
      out.push(v);
    }
  }

  /** The state entry behind an obligation item, for the explanation. */
  private itemReads(ob: CompiledObligation, row: Value[]): Read[] {
    if (ob.ir.domain.k !== 'state') return [];
    const store = this.rt.stores[this.compiled.storeIndex.get(ob.ir.domain.state)!];
    if (!(store instanceof KeyedStore)) return [];
    const e = store.get(row as Scalar[]);
    return e ? [{ what: `${store.name}[${row.map((x) => formatValue(x)).join(', ')}]${e.v === true ? '' : ` = ${formatValue(e.v)}`}`, ev: e.prov,
      how: 'set' }] : [];
  }

  /** End of trace: every open obligation item is reported as pending. */
  finish(): Verdict[] {
    const out: Verdict[] = [];
    const env = this.env;
    for (const ob of this.compiled.obligations) {
      if (ob.canFallDue !== undefined && !ob.canFallDue(env)) continue;
      const rows: Value[][] = [];
      ob.all(env, () => { rows.push(ob.ir.slots.map((s) => env.locals[s] ?? null)); return true; });
      for (const row of rows) {
        // An item already reported as violated at a due point is not reported again as pending.
        const parts = row.map((x) => formatValue(x));
        if (this.reported.has(verdictKey(ob.ir.name, parts)) || this.reported.has(verdictKey('?' + ob.ir.name, parts))) continue;
        ob.ir.slots.forEach((s, i) => { env.locals[s] = row[i] ?? null; });
        const reads = this.itemReads(ob, row);
        const opener = reads[0]?.ev;
        if (opener && !this.isKnown(opener.pid)) continue;
        const lostReason = this.lost?.staleness(reads);
        let message: string;
        try {
          // The message may mention the due event's fields; at the end there is none, so use the opener.
          if (opener) env.ev = opener;
          message = ob.message ? formatValue(ob.message(env)) : `${ob.ir.name}: ${row.map((x) => formatValue(x)).join(', ')} still open`;
        } catch {
          message = `${ob.ir.name}: ${row.map((x) => formatValue(x)).join(', ')} still open`;
        }
        const v: Verdict = {
          kind: lostReason === undefined ? 'pending' : 'unknown', ...(lostReason === undefined ? {} : { reason: lostReason }),
          invariant: ob.ir.name, doc: ob.ir.doc, specSpan: ob.ir.span, message: `${message} (trace ended first)`,
          event: opener, call: undefined, slice: this.explainer.slice(reads, undefined, env.ev),
          tasks: opener ? this.involvedTasks([opener.pid]) : [], related: [],
        };
        this.opts.onVerdict?.(v);
        out.push(v);
      }
    }
    return out;
  }

  /** A canonical digest of the monitor state (for exploration's visited set). */
  fingerprint(): string {
    const [past, ...rest] = this.otherParts();
    return [...this.rt.stores.map((_, i) => this.storePart(i)), past, this.framesPart(), ...rest].join('|');
  }

  /**
   * The fingerprint as a short string: each of its parts numbered (per compiled spec, as met), so
   * two engines of one compiled spec have equal digests exactly when every part of their
   * fingerprints is equal. A store's part is kept between steps that cannot write the store.
   */
  digest(): string {
    const units = DIGEST_UNITS;
    units.start();
    this.writeDigest(units);
    return units.text();
  }

  /** Writes `digest()`'s numbers to `units` (a search may number them without the string). */
  writeDigest(units: UnitSink): void {
    const x = this.sharing ?? this.startSharing(1);
    for (let i = 0; i < this.rt.stores.length; i++) {
      let id = x.parts[i];
      if (id === undefined) { id = this.storePartNumber(i); x.parts[i] = id; }
      units.put(id);
    }
    let temporal = x.temporal;
    if (temporal === undefined) {
      const part = this.temporalPart();
      temporal = this.partNumber(part);
      if (!part.includes('*')) x.temporal = temporal;
    }
    this.putLastParts(units, x, temporal);
  }

  /** The parts after the stores', alike in both digests but for the past-time tables' part (`temporal`). */
  private putLastParts(units: UnitSink, x: NonNullable<typeof this.sharing>, temporal: number): void {
    if (x.framesPart === undefined) x.framesPart = this.framesPartNumber();
    units.put(x.framesPart);
    units.put(temporal);
    units.put(this.partNumber(this.unknownPart()));
    this.putRuntimeParts(units);
    // The reported set only grows: its part is the same while its size is.
    if (x.reportedPart === undefined || x.reportedSize !== this.reported.size) {
      x.reportedPart = this.partNumber(this.reportedPart());
      x.reportedSize = this.reported.size;
    }
    units.put(x.reportedPart);
  }

  /**
   * Whether a step's outcome up to `canonicalDigest` (the digest after it, the invariants it
   * violates) is the same whatever its event's `seq`: the spec reads `seq` only in order against
   * the numbers it stored (state-abstraction.ts `seqOrderOnly`), and the engine itself not at all.
   */
  stepsIgnoreSeq(): boolean {
    return this.compiled.abstraction.seqOrderOnly;
  }

  /**
   * The digest of the state up to what the spec cannot tell apart (`CompiledSpec.abstraction`):
   * sequence stores by the ranks of their numbers, transient stores left out, past-time tables
   * by their entries and the order of the last matches a `since` compares. Two engines of one
   * compiled spec with equal canonical digests, each stepped with the events of its own run
   * (whose numbers only grow), give the same verdicts on every continuation. For a spec with
   * nothing to abstract it is `digest()`.
   */
  canonicalDigest(): string {
    if (this.compiled.abstraction.exact) return this.digest();
    const units = CANONICAL_UNITS;
    units.start();
    this.writeCanonicalDigest(units);
    return units.text();
  }

  /** Writes `canonicalDigest()`'s numbers to `units` (`writeDigest`'s for a spec with nothing to abstract). */
  writeCanonicalDigest(units: UnitSink): void {
    const a = this.compiled.abstraction;
    if (a.exact) { this.writeDigest(units); return; }
    const x = this.sharing ?? this.startSharing(1);
    for (let i = 0; i < this.rt.stores.length; i++) {
      if (a.deadStores.has(i) || a.seqStores.has(i)) continue;
      let id = x.parts[i];
      if (id === undefined) { id = this.storePartNumber(i); x.parts[i] = id; }
      units.put(id);
    }
    if (a.seqStores.size) units.put(this.seqPartNumber(x, a.seqStores));
    let temporal = x.canonicalTemporal;
    if (temporal === undefined) {
      temporal = this.partNumber(this.canonicalTemporalPart(a));
      if (a.previousTables.size === 0) x.canonicalTemporal = temporal;
    }
    this.putLastParts(units, x, temporal);
  }

  /**
   * The number of the sequence stores' part (`seqPart`). With one sequence store it is a function
   * of that store's exact part, whose number the digest keeps between steps that do not write it:
   * it is looked up by that number (`CompiledSpec.seqParts`), the ranks not taken again.
   */
  private seqPartNumber(x: Sharing, stores: Set<number>): number {
    if (stores.size !== 1) return this.partNumber(this.seqPart(stores));
    const i = stores.values().next().value!;
    let exact = x.parts[i];
    if (exact === undefined) { exact = this.storePartNumber(i); x.parts[i] = exact; }
    const memo = this.compiled.seqParts;
    let id = memo.get(exact);
    if (id === undefined) { id = this.partNumber(this.seqPart(stores)); memo.set(exact, id); }
    return id;
  }

  /** The sequence stores' part: each entry's number replaced by its rank among all their numbers (equal numbers, equal ranks). */
  private seqPart(stores: Set<number>): string {
    const nums: number[] = [];
    for (const i of stores) {
      const s = this.rt.stores[i] as KeyedStore;
      s.forEachEntry((e) => { if (typeof e.v === 'number') nums.push(e.v); return true; });
    }
    const rank = new Map<number, number>();
    for (const n of sortBy(nums, (p, q) => p - q)) if (!rank.has(n)) rank.set(n, rank.size);
    const out: string[] = [];
    for (const i of stores) {
      const s = this.rt.stores[i] as KeyedStore;
      const items: string[] = [];
      s.forEachEntry((e) => { items.push(`${keyText(e)}=${typeof e.v === 'number' ? '#' + String(rank.get(e.v)) : String(e.v)}`); return true; });
      out.push(i + ':' + sortStrings(items).join(','));
    }
    return 'Q:' + out.join('|');
  }

  /**
   * The past-time tables' part up to what their readers compare: the entries of tables no `since`
   * reads as a set; the last matches of those one does in their order, equal ones grouped; the
   * "matched at the event before" flag only for tables a `previously` reads.
   */
  private canonicalTemporalPart(a: AbstractionPlan): string {
    const loose: string[] = [];
    const stamps: { s: string; idx: number }[] = [];
    this.rt.temporal.forEach((t, i) => {
      for (const [k, e] of t.last) {
        const s = `${i}/${String(k)}${a.previousTables.has(i) && e.idx === this.idx - 1 ? '*' : ''}`;
        if (a.orderedTables.has(i)) stamps.push({ s, idx: e.idx });
        else loose.push(s);
      }
    });
    sortBy(stamps, byStamp);
    let ordered = '';
    for (let j = 0; j < stamps.length; j++) ordered += (j === 0 ? '' : stamps[j]!.idx === stamps[j - 1]!.idx ? '=' : ',') + stamps[j]!.s;
    return 'T~' + sortStrings(loose).join(',') + ';' + ordered;
  }

  /** A digest part's number (per compiled spec, as met). */
  private partNumber(part: string): number {
    const ids = this.compiled.digestParts;
    let id = ids.get(part);
    if (id === undefined) { id = ids.size; ids.set(part, id); }
    return id;
  }

  /**
   * The number of store `i`'s part of the fingerprint (`storePart`), made without its text: the
   * store's index and kind, then its entries (key parts and value) or edges as scalar numbers, in
   * their sorted order (`PartTable`). Equal exactly when the parts are: no two distinct scalars
   * share a number, and a store's key positions and values each hold one type.
   */
  private storePartNumber(i: number): number {
    const t = this.compiled.partTable;
    const s = this.rt.stores[i]!;
    t.start();
    t.put(i);
    if (s instanceof KeyedStore) {
      t.put(0);
      if (s.size === 0) return t.id();
      const top = s.topLevel();
      if (s.arity === 1) {
        for (const e of top.values()) { t.put(scalarCode((e as Entry).k0)); t.put(scalarCode((e as Entry).v)); }
        t.sortTuples(2, 2);
      } else if (s.arity === 2) {
        for (const level of top.values()) {
          for (const e of (level as Map<unknown, Entry>).values()) { t.put(scalarCode(e.k0)); t.put(scalarCode(e.k1)); t.put(scalarCode(e.v)); }
        }
        t.sortTuples(2, 3);
      } else {
        for (const e of s.entries()) { for (let k = 0; k < s.arity; k++) t.put(scalarCode(e.part(k))); t.put(scalarCode(e.v)); }
        t.sortTuples(2, s.arity + 1);
      }
      return t.id();
    }
    if (s instanceof Relation) {
      t.put(1);
      for (const [a, m] of s.succ) for (const b of m.keys()) { t.put(scalarCode(a)); t.put(scalarCode(b)); }
      t.sortTuples(2, 2);
      return t.id();
    }
    t.put(2);
    t.put(scalarCode(s.v));
    return t.id();
  }

  /**
   * The number of the open calls' part (`framesPart`), made without its text: per task in the
   * order of the pids, its pid, how many calls it has open, and each call's own part (numbered
   * once per frame, `Frame.partId`) with whether the task was unknown at it.
   */
  private framesPartNumber(): number {
    const t = this.compiled.partTable;
    const pids = PIDS;
    pids.length = 0;
    for (const p of this.frames.keys()) pids.push(p);
    if (pids.length > 1) sortBy(pids, (p, q) => p - q);
    t.start();
    t.put(-1);
    for (let j = 0; j < pids.length; j++) {
      const fs = this.frames.get(pids[j]!)!;
      t.put(pids[j]!);
      t.put(fs.length);
      for (let k = 0; k < fs.length; k++) {
        const f = fs[k]!;
        f.partId ??= this.partNumber(f.part ??= frameText(f));
        t.put(f.partId);
        t.put(f.unknown ? 1 : 0);
      }
    }
    return t.id();
  }

  /** Store `i`'s part of the fingerprint. */
  private storePart(i: number): string {
    const s = this.rt.stores[i]!;
    if (s instanceof KeyedStore) {
      // Most stores are empty at any time: their part is the index alone, with nothing to walk.
      if (s.size === 0) return i + ':';
      const items: string[] = [];
      s.forEachEntry((e) => { items.push(`${keyText(e)}=${String(e.v)}`); return true; });
      return i + ':' + sortStrings(items).join(',');
    }
    if (s instanceof Relation) return i + ':' + [...s.succ].flatMap(([a, m]) => [...m.keys()].map((b) => `${String(a)}>${String(b)}`)).sort().join(',');
    return i + ':' + String(s.v);
  }

  /**
   * The open calls' part of the fingerprint: per frame, its function, the values captured at the
   * call, the call's arguments (a return's handler reads them, `call.name`) and whether the task was
   * unknown at the call. Two engines alike but for an open call's arguments step a return apart.
   */
  private framesPart(): string {
    const tasks: string[] = [];
    for (const [p, fs] of this.frames) {
      let part = `${p}:`;
      for (let j = 0; j < fs.length; j++) {
        const f = fs[j]!;
        f.part ??= frameText(f);
        part += (j === 0 ? '' : '>') + f.part + (f.unknown ? '?' : '');
      }
      tasks.push(part);
    }
    return 'F:' + sortStrings(tasks).join(';');
  }

  /** The fingerprint's parts after the stores' but the open calls': past-time tables, unknown tasks, reported verdicts. */
  private otherParts(): string[] {
    return [this.temporalPart(), this.unknownPart(), this.reportedPart()];
  }

  /**
   * The past-time tables' part: they matter only by the order of their last matches, equal ones
   * (one event matching two tables) grouped, as `since` tells a tie (`>=`) from a strict order.
   */
  private temporalPart(): string {
    let n = 0;
    for (const t of this.rt.temporal) n += t.last.size;
    if (n === 0) return 'T:';
    const stamps: { s: string; idx: number }[] = [];
    this.rt.temporal.forEach((t, i) => {
      for (const [k, e] of t.last) stamps.push({ s: `${i}/${String(k)}${e.idx === this.idx - 1 ? '*' : ''}`, idx: e.idx });
    });
    sortBy(stamps, byStamp);
    let out = 'T:';
    for (let j = 0; j < stamps.length; j++) out += (j === 0 ? '' : stamps[j]!.idx === stamps[j - 1]!.idx ? '=' : ',') + stamps[j]!.s;
    return out;
  }

  /**
   * What the monitor keeps outside its stores and tables that a later step reads: the tasks seen
   * so far, where the spec reads the `tasks` domain, and the invariants gone over their
   * evaluation budget (not evaluated again).
   */
  private putRuntimeParts(units: UnitSink): void {
    if (this.compiled.abstraction.usesTasks) units.put(this.partNumber('K:' + sortBy([...this.rt.tasks], (p, q) => p - q).join(',')));
    if (this.overBudget.size > 0) units.put(this.partNumber('B:' + [...this.overBudget].sort().join(',')));
  }

  private unknownPart(): string {
    return this.unknownTasks.size === 0 ? 'U:' : 'U:' + [...this.unknownTasks].sort().join(',');
  }

  private reportedPart(): string {
    return this.reported.size === 0 ? 'R:' : 'R:' + [...this.reported].sort().join(',');
  }

  /**
   * An independent copy (exploration branches from it). The stores and past-time tables are
   * shared, copy on write: a store is copied at the first write that changes it (`Sharing.own`,
   * which the rules' writes reach through the runtime's `cow`); before a step, an engine copies the
   * past-time tables the step's handler records into (all of them at a task's exit or an object's
   * death; everything at a gap), so a step writes only what its own engine owns. A clone of a spec
   * of 44 stores copies the few one event changes.
   */
  clone(opts: CloneOptions = {}): Engine {
    // The constructor shares or copies what `cloneOf` holds (the stores, tables, open calls, the
    // per-task sets and maps, the reported set: shared; counters and per-handler counts: copied).
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- handed to the constructor, which takes it at once
    cloneOf = this;
    cloneTallies = opts.sharedTallies === true;
    const e = new Engine(this.compiled, opts.bare === true && this.opts.bare !== true ? { ...this.opts, bare: true } : this.opts);
    const mine = this.sharing ?? this.startSharing(0);
    mine.ownStore.fill(0);
    mine.ownTemporal.fill(0);
    mine.ownFrames = false;
    mine.ownSets = 0;
    const x = new Sharing(e.rt, noBits(mine.ownStore.length), noBits(mine.ownTemporal.length), mine.parts.slice());
    x.framesPart = mine.framesPart;
    x.canonicalTemporal = mine.canonicalTemporal;
    x.temporal = mine.temporal;
    x.reportedPart = mine.reportedPart;
    x.reportedSize = mine.reportedSize;
    e.sharing = x;
    e.rt.cow = x;
    e.newTasksUnknown = this.newTasksUnknown;
    e.newTasksLossUnknown = this.newTasksLossUnknown;
    e.noSync = this.noSync;
    e.lossWindows = this.lossWindows;
    e.lost = this.lost?.clone();
    if (this.explainerMade !== undefined) e.explainer.copyFrom(this.explainerMade);
    e.idx = this.idx;
    return e;
  }

  /** Starts tracking what is shared, with every store, table and set owned (1) or shared (0). */
  private startSharing(owned: 0 | 1): Sharing {
    const x = new Sharing(this.rt, bitWords(this.rt.stores.length, owned), bitWords(this.rt.temporal.length, owned),
      new Array<number | undefined>(this.rt.stores.length).fill(undefined));
    x.ownFrames = owned === 1;
    x.ownSets = owned === 1 ? OWN_ALL_SETS : 0;
    this.sharing = x;
    this.rt.cow = x;
    return x;
  }

  /**
   * Before a step of `ev`: the per-task sets and maps it may change become this engine's own (a
   * task first seen joins the tasks, and the unknown ones if tasks start unknown; a task's comm or
   * cpu changes; an unknown task may sync; a task's exit removes it from all).
   */
  private beforeTaskWrites(ev: TraceEvent): void {
    const x = this.sharing!;
    if ((x.ownSets & (OWN_TASKS | OWN_UNKNOWN | OWN_CPU | OWN_COMMS)) === (OWN_TASKS | OWN_UNKNOWN | OWN_CPU | OWN_COMMS)) return;
    const pid = ev.pid;
    const exits = ev.ev === TASK_EXIT;
    const isNew = !this.rt.tasks.has(pid);
    if ((isNew || exits) && (x.ownSets & OWN_TASKS) === 0) { this.rt.tasks = copySet(this.rt.tasks); x.ownSets |= OWN_TASKS; }
    if (((isNew && (this.opts.tasksStartUnknown === true || this.newTasksUnknown)) || this.unknownTasks.has(pid)) && (x.ownSets & OWN_UNKNOWN) === 0) {
      this.unknownTasks = copySet(this.unknownTasks);
      this.lossUnknown = copySet(this.lossUnknown);
      x.ownSets |= OWN_UNKNOWN;
    }
    if (((ev.cpu !== undefined && this.lastCpu.get(pid) !== ev.cpu) || (exits && this.lastCpu.has(pid))) && (x.ownSets & OWN_CPU) === 0) {
      this.lastCpu = copyMap(this.lastCpu);
      x.ownSets |= OWN_CPU;
    }
    if (((ev.comm !== undefined && this.comms.get(pid) !== ev.comm) || (exits && this.comms.has(pid))) && (x.ownSets & OWN_COMMS) === 0) {
      this.comms = copyMap(this.comms);
      x.ownSets |= OWN_COMMS;
    }
  }

  /** Before a verdict is recorded as reported: the set becomes this engine's own. */
  private ownReported(): void {
    const x = this.sharing!;
    if ((x.ownSets & OWN_REPORTED) !== 0) return;
    this.reported = copySet(this.reported);
    x.ownSets |= OWN_REPORTED;
  }

  /**
   * Before a step of an event of this phase and name: the past-time tables and open calls it may
   * change become this engine's own, and their digest parts are dropped. Stores are taken at the
   * write that changes them (`Sharing.own`, through the runtime's `cow`).
   */
  private beforeWrites(phase: Phase, name: string): void {
    const c = this.compiled;
    const h = phase === 'event' ? c.handlers.get(name) : phase === 'call' ? c.callHandlers.get(name) : c.retHandlers.get(name);
    const forgets = phase === 'event' && (name === TASK_EXIT || name === OBJECT_DIES);
    if (phase !== 'event' || forgets) this.ownFrames();
    if (h !== undefined) for (const t of h.temporal) this.ownTemporal(t.id);
    if (forgets) for (let t = 0; t < this.rt.temporal.length; t++) this.ownTemporal(t);
  }

  private ownFrames(): void {
    const x = this.sharing!;
    x.framesPart = undefined;
    if (x.ownFrames) return;
    // The stacks are copied, not their frames: a step pushes and pops frames, and only a gap
    // changes one (`forget` marks it unknown), which copies them first (`ownEverything`).
    const copy = new Map<number, Frame[]>();
    this.frames.forEach((fs, p) => { copy.set(p, fs.slice()); });
    this.frames = copy;
    x.ownFrames = true;
  }

  private ownTemporal(t: number): void {
    const x = this.sharing!;
    x.canonicalTemporal = undefined;
    x.temporal = undefined;
    if ((x.ownTemporal[t >> 5]! & (1 << (t & 31))) !== 0) return;
    this.rt.temporal[t] = this.rt.temporal[t]!.clone();
    x.ownTemporal[t >> 5]! |= 1 << (t & 31);
  }

  /** A gap may write any store and table: all become this engine's own. */
  private ownEverything(): void {
    const x = this.sharing!;
    for (let i = 0; i < this.rt.stores.length; i++) x.own(i);
    for (let t = 0; t < this.rt.temporal.length; t++) this.ownTemporal(t);
    this.ownFrames();
    // (the frames themselves too: `forget` marks a task's open calls unknown)
    for (const [p, fs] of this.frames) this.frames.set(p, fs.map((f) => ({ ...f })));
    if ((x.ownSets & OWN_TASKS) === 0) this.rt.tasks = copySet(this.rt.tasks);
    if ((x.ownSets & OWN_UNKNOWN) === 0) { this.unknownTasks = copySet(this.unknownTasks); this.lossUnknown = copySet(this.lossUnknown); }
    if ((x.ownSets & OWN_CPU) === 0) this.lastCpu = copyMap(this.lastCpu);
    if ((x.ownSets & OWN_COMMS) === 0) this.comms = copyMap(this.comms);
    this.ownReported();
    x.ownSets = OWN_ALL_SETS;
  }
}

/** Where a digest's numbers go, one at a time (`Engine.writeDigest`). */
export interface UnitSink {
  put(n: number): void;
}

/**
 * A digest's numbers as UTF-16 units, one below 0x8000, else two, the first marked: a prefix code,
 * so a digest reads back one way only. One buffer serves every digest (a spec's stores number a
 * few dozen), and the string is made whole at once: one grown unit by unit would be a chain of
 * pieces to flatten when hashed.
 */
class DigestUnits implements UnitSink {
  private readonly units: number[] = [];
  private n = 0;
  start(): void { this.n = 0; }
  put(id: number): void {
    if (id < 0x8000) this.units[this.n++] = id;
    else { this.units[this.n++] = 0x8000 | (id >>> 15); this.units[this.n++] = id & 0x7fff; }
  }
  text(): string {
    const u = this.units;
    if (u.length !== this.n) u.length = this.n;
    return String.fromCharCode.apply(null, u);
  }
}
const DIGEST_UNITS = new DigestUnits();
const CANONICAL_UNITS = new DigestUnits();

/** The order of a past-time table's last matches in a digest: by event, then by text. */
function byStamp(p: { s: string; idx: number }, q: { s: string; idx: number }): number {
  return p.idx - q.idx || (p.s < q.s ? -1 : p.s > q.s ? 1 : 0);
}

/** An entry's key as a digest writes it: `e.key().join('\u0001')`, without the array for keys of one or two parts. */
function keyText(e: Entry): string {
  if (e.k1 === undefined) return String(e.k0);
  if (e.tail().length === 0) return String(e.k0) + '\u0001' + String(e.k1);
  return e.key().join('\u0001');
}

/** A frame's part of the open calls' part but for `unknown`: its function, the values captured at the call, the call's arguments. */
function frameText(f: Frame): string {
  return f.fn + (f.olds ? '(' + f.olds.map((o) => formatValue(o)).join(',') + ')' : '') + callArgsPart(f.call);
}

/** `framesPartNumber`'s list of pids, emptied at each use. */
const PIDS: number[] = [];

/** A call's arguments as a fingerprint reads them: name and value of each, in the event's order, quoted (no two read alike). */
function callArgsPart(call: TraceEvent): string {
  return JSON.stringify(call.args);
}

/** Bit words for `n` stores or tables, every bit set (`owned` 1) or clear. */
function bitWords(n: number, owned: 0 | 1): number[] {
  const words = new Array<number>((n + 31) >> 5).fill(0);
  if (owned === 1) for (let i = 0; i < n; i++) words[i >> 5]! |= 1 << (i & 31);
  return words;
}

/** `words` clear bit words (`bitWords(.., 0)` of a length in words). */
function noBits(words: number): number[] {
  return new Array<number>(words).fill(0);
}

function copyStore(s: Store): Store {
  return s instanceof KeyedStore || s instanceof Relation ? s.clone() : { ...s };
}

function newStore(st: StateIR): KeyedStore | Relation | { v: Scalar; prov: TraceEvent | undefined } {
  switch (st.type.k) {
    case 'map': return new KeyedStore(st.name, st.type.keys.length, st.indexed);
    case 'set': return new KeyedStore(st.name, st.type.elem.length, st.indexed);
    case 'rel': return new Relation(st.name, st.indexed.has(1));
    default: return { v: null, prov: undefined };
  }
}

