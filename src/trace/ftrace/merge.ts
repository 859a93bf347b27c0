/**
 * Restores timestamp order across CPUs within a bounded window. ftrace merges per-CPU buffers at
 * read time; `trace_pipe` merges only what each read found, so records of different CPUs can come
 * out of order. Per-CPU order is the ground truth and is never changed: each CPU is a FIFO, and
 * the output is a k-way merge of the FIFO heads, releasing a head once the newest timestamp seen is
 * more than `windowNs` later. Items without a timestamp and gaps without a CPU are barriers: they
 * flush everything before them.
 *
 * Equal timestamps do not order records of different CPUs: ftrace merges by the full stamp and
 * prints a tie lowest CPU first, whatever ran first (the `global` clock hands a lagging CPU the
 * last stamp it gave out, so a guest's CPUs can tie for long stretches). A task runs on one CPU
 * at a time: when the head of one CPU is a task last seen on another CPU that still holds records
 * of that task with the same stamp, the task ran there first and migrated, so those go first.
 * Otherwise ties keep input order (within a printed tie of distinct stamps, the log's order is the
 * stamps' order). Where the order may be wrong, the tasks concerned get a gap (unorderedTies).
 *
 * A `counter` clock (trace_clock=counter) counts events, not time: one tick per event, shared by
 * all CPUs. Its window is counted in ticks (4096 by default: the records of a millisecond at four
 * million events a second), so that it holds about as many records as the time window holds at a
 * high event rate; a window in nanoseconds read as ticks would hold a million records, most
 * captures whole, until their end.
 */
import { TIED_ACROSS_CPUS } from '../event.js';
import type { RawFtraceRecord, RawGap, RawItem } from './raw.js';

interface Entry {
  item: RawItem;
  sec: number;
  nsec: number;
  order: number;
  cpu: number;
  /** The record's task, -1 for gaps and records that do not say. */
  pid: number;
}

function backwardsGap(rec: RawFtraceRecord): RawGap {
  return { kind: 'gap', reason: 'time went backwards', cpu: undefined, pid: undefined, lost: undefined, file: rec.file, line: rec.line };
}

class CpuQueue {
  items: Entry[] = [];
  head = 0;
  get size(): number { return this.items.length - this.head; }
  peek(): Entry | undefined { return this.items[this.head]; }
  shift(): Entry {
    const e = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) { this.items = this.items.slice(this.head); this.head = 0; }
    return e;
  }
}


/** The default window of a `counter` clock, in ticks (events). */
export const DEFAULT_WINDOW_TICKS = 1 << 12;

/** A window as whole seconds and nanoseconds (ticks: the value div and mod 1e9, as records carry them). */
function splitWindow(w: number): [number, number] {
  const v = Math.max(0, Math.floor(w));
  return [Math.floor(v / 1e9), v % 1e9];
}

export class ReorderWindow {
  private readonly queues = new Map<number, CpuQueue>();
  /** The same queues in the order they were made (the Map's order), walked by `drain` without an iterator. */
  private readonly queueList: CpuQueue[] = [];
  private wSec: number;
  private wNsec: number;
  /** The clock of the records so far counts ticks (see the module comment). */
  private ticks = false;
  private maxSec = -Infinity;
  private maxNsec = 0;
  private order = 0;
  private pending = 0;
  /** The CPU of each task's last emitted record. */
  private readonly lastCpu = new Map<number, number>();
  /** Emitted records whose timestamp equals the previous record's, from another CPU. */
  crossCpuTies = 0;
  /** The first line of such a tie, for the diagnostic. */
  firstTieLine = 0;
  private last: Entry | undefined;

  /** Per CPU, the stamp of its latest record: a CPU's own buffer is in time order. */
  private readonly cpuSec = new Map<number, number>();
  private readonly cpuNsec = new Map<number, number>();

  /**
   * `emit` receives items in output order. `windowNs` ≥ 0. `onBackwards` hears of a record older
   * than the one before it on its own CPU: lines of the log were moved or lost, so a gap of every
   * task is put before the records it overtook (those still held), and another after it.
   */
  constructor(private readonly windowNs: number, private readonly emit: (item: RawItem) => void,
    private readonly onBackwards?: (rec: RawFtraceRecord) => void, private readonly windowTicks = DEFAULT_WINDOW_TICKS) {
    [this.wSec, this.wNsec] = splitWindow(windowNs);
  }

