/**
 * Pairs calls with returns per task. The kernel keeps return stacks per task while the text is
 * per CPU, so function_graph frames and kprobe entries are stacked by pid: from the
 * funcgraph-proc column, else from the latest `=>` marker of that CPU. The idle task (pid 0)
 * exists once per CPU and is keyed (0, cpu). Lines of a CPU whose task is not known yet go on a
 * per-CPU "unknown task" stack, handed to the task that the first `=>` marker names as `prev`.
 *
 * A frame is the wanted call's record, or just the function name for an unwanted call (so that
 * unwanted lines cost no record). A return whose call is missing is flagged `entryLost`;
 * frames skipped by a return of an outer function are counted as `unreturned`.
 *
 * A kretprobe misses returns when more tasks are inside its function at once than it has
 * instances (`maxactive`; `nmissed` in kprobe_profile): a `down_read` whose waiters pile up behind
 * a writer loses returns. For the functions the caller names as leaves (no probe fires inside
 * them, as in the lock acquisitions), the task's next record after an entry that is not its
 * return shows the return was missed, and `noteRecord` hands the open entry back. Which functions
 * are leaves cannot be learned from the log: a function that returns at once a thousand times
 * (d_add_ci with the name cached) can still nest the next time.
 */
import type { RawFtraceRecord } from './raw.js';

/** An open call: its record when the call was wanted, else its function (or probed symbol) name. */
export type Frame = string | RawFtraceRecord;

const MAX_GRAPH_DEPTH = 512;
const MAX_PROBE_DEPTH = 64;
const UNKNOWN_BASE = -1_000_000;

class TaskCalls {
  graph: Frame[] = [];
  probes: Frame[] = [];
  /** Per open probe entry: how many records of the task came before it. */
  probeAt: number[] = [];
  /** Probe records and syscall exits of this task so far (those `noteRecord` saw). */
  records = 0;
  lastCpu = -1;
}

function graphName(f: Frame): string {
  return typeof f === 'string' ? f : f.name;
}

function probeSym(f: Frame): string {
  return typeof f === 'string' ? f : (f.probedSym ?? '');
}

/** Stack key of a task: pid, (0, cpu) for idle, (unknown, cpu) when the pid is not known. */
export function taskKey(pid: number, cpu: number): number {
  if (pid > 0) return pid;
  if (pid === 0) return -2 - Math.max(cpu, 0);
  return UNKNOWN_BASE - Math.max(cpu, -1) - 1;
}

export class CallPairing {
  private readonly tasks = new Map<number, TaskCalls>();
  /** Current task per CPU from `=>` markers (-1 unknown). */
  private readonly cpuTask: number[] = [];
  /** Results of the last `graphExit`/`probeReturn`. */
  exitName = '';
  exitEntry: RawFtraceRecord | undefined;
  exitLost = false;
  /** Returns whose call was not seen. */
  entryLost = 0;
  /** Calls skipped by the return of an outer call (their own return was lost). */
  unreturned = 0;
  /** Symbols seen returning through a kretprobe (only their unmatched entries count as unreturned). */
  private readonly returning = new Set<string>();
  /** Returns taken as missed (see the class comment). */
  returnsMissed = 0;

  /** `leaves`: probed functions inside which no probe fires. */
  constructor(private readonly leaves: ReadonlySet<string> = new Set()) {}

  private task(pid: number, cpu: number): TaskCalls {
    const k = taskKey(pid, cpu);
    let t = this.tasks.get(k);
    if (t === undefined) { t = new TaskCalls(); this.tasks.set(k, t); }
    t.lastCpu = cpu;
    return t;
  }

  /** The task a CPU runs according to the last `=>` marker, or -1. */
  currentPid(cpu: number): number {
    return cpu >= 0 ? (this.cpuTask[cpu] ?? -1) : -1;
  }

  /** A `prev => next` marker on `cpu`. */
  onSwitch(cpu: number, prevPid: number, nextPid: number): void {
    const uk = taskKey(-1, cpu);
    const unknown = this.tasks.get(uk);
    if (unknown !== undefined) {
      this.tasks.delete(uk);
      if (unknown.graph.length > 0 || unknown.probes.length > 0) {
        const prev = this.task(prevPid, cpu);
        if (prev.graph.length === 0) prev.graph = unknown.graph;
        if (prev.probes.length === 0) {
          prev.probes = unknown.probes;
          // record counts continue on prev's: shift so that "the task's previous record" still holds
          const shift = prev.records - unknown.records;
          prev.probeAt = unknown.probeAt.map((a) => a + shift);
        }
      }
    }
    if (cpu >= 0) this.cpuTask[cpu] = nextPid;
  }

