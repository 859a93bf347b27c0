/**
 * Strings cut from the reader's text that repeat from one line to the next: task names, the flags
 * column, probe sites and functions, argument names. The last string of each slot is kept and
 * given again while the text repeats it, instead of a new cut per line — each a new string for the
 * garbage collector and, for an argument name, a new lookup in V8's table of property names. A
 * kept string is a copy (it holds no chunk of the input alive).
 */
import { detach } from './bytes.js';

const MAX_SLOTS = 64;

export class RecentCuts {
  private readonly last: (string | undefined)[] = [];

  /** s[a, b) as a string: the one kept in slot `slot` when it is the same text. */
  cut(slot: number, s: string, a: number, b: number): string {
    if (slot >= MAX_SLOTS) return s.slice(a, b);
    const have = this.last[slot];
    if (have !== undefined && have.length === b - a && s.startsWith(have, a)) return have;
    const t = b - a < 13 ? s.slice(a, b) : detach(s.slice(a, b));
    this.last[slot] = t;
    return t;
  }
}
