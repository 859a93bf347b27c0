/**
 * The metadata of a trace.dat file (trace-cmd.dat(5), versions 6 and 7): the initial header, the
 * ring-buffer header formats, the ftrace and event format files, kallsyms, printk formats, saved
 * command lines, options, and where each CPU's ring-buffer pages are. Version 6 lays these out in
 * a fixed order; version 7 puts them in sections found through options, each possibly compressed
 * (zlib or zstd), and may compress the CPU data in chunks of pages.
 *
 * Checked against the files Debian's trace-cmd 3.1.6 writes (traces/tracedat/), which differ from
 * the v7 document in two places: a section header's size is 8 bytes, not 4, and the BUFFER option
 * holds the page size (4 bytes) between the clock and the CPU count. Both are read as written.
 */
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { Cursor, TraceDatError } from './cursor.js';
import { frameWindowRefusal } from '../zstd.js';
import { parseEventFormat, type EventFormat } from './format.js';

export const TRACE_DAT_MAGIC = [0x17, 0x08, 0x44, 0x74, 0x72, 0x61, 0x63, 0x69, 0x6e, 0x67] as const;

/** True when the bytes start like a trace.dat (`\x17\x08Dtracing`). */
export function isTraceDat(head: Uint8Array): boolean {
  return TRACE_DAT_MAGIC.every((b, i) => head[i] === b);
}

/** Where one CPU's pages are; `chunks` when they are compressed. */
export interface CpuData {
  cpu: number;
  offset: number;
  size: number;
  compressed: boolean;
}

export interface TraceDatMeta {
  version: number;
  littleEndian: boolean;
  /** User-space long size of the recording machine (4 or 8). */
  longSize: number;
  pageSize: number;
  /** `none`, `zstd`, `zlib` (version 7). */
  compression: string;
  /** The kernel's `long` in the ring buffer (from header_page's commit field). */
  kernelLongSize: number;
  /** Event formats by id, parsed on first use (a file may hold thousands, a trace uses a few). */
  formats: FormatTable;
  kallsyms: string;
  cmdlines: Map<number, string>;
  /** The trace clock the data was recorded with (`counter`, `global`, …), when the file says. */
  clock: string | undefined;
  /** OFFSET option: added to every timestamp, as trace-cmd report does. */
  tsOffset: bigint;
  cpus: CpuData[];
  /** Things the reader skipped on purpose (other buffer instances, a latency trace), for a note. */
  skipped: string[];
}

/** The format files of a trace.dat by event id; each is parsed when first asked for. */
export class FormatTable {
  private readonly raw = new Map<number, { system: string; bytes: Uint8Array; at: number }>();
  private readonly parsed = new Map<number, EventFormat | null>();

  add(id: number, system: string, bytes: Uint8Array, at: number): void {
    this.raw.set(id, { system, bytes, at });
  }

  get size(): number {
    return this.raw.size;
  }

  ids(): IterableIterator<number> {
    return this.raw.keys();
  }

  /** The format of event `id`; throws a located `TraceDatError` when its file has no name. */
  get(id: number): EventFormat | undefined {
    const have = this.parsed.get(id);
    if (have !== undefined) return have ?? undefined;
    const r = this.raw.get(id);
    if (r === undefined) return undefined;
    const f = parseEventFormat(r.system, latin1(r.bytes));
    if (f === undefined) throw new TraceDatError(`the ${r.system} event format with ID ${id} has no name`, r.at, 'event formats');
    this.parsed.set(id, f);
    return f;
  }
}

