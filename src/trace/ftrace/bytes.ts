/**
 * Byte-exact text helpers. The ftrace reader decodes input as latin1 so that every byte survives
 * (kernel strings are not guaranteed UTF-8, and a qstr name must be cut by its byte length).
 * These helpers turn such "byte strings" into display text or cut them to a byte count.
 */

/** True when every char is ASCII (then the byte string is already the text). */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a byte string (latin1, one char per byte) as UTF-8 when it is valid UTF-8; otherwise
 * returns it unchanged (each byte as the latin1 char). Never throws.
 */
export function bytesToText(s: string): string {
  if (isAscii(s)) return s;
  try {
    return utf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return s;
  }
}

/**
 * The name of a kernel `struct qstr` printed by a `:string` fetch: the fetch reads up to the
 * next NUL, which may run past the name, so cut it to `nlen` bytes and then decode it.
 * A non-numeric or out-of-range `nlen` leaves the string whole.
 */
export function qstrName(raw: string, nlen: string | number | undefined): string {
  const n = typeof nlen === 'number' ? nlen : nlen === undefined ? NaN : Number(nlen);
  const cut = Number.isInteger(n) && n >= 0 && n <= raw.length ? raw.slice(0, n) : raw;
  return bytesToText(cut);
}

/** Display form of a line for diagnostics: UTF-8 when valid, control bytes shown as `.`, cut to `max` chars. */
export function displayLine(s: string, max = 200): string {
  const shown = displayLoc(s, s.length, max);
  return shown.excerpt !== undefined && shown.text.length === max ? shown.text + '…' : shown.text;
}

/**
 * A line as a diagnostic location shows it: its display form, cut to `max` chars; where it is cut
 * (or the caller passed only the line's start), the line's own length (`length`, in bytes as read),
 * which the renderer prints after an ellipsis.
 */
export function displayLoc(s: string, length = s.length, max = 200): { text: string; excerpt?: { length: number } } {
  const t = bytesToText(s.length > max * 4 ? s.slice(0, max * 4) : s);
  // eslint-disable-next-line no-control-regex
  const clean = t.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '.');
  if (clean.length > max) return { text: clean.slice(0, max), excerpt: { length } };
  return length > s.length ? { text: clean, excerpt: { length } } : { text: clean };
}

/** True when a byte string holds control bytes that never occur in trace text (binary data). */
export function looksBinary(s: string, start = 0, end = s.length): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32) || c === 0x7f) return true;
  }
  return false;
}

/**
 * A copy of `s` that does not share storage with a larger string. Slices of the reader's chunk
 * text would otherwise keep a whole chunk alive while they sit on a call stack.
 */
export function detach(s: string): string {
  return (' ' + s).slice(1);
}

/**
 * Index of the first control byte (other than tab) of s[start, end) outside double-quoted values,
 * or -1. Inside quotes it is a kernel string's own byte (a file name may hold any byte but `/`);
 * outside, the line itself is damaged, and a record read from it would be a guess.
 */
export function controlOutsideQuotes(s: string, start: number, end: number): number {
  let quoted = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    // (tab, and the CR of a CRLF line end, are part of text lines)
    else if (!quoted && (c < 32 ? c !== 9 && !(c === 13 && i === end - 1) : c === 0x7f)) return i;
  }
  return -1;
}
