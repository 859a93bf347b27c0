/**
 * How far behind the other CPUs a record comes. ftrace prints one stream merged by timestamp; the
 * reader's reorder window (merge.ts) puts back records that `trace_pipe` printed a little out of
 * order. A record that comes later than the window allows would be judged after records it
 * preceded: per-CPU files joined one after the other (`cat per_cpu/cpu*\/trace`), or a reader that
 * fell far behind on one CPU. The read ahead measures the worst such lateness of the whole file, so
 * that the judging read can hold a window wide enough, or say that it cannot.
 */
import { splitStamp, type LineScan } from './line.js';

/** The worst lateness of a file: in the merge's units (ns for time clocks, ticks for `counter`). */
export interface Lateness {
  /** How far the record's stamp lies before the newest stamp of another CPU read before it. */
  by: number;
  /** The clock counts ticks (trace_clock=counter), not time. */
  ticks: boolean;
  /** The late record: its line and CPU. */
  line: number;
  cpu: number;
  /** The line of the newer record of another CPU that it came after. */
  after: number;
}

const scratch: { tsSec?: number | undefined; tsNsec?: number | undefined } = {};

/** A record line's stamp in the merge's units (sec·1e9 + nsec, as the reader splits it), or -1. */
export function stampOf(sc: LineScan): number {
  if (sc.tsS < 0 || sc.tsE <= sc.tsS) return -1;
  splitStamp(sc, scratch);
  return scratch.tsSec! * 1e9 + scratch.tsNsec!;
}

/** Finds the worst lateness of a file's records, line by line. */
export class LatenessMeter {
  private readonly newest = new Map<number, { cpu: number; stamp: number; line: number }>();
  /** The two CPUs with the newest stamps (of different CPUs). */
  private best: { cpu: number; stamp: number; line: number } | undefined;
  private second: { cpu: number; stamp: number; line: number } | undefined;
  private worst: Lateness | undefined;

  note(sc: LineScan, line: number): void {
    const cpu = sc.cpu;
    if (cpu < 0 || sc.decoded !== undefined) return;
    const stamp = stampOf(sc);
    if (stamp < 0) return;
    const other = this.best !== undefined && this.best.cpu !== cpu ? this.best : this.second;
    if (other !== undefined && other.stamp > stamp && (this.worst === undefined || other.stamp - stamp > this.worst.by)) {
      this.worst = { by: other.stamp - stamp, ticks: sc.tsClock === 'counter', line, cpu, after: other.line };
    }
    // (one object per CPU, its newest record, which best and second point to: a new one per record
    // was garbage at nearly every line, a capture's stamps mostly rising)
    let e = this.newest.get(cpu);
    if (e !== undefined && e.stamp >= stamp) return;
    if (e === undefined) this.newest.set(cpu, e = { cpu, stamp, line }); else { e.stamp = stamp; e.line = line; }
    if (this.best === undefined || stamp > this.best.stamp) {
      if (this.best !== undefined && this.best.cpu !== cpu) this.second = this.best;
      this.best = e;
    } else if (cpu !== this.best.cpu && (this.second === undefined || stamp > this.second.stamp)) {
      this.second = e;
    }
  }

  /** Another capture's records follow (a second header): their clock may start over. */
  restart(): void {
    this.newest.clear();
    this.best = undefined;
    this.second = undefined;
  }

  result(): Lateness | undefined {
    return this.worst;
  }
}
