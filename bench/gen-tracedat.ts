/**
 * A large trace.dat for the bench, made from a real version 6 file (traces/tracedat/record-v6.dat):
 * its metadata unchanged, each CPU's ring-buffer pages repeated `copies` times, every copy's page
 * timestamps moved past the previous copy's last event (events are deltas from their page's
 * timestamp, so the records repeat in the same order, later). The file's flyrecord table is
 * rewritten for the new CPU offsets and sizes.
 */
import { writeFileSync } from 'node:fs';
import { cpuPages } from '../src/trace/tracedat/cpu.js';
import { readTraceDatMeta } from '../src/trace/tracedat/file.js';
import { PageReader } from '../src/trace/tracedat/ring.js';

export function generateTraceDat(src: Buffer, copies: number): Buffer {
  const meta = readTraceDatMeta(src);
  if (meta.version !== 6 || !meta.littleEndian) throw new Error('the bench generator takes a little-endian version 6 file');
  let first = Infinity;
  let last = 0;
  const reader = new PageReader({ littleEndian: true, longSize: meta.kernelLongSize });
  for (const c of meta.cpus) {
    for (const p of cpuPages(src, meta, c)) {
      reader.load(p.bytes, p.fileOffset);
      first = Math.min(first, reader.ts);
      while (reader.next()) last = Math.max(last, reader.ts);
    }
  }
  const shift = last - first + 1;
  const dataStart = Math.min(...meta.cpus.map((c) => c.offset));
  const header = Buffer.from(src.subarray(0, dataStart));
  const table = header.lastIndexOf('flyrecord\0') + 10;
  const parts: Buffer[] = [header];
  let at = dataStart;
  meta.cpus.forEach((c, i) => {
    header.writeBigUInt64LE(BigInt(at), table + i * 16);
    header.writeBigUInt64LE(BigInt(c.size * copies), table + i * 16 + 8);
    for (let k = 0; k < copies; k++) {
      const copy = Buffer.from(src.subarray(c.offset, c.offset + c.size));
      for (let p = 0; p + 8 <= copy.length; p += meta.pageSize) copy.writeBigUInt64LE(copy.readBigUInt64LE(p) + BigInt(k * shift), p);
      parts.push(copy);
    }
    at += c.size * copies;
  });
  return Buffer.concat(parts);
}

if (process.argv[1] !== undefined && /bench\/gen-tracedat\.ts$/.test(process.argv[1])) {
  const [src, out, copies] = process.argv.slice(2);
  if (src === undefined || out === undefined) { console.error('usage: node --import tsx bench/gen-tracedat.ts SRC.dat OUT.dat [COPIES]'); process.exit(2); }
  const { readFileSync } = await import('node:fs');
  writeFileSync(out, generateTraceDat(readFileSync(src), Number(copies ?? 100)));
}
