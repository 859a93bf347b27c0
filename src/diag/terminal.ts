/**
 * Trace text made safe for a terminal. A trace is data from wherever it came from: a file name or
 * a task name may hold ESC sequences (clear screen, OSC window titles), BEL, CR (overwrite what was
 * printed), C1 controls (U+009B is a CSI on some terminals) or bidi overrides (U+202E reorders
 * what follows). Text output shows each as a visible escape and caps its length; JSON output is
 * exact and does not come here.
 */

/** Characters a terminal acts on or reorders instead of showing: C0, DEL, C1, bidi and invisible format marks. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Default cap of one trace string in text output. */
export const TERMINAL_MAX = 200;

function escapeChar(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
}

/**
 * `s` with every unsafe character as a visible escape (`\x1b`, `\u{202e}`), cut to `max`
 * characters of the original with an ellipsis and the full length.
 */
export function terminalText(s: string, max = TERMINAL_MAX): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  UNSAFE.lastIndex = 0;
  const shown = UNSAFE.test(cut) ? cut.replace(UNSAFE, escapeChar) : cut;
  return s.length > max ? `${shown}…(${s.length} chars)` : shown;
}
