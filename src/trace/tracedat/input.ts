/**
 * A trace.dat input as ftrace text: the opened file's bytes (gunzipped when it was a .gz) are read
 * whole, their metadata parsed, and the records rendered lazily as tracefs text for the head the
 * checker scans, then given decoded, field by field, with no text made (see read.ts).
 * Damage in the metadata makes the file unreadable (a located KV306); damage part-way through the
 * CPU data sets `cut` after the records before it, so the caller reports it (KV305) and ends with
 * a gap, as for a cut .gz. Pages whose times break the kernel's order (a damaged time delta or
 * timestamp) had their records dropped as lost events: one located KV315 says where.
 */
import { error, type Diagnostic } from '../../diag/diagnostic.js';
import type { OpenedInput } from '../input.js';
import { TraceDatError } from './cursor.js';
import { isTraceDat } from './file.js';
import type { DecodedChunk } from '../ftrace/decoded.js';
import { HEAD_TEXT_BYTES, traceDatRecords, traceDatText, type TraceDatRecords, type TraceDatText, type TraceDatTimeDamage } from './read.js';

export { isTraceDat };

/**
 * The trace.dat `input` as an input of ftrace text (`chunks`), and as the same with its records
 * decoded past the first `textBytes` of text (`decoded`, what the ftrace reader reads), or
 * undefined (with the diagnostic given) when its metadata is damaged.
 */
export async function openTraceDat(input: OpenedInput, onDiagnostic: (d: Diagnostic) => void,
  textBytes = HEAD_TEXT_BYTES): Promise<OpenedInput | undefined> {
  const parts: Buffer[] = [];
  for await (const c of input.chunks) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  const bytes = Buffer.concat(parts);
  let records: TraceDatRecords;
  try {
    records = traceDatRecords(bytes, textBytes);
  } catch (e) {
    if (!(e instanceof TraceDatError)) throw e;
    // A binary file has no lines: the location is the byte offset (a span of the file).
    onDiagnostic(error('KV306', `trace.dat damaged at byte ${e.offset} (${e.section}): ${e.message}`,
      { span: { source: input.name, start: e.offset, end: e.offset + 1 } },
      'nothing of this file can be read without its metadata; check that it is a whole trace.dat as trace-cmd wrote it (trace-cmd report -i FILE)'));
    return undefined;
  }
  for (const s of records.meta.skipped) {
    const message = `trace.dat: ${s} not read (only the top instance's ring buffer is checked)`;
    onDiagnostic({ code: 'KV313', severity: 'note', message, at: { source: input.name, line: 1 } });
  }
  const chunks = records.chunks;
  const first = chunks.next();
  // (the first chunk is text: the file's header line at least)
  const head = first.done === true || !(first.value instanceof Uint8Array) ? Buffer.alloc(0) : first.value;
  const opened: OpenedInput = { name: input.name, head, chunks: asText(), decoded: rest(), decodedAgain: again };
  let toldTimes = false;
  function ended(t: TraceDatText | TraceDatRecords): void {
    if (!toldTimes && t.timeDamage.length > 0) {
      toldTimes = true;
      onDiagnostic(timeDamageDiagnostic(t.timeDamage, input.name));
    }
    if (input.cut !== undefined) opened.cut = input.cut;
    else if (t.problems.length > 0) {
      const p = t.problems[0]!;
      const others = t.problems.slice(1).map((q) => `${q.section} at byte ${q.offset}`);
      const more = others.length > 0 ? ` (and ${others.length} more: ${others.join(', ')})` : '';
      const message = `trace.dat damaged or cut short at byte ${p.offset} (${p.section}): ${p.message}${more}; ${t.records} records were read before it`;
      opened.cut = { message, bytes: p.offset };
    }
  }
  async function* rest(): AsyncGenerator<Uint8Array | DecodedChunk> {
    if (first.done !== true) yield first.value;
    for (const c of chunks) yield c;
    ended(records);
  }
  // (the problems of a second decode are the first's: the first reports them)
  async function* again(): AsyncGenerator<Uint8Array | DecodedChunk> {
    yield* traceDatRecords(bytes, textBytes).chunks;
  }
  // (made only when read: a reader of text only)
  async function* asText(): AsyncGenerator<Uint8Array> {
    const t = traceDatText(bytes);
    for (const c of t.chunks) yield c;
    ended(t);
  }
  return opened;
}

/** Where a damaged page is: its CPU, its place among the CPU's pages, and its byte offset (of its chunk, when compressed). */
function pageAt(d: TraceDatTimeDamage): string {
  return `CPU ${d.cpu}'s ring-buffer page ${d.pageIndex} (${d.compressed ? 'in the compressed chunk at byte' : 'at byte'} ${d.page})`;
}

/** The pages whose times break the kernel's order, as one located KV315 (the first, and how many more). */
function timeDamageDiagnostic(all: TraceDatTimeDamage[], source: string): Diagnostic {
  const d = all[0]!;
  const event = d.compressed ? 'an event' : `the event at byte ${d.offset}`;
  // (the clock's own values: the reader's count from the file's time base)
  const clock = (t: number): string => (d.timeBase === 0n || !Number.isSafeInteger(t) ? String(t) : String(d.timeBase + BigInt(t)));
  const what = d.kind === 'stamp'
    ? `${pageAt(d)} has a timestamp (${clock(d.ts)}) before the CPU's event before it (${clock(d.bound)})`
    : d.kind === 'backwards'
      ? `in ${pageAt(d)}, an absolute time stamp${d.compressed ? '' : ` at byte ${d.offset}`} (${clock(d.ts)}) is before the event before it`
        + ` (${clock(d.bound)})`
      : `in ${pageAt(d)}, ${event} is later (${clock(d.ts)}) than the next page's timestamp (${clock(d.bound)})`;
  const whose = d.kind === 'past next page' ? 'this page\'s records and the next page\'s' : 'this page\'s records';
  const dropped = all.reduce((n, x) => n + x.dropped, 0);
  const others = `${all.slice(1, 4).map(pageAt).join(', ')}${all.length > 4 ? ', …' : ''}`;
  const more = all.length > 1 ? `; ${all.length - 1} more page${all.length === 2 ? '' : 's'} like it (${others})` : '';
  const message = `trace.dat times out of the kernel's order: ${what}: a time delta or a timestamp is damaged (or the kernel's clock or`
    + ` ring buffer stamped it wrong), so ${whose} cannot be ordered among the other CPUs'`
    + ` and were taken as lost events (${dropped} record${dropped === 1 ? '' : 's'} in all; a gap of every task)${more}`;
  const at = d.compressed ? d.page : d.offset;
  return error('KV315', message, { span: { source, start: at, end: at + 1 } },
    'the kernel writes each CPU\'s times in order, none after the next page\'s timestamp; a damaged file does not: check it with trace-cmd report -i FILE');
}