  graphEntry(pid: number, cpu: number, frame: Frame): void {
    const st = this.task(pid, cpu).graph;
    if (st.length >= MAX_GRAPH_DEPTH) st.splice(0, MAX_GRAPH_DEPTH >> 1);
    st.push(frame);
  }

  /** A graph `}`; `tail` is the name printed in `} /* fn *\/` ('' when none). Sets exitName/exitEntry/exitLost. */
  graphExit(pid: number, cpu: number, tail: string): void {
    const st = this.task(pid, cpu).graph;
    this.exitEntry = undefined;
    this.exitLost = false;
    let k = st.length - 1;
    if (tail !== '') {
      while (k >= 0 && graphName(st[k]!) !== tail) k--;
    }
    if (k < 0) {
      this.exitName = tail;
      this.exitLost = true;
      this.entryLost++;
      return;
    }
    const f = st[k]!;
    this.unreturned += st.length - 1 - k;
    st.length = k;
    this.exitName = graphName(f);
    if (typeof f !== 'string') this.exitEntry = f;
  }

  /**
   * Call first for every probe record and syscall exit of a task (`returnSym`: the probed symbol
   * when the record is a kretprobe), before its entry or return. Returns the open entry of a leaf
   * whose return the log missed, popped, if this record shows the task past it.
   */
  noteRecord(pid: number, cpu: number, returnSym: string | undefined): Frame | undefined {
    const t = this.task(pid, cpu);
    const top = t.probes.length - 1;
    let missed: Frame | undefined;
    if (top >= 0 && t.probeAt[top] === t.records - 1) {
      const sym = probeSym(t.probes[top]!);
      if (sym !== returnSym && this.leaves.has(sym)) {
        missed = t.probes.pop();
        t.probeAt.pop();
        this.returnsMissed++;
      }
    }
    t.records++;
    return missed;
  }

  probeEntry(pid: number, cpu: number, frame: Frame): void {
    const t = this.task(pid, cpu);
    if (t.probes.length >= MAX_PROBE_DEPTH) { t.probes.splice(0, MAX_PROBE_DEPTH >> 1); t.probeAt.splice(0, MAX_PROBE_DEPTH >> 1); }
    t.probes.push(frame);
    // (noteRecord already counted this record)
    t.probeAt.push(t.records - 1);
  }

  /** A kretprobe of `sym`: pops to the innermost open entry of `sym`. Sets exitEntry/exitLost. */
  probeReturn(pid: number, cpu: number, sym: string): void {
    const t = this.task(pid, cpu);
    const st = t.probes;
    this.returning.add(sym);
    this.exitName = sym;
    this.exitEntry = undefined;
    this.exitLost = false;
    let k = st.length - 1;
    while (k >= 0 && probeSym(st[k]!) !== sym) k--;
    if (k < 0) { this.exitLost = true; this.entryLost++; return; }
    for (let j = k + 1; j < st.length; j++) if (this.returning.has(probeSym(st[j]!))) this.unreturned++;
    const f = st[k]!;
    st.length = k;
    t.probeAt.length = k;
    if (typeof f !== 'string') this.exitEntry = f;
  }

  /**
   * A syscall exit: every kprobe entry of the task has returned or has no return probe, so its
   * probe stack is emptied; the entries that do have a return probe lost their return, and are
   * returned. Graph frames stay: the exit event fires inside traced exit functions.
   */
  syscallExit(pid: number, cpu: number, hasReturnProbe: (sym: string) => boolean = () => false): Frame[] {
    const t = this.task(pid, cpu);
    if (t.probes.length === 0) return [];
    const lost = t.probes.filter((f) => hasReturnProbe(probeSym(f)));
    t.probes = []; t.probeAt = [];
    return lost;
  }

  /** Lost events (of any CPU): the open calls of every task are no longer known. */
  dropAll(): void {
    for (const [k, t] of this.tasks) {
      if (k <= UNKNOWN_BASE) this.tasks.delete(k);
      else { t.graph = []; t.probes = []; t.probeAt = []; }
    }
  }

  /** Open graph frames of a task, outermost first (for tests and diagnostics). */
  graphStack(pid: number, cpu: number): readonly string[] {
    return (this.tasks.get(taskKey(pid, cpu))?.graph ?? []).map(graphName);
  }
}
