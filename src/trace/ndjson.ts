/**
 * Reads the canonical NDJSON trace (one JSON object per line; Contract 1) from a byte stream,
 * in batches. Every line is accounted for: an event, a blank line, or a diagnostic with
 * file:line:col. A bad line is a lost event: its task (or, if the task is unreadable, every task)
 * gets a gap, so the checker never reasons from state it may have missed.
 */
import { error, type Diagnostic } from '../diag/diagnostic.js';
import { FastRecordParser } from './ndjson-fast.js';
import { firstDuplicateKey } from './json-keys.js';
import { emptyStats, NO_ARGS, type Scalar, type SourceStats, type TraceEvent, type TraceItem } from './event.js';
import type { TraceFormat } from './format.js';

export interface NdjsonOptions {
  /** Name used in diagnostics and provenance. */
  file: string;
  onDiagnostic: (d: Diagnostic) => void;
  /** Events per batch. */
  batchSize?: number;
  stats?: SourceStats;
  /** Longer lines are reported and skipped (default 1 MiB, as the ftrace reader). */
  maxLineBytes?: number;
  /**
   * The spec's check of a record's arguments, when the caller has a spec: a record that fails it is
   * reported here, where the line's text gives the column, and becomes a gap for its task.
   */
  validate?: (e: TraceEvent) => { field: string; message: string } | undefined | 'unknown';
}

const NEWLINE = 10;
const MAX_LINE_BYTES = 1 << 20;
/** Bytes looked at one by one for a line's end before `indexOf` takes over (see nextNewline). */
const SCAN_AHEAD = 256;

/**
 * The first newline of `buf` at or after `from`, or -1. A trace line is short: reading its bytes
 * here costs less than the call into `Buffer.indexOf`, which took an eighth of the reader's time
 * at one call a line; a long line is left to it.
 */
function nextNewline(buf: Buffer, from: number): number {
  const end = buf.length;
  const stop = from + SCAN_AHEAD < end ? from + SCAN_AHEAD : end;
  for (let p = from; p < stop; p++) if (buf[p] === NEWLINE) return p;
  return stop === end ? -1 : buf.indexOf(NEWLINE, stop);
}

/** Splits a byte stream into lines (without the newline), remembering whether the last one was terminated. */
export async function* lines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<{ text: string; terminated: boolean; binary: boolean }> {
  let carry: Buffer | undefined;
  for await (const chunk of input) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset,
      chunk.byteLength);
    if (carry) { buf = Buffer.concat([carry, buf]); carry = undefined; }
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE, start); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      yield decodeLine(buf, start, nl, true);
      start = nl + 1;
    }
    if (start < buf.length) carry = buf.subarray(start);
  }
  if (carry && carry.length > 0) yield decodeLine(carry, 0, carry.length, false);
}

