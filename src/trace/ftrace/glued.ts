/**
 * Two records on one line. A `trace_pipe` reader that closes the file and opens it again loses
 * what the kernel had already formatted for the first open but not yet handed over: the rest of
 * the line it was reading, and any records after it in the same page. The next read starts at a
 * record boundary, so the log shows the cut-short record and the next surviving one on one line:
 *
 *     mv-858  [000] .....  54132: uw: (up_wr              mv-858  [000] .....  54133: uw: (up_write+0x0/0x40) sem=0x…
 *
 * Taken as one record, the first would lose its release silently (its site no longer names a
 * function), or worse, read the second's values as its own. The second record's header is
 * recognised inside the first's payload: `COMM-PID [CPU]` (with an optional `(TGID)` column),
 * then optional flags, a timestamp and a colon, as tracefs and trace-cmd report print them.
 */

const SP = 32, TAB = 9, DASH = 45, RBR = 93, LP = 40, RP = 41, COLON = 58, DOT = 46;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isBlank = (c: number): boolean => c === SP || c === TAB;
/** Latency flag characters (`irqs-off`, `need-resched`, …): `.`, letters, digits. */
const isFlag = (c: number): boolean => c === DOT || isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Where a record header glued into s[from, end) begins (the first character of its comm), or -1.
 * `lbr` is the position of a `[` in that span to test.
 */
export function gluedHeaderAt(s: string, from: number, end: number, lbr: number): number {
  // `[CPU] `
  let q = lbr + 1;
  while (q < end && isDigit(s.charCodeAt(q))) q++;
  if (q === lbr + 1 || q + 1 >= end || s.charCodeAt(q) !== RBR || s.charCodeAt(q + 1) !== SP) return -1;
  // then optional flags and a timestamp ending in ':'
  let r = q + 1;
  while (r < end && isBlank(s.charCodeAt(r))) r++;
  const flagsStart = r;
  while (r < end && isFlag(s.charCodeAt(r)) && !isDigit(s.charCodeAt(r))) r++;
  if (r > flagsStart) {
    // a flags column (`.....`, `d..2.`) is followed by blanks; what follows a timestamp is ':'
    while (r < end && isFlag(s.charCodeAt(r))) r++;
    if (r >= end || !isBlank(s.charCodeAt(r))) r = flagsStart;
    else while (r < end && isBlank(s.charCodeAt(r))) r++;
  }
  const tsStart = r;
  while (r < end && isDigit(s.charCodeAt(r))) r++;
  if (r === tsStart) return -1;
  if (r < end && s.charCodeAt(r) === DOT) {
    r++;
    const frac = r;
    while (r < end && isDigit(s.charCodeAt(r))) r++;
    if (r === frac) return -1;
  }
  if (r >= end || s.charCodeAt(r) !== COLON) return -1;
  // before it: blanks, an optional `(TGID)`, blanks, `COMM-PID`
  let k = lbr - 1;
  if (k < from || !isBlank(s.charCodeAt(k))) return -1;
  while (k >= from && isBlank(s.charCodeAt(k))) k--;
  if (k >= from && s.charCodeAt(k) === RP) {
    k--;
    while (k >= from && (isDigit(s.charCodeAt(k)) || isBlank(s.charCodeAt(k)) || s.charCodeAt(k) === DASH)) k--;
    if (k < from || s.charCodeAt(k) !== LP) return -1;
    k--;
    if (k < from || !isBlank(s.charCodeAt(k))) return -1;
    while (k >= from && isBlank(s.charCodeAt(k))) k--;
  }
  const pidEnd = k;
  while (k >= from && isDigit(s.charCodeAt(k))) k--;
  if (k === pidEnd || k < from || s.charCodeAt(k) !== DASH) return -1;
  k--;
  const commEnd = k;
  while (k >= from && !isBlank(s.charCodeAt(k))) k--;
  if (k === commEnd) return -1;
  return k + 1;
}

/** The position of the first character of s[start, end) that is no blank (end when none). */
export function firstNonBlank(s: string, start: number, end: number): number {
  let i = start;
  while (i < end && isBlank(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Finds glued record headers in a text line by line without scanning any byte twice: the next `[`
 * at or after a position is remembered for the text it was found in.
 */
export class GluedRecords {
  private text: string | undefined;
  private nextLbr = -1;

  /** Where a record header glued into s[from, end) begins, or -1. */
  find(s: string, from: number, end: number): number {
    if (s !== this.text || this.nextLbr < from) {
      this.text = s;
      this.nextLbr = s.indexOf('[', from);
      if (this.nextLbr === -1) this.nextLbr = s.length;
    }
    while (this.nextLbr < end) {
      const at = gluedHeaderAt(s, from, end, this.nextLbr);
      if (at > from) return at;
      const next = s.indexOf('[', this.nextLbr + 1);
      this.nextLbr = next === -1 ? s.length : next;
    }
    return -1;
  }
}
