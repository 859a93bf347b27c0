/**
 * The count a `trace` file's header promises (`# entries-in-buffer/entries-written: A/B`), checked
 * before the records are judged. A line deleted anywhere in the file shows only as a shortfall of
 * that count, and where it was is unknown: known up front, every task can be taken as unknown for
 * the whole file, instead of learning at the end that earlier verdicts may rest on the lost line.
 *
 * Lines are classified as the reader classifies them (records, task switches and malformed lines
 * are entries; headers, blank lines and separators are not), without building records. A record
 * whose quoted value runs over several lines counts once per line here, which can only hide a
 * shortfall, never invent one. Only tracers that print one line per entry are checked, and not a
 * log that marks its own losses (the reader places those).
 */
import { L_BAD, L_MARKER, L_RECORD, L_SWITCH, LineScan, newSniffState, scanLine } from './line.js';

export interface EntriesPromise {
  promised: number;
  /** Lines that are entries. */
  counted: number;
  /** Line of the header that made the promise. */
  line: number;
}

/** The header's promise when the log holds fewer entries, else undefined (also when it makes none). */
export async function entriesShortfall(chunks: AsyncIterable<Uint8Array>): Promise<EntriesPromise | undefined> {
  const st = newSniffState();
  const sc = new LineScan();
  let counted = 0;
  let marked = false;
  let carry: Buffer | undefined;
  const feed = (text: string, terminatedAll: boolean): void => {
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) { if (!terminatedAll) return; nl = text.length; }
      st.line++;
      scanLine(text, pos, nl, st, sc);
      if (sc.cls === L_RECORD || sc.cls === L_BAD || sc.cls === L_SWITCH) counted++;
      else if (sc.cls === L_MARKER && sc.marker !== 'overwritten') marked = true;
      sc.text = '';
      pos = nl + 1;
    }
  };
  for await (const chunk of chunks) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry) { buf = Buffer.concat([carry, buf]); carry = undefined; }
    const last = buf.lastIndexOf(10);
    if (last === -1) { carry = Buffer.from(buf.subarray(0, Math.min(buf.length, 1 << 20))); continue; }
    feed(buf.toString('latin1', 0, last + 1), false);
    if (last + 1 < buf.length) carry = Buffer.from(buf.subarray(last + 1, Math.min(buf.length, last + 1 + (1 << 20))));
    // Past the header: nothing to hold the log to (no count, or a tracer not counted) ends the pass.
    if (st.line > 64 && (st.entries === undefined || (st.tracer !== undefined && st.tracer !== 'nop' && st.tracer !== 'function'))) return undefined;
  }
  // A last line without its newline: the file was cut at the end, a loss whose place is known
  // (the reader reports it there), not one from an unknown place.
  if (carry && carry.length > 0) return undefined;
  const e = st.entries;
  if (e === undefined || marked || (st.tracer !== 'nop' && st.tracer !== 'function') || counted >= e.inBuffer) return undefined;
  return { promised: e.inBuffer, counted, line: e.line };
}
