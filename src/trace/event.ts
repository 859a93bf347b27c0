/**
 * The one event shape every trace source produces (NDJSON reader, ftrace importer, simulator) and
 * the checker consumes. Field names follow the canonical NDJSON trace (Contract 1).
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
 * A span of the trace where a task's (or every task's) history is incomplete: the checker treats
 * the affected tasks' state as unknown until a synchronising event of the spec.
 */
export interface TraceGap {
  kind: 'gap';
  /** Why: lost events, a buffer that started late, a line too big, a missing call, ... */
  reason: string;
  /** Tasks affected; `undefined` means every task seen on `cpu` (or every task when no cpu). */
  pids?: number[] | undefined;
  cpu?: number | undefined;
  /** Events known lost, when the source says. */
  lost?: number | undefined;
  /** The loss has no known place (a shortfall of a header's count): the tasks stay unknown to the end. */
  lasting?: boolean | undefined;
  file?: string | undefined;
  line?: number | undefined;
  seq: number;
}

/** What a source yields: events in batches, with gaps in stream order. */
export type TraceItem = TraceEvent | TraceGap;

export function isGap(item: TraceItem): item is TraceGap {
  return (item as TraceGap).kind === 'gap';
}

/** Input accounting every source reports, so nothing is dropped silently. */
export interface SourceStats {
  /** Input lines read. */
  lines: number;
  /** Raw records parsed. */
  records: number;
  /** Records mapped to spec events. */
  events: number;
  /** Lines that are neither a record nor a recognised non-event line. */
  malformed: number;
  /** Lost-event or unknown-state spans. */
  gaps: number;
  /** Records parsed but not mapped (unmapped functions or events), kept as a count. */
  unmapped: number;
  /** Recognised non-event lines (headers, comments, blank lines, markers). */
  skipped: number;
}

export function emptyStats(): SourceStats {
  return { lines: 0, records: 0, events: 0, malformed: 0, gaps: 0, unmapped: 0, skipped: 0 };
}
