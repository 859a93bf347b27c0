/**
 * ftrace text → TraceItem batches through a mapping: runs the raw reader with the mapping's
 * `wants` filter, keeps the per-task context the mapping may consult (open wanted calls, last
 * record, scratch state), assigns sequence numbers and provenance, and keeps `SourceStats`
 * (all but `events`, which the checker counts as it accepts them).
 */
import { warning, type Diagnostic } from '../../diag/diagnostic.js';
import type { DiagCode } from '../../diag/codes.js';
import { emptyStats, TASK_UNKNOWN, type SourceStats, type TraceEvent, type TraceGap, type TraceItem } from '../event.js';
import type { FtraceMapping, MapContext, MapResult } from './mapping-api.js';
import { taskKey } from './pairing.js';
import type { DecodedChunk } from './decoded.js';
import { recordTsSeconds, type RawFtraceRecord, type RawGap } from './raw.js';
import { emptyFtraceStats, readFtraceRecords, type FtraceReaderOptions, type FtraceReadStats } from './records.js';

export interface ReadFtraceOptions {
  file: string;
  onDiagnostic: (d: Diagnostic) => void;
  stats?: SourceStats;
  /** The raw reader's own counters (bytes, entryLost, …), when the caller wants them. */
  rawStats?: FtraceReadStats;
  params?: Record<string, string>;
  /** Items per batch (default 4096). */
  batchSize?: number;
  reorderWindowNs?: number;
  reorderWindowTicks?: number;
  maxLineBytes?: number;
  maxDiagnostics?: number;
  /** Probed functions inside which no probe fires (see records.ts). */
  leafFunctions?: Iterable<string>;
  /** Told of every wanted probe record's function (see records.ts). */
  onProbed?: (kind: 'kprobe' | 'kretprobe', fn: string) => void;
  /** Functions known to have a return probe in this capture. */
  returnProbes?: Iterable<string>;
  /** Names the functions of probe records printed with bare-address sites (see sites.ts). */
  probeSites?: FtraceReaderOptions['probeSites'];
  /** Where each lost-events marker's loss may begin (see FtraceReaderOptions). */
  lossStarts?: FtraceReaderOptions['lossStarts'];
  overwrittenUntil?: number;
}

const MAX_STACK = 64;

class TaskView {
  stack: RawFtraceRecord[] = [];
  last: RawFtraceRecord | undefined;
  lastCpu = -1;
  scratch: unknown = undefined;
  hasScratch = false;
}

/** The MapContext the reader gives a mapping. */
class Context implements MapContext {
  readonly global = new Map<string, unknown>();
  private readonly tasks = new Map<number, TaskView>();

  constructor(readonly file: string, readonly params: Readonly<Record<string, string>>, private readonly onDiagnostic: (d: Diagnostic) => void) {}

  view(pid: number, cpu = -1): TaskView {
    const k = taskKey(pid, cpu);
    let t = this.tasks.get(k);
    if (t === undefined) { t = new TaskView(); this.tasks.set(k, t); }
    return t;
  }

  stack(pid: number, cpu?: number): readonly RawFtraceRecord[] {
    return this.view(pid, cpu).stack;
  }

  last(pid: number, cpu?: number): RawFtraceRecord | undefined {
    return this.view(pid, cpu).last;
  }

  task<T>(pid: number, init: () => T, cpu?: number): T {
    const v = this.view(pid, cpu);
    if (!v.hasScratch) { v.scratch = init(); v.hasScratch = true; }
    return v.scratch as T;
  }

  report(code: DiagCode, message: string, rec: RawFtraceRecord): void {
    this.onDiagnostic(warning(code, message, { at: { source: rec.file, line: rec.line } }));
  }

  /** Lost events (of any CPU): every task's open calls are unknown. */
  dropAll(): void {
    for (const t of this.tasks.values()) t.stack = [];
  }
}

/**
 * Reads ftrace text and yields TraceItems (events and gaps) in batches. `stats` is updated as
 * batches are produced and is complete when the iteration ends.
 */
