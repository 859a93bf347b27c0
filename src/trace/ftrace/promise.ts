/**
 * The count a `trace` file's header promises (`# entries-in-buffer/entries-written: A/B`), checked
 * before the records are judged. A line deleted anywhere in the file shows only as a shortfall of
 * that count, and where it was is unknown: known up front, every task can be taken as unknown for
 * the whole file, instead of learning at the end that earlier verdicts may rest on the lost line.
 *
 * Lines are counted cheaply (no parsing): every line with a `[CPU]` column that is not a header
 * or comment (`#`), a stack line (`=>`) or a loss marker (`CPU:N [LOST …]`). Every record line
 * of the formats that print this header has the column, so a count below the promise is a true
 * loss. Only tracers that print one line per entry are checked.
 */
export interface EntriesPromise {
  promised: number;
  /** Lines that may be records. */
  counted: number;
  /** Line of the header that made the promise. */
  line: number;
}

const HASH = 35, SPACE = 32, TAB = 9, CR = 13, NL = 10;

/** `[` digits `]` within b[s, e). */
function hasCpuColumn(b: Buffer, s: number, e: number): boolean {
  for (let i = b.indexOf(91, s); i !== -1 && i < e; i = b.indexOf(91, i + 1)) {
    let j = i + 1;
    while (j < e && b[j]! >= 48 && b[j]! <= 57) j++;
    if (j > i + 1 && j < e && b[j] === 93) return true;
  }
  return false;
}

export async function entriesShortfall(chunks: AsyncIterable<Uint8Array>): Promise<EntriesPromise | undefined> {
  let promised = -1;
  let promiseLine = 0;
  let tracer = '';
  let counted = 0;
  let marked = false;
  let lineNo = 0;
  let carry: Buffer | undefined;
  const lineOf = (b: Buffer, s: number, e: number): void => {
    lineNo++;
    let p = s;
    while (p < e && (b[p] === SPACE || b[p] === TAB || b[p] === CR)) p++;
    if (p === e) return;
    // A log that marks its own losses has told where they are (see records.ts).
    if (b[p] === 91 && b.toString('latin1', p, p + 14) === '[LINE TOO BIG]') { marked = true; return; }
    if (b[s] === HASH) {
      if (b[s + 1] === HASH && b.toString('latin1', s, Math.min(e, s + 40)).includes('buffer started')) { marked = true; return; }
      const text = b.toString('latin1', s, Math.min(e, s + 200));
      const t = /^#\s*tracer:\s*(\S+)/.exec(text);
      if (t) tracer = t[1]!;
      const m = /^#\s*entries-in-buffer\/entries-written:\s*(\d+)\//.exec(text);
      if (m) { promised = Number(m[1]); promiseLine = lineNo; }
      return;
    }
    if (b[p] === 61 && b[p + 1] === 62) return; // =>
    if (b[p] === 67 && b[p + 1] === 80 && b[p + 2] === 85 && b[p + 3] === 58) { marked = true; return; } // CPU:N [LOST …]
    // Only what looks like a record (a `[CPU]` column) counts: a record replaced by junk the
    // reader would pass over (a separator, a stray word) must show as missing.
    if (hasCpuColumn(b, p, Math.min(e, p + 160))) counted++;
  };
  for await (const chunk of chunks) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry) { buf = Buffer.concat([carry, buf]); carry = undefined; }
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl !== -1; nl = buf.indexOf(NL, start)) {
      lineOf(buf, start, nl);
      start = nl + 1;
    }
    // A record line is short; a long unterminated tail is kept only up to a bound.
    if (start < buf.length) carry = Buffer.from(buf.subarray(start, Math.min(buf.length, start + (1 << 20))));
    if (lineNo > 64 && promised < 0) return undefined;
  }
  // A last line without its newline: the file was cut at the end, a loss whose place is known
  // (the reader reports it there), not one from an unknown place.
  if (carry && carry.length > 0) return undefined;
  if (promised < 0 || marked || (tracer !== 'nop' && tracer !== 'function') || counted >= promised) return undefined;
  return { promised, counted, line: promiseLine };
}
