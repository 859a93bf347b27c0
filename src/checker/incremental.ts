/**
 * The monitor as an exploration component: step one event at a time, branch (clone), and hash
 * the monitor state (fingerprint) so a search can prune states it has already seen.
 */
import { loadSpec } from '../analysis/load.js';
import { CompiledSpec } from './check.js';
import type { Engine, UnitSink, Verdict } from './engine.js';
import type { TraceEvent } from '../trace/event.js';

export type { UnitSink, Verdict };

export interface IncrementalChecker {
  /** Violations caused by this event: a list to read, not to change (a step without any returns one shared, frozen empty list). */
  step(e: TraceEvent): Verdict[];
  /** Obligations still open when the run ends (pending). */
  finish(): Verdict[];
  clone(): IncrementalChecker;
  /**
   * A copy whose verdicts, and its clones', carry no explanation (no slice, tasks or related
   * verdicts): for a search that takes each counterexample's verdict again from its own path.
   */
  bare?(): IncrementalChecker;
  /** A canonical digest of the monitor state. */
  fingerprint(): string;
  /**
   * A digest that may equate states no continuation tells apart (each stepped with its own run's
   * events): what a search may merge. Absent: `fingerprint()`.
   */
  abstractFingerprint?(): string;
  /**
   * Writes the numbers `fingerprint()` is made of to `units` (equal numbers exactly when the
   * fingerprints are equal): a search numbers them without the string. Absent: the string is numbered.
   */
  writeFingerprint?(units: UnitSink): void;
  /** `abstractFingerprint()`'s numbers, as `writeFingerprint` writes `fingerprint()`'s. */
  writeAbstractFingerprint?(units: UnitSink): void;
  /**
   * Whether what a step gives up to the abstract fingerprint (the abstract fingerprint after it,
   * the invariants it violates) is decided by the abstract fingerprint before it and the event
   * without its `seq` (the spec reads `seq` only in order against numbers it stored, each smaller
   * than any later event's: state-abstraction.ts `seqOrderOnly`). A search may then take a step
   * once for every state of one abstract fingerprint, at any depth. Absent: false.
   */
  stepsIgnoreSeq?(): boolean;
}

class EngineChecker implements IncrementalChecker {
  constructor(private readonly engine: Engine) {}
  step(e: TraceEvent): Verdict[] { return this.engine.step(e); }
  finish(): Verdict[] { return this.engine.finish(); }
  // A checker shows verdicts and digests only, never the engine's counters: its clones need no copies of them.
  clone(): IncrementalChecker { return new EngineChecker(this.engine.clone({ sharedTallies: true })); }
  bare(): IncrementalChecker { return new EngineChecker(this.engine.clone({ sharedTallies: true, bare: true })); }
  fingerprint(): string { return this.engine.digest(); }
  abstractFingerprint(): string { return this.engine.canonicalDigest(); }
  writeFingerprint(units: UnitSink): void { this.engine.writeDigest(units); }
  writeAbstractFingerprint(units: UnitSink): void { this.engine.writeCanonicalDigest(units); }
  stepsIgnoreSeq(): boolean { return this.engine.stepsIgnoreSeq(); }
}

/**
 * A checker factory over a compiled spec. As `kinv check` without `--all`, only the first violation
 * of each invariant per object is reported along a run: exploration and fuzzing keep one
 * counterexample per invariant, so a repeat adds nothing.
 */
export function incrementalChecker(compiled: CompiledSpec): () => IncrementalChecker {
  return () => new EngineChecker(compiled.start({ all: false }));
}

/** The bundled VFS spec compiled with the given parameters (e.g. `{ order: 'new' }`). */
export function bundledChecker(params: Record<string, string> = {}): () => IncrementalChecker {
  const r = loadSpec([], { params });
  if (!r.ok) throw new Error(`bundled spec failed to load: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return incrementalChecker(new CompiledSpec(r.value.spec));
}