function decodeLine(buf: Buffer, start: number, end: number, terminated: boolean): { text: string; terminated: boolean; binary: boolean } {
  let e = end;
  if (e > start && buf[e - 1] === 13) e--;
  let binary = false;
  for (let i = start; i < e; i++) {
    const b = buf[i]!;
    if (b < 9 || (b > 13 && b < 32 && b !== 27)) { binary = true; break; }
  }
  const text = buf.toString('utf8', start, e);
  if (!binary && text.includes('\uFFFD')) binary = true;
  return { text, terminated, binary };
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Column (1-based) of an argument's key inside `args` (or of `args` itself when the key is absent). */
function argColumn(text: string, key: string): number {
  const a = text.indexOf('"args"');
  if (a === -1) return 1;
  const i = text.indexOf(`"${key}"`, a + 6);
  return i === -1 ? a + 1 : i + 1;
}

/** Column (1-based) of the first character of a field's key in a JSON line, for diagnostics. */
function columnOf(text: string, key: string): number {
  const i = text.indexOf(`"${key}"`);
  return i === -1 ? 1 : i + 1;
}

/** Parses one NDJSON line into an event, or returns the problem. `index` is the record's position. */
export function parseNdjsonLine(text: string, lineNo: number, file: string,
  index: number): { event: TraceEvent } | { problem: string; column: number; pid?: number } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    const col = m ? Number(m[1]) + 1 : 1;
    return { problem: `not valid JSON: ${String((e as Error).message ?? e).replace(/^SyntaxError: /, '')}`, column: col };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { problem: 'a trace record must be a JSON object', column: 1 };
  const o = obj as Record<string, unknown>;
  const dup = firstDuplicateKey(text);
  if (dup !== undefined) {
    const p = typeof o.pid === 'number' && Number.isSafeInteger(o.pid) ? { pid: o.pid } : {};
    return { problem: `key '${dup.key}' appears twice in one object: which value is meant is unknown`, column: dup.column, ...p };
  }
  const pid = o.pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid)) {
    // Beyond 2^53 - 1 neighbouring pids read as one number: two tasks would merge into one.
    const why = pid === undefined ? "missing 'pid'"
      : typeof pid === 'number' && Number.isInteger(pid) ? "'pid' is too large to keep its identity (at most 2^53 - 1)"
      : "'pid' must be an integer";
    return { problem: why, column: pid === undefined ? 1 : columnOf(text, 'pid') };
  }
  const ev = o.ev;
  if (typeof ev !== 'string' || ev === '') return { problem: ev === undefined ? "missing 'ev'" : "'ev' must be a non-empty string",
    column: ev === undefined ? 1 : columnOf(text, 'ev'), pid };
  const fn = o.fn;
  if (ev === 'call' || ev === 'ret') {
    if (typeof fn !== 'string' || fn === '') return { problem: `'${ev}' needs 'fn', the function name`, column: fn === undefined ? 1 : columnOf(text, 'fn'),
      pid };
  } else if (fn !== undefined && typeof fn !== 'string') return { problem: "'fn' must be a string", column: columnOf(text, 'fn'), pid };
  let args: Record<string, Scalar> = NO_ARGS;
  if (o.args !== undefined) {
    if (typeof o.args !== 'object' || o.args === null || Array.isArray(o.args)) return { problem: "'args' must be an object", column: columnOf(text, 'args'),
      pid };
    for (const [k, v] of Object.entries(o.args as Record<string, unknown>)) {
      if (!isScalar(v)) return { problem: `argument '${k}' must be a string, number, boolean or null`, column: columnOf(text, k), pid };
    }
    // (the parsed object, or the shared empty one: an event may outlive its line by long)
    if (Object.keys(o.args).length > 0) args = o.args as Record<string, Scalar>;
  }
  const event: TraceEvent = { seq: index, pid, ev, fn: typeof fn === 'string' ? fn : undefined, args, file, line: lineNo };
  if (o.ret !== undefined) {
    if (o.ret !== null && typeof o.ret !== 'string' && typeof o.ret !== 'number') return { problem: "'ret' must be a string, number or null",
      column: columnOf(text, 'ret'), pid };
    event.ret = o.ret as Scalar;
  }
  if (o.seq !== undefined) {
    if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq)) return { problem: "'seq' must be an integer", column: columnOf(text, 'seq'), pid };
    event.seq = o.seq;
  }
  if (o.ts !== undefined) {
    // (JSON's 1e400 parses to Infinity: no time, and no place among the others)
    if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return { problem: "'ts' must be a finite number (seconds)", column: columnOf(text, 'ts'), pid };
    event.ts = o.ts;
  }
  if (o.cpu !== undefined) {
    if (typeof o.cpu !== 'number' || !Number.isInteger(o.cpu)) return { problem: "'cpu' must be an integer", column: columnOf(text, 'cpu'), pid };
    event.cpu = o.cpu;
  }
  if (o.comm !== undefined) {
    if (typeof o.comm !== 'string') return { problem: "'comm' must be a string", column: columnOf(text, 'comm'), pid };
    event.comm = o.comm;
  }
  return { event };
}

/**
 * Streams TraceItems from NDJSON bytes. Lines are cut from the input chunks in place; each goes
 * first to the byte-level fast path and, when that declines, to the precise slow path
 * (`decodeLine` + `parseNdjsonLine`), which owns every diagnostic.
 */
