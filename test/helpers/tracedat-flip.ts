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