  push(item: RawItem): void {
    const cpu = item.cpu ?? -1;
    if (item.kind === 'gap') {
      if (item.before !== undefined && item.pid !== undefined) {
        // (at its CPU's latest stamp, no later than the record it goes before: the CPU's order)
        const own = this.cpuSec.get(item.before);
        if (own !== undefined) { this.enqueue(item.before, item, own, this.cpuNsec.get(item.before)!); this.drain(false); return; }
      }
      if (cpu < 0 || this.maxSec === -Infinity) { this.flush(); this.emit(item); return; }
      // (a loss that may begin right after its CPU's last record goes before other CPUs' later ones)
      const own = item.window === 'opens' ? this.cpuSec.get(cpu) : undefined;
      if (own !== undefined) this.enqueue(cpu, item, own, this.cpuNsec.get(cpu)!);
      else this.enqueue(cpu, item, this.maxSec, this.maxNsec);
    } else {
      if ((item.tsClock === 'counter') !== this.ticks) {
        this.ticks = !this.ticks;
        [this.wSec, this.wNsec] = splitWindow(this.ticks ? this.windowTicks : this.windowNs);
      }
      if (item.tsSec === undefined || item.tsNsec === undefined || cpu < 0) { this.flush(); this.emit(item); return; }
      const s = item.tsSec;
      const n = item.tsNsec;
      const cs = this.cpuSec.get(cpu);
      const back = this.onBackwards !== undefined && (this.forceBackwards || (cs !== undefined && (s < cs || (s === cs && n < this.cpuNsec.get(cpu)!))));
      this.forceBackwards = false;
      if (s > this.maxSec || (s === this.maxSec && n > this.maxNsec)) { this.maxSec = s; this.maxNsec = n; }
      if (back) this.backwards(item, cpu, s, n);
      else {
        this.cpuSec.set(cpu, s);
        this.cpuNsec.set(cpu, n);
        this.enqueue(cpu, item, s, n);
      }
    }
    this.drain(false);
  }

  /**
   * Set by the reader when the next record is older than a line of its CPU the window never saw
   * (one no mapping wants): that record takes the out-of-order path whatever the window holds.
   */
  forceBackwards = false;

  /**
   * A line no mapping wants (`rec` stands for it and is not emitted) is older than the line before
   * it on its CPU: the same gaps as for a record out of order, without the record.
   */
  outOfOrder(rec: RawFtraceRecord): void {
    const cpu = rec.cpu;
    if (this.onBackwards === undefined || cpu < 0 || rec.tsSec === undefined || rec.tsNsec === undefined) return;
    this.backwards(rec, cpu, rec.tsSec, rec.tsNsec, false);
  }

  /**
   * `rec` is older than records of its CPU read before it. It goes where its stamp puts it among
   * those still held, with a gap of every task before it and another after the last of them:
   * whatever order the span had, its records are judged with every task unknown, and a sync
   * inside it does not make a task known past it.
   */
  private backwards(rec: RawFtraceRecord, cpu: number, sec: number, nsec: number, emitRecord = true): void {
    this.onBackwards?.(rec);
    let q = this.queues.get(cpu);
    if (q === undefined) q = this.newQueue(cpu);
    let at = q.items.length;
    for (let i = q.head; i < q.items.length; i++) {
      const x = q.items[i]!;
      if (x.sec > sec || (x.sec === sec && x.nsec > nsec)) { at = i; break; }
    }
    const order = at < q.items.length ? q.items[at]!.order : this.order++;
    const recPid = rec.pid <= 0 ? -1 : rec.pid;
    if (emitRecord) {
      q.items.splice(at, 0,
        { item: backwardsGap(rec), sec, nsec, order, cpu, pid: -1 },
        { item: rec, sec, nsec, order, cpu, pid: recPid });
    } else {
      q.items.splice(at, 0, { item: backwardsGap(rec), sec, nsec, order, cpu, pid: -1 });
    }
    const last = q.items[q.items.length - 1]!;
    q.items.push({ item: backwardsGap(rec), sec: last.sec, nsec: last.nsec, order: this.order++, cpu, pid: -1 });
    this.pending += emitRecord ? 3 : 2;
  }