export async function* readNdjson(input: AsyncIterable<Uint8Array | string>, opts: NdjsonOptions): AsyncGenerator<TraceItem[]> {
  // Small batches: a batch's events stay reachable until it is checked, and 4096 of them made
  // the young generation copy a megabyte of live events at every scavenge.
  const size = opts.batchSize ?? 1024;
  const reader = new NdjsonReader(opts, size);
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  // The line cut by chunk boundaries, as its pieces: joined once, when its newline comes.
  let carry: Buffer[] = [];
  let carried = 0;
  let discarding = false;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset,
      chunk.byteLength);
    let start = 0;
    if (discarding || carried > 0) {
      const nl = buf.indexOf(NEWLINE);
      if (nl === -1) {
        if (!discarding) { carry.push(buf); carried += buf.length; }
        if (!discarding && carried > maxLine) { reader.tooLong(carry[0]!.subarray(0, 200), maxLine); carry = []; carried = 0; discarding = true; }
        continue;
      }
      if (discarding) discarding = false;
      else if (carried + nl > maxLine) reader.tooLong(carry[0]!.subarray(0, 200), maxLine);
      else {
        carry.push(buf.subarray(0, nl));
        const joined = Buffer.concat(carry);
        reader.line(joined, 0, joined.length, true);
      }
      carry = [];
      carried = 0;
      start = nl + 1;
    }
    for (;;) {
      start = reader.lines(buf, start, size);
      if (!reader.filled) break;
      yield reader.take();
    }
    if (start < buf.length) {
      carry.push(buf.subarray(start));
      carried = buf.length - start;
      if (carried > maxLine) { reader.tooLong(buf.subarray(start, start + 200), maxLine); carry = []; carried = 0; discarding = true; }
    }
    if (reader.count >= size) yield reader.take();
  }
  if (carried > 0) {
    const last = Buffer.concat(carry);
    reader.line(last, 0, last.length, false);
  }
  if (reader.count > 0) yield reader.take();
}

/** Per-line accounting of the NDJSON reader: numbering, stats, the fast and slow paths, gaps. */
class NdjsonReader {
  /**
   * The batch being filled, made at its full size and filled by index up to `count`: pushed item
   * by item, it was copied to a larger store eight times on the way to a thousand items.
   */
  private batch: TraceItem[];
  count = 0;
  /** Whether the last `lines` stopped at a full batch. */
  filled = false;
  private lineNo = 0;
  /**
   * The position a record without `seq` takes: right after the record before it. A record with
   * its own `seq` moves it on to that `seq` + 1, so that a trace that gives `seq` on some records
   * only (positions from 1000 on, say) places the others between them in file order, instead of at
   * their line index, which the explicit positions before them would contradict.
   */
  private index = 0;
  private readonly stats: SourceStats;
  private readonly fast: FastRecordParser;

  constructor(private readonly opts: NdjsonOptions, private readonly size: number) {
    this.batch = emptyBatch(size);
    this.stats = opts.stats ?? emptyStats();
    this.fast = new FastRecordParser(opts.file);
  }

  take(): TraceItem[] {
    const b = this.batch;
    b.length = this.count;
    this.batch = emptyBatch(this.size);
    this.count = 0;
    return b;
  }

  /**
   * Past a record at position `seq` (its own, or the one it took): the next default position, after
   * the furthest so far (a `seq` that goes back is damage, reported where the order is checked).
   */
  private advance(seq: number): void {
    if (seq >= this.index) this.index = seq + 1;
  }

  private put(item: TraceItem): void {
    this.batch[this.count++] = item;
  }

  /**
   * The terminated lines of `buf` from `start`, until a line leaves the batch holding `size` items
   * (`filled`) or no newline is left; returns where it stopped. The per-line loop lives here, not
   * in the generator, whose code for chunk ends and carried lines runs once a chunk: optimized
   * together, the first chunk end would undo the optimized loop.
   */
  lines(buf: Buffer, start: number, size: number): number {
    this.filled = false;
    for (let nl = nextNewline(buf, start); nl !== -1; nl = nextNewline(buf, start)) {
      this.line(buf, start, nl, true);
      start = nl + 1;
      if (this.count >= size) { this.filled = true; break; }
    }
    return start;
  }

  line(buf: Buffer, start: number, end: number, terminated: boolean): void {
    const lineNo = ++this.lineNo;
    this.stats.lines++;
    const event = this.fast.parse(buf, start, end, lineNo, this.index);
    if (event !== undefined) {
      if (this.opts.validate !== undefined && this.rejected(event, () => decodeLine(buf, start, end, terminated).text)) return;
      this.stats.records++;
      this.advance(event.seq);
      this.put(event);
      return;
    }
    this.slowLine(decodeLine(buf, start, end, terminated), lineNo);
  }

  /** A well-formed record the spec's schema rejects: a located diagnostic and a gap for its task. */
  private rejected(e: TraceEvent, text: () => string): boolean {
    const p = this.opts.validate!(e);
    if (p === undefined || p === 'unknown') return false;
    const t = text();
    // Counted as the checker counts a record it rejects: parsed, malformed, and its seq used.
    this.stats.records++;
    this.stats.malformed++;
    this.stats.gaps++;
    this.advance(e.seq);
    this.opts.onDiagnostic(error('KV302', p.message,
      // A missing return value is the record's own field, not an argument: the record as a whole.
      { at: { source: this.opts.file, line: e.line ?? this.lineNo, column: p.field === 'ret' ? 1 : argColumn(t, p.field), ...lineText(t) } },
      'the task is taken as having lost this event: its state is unknown until it syncs'));
    this.put({ kind: 'gap', reason: 'record does not fit the schema', pids: [e.pid], seq: e.seq, file: this.opts.file, line: e.line ?? this.lineNo });
    return true;
  }

