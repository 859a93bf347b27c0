/**
 * Test helper: the event headers of a trace.dat's ring-buffer pages (uncompressed, little-endian),
 * and the same file with one bit of one header's 27-bit time delta flipped, as a damaged file has it.
 */
import { cpuPages } from '../../src/trace/tracedat/cpu.js';
import { readTraceDatMeta } from '../../src/trace/tracedat/file.js';

/** An event header in the file: its byte offset, its CPU and page, its type_len. */
export interface DeltaSite { at: number; cpu: number; page: number; typeLen: number }

const PADDING = 29;
const TIME_EXTEND = 30;
const TIME_STAMP = 31;

/** Every event header with a time in it (the null padding ending a page's data aside). */
export function deltaSites(bytes: Uint8Array): DeltaSite[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = readTraceDatMeta(b);
  if (!meta.littleEndian || meta.compression !== 'none') throw new Error('a little-endian, uncompressed trace.dat only');
  const dataStart = 8 + meta.kernelLongSize;
  const sites: DeltaSite[] = [];
  for (const cpu of meta.cpus) {
    let page = 0;
    for (const p of cpuPages(b, meta, cpu)) {
      const base = p.fileOffset;
      const end = base + dataStart + (b.readUInt32LE(base + 8) & ((1 << 27) - 1));
      for (let at = base + dataStart; at + 4 <= end;) {
        const word = b.readUInt32LE(at);
        const typeLen = word & 31;
        if (typeLen === PADDING && word >>> 5 === 0) break;
        sites.push({ at, cpu: cpu.cpu, page, typeLen });
        if (typeLen === PADDING) at += 4 + b.readUInt32LE(at + 4);
        else if (typeLen === TIME_EXTEND || typeLen === TIME_STAMP) at += 8;
        else if (typeLen === 0) at += 4 + Math.ceil(b.readUInt32LE(at + 4) / 4) * 4;
        else at += 4 + typeLen * 4;
      }
      page++;
    }
  }
  return sites;
}

/** A copy of `bytes` with bit `bit` (0–26) of the time delta of the event header at `at` flipped. */
export function flipDelta(bytes: Uint8Array, at: number, bit: number): Buffer {
  if (bit < 0 || bit > 26) throw new Error('a time delta has 27 bits');
  const out = Buffer.from(bytes);
  out.writeUInt32LE((out.readUInt32LE(at) ^ (1 << (bit + 5))) >>> 0, at);
  return out;
}

/**
 * The file with `delta` added to the timestamp of every ring-buffer page that has one (a header not
 * all zeros): the same capture as a machine whose clock read that much more (a longer uptime).
 */
export function shiftClock(bytes: Uint8Array, delta: bigint): Buffer {
  const b = Buffer.from(bytes);
  const meta = readTraceDatMeta(b);
  if (!meta.littleEndian || meta.compression !== 'none') throw new Error('a little-endian, uncompressed trace.dat only');
  for (const cpu of meta.cpus) {
    for (const p of cpuPages(b, meta, cpu)) {
      const ts = b.readBigUInt64LE(p.fileOffset);
      const commit = b.readUInt32LE(p.fileOffset + 8);
      if (ts === 0n && commit === 0) continue;
      b.writeBigUInt64LE(ts + delta, p.fileOffset);
    }
  }
  return b;
}

/** The file with its trace clock option naming `clock` (one of the list the option holds) instead. */
export function renameClock(bytes: Uint8Array, clock: string): Buffer {
  const b = Buffer.from(bytes);
  const list = /((?:\[?[a-z0-9_-]+\]? )+\[?[a-z0-9_-]+\]?)/.exec(b.toString('latin1', 0, b.length).slice(b.indexOf('local global')))?.[1];
  if (list === undefined) throw new Error('no trace clock option');
  const at = b.indexOf(list);
  const next = list.replace(/[[\]]/g, '').split(' ').map((c) => (c === clock ? `[${c}]` : c)).join(' ');
  if (next.length !== list.length) throw new Error(`no clock ${clock} in ${list}`);
  b.write(next, at, 'latin1');
  return b;
}

/**
 * A version 6 file with an option (`id`, its text NUL-ended) put first in its options, the zero
 * padding before the first CPU's data shortened to make room, so that every offset stays.
 */
export function addOption(bytes: Uint8Array, id: number, text: string): Buffer {
  const b = Buffer.from(bytes);
  const m = b.indexOf('options  \0', 0, 'latin1');
  const fly = b.indexOf('flyrecord\0', m, 'latin1');
  if (m < 0 || fly < 0) throw new Error('a version 6 trace.dat only');
  const cpus = b.readUInt32LE(m - 4);
  let first = Infinity;
  for (let c = 0; c < cpus; c++) first = Math.min(first, Number(b.readBigUInt64LE(fly + 10 + 16 * c)));
  const data = Buffer.from(`${text}\0`, 'latin1');
  const ins = Buffer.alloc(6 + data.length);
  ins.writeUInt16LE(id, 0);
  ins.writeUInt32LE(data.length, 2);
  data.copy(ins, 6);
  if (b.subarray(first - ins.length, first).some((x) => x !== 0)) throw new Error('no room before the CPU data');
  return Buffer.concat([b.subarray(0, m + 10), ins, b.subarray(m + 10, first - ins.length), b.subarray(first)]);
}