  /**
   * Emits everything held and forgets every CPU's stamps: the records after this come from another
   * capture, whose clock may have started over (a later record older than an earlier one is then no
   * line moved or lost).
   */
  restart(): void {
    this.flush();
    this.cpuSec.clear();
    this.cpuNsec.clear();
    this.maxSec = -Infinity;
    this.maxNsec = 0;
    this.last = undefined;
    this.tieSec = -Infinity;
    this.tieNsec = 0;
  }

  /** Emits everything held. */
  flush(): void {
    if (this.pending > 0) this.drain(true);
    this.closeUnordered();
  }

  private newQueue(cpu: number): CpuQueue {
    const q = new CpuQueue();
    this.queues.set(cpu, q);
    this.queueList.push(q);
    return q;
  }

  private enqueue(cpu: number, item: RawItem, sec: number, nsec: number): void {
    let q = this.queues.get(cpu);
    if (q === undefined) q = this.newQueue(cpu);
    // (pid 0 is each CPU's own idle task: no task identity across CPUs)
    q.items.push({ item, sec, nsec, order: this.order++, cpu, pid: item.kind === 'gap' || item.pid <= 0 ? -1 : item.pid });
    this.pending++;
  }

  private before(a: Entry, b: Entry): boolean {
    if (a.sec !== b.sec) return a.sec < b.sec;
    if (a.nsec !== b.nsec) return a.nsec < b.nsec;
    const aWaits = this.migratedAfter(a);
    return aWaits !== this.migratedAfter(b) ? !aWaits : a.order < b.order;
  }

  /** True when the entry's task was last seen on another CPU that still holds its records of the same stamp. */
  private migratedAfter(e: Entry): boolean {
    if (e.pid < 0) return false;
    const last = this.lastCpu.get(e.pid);
    if (last === undefined || last === e.cpu) return false;
    const q = this.queues.get(last);
    if (q === undefined) return false;
    for (let i = q.head; i < q.items.length; i++) {
      const x = q.items[i]!;
      if (x.sec !== e.sec || x.nsec !== e.nsec) return false;
      if (x.pid === e.pid) return true;
    }
    return false;
  }

  /** The stamp whose records were last looked at for ties (unorderedTies). */
  private tieSec = -Infinity;
  private tieNsec = 0;
  /** Records of different tasks whose order across CPUs the log cannot tell (unorderedTies), and the first one's line. */
  unorderedRecords = 0;
  firstUnorderedLine = 0;

  /**
   * Before the first record of a stamp leaves, the records of that stamp, all held now (they leave
   * together): ftrace prints records whose full stamps tie lowest CPU first, whatever ran first, so
   * where the log shows CPUs ascending within one stamp it does not say which record came first.
   * (Where a higher CPU comes before a lower one the stamps differ and the log's order is theirs:
   * a stamp printed in microseconds ties records that are apart in nanoseconds.) The tasks of such
   * a run of different tasks on different CPUs get a gap each before it: their state is unknown
   * until they synchronise again, rather than judged in an order that may be wrong.
   */
  private unorderedTies(first: Entry): void {
    // (most stamps hold one record, or records of one CPU: nothing to gather)
    let otherCpu = false;
    for (const q of this.queueList) {
      const x = q.peek();
      if (x !== undefined && x.cpu !== first.cpu && x.sec === first.sec && x.nsec === first.nsec) { otherCpu = true; break; }
    }
    if (!otherCpu) return;
    const group: Entry[] = [];
    for (const q of this.queueList) {
      for (let i = q.head; i < q.items.length; i++) {
        const x = q.items[i]!;
        if (x.sec !== first.sec || x.nsec !== first.nsec) break;
        if (x.item.kind !== 'gap') group.push(x);
      }
    }
    if (group.length < 2) return;
    group.sort((a, b) => a.order - b.order);
    const pids = new Set<number>();
    let lastLine = 0;
    let run: Entry[] = [];
    const close = (): void => {
      const cpus = new Set(run.map((x) => x.cpu));
      const tasks = new Set(run.filter((x) => x.pid > 0).map((x) => x.pid));
      if (cpus.size > 1 && tasks.size > 1) {
        for (const p of tasks) pids.add(p);
        for (const x of run) lastLine = Math.max(lastLine, x.item.line);
        if (this.unorderedRecords === 0) this.firstUnorderedLine = run[0]!.item.line;
        this.unorderedRecords += run.length;
      }
      run = [];
    };
    for (const x of group) {
      if (run.length > 0 && x.cpu < run[run.length - 1]!.cpu) close();
      run.push(x);
    }
    close();
    // A task with records of this stamp on two CPUs migrated inside it. Which ran first the log
    // may not say, and the reader paired its calls and returns (and placed a missed return) in the
    // log's order, which the merge may have changed: its state is unknown from here too.
    const cpuOf = new Map<number, number>();
    for (const x of group) {
      if (x.pid <= 0) continue;
      const c = cpuOf.get(x.pid);
      if (c === undefined) { cpuOf.set(x.pid, x.cpu); continue; }
      if (c === x.cpu || pids.has(x.pid)) continue;
      pids.add(x.pid);
      const mine = group.filter((y) => y.pid === x.pid);
      for (const y of mine) lastLine = Math.max(lastLine, y.item.line);
      if (this.unorderedRecords === 0) this.firstUnorderedLine = mine[0]!.item.line;
      this.unorderedRecords += mine.length;
    }
    if (pids.size === 0) return;
    this.unorderedPids = [...pids];
    this.unorderedLine = lastLine;
    this.tieGaps('opens', first.item.file, first.item.line);
  }

