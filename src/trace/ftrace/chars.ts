/**
 * Character-level helpers of the ftrace scanner, on (text, index, end) spans of a chunk string.
 * Every scan is bounded by `end`, so a search never runs into the rest of a large chunk.
 *
 * Hot modules bind these to local constants once (`const { isWs } = chars`) instead of calling
 * the imports directly: some loaders (tsx) compile modules to CommonJS, where every call through
 * an import goes through a getter and is never inlined.
 */

export function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Index of `code` in s[from, end), or -1. */
export function findChar(s: string, code: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s.charCodeAt(i) === code) return i;
  return -1;
}

/** Index of `needle` in s[from, end) (whole needle inside the span), or -1. Never scans past `end`. */
export function findStr(s: string, needle: string, from: number, end: number): number {
  const first = needle.charCodeAt(0);
  const last = end - needle.length;
  for (let i = from; i <= last; i++) {
    if (s.charCodeAt(i) === first && s.startsWith(needle, i)) return i;
  }
  return -1;
}

export function skipWs(s: string, i: number, end: number): number {
  while (i < end && isWs(s.charCodeAt(i))) i++;
  return i;
}

export function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  return end;
}
