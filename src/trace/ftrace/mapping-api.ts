/**
 * The contract between the ftrace reader and a mapping: the object that turns raw ftrace records
 * (kprobe hits, graph calls, lock events, …) into the spec's events. The bundled mapping is
 * written in the spec language and compiled into an object of this shape; tests and users may
 * also write one by hand. The reader owns parsing, pairing, ordering and accounting; the mapping
 * owns meaning (which probe is which event, how a semaphore address becomes a directory id).
 */
import type { DiagCode } from '../../diag/codes.js';
import type { TraceEvent } from '../event.js';
import type { RawFtraceRecord, RawGap, RawKind } from './raw.js';

/** What `map`, `onGap` and `finish` may return. */
export type MapResult = TraceEvent | TraceEvent[] | undefined;

export interface FtraceMapping {
  /**
   * Whether the mapping needs records of this name and kind (kprobe events by event name, e.g.
   * `dr`/`dr_ret`; graph calls by function; trace events by event name). Called for every record
   * line, so it must be cheap and pure; unwanted records are counted as unmapped and never built.
   * For `graph_exit` the name is the function being returned from.
   */
  wants(name: string, kind: RawKind): boolean;
  /**
   * Maps one wanted record, in timestamp-merged order, to zero or more events. `seq` is assigned
   * by the reader (any value may be given); `file`, `line`, `ts`, `cpu` and `comm` default to the
   * record's when left undefined.
   */
  map(rec: RawFtraceRecord, ctx: MapContext): MapResult;
  /** Called for each gap before it is passed on (its events come before the gap). */
  onGap?(gap: RawGap, ctx: MapContext): MapResult;
  /** Called once at the end of the input. */
  finish?(ctx: MapContext): MapResult;
}

export interface MapContext {
  /** Input name. */
  readonly file: string;
  /** Parameters from the command line or metadata (`i_rwsem_offset=0xa0`, …), as text. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * The task's open wanted calls (graph entries and kprobe entries not yet returned), outermost
   * first. During `map` of a call it excludes the call itself; during `map` of a return the
   * returning call has already been removed (it is `rec.entry`); at a `syscall_exit` the task's
   * kprobe entries are closed (entries of functions without a return probe would linger otherwise).
   */
  stack(pid: number, cpu?: number): readonly RawFtraceRecord[];
  /** The task's previous wanted record (the one mapped before the current record of that task). */
  last(pid: number, cpu?: number): RawFtraceRecord | undefined;
  /** Per-task state owned by the mapping, created by `init` on first use. The idle task (pid 0) is per CPU. */
  task<T>(pid: number, init: () => T, cpu?: number): T;
  /** Mapping-wide state. */
  readonly global: Map<string, unknown>;
  /** Reports a problem with a record as a warning at the record's file:line. */
  report(code: DiagCode, message: string, rec: RawFtraceRecord): void;
}
