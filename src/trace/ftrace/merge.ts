/**
 * Restores timestamp order across CPUs within a bounded window. ftrace merges per-CPU buffers at
 * read time; `trace_pipe` merges only what each read found, so records of different CPUs can come
 * out of order. Per-CPU order is the ground truth and is never changed: each CPU is a FIFO, and
 * the output is a k-way merge of the FIFO heads, releasing a head once the newest timestamp seen is
 * more than `windowNs` later. Items without a timestamp and gaps without a CPU are barriers: they
 * flush everything before them. Equal timestamps keep input order.
 */
import type { RawItem } from './raw.js';

interface Entry {
  item: RawItem;
  sec: number;
  nsec: number;
  order: number;
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

function before(a: Entry, b: Entry): boolean {
  return a.sec !== b.sec ? a.sec < b.sec : a.nsec !== b.nsec ? a.nsec < b.nsec : a.order < b.order;
}

export class ReorderWindow {
  private readonly queues = new Map<number, CpuQueue>();
  private readonly wSec: number;
  private readonly wNsec: number;
  private maxSec = -Infinity;
  private maxNsec = 0;
  private order = 0;
  private pending = 0;

  /** `emit` receives items in output order. `windowNs` ≥ 0. */
  constructor(windowNs: number, private readonly emit: (item: RawItem) => void) {
    const w = Math.max(0, Math.floor(windowNs));
    this.wSec = Math.floor(w / 1e9);
    this.wNsec = w % 1e9;
  }

  push(item: RawItem): void {
    const cpu = item.cpu ?? -1;
    if (item.kind === 'gap') {
      if (cpu < 0 || this.maxSec === -Infinity) { this.flush(); this.emit(item); return; }
      this.enqueue(cpu, item, this.maxSec, this.maxNsec);
    } else {
      if (item.tsSec === undefined || item.tsNsec === undefined || cpu < 0) { this.flush(); this.emit(item); return; }
      const s = item.tsSec;
      const n = item.tsNsec;
      if (s > this.maxSec || (s === this.maxSec && n > this.maxNsec)) { this.maxSec = s; this.maxNsec = n; }
      this.enqueue(cpu, item, s, n);
    }
    this.drain(false);
  }

  /** Emits everything held. */
  flush(): void {
    if (this.pending > 0) this.drain(true);
  }

  private enqueue(cpu: number, item: RawItem, sec: number, nsec: number): void {
    let q = this.queues.get(cpu);
    if (q === undefined) { q = new CpuQueue(); this.queues.set(cpu, q); }
    q.items.push({ item, sec, nsec, order: this.order++ });
    this.pending++;
  }

  private drain(all: boolean): void {
    let ws = this.maxSec - this.wSec;
    let wn = this.maxNsec - this.wNsec;
    if (wn < 0) { wn += 1e9; ws -= 1; }
    while (this.pending > 0) {
      let best: CpuQueue | undefined;
      let bestE: Entry | undefined;
      for (const q of this.queues.values()) {
        const e = q.peek();
        if (e !== undefined && (bestE === undefined || before(e, bestE))) { best = q; bestE = e; }
      }
      if (best === undefined || bestE === undefined) return;
      if (!all && (bestE.sec > ws || (bestE.sec === ws && bestE.nsec > wn))) return;
      best.shift();
      this.pending--;
      this.emit(bestE.item);
    }
  }
}
