/**
 * The count a `trace` file's header promises (`# entries-in-buffer/entries-written: A/B`), checked
 * before the records are judged. A line deleted anywhere in the file shows only as a shortfall of
 * that count, and where it was is unknown: known up front, every task can be taken as unknown for
 * the whole file, instead of learning at the end that earlier verdicts may rest on the lost line.
 * More entries than the count are lines duplicated or inserted at an unknown place (a record
 * twice reads as a lock taken twice), and are held to the same.
 *
 * Lines are classified as the reader classifies them (records, task switches and malformed lines
 * are entries; headers, blank lines and separators are not), without building records. A record
 * whose quoted value runs over several lines counts once (`continued`). Only tracers that print one line per entry are checked, and not a
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
  /** The first shortfall of a capture that another one followed in the file (a second header). */
  private earlier: EntriesPromise | undefined;

  /**
   * Takes a scanned line into account. `st`: the header state as of this line (a second header's
   * line still has the first capture's promise: its own comes on a later line).
   */
  note(sc: LineScan, st: SniffState): void {
    if (sc.cls === L_RECORD || sc.cls === L_BAD || sc.cls === L_SWITCH) {
      this.counted++;
      this.tracer = st.tracer;
    } else if (sc.cls === L_MARKER && sc.marker === 'new_capture') {
      // Each capture's header counts its own entries (the second header's line has set its tracer already).
      this.earlier ??= this.partShortfall(st.entries, this.tracer);
      this.counted = 0;
      this.marked = false;
      st.entries = undefined;
    } else if (sc.cls === L_MARKER && sc.marker !== 'overwritten') this.marked = true;
  }

  /** The tracer of the records counted so far. */
  private tracer: string | undefined;

  /** The line just noted goes on a quoted value of the record before it: no entry of its own. */
  continued(): void {
    this.counted--;
  }

  /**
   * The header's promise when the log (whose headers `st` read) holds fewer entries, else undefined
   * (also when it makes none). `cutAtEnd`: the last line has no newline, the file was cut at its
   * end, a loss whose place is known (the reader reports it there), not one from an unknown place.
   * `uncounted`: the last capture's header makes no promise to hold it to (an earlier capture's,
   * followed by another in the file, still counts).
   */
  shortfall(st: SniffState, cutAtEnd: boolean, uncounted = false): EntriesPromise | undefined {
    if (this.earlier !== undefined) return this.earlier;
    if (uncounted || cutAtEnd) return undefined;
    return this.partShortfall(st.entries, st.tracer);
  }

  private partShortfall(e: SniffState['entries'], tracer: string | undefined): EntriesPromise | undefined {
    if (e === undefined || this.marked || (tracer !== 'nop' && tracer !== 'function') || this.counted === e.inBuffer) return undefined;
    return { promised: e.inBuffer, counted: this.counted, line: e.line };
  }
}