  /** A line over the length bound: skipped unread, and a gap of every task (its task is unread too). */
  tooLong(prefix: Buffer, maxLine: number): void {
    const lineNo = ++this.lineNo;
    this.stats.lines++;
    this.stats.malformed++;
    this.stats.gaps++;
    const text = prefix.toString('utf8');
    this.opts.onDiagnostic(error('KV301', `line longer than ${maxLine} bytes: skipped`,
      { at: { source: this.opts.file, line: lineNo, column: 1, text: printable(text), excerpt: {} } },
      'a trace record is a short JSON object; every task is unknown from here until it syncs'));
    this.put({ kind: 'gap', reason: 'line too long', seq: this.index, file: this.opts.file, line: lineNo });
  }

  private slowLine(l: { text: string; terminated: boolean; binary: boolean }, lineNo: number): void {
    const { opts, stats } = this;
    const index = this.index;
    const at = { source: opts.file, line: lineNo, ...lineText(l.text) };
    if (l.text.trim() === '') { stats.skipped++; return; }
    if (l.binary) {
      stats.malformed++;
      opts.onDiagnostic(error('KV306', 'binary or non-UTF-8 data where a JSON record was expected', { at: { ...at, column: 1, text: printable(at.text) } }));
      this.put({ kind: 'gap', reason: 'unreadable line', seq: index, file: opts.file, line: lineNo });
      stats.gaps++;
      return;
    }
    const r = parseNdjsonLine(l.text, lineNo, opts.file, index);
    if ('event' in r) {
      if (opts.validate !== undefined && this.rejected(r.event, () => l.text)) return;
      stats.records++;
      this.advance(r.event.seq);
      this.put(r.event);
      return;
    }
    stats.malformed++;
    const truncated = !l.terminated && r.problem.startsWith('not valid JSON');
    opts.onDiagnostic(error(truncated ? 'KV305' : 'KV301', truncated ? 'the last line is cut short (no newline, incomplete JSON)' : r.problem,
      { at: { ...at, column: r.column } }));
    stats.gaps++;
    this.put({ kind: 'gap', reason: truncated ? 'truncated record' : 'malformed record', pids: r.pid === undefined ? undefined : [r.pid], seq: index,
      file: opts.file, line: lineNo });
  }
}

/** A line as a diagnostic shows it: its first 200 characters, with its length when it is longer. */
function lineText(t: string): { text: string; excerpt?: { length: number } } {
  return t.length > 200 ? { text: t.slice(0, 200), excerpt: { length: t.length } } : { text: t };
}

/** A batch's list, made at the batch's size (up to a bound: a caller's huge size grows it as items come). */
function emptyBatch(size: number): TraceItem[] {
  return new Array<TraceItem>(Number.isSafeInteger(size) && size > 0 ? Math.min(size, 1 << 16) : 0);
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '.');
}

/** The canonical NDJSON trace as a trace format (see registry.ts). */
export const ndjsonFormat: TraceFormat = {
  name: 'ndjson',
  events: 'ndjson',
  sniff: looksLikeNdjson,
  open: (input, ctx) => ({
    read: (_spec, validate) => ({ source: readNdjson(input.chunks, { file: ctx.file, onDiagnostic: ctx.onDiagnostic, stats: ctx.stats, validate }) }),
  }),
};

/**
 * NDJSON starts with `{` (after blank space). A first line that is damaged does not make the rest
 * another format: when most of the first lines of the head start with `{` (no ftrace line does),
 * it is NDJSON with a bad line, reported as one.
 */
export function looksLikeNdjson(head: Uint8Array): boolean {
  let lines = 0;
  let braces = 0;
  let first: number | undefined;
  let atStart = true;
  for (let i = 0; i < head.length && lines < 100; i++) {
    const b = head[i]!;
    if (b === NEWLINE) { atStart = true; continue; }
    if (!atStart || b === 32 || b === 9 || b === 13) continue;
    atStart = false;
    lines++;
    if (b === 123) braces++;
    first ??= b;
  }
  return first === 123 || (lines > 0 && braces * 2 > lines);
}
