/**
 * What `kinv conform`'s first pass hands the judging (conform.ts → judge.ts): the projected steps
 * of the trace, and what the capture can and cannot show.
 */
import type { Obs } from './project.js';
import type { ShownSpan } from './probe-windows.js';

/** A gap in the trace: the tasks it names (every task when undefined) are unknown after it. */
export interface GapStep {
  ev: 'gap';
  pids: number[] | undefined;
  line: number | undefined;
  file: string | undefined;
  /** What the gap is when it is not the trace's own (an event the model cannot take). */
  what?: string;
  /**
   * Records of different tasks on different CPUs that share a stamp the log prints lowest CPU
   * first: their order is not known. The model takes them in the log's order; a behaviour found
   * so shows the trace conforms, a failure after it is no verdict.
   */
  tie?: 'opens' | 'closes';
}

/** An observation of a directory (`dir` set), a syscall's end (`sync`: every directory), or a gap. */
export type Step = Obs | GapStep;

export function isGapStep(st: Step): st is GapStep {
  return st.ev === 'gap';
}

/** What the first pass learns about the capture. */
export interface Capture {
  steps: Step[];
  /** A complete trace (every event of every task from its start), not a capture. */
  complete: boolean;
  /** The kinds of events the capture shows: event → the functions of its events ('' for none). */
  shown: Map<string, Set<string>>;
  /**
   * The directories in which a capture shows a ->lookup return: each filesystem's ->lookup has
   * its own return probe, and a capture may lack one filesystem's (fs_lookup_ext4_ret) and not
   * another's, so elsewhere a ->lookup's return is a step the model takes unseen.
   */
  lookupReturnDirs: Set<string>;
  /**
   * `ev fn` → the span of event indexes in which that kind counts as shown, for kinds whose probe
   * was on for part of the capture only (probe-windows.ts); every other kind shown counts throughout.
   */
  shownSpans: Map<string, ShownSpan>;
  /** Directories whose ->lookup is a case-insensitive XFS's (the `fs` of their `lookup` calls). */
  ciDirs: Set<string>;
  /** Directories whose ->lookup is ext4's (casefolded or not). */
  ext4Dirs: Set<string>;
  /** Directories whose ->lookup is that of a filesystem with ->d_revalidate (REVALIDATING_FS). */
  vfatDirs: Set<string>;
  allocFailures: boolean;
  /** Whether the capture shows a ->lookup returning an error pointer: else the model's failing ->lookup is not tried. */
  lookupFailures: boolean;
  /** Whether the capture shows a W outcome of d_alloc_parallel (an ftrace capture shows it as H). */
  showsWaitedOutcome: boolean;
  missingAcquisitions: Set<string>;
  /** The capture's ->lookup calls inside __lookup_slow without their d_alloc_parallel, in words, where it shows d_alloc_parallel elsewhere. */
  lookupsWithoutAlloc: string | undefined;
  /** Releases that end an acquisition the capture does not show (see firstPass). */
  unseenReleases: Set<Obs>;
  unreleasedLocks: number;
  unshownLookupDirs: number;
  /** Why the capture cannot conform: a directory not followed for its unshown ->lookup calls d_add_ci, where the shapes differ. */
  unshownDci: string | undefined;
  lookupOneHoldEvents: number;
  primingReaddirEvents: number;
  dAddCiCalls: number;
  events: number;
  judged: number;
  directories: number;
  unknownTaskEvents: number;
  gaps: number;
}
