/**
 * Which CPUs a capture holds records of, and whether some CPU's records are certainly left out of
 * it. Tasks move between CPUs: a file that holds the records of some CPUs only shows a task's
 * records up to where it moved to another CPU, and from where it came back. Such a task seems to
 * keep a lock it released on the other CPU, or to release one it never took, and the lock rules
 * would find violations that are only records left out.
 *
 * Two shapes are certain:
 * - a capture without a header (`trace_pipe`, `perf script`) whose records all come from one CPU
 *   other than CPU 0: CPU 0 exists, so this is one CPU's file (`per_cpu/cpuN/trace_pipe`, `perf
 *   record -C N`) of a machine with more;
 * - `trace-cmd report`, which says how many CPUs the trace.dat holds (`cpus=N`) and which of them
 *   held nothing (`CPU N is empty`): a CPU it names neither way and shows no record of was left out
 *   (`--cpu`).
 * A tracefs `trace` file (with its header) is held to the entries its header counts over every CPU
 * instead (promise.ts: `per_cpu/cpuN/trace` prints the whole buffer's count). A capture without a
 * header whose records all come from CPU 0 cannot tell a one-CPU machine from CPU 0's own file
 * (`per_cpu/cpu0/trace_pipe`): `onlyCpu0` says so, and the reader judges it only when the user says
 * the machine has one CPU.
 */
import { L_RECORD, type LineScan, type SniffState } from './line.js';

/** CPUs a capture leaves out: the CPUs (ascending), why, and the line of its first record. */
export interface CpusLeftOut { cpus: number[]; why: string; line: number }

/** A capture without a header whose records all come from CPU 0: the line of its first record. */
export interface OnlyCpu0 { line: number }

export class CpuCover {
  private readonly seen = new Set<number>();
  private firstLine = 0;
  /** A record without a CPU column: which CPUs the capture covers cannot be told. */
  private uncounted = false;
  /** Records decoded from a trace.dat: the file holds every CPU it recorded. */
  private decoded = false;

  note(sc: LineScan, line: number): void {
    if (sc.cls !== L_RECORD) return;
    if (sc.decoded !== undefined) { this.decoded = true; return; }
    if (sc.cpu < 0) { this.uncounted = true; return; }
    if (this.firstLine === 0) this.firstLine = line;
    this.seen.add(sc.cpu);
  }

  /**
   * Whether the capture, once it is all read, has no header and shows records of CPU 0 only: a
   * one-CPU machine's whole capture, or CPU 0's file of a machine with more.
   */
  onlyCpu0(st: SniffState): OnlyCpu0 | undefined {
    return this.headerlessFromOneCpu(st) === 0 ? { line: this.firstLine } : undefined;
  }

  /** The one CPU every record of a counted capture without a header comes from, if they all come from one. */
  private headerlessFromOneCpu(st: SniffState): number | undefined {
    if (this.uncounted || this.decoded || st.traceCmd || st.tracer !== undefined || st.entries !== undefined || st.latency) return undefined;
    return this.seen.size === 1 ? [...this.seen][0] : undefined;
  }

  /** The CPUs left out of the capture, once it is all read; undefined when none certainly is. */
  leftOut(st: SniffState): CpusLeftOut | undefined {
    if (this.uncounted || this.decoded || this.seen.size === 0) return undefined;
    if (st.traceCmd) {
      if (st.cpus === undefined) return undefined;
      const cpus: number[] = [];
      for (let c = 0; c < st.cpus; c++) if (!this.seen.has(c) && !(st.emptyCpus?.has(c) ?? false)) cpus.push(c);
      if (cpus.length === 0) return undefined;
      const why = `trace-cmd report says the trace.dat holds ${st.cpus} CPUs, and shows no record of ${cpusText(cpus)} `
        + `nor says ${cpus.length === 1 ? 'it is' : 'they are'} empty (a report of some CPUs only, \`--cpu\`)`;
      return { cpus, why, line: this.firstLine };
    }
    const only = this.headerlessFromOneCpu(st);
    if (only === undefined || only === 0) return undefined;
    const cpus = Array.from({ length: only }, (_, c) => c);
    const why = `every record comes from CPU ${only} and the capture has no header: it is one CPU's file of a machine with more `
      + `(per_cpu/cpu${only}/trace_pipe, or \`perf record -C ${only}\`)`;
    return { cpus, why, line: this.firstLine };
  }
}

function cpusText(cpus: number[]): string {
  return cpus.length === 1 ? `CPU ${cpus[0]}` : `CPUs ${cpus.join(', ')}`;
}
