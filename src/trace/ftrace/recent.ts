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

const NAME_SLOTS = 4096;

/**
 * Record names (events, probes, functions) cut from the reader's text: a log has few, and each
 * line names one. The name of a span is found by a hash of its characters in a table of the names
 * seen, and given again when it is the same text: no new string per line, and a string whose own
 * hash V8 keeps, for the name lookups each record goes through. A slot holds the name last cut
 * there (a collision costs a cut, nothing else).
 */
export class SpanNames {
  private readonly table: (string | undefined)[] = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

  /** s[a, b) as a string. */
  name(s: string, a: number, b: number): string {
    let h = b - a;
    for (let i = a; i < b; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    const k = h & (NAME_SLOTS - 1);
    const have = this.table[k];
    if (have !== undefined && have.length === b - a && s.startsWith(have, a)) return have;
    const t = b - a < 13 ? s.slice(a, b) : detach(s.slice(a, b));
    this.table[k] = t;
    return t;
  }
}