  /** The tasks of the unordered run being emitted (unorderedTies), and the line where it began. */
  private unorderedPids: number[] = [];
  private unorderedLine = 0;
  private unorderedFile = '';

  /**
   * A gap of each task of the run: where it begins, the first one opens a window inside which no
   * task synchronises; where it ends, they are forgotten again (what they did inside it was judged
   * in an order that may be wrong), and the window closes.
   */
  private tieGaps(window: 'opens' | 'closes', file: string, line: number): void {
    this.unorderedFile = file;
    this.unorderedPids.forEach((pid, i) => {
      const g: RawGap = { kind: 'gap', reason: TIED_ACROSS_CPUS, cpu: undefined, pid, lost: undefined, file, line };
      if (i === 0) { g.window = window; if (window === 'opens') g.until = this.unorderedLine; }
      this.emit(g);
    });
  }

  /** Ends the unordered run, if one is being emitted: the last of its records has left. */
  private closeUnordered(): void {
    if (this.unorderedPids.length === 0) return;
    this.tieGaps('closes', this.unorderedFile, this.unorderedLine);
    this.unorderedPids = [];
  }

  private drain(all: boolean): void {
    let ws = this.maxSec - this.wSec;
    let wn = this.maxNsec - this.wNsec;
    if (wn < 0) { wn += 1e9; ws -= 1; }
    while (this.pending > 0) {
      let best: CpuQueue | undefined;
      let bestE: Entry | undefined;
      const list = this.queueList;
      // Only heads old enough to leave are compared: a later stamp never goes first, so the
      // earliest of those is the earliest of all whenever any may leave.
      for (let i = 0; i < list.length; i++) {
        const q = list[i]!;
        const e = q.peek();
        if (e === undefined || (!all && (e.sec > ws || (e.sec === ws && e.nsec > wn)))) continue;
        if (bestE === undefined || this.before(e, bestE)) { best = q; bestE = e; }
      }
      if (best === undefined || bestE === undefined) return;
      if (bestE.item.kind !== 'gap' && (bestE.sec !== this.tieSec || bestE.nsec !== this.tieNsec)) {
        this.closeUnordered();
        this.tieSec = bestE.sec;
        this.tieNsec = bestE.nsec;
        this.unorderedTies(bestE);
      }
      best.shift();
      this.pending--;
      if (bestE.pid >= 0) this.lastCpu.set(bestE.pid, bestE.cpu);
      if (bestE.item.kind !== 'gap') {
        const last = this.last;
        if (last !== undefined && last.sec === bestE.sec && last.nsec === bestE.nsec && last.cpu !== bestE.cpu) {
          if (this.crossCpuTies++ === 0) this.firstTieLine = bestE.item.line;
        }
        this.last = bestE;
      }
      this.emit(bestE.item);
    }
  }
}
