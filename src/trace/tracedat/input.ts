/**
 * A trace.dat input as ftrace text: the opened file's bytes (gunzipped when it was a .gz) are read
 * whole, their metadata parsed, and the records rendered lazily as tracefs text for the head the
 * checker scans, then given decoded, field by field, with no text made (see read.ts).
 * Damage in the metadata makes the file unreadable (a located KV306); damage part-way through the
 * CPU data sets `cut` after the records before it, so the caller reports it (KV305) and ends with
 * a gap, as for a cut .gz.
 */
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { OpenedInput } from '../input.js';
import { TraceDatError } from './cursor.js';
import { isTraceDat } from './file.js';
import type { DecodedChunk } from '../ftrace/decoded.js';
import { HEAD_TEXT_BYTES, traceDatRecords, type TraceDatRecords } from './read.js';

export { isTraceDat };

/** An opened trace.dat: its first chunks ftrace text (`head` the first), then chunks of decoded records. */
export interface OpenedTraceDat extends Omit<OpenedInput, 'chunks'> {
  chunks: AsyncIterable<Uint8Array | DecodedChunk>;
}

/**
 * The trace.dat `input` as an input of ftrace text, its records decoded past the first
 * `textBytes` of text, or undefined (with the diagnostic given) when its metadata is damaged.
 */
export async function openTraceDat(input: OpenedInput, onDiagnostic: (d: Diagnostic) => void,
  textBytes = HEAD_TEXT_BYTES): Promise<OpenedTraceDat | undefined> {
  const parts: Buffer[] = [];
  for await (const c of input.chunks) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  const bytes = Buffer.concat(parts);
  let text: TraceDatRecords;
  try {
    text = traceDatRecords(bytes, textBytes);
  } catch (e) {
    if (!(e instanceof TraceDatError)) throw e;
    // A binary file has no lines: the location is the byte offset (a span of the file).
    onDiagnostic(error('KV306', `trace.dat damaged at byte ${e.offset} (${e.section}): ${e.message}`,
      { span: { source: input.name, start: e.offset, end: e.offset + 1 } },
      'nothing of this file can be read without its metadata; check that it is a whole trace.dat as trace-cmd wrote it (trace-cmd report -i FILE)'));
    return undefined;
  }
  for (const s of text.meta.skipped) {
    const message = `trace.dat: ${s} not read (only the top instance's ring buffer is checked)`;
    onDiagnostic({ code: 'KV313', severity: 'note', message, at: { source: input.name, line: 1 } });
  }
  const chunks = text.chunks;
  const first = chunks.next();
  // (the first chunk is text: the file's header line at least)
  const head = first.done === true || !(first.value instanceof Uint8Array) ? Buffer.alloc(0) : first.value;
  const opened: OpenedTraceDat = { name: input.name, head, chunks: rest() };
  async function* rest(): AsyncGenerator<Uint8Array | DecodedChunk> {
    if (first.done !== true) yield first.value;
    for (const c of chunks) yield c;
    if (input.cut !== undefined) opened.cut = input.cut;
    else if (text.problems.length > 0) {
      const p = text.problems[0]!;
      const others = text.problems.slice(1).map((q) => `${q.section} at byte ${q.offset}`);
      const more = others.length > 0 ? ` (and ${others.length} more: ${others.join(', ')})` : '';
      const message = `trace.dat damaged or cut short at byte ${p.offset} (${p.section}): ${p.message}${more}; ${text.records} records were read before it`;
      opened.cut = { message, bytes: p.offset };
    }
  }
  return opened;
}