/** Bytes as latin1 text (byte-exact), without copying them first. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

const SECTION = { options: 0, headerInfo: 16, ftraceEvents: 17, eventFormats: 18, kallsyms: 19, printk: 20, cmdlines: 21, buffer: 3 } as const;
const OPT = { done: 0, buffer: 3, traceClock: 4, offset: 7, bufferText: 22 } as const;

/** Parses the metadata of a whole trace.dat held in `bytes`. Throws `TraceDatError` on damage. */
export function readTraceDatMeta(bytes: Uint8Array): TraceDatMeta {
  const head = new Cursor(bytes, 0, true, 'initial header');
  if (!isTraceDat(bytes)) head.fail('not a trace.dat file (no \\x17\\x08Dtracing magic)');
  head.pos = TRACE_DAT_MAGIC.length;
  const versionText = head.cstr('file version');
  const version = Number(versionText);
  if (version !== 6 && version !== 7) head.fail(`file version ${JSON.stringify(versionText)} is not supported (versions 6 and 7 are)`, TRACE_DAT_MAGIC.length);
  const endian = head.u8('endianness');
  if (endian > 1) head.fail(`endianness byte ${endian} is neither 0 (little) nor 1 (big)`, head.offset - 1);
  const c = new Cursor(bytes, 0, endian === 0, 'initial header');
  c.pos = head.pos;
  const longSize = c.u8('long size');
  if (longSize !== 4 && longSize !== 8) c.fail(`long size ${longSize} is neither 4 nor 8`, c.offset - 1);
  const pageSize = c.u32('page size');
  if (pageSize < 64 || pageSize > (1 << 24) || (pageSize & (pageSize - 1)) !== 0) {
    c.fail(`page size ${pageSize} is not a power of two of a plausible size`, c.offset - 4);
  }
  const meta: TraceDatMeta = {
    version, littleEndian: endian === 0, longSize, pageSize, compression: 'none', kernelLongSize: 8, formats: new FormatTable(), kallsyms: '',
    cmdlines: new Map(), clock: undefined, tsOffset: 0n, cpus: [], skipped: [],
  };
  if (version === 6) readV6(c, meta);
  else readV7(c, meta);
  return meta;
}

function readHeaderInfo(c: Cursor, meta: TraceDatMeta): void {
  c.section = 'header_page';
  c.expect('header_page\0', 'header_page name');
  const page = latin1(c.bytesOf(c.u64n('header_page size'), 'header_page'));
  const commit = /field:\s*local_t commit;\s*offset:\d+;\s*size:(\d+);/.exec(page);
  if (commit) meta.kernelLongSize = Number(commit[1]);
  c.section = 'header_event';
  c.expect('header_event\0', 'header_event name');
  c.bytesOf(c.u64n('header_event size'), 'header_event');
}

function readFormats(c: Cursor, meta: TraceDatMeta, system: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const at = c.offset;
    const size = c.u64n(`${system} format size`);
    const bytes = c.bytesOf(size, `${system} format`);
    // Only the ID is read now (a file may hold thousands of formats; a trace uses a few).
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const idAt = buf.indexOf('\nID: ');
    const id = idAt === -1 ? undefined : /^\d+/.exec(buf.toString('latin1', idAt + 5, Math.min(buf.length, idAt + 25)))?.[0];
    if (id === undefined) throw new TraceDatError(`a ${system} event format without an ID`, at, c.section);
    meta.formats.add(Number(id), system, bytes, at);
  }
}

function readFtraceFormats(c: Cursor, meta: TraceDatMeta): void {
  c.section = 'ftrace event formats';
  readFormats(c, meta, 'ftrace', c.u32('ftrace format count'));
}

function readEventFormats(c: Cursor, meta: TraceDatMeta): void {
  c.section = 'event formats';
  const systems = c.u32('event system count');
  for (let s = 0; s < systems; s++) {
    const system = c.cstr('event system name');
    readFormats(c, meta, system, c.u32(`${system} event count`));
  }
}

function readKallsyms(c: Cursor, meta: TraceDatMeta): void {
  c.section = 'kallsyms';
  meta.kallsyms = latin1(c.bytesOf(c.u32('kallsyms size'), 'kallsyms'));
}

function readPrintk(c: Cursor): void {
  c.section = 'printk formats';
  c.bytesOf(c.u32('printk formats size'), 'printk formats');
}

function readCmdlines(c: Cursor, meta: TraceDatMeta): void {
  c.section = 'saved command lines';
  const text = latin1(c.bytesOf(c.u64n('saved command lines size'), 'saved command lines'));
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const pid = Number(line.slice(0, sp));
    if (Number.isInteger(pid)) meta.cmdlines.set(pid, line.slice(sp + 1));
  }
}

