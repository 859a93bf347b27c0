/**
 * Trace text made safe for a terminal. A trace is data from wherever it came from: a file name or
 * a task name may hold ESC sequences (clear screen, OSC window titles), BEL, CR (overwrite what was
 * printed), C1 controls (U+009B is a CSI on some terminals) or bidi overrides (U+202E reorders
 * what follows). Text output shows each as a visible escape and caps its length; JSON output is
 * exact and does not come here.
 */

/** Default cap of one trace string in text output. */
export const TERMINAL_MAX = 200;

/** Characters a terminal acts on or reorders instead of showing: C0, DEL, C1, bidi and invisible format marks. */
function unsafe(c: number): boolean {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  if (c < 0x61c) return false;
  return c === 0x61c || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c === 0xfeff
    || (c >= 0xfff9 && c <= 0xfffb);
}

function escapeChar(n: number): string {
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
}

/**
 * `s` with every unsafe character as a visible escape (`\x1b`, `\u{202e}`), cut to `max`
 * characters of the original with an ellipsis and the full length.
 */
export function terminalText(s: string, max = TERMINAL_MAX): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  let shown = '';
  let from = 0;
  for (let i = 0; i < cut.length; i++) {
    const c = cut.charCodeAt(i);
    if (!unsafe(c)) continue;
    shown += cut.slice(from, i) + escapeChar(c);
    from = i + 1;
  }
  shown = from === 0 ? cut : shown + cut.slice(from);
  return s.length > max ? `${shown}…(${s.length} chars)` : shown;
}
