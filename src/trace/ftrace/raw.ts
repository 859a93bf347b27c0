/**
 * The raw ftrace record: one parsed event line of an ftrace text log, before any mapping to spec
 * events. It is deliberately format-neutral (function, function_graph, trace events, kprobes,
 * syscalls) and flat, so the reader can build one with a single allocation per wanted line.
 *
 * Text is kept byte-exact: the reader decodes input as latin1 (one char per byte), so every
 * string field here holds the original bytes as char codes 0–255. Kernel strings (kprobe
 * `:string` fetches, comms) may hold non-UTF-8 bytes; `bytes.ts` turns them into display text.
 *
 * Timestamps are two safe integers (`tsSec`, `tsNsec`) instead of a bigint: both fit in V8 small
 * integers, cost no allocation, compare exactly, and keep every nanosecond (a double would lose
 * nanoseconds after ~104 days of uptime). `recordTsNs` gives the bigint when one is needed.
 */

/** What kind of line a record came from. */
export type RawKind =
  /** `fn <-parent` (function tracer; trace-cmd `function: fn <-- parent`). */
  | 'function'
  /** function_graph `fn() {`. */
  | 'graph_entry'
  /** function_graph `}` / `} /* fn *\/`; `name` is the function it closes. */
  | 'graph_exit'
  /** function_graph `fn();` (call and return on one line). */
  | 'graph_leaf'
  /** A trace event `name: payload` (also trace_printk lines and events printed inside a graph). */
  | 'event'
  /** A kprobe/fprobe/tprobe entry: `name: (sym+off/size) args`. */
  | 'kprobe'
  /** A kretprobe/fprobe exit: `name: (caller+off/size <- sym) args`. */
  | 'kretprobe'
  /** raw_syscalls `sys_exit: NR n = r`, or syscalls `sys_xxx -> r`. */
  | 'syscall_exit'
  /** A function_graph comment that is not an event (trace_printk text). */
  | 'comment';

/** Every record kind, for exhaustive tests and generators. */
export const RAW_KINDS: readonly RawKind[] = ['function', 'graph_entry', 'graph_exit', 'graph_leaf', 'event', 'kprobe', 'kretprobe', 'syscall_exit', 'comment'];

/** How to read `tsSec`/`tsNsec`. */
export type TsClock =
  /** `secs.fraction`: nanosecond clocks (local, global, mono, boot). */
  | 'ns'
  /** An integer without a decimal point (counter, x86-tsc, uptime): the value is `tsSec * 1e9 + tsNsec`, unit unknown. */
  | 'counter'
  /** Latency format: microseconds since the start of the trace. */
  | 'relative';

export interface RawFtraceRecord {
  kind: RawKind;
  /** Function name (function/graph kinds), event name (event, syscall_exit, comment: ''), probe event name (kprobe/kretprobe). */
  name: string;
  /** Thread id; -1 when the line does not say and no `=>` marker told it yet. */
  pid: number;
  /** The TGID column (record-tgid), when printed and known. */
  tgid: number | undefined;
  /** Task name as printed (`<...>` when unknown to the kernel; cut to 7 or 8 bytes in graph/latency formats); '' when absent. */
  comm: string;
  /** CPU; -1 when the line does not say. */
  cpu: number;
  /** The timestamp text as printed (without the trailing `:`), when the line has one. */
  tsRaw: string | undefined;
  /** Whole seconds (or the value div 1e9 for `counter` clocks). */
  tsSec: number | undefined;
  /** Nanoseconds within the second (or the value mod 1e9). */
  tsNsec: number | undefined;
  tsClock: TsClock | undefined;
  /** The irq/preempt flags column as printed (`d..1.`), when present. */
  flags: string | undefined;
  /**
   * Arguments as raw text: kprobe `name=value` pairs (quotes removed), the fields of the events
   * with a known grammar (lock_*, contention_*, sched_switch, sys_exit), `key=value` pairs of other
   * events, `parent`/`module`/`offset` of function lines, funcgraph-args.
   */
  args: Record<string, string>;
  /** The text after `name:` (events, probes), as printed. */
  payload: string | undefined;
  /** kprobe: the probed function (`sym` of `(sym+off/size)`); kretprobe: the function returned from (`<- sym`). */
  probedSym: string | undefined;
  /** kprobe: `sym+off/size`; kretprobe: `caller+off/size` (where it returned to). */
  site: string | undefined;
  /** Return value text: graph `/* = X *\/` or `/* ret=X *\/`, syscall exits. kretprobe values stay in `args`. */
  retval: string | undefined;
  /** A return (graph_exit, kretprobe) whose call was not seen on this task. */
  entryLost: boolean;
  /** A kretprobe return the log missed, put back by the reader right after its call (see pairing.ts). */
  returnMissed: boolean;
  /** For a return: the matching call's record, when that call was itself a wanted record. */
  entry: RawFtraceRecord | undefined;
  /** function_graph duration in nanoseconds (exits and leaves). */
  durationNs: number | undefined;
  /** Provenance: input name and 1-based line. */
  file: string;
  line: number;
}