export async function* readFtrace(
  input: AsyncIterable<Buffer | Uint8Array | string | DecodedChunk>, mapping: FtraceMapping, opts: ReadFtraceOptions,
): AsyncGenerator<TraceItem[]> {
  const stats = opts.stats ?? emptyStats();
  const raw = opts.rawStats ?? emptyFtraceStats();
  const size = opts.batchSize ?? 4096;
  const ctx = new Context(opts.file, opts.params ?? {}, opts.onDiagnostic);
  let seq = 0;
  let mapped = 0;
  let batch: TraceItem[] = [];

  const add = (r: MapResult, rec: RawFtraceRecord | undefined): number => {
    if (r === undefined) return 0;
    if (Array.isArray(r)) {
      for (const e of r) push(e, rec);
      return r.length;
    }
    push(r, rec);
    return 1;
  };
  const push = (e: TraceEvent, rec: RawFtraceRecord | undefined): void => {
    e.seq = seq++;
    if (rec !== undefined) {
      if (e.file === undefined) e.file = rec.file;
      if (e.line === undefined) e.line = rec.line;
      // A `counter` clock orders records but is no time: such events carry no `ts`.
      if (e.ts === undefined && rec.tsClock !== 'counter') e.ts = recordTsSeconds(rec);
      if (e.cpu === undefined && rec.cpu >= 0) e.cpu = rec.cpu;
      if (e.comm === undefined && rec.comm !== '') e.comm = rec.comm;
    }
    // The checker counts the events it accepts (after validation against the spec's schema).
    batch.push(e);
  };
  const gapItem = (g: RawGap): TraceGap => ({
    kind: 'gap', reason: g.reason, pids: g.pid === undefined ? undefined : [g.pid], cpu: g.cpu, lost: g.lost, file: g.file, line: g.line, seq,
    ...(g.window === undefined ? {} : { window: g.window, until: g.until }),
  });
  const sync = (): void => {
    stats.lines = raw.lines;
    stats.records = raw.records;
    stats.malformed = raw.malformed;
    stats.skipped = raw.skipped;
    stats.unmapped = raw.records - mapped;
  };

  const wants = (name: string, kind: Parameters<FtraceMapping['wants']>[1]): boolean => mapping.wants(name, kind);
  // What the capture probes is known from the first record of each probe on (besides the probe
  // definitions and the first part of the input, noted before any event): the events before that
  // record are judged without it. The batch ends before that record, so that no event is judged
  // with what a later record of the same batch shows, and the verdicts do not depend on how the
  // input came in chunks (a file, a pipe, gzip or xz).
  const probed = new Set<string>();
  // Records that name no task: function_graph without funcgraph-proc prints no pid, and its `=>`
  // marker comes only when a CPU's task changes (none before a CPU's first task: verif_pid in
  // kernel/trace/trace_functions_graph.c). Taken as one task, the first tasks of two CPUs made one
  // task that took a lock the other held. Which task a CPU ran before its first marker is known
  // only later, and may be one seen on another CPU: those records are not judged, and every task
  // is unknown from there until it syncs, as where a CPU's buffer starts late.
  let untasked = 0;
  let firstUntasked: RawFtraceRecord | undefined;
  let inUntasked = false;
  for await (const items of readFtraceRecords(input, {
    file: opts.file, wanted: wants, onDiagnostic: opts.onDiagnostic, stats: raw,
    reorderWindowNs: opts.reorderWindowNs, reorderWindowTicks: opts.reorderWindowTicks, maxLineBytes: opts.maxLineBytes, maxDiagnostics: opts.maxDiagnostics,
    leafFunctions: opts.leafFunctions, returnProbes: opts.returnProbes, probeSites: opts.probeSites,
    lossStarts: opts.lossStarts, overwrittenUntil: opts.overwrittenUntil,
  })) {
    for (const it of items) {
      if (it.kind === 'gap') {
        // (a task last seen on another CPU may have run on the CPU that lost them)
        if (it.reason === 'lost events') ctx.dropAll();
        if (mapping.onGap) add(mapping.onGap(it, ctx), undefined);
        stats.gaps++;
        batch.push(gapItem(it));
        continue;
      }
      if ((it.kind === 'kprobe' || it.kind === 'kretprobe') && it.probedSym !== undefined && !it.returnMissed && opts.onProbed !== undefined) {
        const key = it.kind === 'kprobe' ? 'p' + it.probedSym : 'r' + it.probedSym;
        if (!probed.has(key)) {
          probed.add(key);
          if (batch.length > 0) { yield batch; batch = []; }
          opts.onProbed(it.kind, it.probedSym);
        }
      }
      if (it.pid < 0) {
        if (!inUntasked) {
          stats.gaps++;
          batch.push(gapItem({ kind: 'gap', reason: TASK_UNKNOWN, cpu: undefined, pid: undefined, lost: undefined, file: it.file, line: it.line }));
          inUntasked = true;
        }
        if (untasked++ === 0) firstUntasked = it;
        continue;
      }
      inUntasked = false;
      const v = ctx.view(it.pid, it.cpu);
      v.lastCpu = it.cpu;
      const isReturn = it.kind === 'graph_exit' || it.kind === 'kretprobe';
      if (isReturn && it.entry !== undefined) {
        const k = v.stack.lastIndexOf(it.entry);
        if (k !== -1) v.stack.length = k;
      } else if (it.kind === 'syscall_exit' && v.stack.length > 0 && v.stack.some((r) => r.kind === 'kprobe')) {
        // Back in user space: kprobe entries without a return probe are closed too.
        v.stack = v.stack.filter((r) => r.kind !== 'kprobe');
      }
      const n = add(mapping.map(it, ctx), it);
      // (a return put back by the reader is no record of the log)
      if (n > 0 && !it.returnMissed) mapped++;
      if (it.kind === 'graph_entry' || it.kind === 'kprobe') {
        if (v.stack.length >= MAX_STACK) v.stack.splice(0, MAX_STACK >> 1);
        v.stack.push(it);
      }
      v.last = it;
    }
    sync();
    if (batch.length >= size) {
      for (let i = 0; i < batch.length; i += size) yield batch.slice(i, i + size);
      batch = [];
    }
  }
  if (firstUntasked !== undefined && opts.onDiagnostic !== undefined) {
    opts.onDiagnostic(warning('KV337', `${untasked} record${untasked === 1 ? ' names' : 's name'} no task (function_graph without funcgraph-proc, `
      + 'before the first `=>` context-switch marker of its CPU, or anywhere without funcgraph-cpu): not judged, and every task is unknown there '
      + 'until it returns to user space',
    { at: { source: firstUntasked.file, line: firstUntasked.line } }, 'trace with `echo 1 > options/funcgraph-proc`, which prints each line\'s task'));
  }
  if (mapping.finish) add(mapping.finish(ctx), undefined);
  sync();
  if (batch.length > 0) yield batch;
}