function readV6(c: Cursor, meta: TraceDatMeta): void {
  readHeaderInfo(c, meta);
  readFtraceFormats(c, meta);
  readEventFormats(c, meta);
  readKallsyms(c, meta);
  readPrintk(c);
  readCmdlines(c, meta);
  c.section = 'options';
  const ncpus = c.u32('CPU count');
  let kind = latin1(c.bytesOf(10, 'data kind'));
  if (kind === 'options  \0') {
    for (;;) {
      const id = c.u16('option id');
      if (id === OPT.done) break;
      const size = c.u32('option size');
      const data = new Cursor(c.bytesOf(size, 'option data'), c.offset - size, meta.littleEndian, 'options');
      option(id, data, meta, 6);
    }
    kind = latin1(c.bytesOf(10, 'data kind'));
  }
  if (kind === 'latency  \0') c.fail('a latency trace (text) is stored instead of ring-buffer pages: not supported, read its text with trace-cmd report');
  if (kind !== 'flyrecord\0') c.fail(`expected "flyrecord" after the options, found ${JSON.stringify(kind)}`, c.offset - 10);
  c.section = 'flyrecord CPU table';
  for (let cpu = 0; cpu < ncpus; cpu++) {
    const offset = c.u64n(`CPU ${cpu} data offset`);
    const size = c.u64n(`CPU ${cpu} data size`);
    meta.cpus.push({ cpu, offset, size, compressed: false });
  }
}

function readV7(c: Cursor, meta: TraceDatMeta): void {
  meta.compression = c.cstr('compression name');
  c.cstr('compression version');
  if (meta.compression !== 'none' && meta.compression !== 'zstd' && meta.compression !== 'zlib') {
    c.fail(`compression '${meta.compression}' is not supported (none, zlib and zstd are)`);
  }
  let next = c.u64n('first options offset');
  const seen = new Set<number>();
  const sections = new Map<number, number>();
  const buffers: Cursor[] = [];
  while (next !== 0) {
    if (seen.has(next)) c.fail(`the options sections loop back to offset ${next}`);
    seen.add(next);
    const s = openSection(c.bytes, next, SECTION.options, 'options', meta);
    next = 0;
    while (s.left > 0) {
      const id = s.u16('option id');
      const size = s.u32('option size');
      const data = new Cursor(s.bytesOf(size, 'option data'), s.offset - size, meta.littleEndian, 'options');
      if (id === OPT.done) { next = data.u64n('next options offset'); break; }
      if (id >= SECTION.headerInfo && id <= SECTION.cmdlines) sections.set(id, data.u64n('section offset'));
      else if (id === OPT.buffer) buffers.push(data);
      else option(id, data, meta, 7);
    }
  }
  const need = (id: number, name: string): Cursor => {
    const at = sections.get(id);
    if (at === undefined) c.fail(`no ${name} section is listed in the options`);
    return openSection(c.bytes, at, id, name, meta);
  };
  readHeaderInfo(need(SECTION.headerInfo, 'header info'), meta);
  if (sections.has(SECTION.ftraceEvents)) readFtraceFormats(need(SECTION.ftraceEvents, 'ftrace event formats'), meta);
  if (sections.has(SECTION.eventFormats)) readEventFormats(need(SECTION.eventFormats, 'event formats'), meta);
  if (sections.has(SECTION.kallsyms)) readKallsyms(need(SECTION.kallsyms, 'kallsyms'), meta);
  if (sections.has(SECTION.cmdlines)) readCmdlines(need(SECTION.cmdlines, 'saved command lines'), meta);
  for (const b of buffers) bufferOption(b, meta, c.bytes);
  if (meta.cpus.length === 0 && buffers.length === 0) c.fail('no BUFFER option: the file holds no ring-buffer data');
}

/** A version 7 section at `at`: its header checked, its content (decompressed when flagged). */
function openSection(bytes: Uint8Array, at: number, id: number, name: string, meta: TraceDatMeta): Cursor {
  const h = new Cursor(bytes, 0, meta.littleEndian, `${name} section header`);
  h.seek(at, `the ${name} section`);
  const got = h.u16('section id');
  if (got !== id) h.fail(`expected the ${name} section (id ${id}) here, found section id ${got}`, at);
  const flags = h.u16('section flags');
  h.u32('section description');
  const size = h.u64n('section size');
  h.need(size, `the ${name} section`);
  if ((flags & 1) === 0) return new Cursor(bytes.subarray(h.pos, h.pos + size), h.pos, meta.littleEndian, name);
  const csize = h.u32('compressed size');
  const usize = h.u32('uncompressed size');
  const start = h.pos;
  const data = inflate(meta.compression, h.bytesOf(csize, `the compressed ${name} section`), usize, start, name);
  return new Cursor(data, start, meta.littleEndian, name);
}