/** Why a gap was emitted. */
export type RawGapReason = 'lost events' | 'buffer started' | 'line too big' | 'overwritten history' | 'malformed record' | 'truncated record'
  | 'return missing' | 'time went backwards' | 'entries missing' | 'unresolved probe site' | 'records tied across CPUs' | 'a new capture begins'
  | 'task unknown';

/** A span of unknown history, in stream order among the records. */
export interface RawGap {
  kind: 'gap';
  reason: RawGapReason;
  /** The CPU whose tasks are affected; undefined = every task. */
  cpu: number | undefined;
  /** The task affected, when known (malformed record with a readable prefix). */
  pid: number | undefined;
  /** Events known lost, when the input says. */
  lost: number | undefined;
  file: string;
  line: number;
  /**
   * A loss of events that may lie anywhere between two places of the log: `opens` where it may
   * begin (after the CPU's last record before its lost-events marker), `closes` at the marker. No
   * task is known between the two, not even after a syscall exit there.
   */
  window?: 'opens' | 'closes';
  /** For `opens`: the line of the marker that closes it. */
  until?: number;
  /**
   * A task's gap found at its next record, on this CPU: the merge puts it right before that
   * record among the CPU's own, where a gap of no CPU would flush every record held before it
   * (and split a timestamp's tied records, whose order it decides together).
   */
  before?: number;
}

export type RawItem = RawFtraceRecord | RawGap;

/** One batch of the streaming reader, in stream (merged) order. */
export type RawRecordBatch = RawItem[];

export function isRawGap(item: RawItem): item is RawGap {
  return item.kind === 'gap';
}

/** A new record with every field present (one hidden class for all records). */
export function newRecord(kind: RawKind, name: string, file: string, line: number): RawFtraceRecord {
  return {
    kind, name, pid: -1, tgid: undefined, comm: '', cpu: -1,
    tsRaw: undefined, tsSec: undefined, tsNsec: undefined, tsClock: undefined, flags: undefined,
    args: {}, payload: undefined, probedSym: undefined, site: undefined, retval: undefined,
    entryLost: false, returnMissed: false, entry: undefined, durationNs: undefined, file, line,
  };
}

/** The record's timestamp as a bigint (nanoseconds, or counter ticks), when it has one. */
export function recordTsNs(rec: Pick<RawFtraceRecord, 'tsSec' | 'tsNsec'>): bigint | undefined {
  if (rec.tsSec === undefined || rec.tsNsec === undefined) return undefined;
  return BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec);
}

/** The record's timestamp in seconds as a double (for display and `TraceEvent.ts`; may round). */
export function recordTsSeconds(rec: Pick<RawFtraceRecord, 'tsSec' | 'tsNsec'>): number | undefined {
  if (rec.tsSec === undefined || rec.tsNsec === undefined) return undefined;
  return rec.tsSec + rec.tsNsec / 1e9;
}
