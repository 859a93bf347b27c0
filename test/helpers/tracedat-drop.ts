/**
 * Test helper: a trace.dat (uncompressed) with the records of the named events turned into ring-buffer
 * padding, as if a filter had kept them out of the buffer: the rest of the file, the timestamps of
 * the records left included, unchanged.
 */
import { cpuPages } from '../../src/trace/tracedat/cpu.js';
import { readTraceDatMeta } from '../../src/trace/tracedat/file.js';
import { PageReader } from '../../src/trace/tracedat/ring.js';

const PADDING = 29;

export function withoutEvents(src: Buffer, names: string[]): { bytes: Buffer; dropped: number } {
  const bytes = Buffer.from(src);
  const meta = readTraceDatMeta(bytes);
  if (!meta.littleEndian || meta.compression !== 'none') throw new Error('a little-endian, uncompressed trace.dat only');
  const ids = new Set([...meta.formats.ids()].filter((id) => names.includes(meta.formats.get(id)?.name ?? '')));
  const reader = new PageReader({ littleEndian: true, longSize: meta.kernelLongSize });
  let dropped = 0;
  for (const cpu of meta.cpus) {
    for (const page of cpuPages(bytes, meta, cpu)) {
      const view = Buffer.from(page.bytes.buffer, page.bytes.byteOffset, page.bytes.byteLength);
      reader.load(page.bytes, page.fileOffset);
      while (reader.next()) {
        if (!ids.has(view.readUInt16LE(reader.start))) continue;
        // The event's header is one word when its type_len gives its length, else two (length word).
        const short = (view.readUInt32LE(reader.start - 4) & 31) * 4 === reader.length;
        const at = short ? reader.start - 4 : reader.start - 8;
        const delta = view.readUInt32LE(at) >>> 5;
        // (padding with no time delta marks the end of the page's data)
        if (delta === 0) throw new Error(`an event at page offset ${at} has no time delta: it cannot be padding`);
        view.writeUInt32LE(((delta << 5) | PADDING) >>> 0, at);
        view.writeUInt32LE(reader.start + reader.length - (at + 4), at + 4);
        dropped++;
      }
    }
  }
  return { bytes, dropped };
}
