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
import { L_BAD, L_MARKER, L_RECORD, L_SWITCH, type LineScan, type SniffState } from './line.js';

export interface EntriesPromise {
  promised: number;
  /** Lines that are entries. */
  counted: number;
  /** Line of the header that made the promise. */
  line: number;
}

/** Counts the entries of a log's scanned lines, against its header's promise. */
export class EntriesCount {
  private counted = 0;
  private marked = false;

  /** Takes a scanned line into account. */
  note(sc: LineScan): void {
    if (sc.cls === L_RECORD || sc.cls === L_BAD || sc.cls === L_SWITCH) this.counted++;
    else if (sc.cls === L_MARKER && sc.marker !== 'overwritten') this.marked = true;
  }

  /**
   * The header's promise when the log (whose headers `st` read) holds fewer entries, else undefined
   * (also when it makes none). `cutAtEnd`: the last line has no newline, the file was cut at its
   * end, a loss whose place is known (the reader reports it there), not one from an unknown place.
   */
  shortfall(st: SniffState, cutAtEnd: boolean): EntriesPromise | undefined {
    const e = st.entries;
    if (cutAtEnd || e === undefined || this.marked || (st.tracer !== 'nop' && st.tracer !== 'function') || this.counted >= e.inBuffer) return undefined;
    return { promised: e.inBuffer, counted: this.counted, line: e.line };
  }
}
