/**
 * What a trace source yields: events (their shape is in src/values/event.ts), gaps where a task's
 * history is incomplete, and the input accounting every source reports.
 */
import type { TraceEvent } from '../values/event.js';

// The shared values live at the bottom layer; trace sources and their users keep importing them from here.
/**
 * The reason of the gaps an ftrace reader puts around records of different tasks whose order
 * across CPUs the log cannot tell (ftrace/merge.ts): kinv conform takes them in the log's order.
 */
export const TIED_ACROSS_CPUS = 'records tied across CPUs';
/**
 * The reason of the gap at records that name no task: function_graph without funcgraph-proc
 * prints no pid, and a CPU's task is known only from its first `=>` marker on.
 */
export const TASK_UNKNOWN = 'task unknown';

export { NO_ARGS, type Scalar, type TraceEvent } from '../values/event.js';

/**
 * A span of the trace where a task's (or every task's) history is incomplete: the checker treats
 * the affected tasks' state as unknown until a synchronising event of the spec.
 */
export interface TraceGap {
  kind: 'gap';
  /** Why: lost events, a buffer that started late, a line too big, a missing call, ... */
  reason: string;
  /**
   * Tasks affected; `undefined` means every task, even when the loss is of one CPU (`cpu`): a task
   * last seen on another CPU may have run on that one in the lost span.
   */
  pids?: number[] | undefined;
  cpu?: number | undefined;
  /** Events known lost, when the source says. */
  lost?: number | undefined;
  /** The loss has no known place (a shortfall of a header's count): the tasks stay unknown to the end. */
  lasting?: boolean | undefined;
  /**
   * A loss that may lie anywhere between two places (a lost-events marker and the record of its
   * CPU before it): `opens` where it may begin, `closes` where it is known to end. No sync makes a
   * task known between the two (it may have lost events after that sync).
   */
  window?: 'opens' | 'closes' | undefined;
  /** For `opens`: the line of the marker that closes it. */
  until?: number | undefined;
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
