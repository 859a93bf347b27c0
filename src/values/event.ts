/**
 * The values every layer shares: a scalar of a trace field or spec expression, and the one event
 * shape every trace source produces (NDJSON reader, ftrace importer, simulator) and the monitor
 * consumes. They sit at the bottom of the layers, beside the diagnostics, so that the spec's
 * analysis and the monitor can name them without depending on a trace source. Field names follow
 * the canonical NDJSON trace (Contract 1).
 */
export type Scalar = string | number | boolean | null;

export interface TraceEvent {
  /** Position in the trace (the NDJSON `seq`, or assigned in input order). */
  seq: number;
  /** The task. */
  pid: number;
  /** `call`, `ret`, or a point event of the vocabulary. */
  ev: string;
  /** Function name for `call`/`ret`. */
  fn?: string | undefined;
  args: Record<string, Scalar>;
  /** Return value of a `ret`, when known. */
  ret?: Scalar | undefined;
  /** Capture time in seconds (fractional, as ftrace prints it), when the source records one. */
  ts?: number | undefined;
  cpu?: number | undefined;
  comm?: string | undefined;
  /** Provenance: the input file and 1-based line of the record behind this event. */
  file?: string | undefined;
  line?: number | undefined;
  /**
   * For an event mapped from a raw record: per argument the mapping could not compute (none), what
   * the record shows of the raw fields it reads ("the record's sem=0xZZZZ does not give one"), so
   * that the diagnostic names what in the log is damaged.
   */
  unread?: Record<string, string> | undefined;
}

/**
 * The `args` of every event without arguments (most returns, `syscall_exit`, ...): one frozen
 * object, not one each. Events live as long as the state they explain (the entry a return set,
 * the edge a call added), and a fresh `{}` costs as much as the arguments of a call.
 */
export const NO_ARGS: Record<string, Scalar> = Object.freeze({}) as Record<string, Scalar>;
