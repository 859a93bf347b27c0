/**
 * Which kernel functions a trace shows (built from an ftrace capture's probes in
 * src/trace/coverage.ts); a complete trace, such as the simulator's, shows all. Builtins such as
 * `unprobed(...)` read it, so it sits with the shared values below the analysis.
 */
export interface ObservedFunctions {
  /** The names of `list` (blank-separated) that may exist in the kernel and have no entry probe, blank-separated. */
  unprobed(list: string): string;
  /** The same for return probes. */
  unprobedReturns(list: string): string;
  /** The same for functions missing either probe: their entries or their returns. */
  unprobedCalls(list: string): string;
  /**
   * Whether the trace shows entries of `fn` at all, whether or not the kernel has it: the test
   * for a function that is the only source of an event (a function the kernel inlined shows
   * nothing, where an acquisition variant it lacks cannot happen).
   */
  hasEntry(fn: string): boolean;
  /**
   * Whether the capture, read whole, shows the lock taken and nowhere released (its releases
   * filtered out or lost); false when it was not read ahead.
   */
  neverReleased(lock: string): boolean;
  /**
   * Whether the capture, read whole, shows the lock taken in `mode` ("R" or "W") and released only
   * in the other mode (no up_read of it at all while it is taken shared): when such a hold ends
   * cannot be told. False for a lock never released at all, and when it was not read ahead.
   */
  neverReleasedIn(lock: string, mode: string): boolean;
  /**
   * Whether the capture, read whole, shows the task taking locks in `mode` and releasing none that
   * way anywhere, where other tasks do (its release probes filtered to other tasks); false when it
   * was not read ahead.
   */
  neverReleasesIn(pid: number, mode: string): boolean;
  /**
   * Whether the capture, read whole, shows the task making in-lookup dentries and ending no
   * in-lookup state anywhere, where other tasks do (its unhash probes filtered to other tasks);
   * false when it was not read ahead.
   */
  neverEndsLookups(pid: number): boolean;
  /**
   * Whether the capture, read whole, shows the task releasing by up_read locks it took exclusive,
   * with no downgrade_write of its own anywhere, where other tasks downgrade (downgrade_write
   * filtered to other tasks); false when it was not read ahead.
   */
  neverDowngrades(pid: number): boolean;
  /**
   * Whether the capture, read whole, shows the task releasing rwsems its records show it not
   * holding where its acquisitions went unlogged (an acquisition probe's entry off for part of
   * the capture); false when it was not read ahead.
   */
  acquisitionsUnlogged(pid: number): boolean;
}