/** Decompresses one block; the result must have the size the file promised. */
export function inflate(algo: string, data: Uint8Array, usize: number, at: number, what: string): Uint8Array {
  let out: Uint8Array;
  try {
    if (algo === 'zstd') {
      const refusal = frameWindowRefusal(data);
      if (refusal !== undefined) throw new Error(refusal);
      out = zstdDecompress(data);
    }
    else if (algo === 'zlib') out = inflateSync(data);
    else throw new Error(`compression '${algo}' is not supported`);
  } catch (e) {
    throw new TraceDatError(`${what}: ${algo} data does not decompress (${(e as Error).message})`, at, what);
  }
  if (out.length !== usize) throw new TraceDatError(`${what}: decompressed to ${out.length} bytes, the file promised ${usize}`, at, what);
  return out;
}

function option(id: number, data: Cursor, meta: TraceDatMeta, version: number): void {
  switch (id) {
    case OPT.traceClock: {
      const text = latin1(data.bytes);
      const m = /\[([^\]]+)\]/.exec(text);
      meta.clock ??= m?.[1];
      return;
    }
    case OPT.offset: {
      const v = strtoll(data.cstr('OFFSET option'));
      if (v !== undefined) meta.tsOffset += v;
      return;
    }
    case OPT.buffer:
      if (version === 6) meta.skipped.push(`buffer instance '${bufferName(data)}'`);
      return;
    case OPT.bufferText:
      meta.skipped.push('a latency (text) buffer');
      return;
    default:
  }
}

function bufferName(data: Cursor): string {
  data.pos = 8;
  return data.left > 0 ? data.cstr('buffer name') : '';
}

/** A version 7 BUFFER option: the top instance's clock and CPU data (other instances are noted and skipped). */
function bufferOption(d: Cursor, meta: TraceDatMeta, bytes: Uint8Array): void {
  const sectionAt = d.u64n('buffer section offset');
  const name = d.cstr('buffer name');
  const clock = d.cstr('buffer clock');
  if (name !== '') { meta.skipped.push(`buffer instance '${name}'`); return; }
  meta.clock = clock;
  // trace-cmd 3.x writes the page size here; the v7 document does not list it: tell by the size.
  const rest = d.left;
  if (rest >= 8 && (rest - 8) % 20 === 0 && d.bytes.length - d.pos >= 4) {
    const cpusIfPage = (rest - 8) / 20;
    const view = new DataView(d.bytes.buffer, d.bytes.byteOffset + d.pos + 4, 4);
    if (view.getUint32(0, meta.littleEndian) === cpusIfPage) {
      const pageSize = d.u32('buffer page size');
      if (pageSize !== meta.pageSize) d.fail(`buffer page size ${pageSize} differs from the file's ${meta.pageSize}`, d.offset - 4);
    }
  }
  const cpus = d.u32('buffer CPU count');
  const s = new Cursor(bytes, 0, meta.littleEndian, 'buffer section header');
  s.seek(sectionAt, 'the buffer section');
  const id = s.u16('section id');
  if (id !== SECTION.buffer) s.fail(`expected the flyrecord buffer section (id 3) here, found section id ${id}`, sectionAt);
  const compressed = (s.u16('section flags') & 1) !== 0;
  for (let i = 0; i < cpus; i++) {
    const cpu = d.u32('CPU id');
    const offset = d.u64n(`CPU ${cpu} data offset`);
    const size = d.u64n(`CPU ${cpu} data size`);
    meta.cpus.push({ cpu, offset, size, compressed });
  }
}

/**
 * `text` as trace-cmd reads an OFFSET option (strtoll with base 0: an optional sign, then 0x hex,
 * 0 octal or decimal); undefined when it is none of these.
 */
export function strtoll(text: string): bigint | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*$/.exec(text);
  if (m === null) return undefined;
  const digits = m[2]!;
  const v = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  return m[1] === '-' ? -v : v;
}
