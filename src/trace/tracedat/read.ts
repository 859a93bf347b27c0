/**
 * trace.dat → the ftrace text the kernel's tracefs `trace` file would print for the same events,
 * one line per record, CPUs merged by timestamp (ties: lowest CPU first, as tracefs and trace-cmd
 * report merge). The ftrace text reader then makes of it exactly the records it makes of tracefs
 * text, so the spec's `map` declarations, call pairing and gap handling apply unchanged.
 *
 * Line 1 is a comment naming the file's version, clock and CPUs; record N (in merged order) is on
 * line N + 1, the line `trace-cmd report -i FILE` prints it on (after its `cpus=N` line). Events
 * lost before a page (the ring buffer's missed-events flag) become a `CPU:N [LOST K EVENTS]` line
 * before that page's first record, which the text reader turns into a gap. Damage part-way (a cut
 * file, a bad page or chunk) ends that CPU's data where it happens: what came before is read, and
 * `cut` says where and why, so that the caller reports it and ends with a gap.
 */
import { TraceDatError } from './cursor.js';
import { cpuPages, type Page } from './cpu.js';
import { readTraceDatMeta, type TraceDatMeta } from './file.js';
import { Kallsyms } from './kallsyms.js';
import { clockInNs, EventRenderer, FieldReader, flagsText, tsText } from './render.js';
import { PageReader } from './ring.js';

export interface TraceDatProblem {
  message: string;
  offset: number;
  section: string;
}

export interface TraceDatText {
  meta: TraceDatMeta;
  /** The rendered text, in chunks of whole lines (latin1: byte-exact). */
  chunks: Generator<Buffer>;
  /** Set once the chunks are exhausted, when a CPU's data ended in damage. */
  problems: TraceDatProblem[];
  /** Records rendered so far. */
  records: number;
}

const CHUNK_LINES = 4096;

/** One CPU's stream of events. */
class CpuStream {
  readonly reader: PageReader;
  private readonly pages: Generator<Page>;
  /** The current event's timestamp; Infinity when the CPU has no more. */
  ts = Infinity;
  /** Missed events to announce before the current event (0 none, -1 unknown count). */
  missed = 0;
  done = false;

  constructor(
    readonly cpu: number, readonly index: number, pages: Generator<Page>, meta: TraceDatMeta,
    private readonly onProblem: (p: TraceDatProblem) => void,
  ) {
    this.pages = pages;
    this.reader = new PageReader({ littleEndian: meta.littleEndian, longSize: meta.kernelLongSize });
  }

  /** Moves to the next event of this CPU (across pages). */
  advance(): void {
    this.missed = 0;
    try {
      while (!this.reader.next()) {
        const p = this.pages.next();
        if (p.done === true) { this.finish(); return; }
        this.reader.load(p.value.bytes, p.value.fileOffset);
        if (this.reader.missed !== 0) this.missed = this.reader.missed;
      }
      this.ts = this.reader.ts;
    } catch (e) {
      if (!(e instanceof TraceDatError)) throw e;
      this.onProblem({ message: e.message, offset: e.offset, section: e.section });
      this.finish();
    }
  }

  private finish(): void {
    this.done = true;
    this.ts = Infinity;
  }
}

/** Reads the metadata of `bytes` (throws `TraceDatError` when it is damaged) and returns the text renderer. */
export function traceDatText(bytes: Uint8Array): TraceDatText {
  const meta = readTraceDatMeta(bytes);
  const problems: TraceDatProblem[] = [];
  const out: TraceDatText = { meta, chunks: lines(), problems, records: 0 };
  function* lines(): Generator<Buffer> {
    const ks = new Kallsyms(meta.kallsyms);
    const renderers = new Map<number, EventRenderer | null>();
    const fields = new FieldReader(meta.littleEndian);
    const inNs = clockInNs(meta.clock);
    const streams = meta.cpus.map((c, i) => new CpuStream(c.cpu, i, cpuPages(bytes, meta, c), meta, (p) => problems.push(p)));
    for (const s of streams) s.advance();
    // Common fields, from any format (every event has them at the same place).
    const firstId = meta.formats.ids().next();
    const any = firstId.done === true ? undefined : meta.formats.get(firstId.value);
    const fType = any?.byName.get('common_type');
    const fFlags = any?.byName.get('common_flags');
    const fPreempt = any?.byName.get('common_preempt_count');
    const fPid = any?.byName.get('common_pid');
    // `comm-pid` and `[cpu]` columns, made once per task and CPU
    const taskCols = new Map<number, string>();
    const cpuCols = streams.map((s) => ` [${String(s.cpu).padStart(3, '0')}] `);
    const compressed = meta.compression === 'none' ? '' : `, ${meta.compression}`;
    let buf: string[] = [`# trace.dat version ${meta.version}, clock ${meta.clock ?? 'unknown'}, ${meta.cpus.length} CPUs${compressed}`];
    for (;;) {
      let best: CpuStream | undefined;
      for (const s of streams) if (!s.done && (best === undefined || s.ts < best.ts)) best = s;
      if (best === undefined) break;
      const r = best.reader;
      if (best.missed !== 0) {
        buf.push(best.missed > 0 ? `CPU:${best.cpu} [LOST ${best.missed} EVENTS]` : `CPU:${best.cpu} [LOST EVENTS]`);
      }
      fields.set(r.bytes, r.start, r.length);
      const type = fType === undefined ? undefined : fields.int(fType);
      let rend = typeof type === 'number' ? renderers.get(type) : null;
      if (rend === undefined && typeof type === 'number') {
        const f = meta.formats.get(type);
        rend = f === undefined ? null : new EventRenderer(f, ks);
        renderers.set(type, rend);
      }
      const pid = fPid === undefined ? undefined : fields.int(fPid);
      const pidN = typeof pid === 'number' ? pid : -1;
      let task = taskCols.get(pidN);
      if (task === undefined) {
        const comm = pidN === 0 ? '<idle>' : meta.cmdlines.get(pidN) ?? '<...>';
        task = `${comm.padStart(16)}-${String(pidN).padEnd(7)}`;
        taskCols.set(pidN, task);
      }
      const flagsV = fFlags === undefined ? 0 : fields.int(fFlags);
      const preV = fPreempt === undefined ? 0 : fields.int(fPreempt);
      const flags = flagsText(typeof flagsV === 'number' ? flagsV : 0, typeof preV === 'number' ? preV : 0);
      const prefix = `${task}${cpuCols[best.index]!}${flags} ${tsText(r.ts + meta.tsOffset, inNs)}: `;
      if (rend === null || rend === undefined) {
        buf.push(`${prefix}unknown_event_${String(type)}: (an event type the file has no format for)`);
      } else if (rend.bare) buf.push(prefix + rend.payload(fields));
      else buf.push(`${prefix}${rend.fmt.name}: ${rend.payload(fields)}`);
      out.records++;
      best.advance();
      if (buf.length >= CHUNK_LINES) {
        yield Buffer.from(buf.join('\n') + '\n', 'latin1');
        buf = [];
      }
    }
    if (buf.length > 0) yield Buffer.from(buf.join('\n') + '\n', 'latin1');
  }
  return out;
}
