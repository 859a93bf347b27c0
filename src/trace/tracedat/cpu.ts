/**
 * One CPU's ring-buffer pages, in file order: read page by page from the file, or, for a version 7
 * file with compressed CPU data, chunk by chunk (`<u32 count>` then per chunk `<u32 compressed
 * size> <u32 uncompressed size> <data>`, each chunk a whole number of pages; the CPU's recorded
 * size, as trace-cmd 3.1.6 writes it, leaves out the 4-byte count, so the chunks are bounded by the
 * file, not by that size). A damaged or cut chunk or page ends the CPU's data with a
 * `TraceDatError` where it happened.
 */
import { Cursor, TraceDatError } from './cursor.js';
import { inflate, type CpuData, type TraceDatMeta } from './file.js';

export interface Page {
  bytes: Uint8Array;
  /** Where the page is in the file (for compressed data: where its chunk starts). */
  fileOffset: number;
}

export function* cpuPages(bytes: Uint8Array, meta: TraceDatMeta, cpu: CpuData): Generator<Page> {
  const ps = meta.pageSize;
  if (cpu.size === 0) return;
  if (cpu.compressed) {
    yield* chunks(bytes, meta, cpu);
    return;
  }
  if (cpu.offset + cpu.size > bytes.length) {
    // Cut short: the whole pages that are there are read, then the rest is reported.
    const have = Math.max(0, bytes.length - cpu.offset);
    for (let at = 0; at + ps <= have; at += ps) yield { bytes: bytes.subarray(cpu.offset + at, cpu.offset + at + ps), fileOffset: cpu.offset + at };
    const why = `CPU ${cpu.cpu}'s data should be ${cpu.size} bytes from offset ${cpu.offset}, but the file ends at ${bytes.length}: the file is cut short`;
    throw new TraceDatError(why, bytes.length, `CPU ${cpu.cpu} data`);
  }
  for (let at = 0; at < cpu.size; at += ps) {
    const end = Math.min(at + ps, cpu.size);
    yield { bytes: bytes.subarray(cpu.offset + at, cpu.offset + end), fileOffset: cpu.offset + at };
  }
}

function* chunks(bytes: Uint8Array, meta: TraceDatMeta, cpu: CpuData): Generator<Page> {
  const c = new Cursor(bytes, 0, meta.littleEndian, `CPU ${cpu.cpu} compressed data`);
  c.seek(cpu.offset, `CPU ${cpu.cpu} data`);
  const count = c.u32('chunk count');
  const ps = meta.pageSize;
  for (let i = 0; i < count; i++) {
    const csize = c.u32(`chunk ${i} compressed size`);
    const usize = c.u32(`chunk ${i} uncompressed size`);
    const at = c.offset;
    const data = inflate(meta.compression, c.bytesOf(csize, `chunk ${i}`), usize, at, `CPU ${cpu.cpu} chunk ${i}`);
    for (let p = 0; p < data.length; p += ps) yield { bytes: data.subarray(p, Math.min(p + ps, data.length)), fileOffset: at };
  }
}
