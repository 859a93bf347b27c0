/**
 * Two probes on one function (a probe set loaded twice under two names, a user's own probe beside
 * the reference set's) log each call twice: the same task's records, one right after the other,
 * of the same function and kind (entry or return) with the same arguments, under two event names.
 * The second is the same call seen again, not a second call: read as one, a `down_read` would look
 * taken twice. A second call shows the first probe's record again (`dr mydr dr mydr`), so only a
 * record right after its twin under another name is dropped, and never one after a dropped record.
 *
 * Arguments are compared by a 64-bit digest of their text (two 32-bit FNV-1a halves with different
 * seeds) so that nothing of the line is kept: a collision would need two such records to differ
 * in text and agree in both halves and in length.
 */
interface LastProbe {
  name: string;
  kind: string;
  sym: string;
  len: number;
  h1: number;
  h2: number;
  /** Whether this record was itself dropped as a twin: the next is compared with nothing. */
  dropped: boolean;
}

export interface DoubleProbe { line: number; name: string; twin: string; sym: string }

export class DoubleProbes {
  private readonly last = new Map<number, LastProbe>();
  /** Records dropped as twins, and the first of them. */
  count = 0;
  first: DoubleProbe | undefined;

  /**
   * A probe record (`kind` kprobe or kretprobe) of task `pid` under event `name`, of function `sym`,
   * with arguments `text[a, b)`: whether it is its task's previous record seen again through another probe.
   */
  twin(pid: number, kind: string, name: string, sym: string, text: string, a: number, b: number, line: number): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193 ^ (b - a);
    for (let i = a; i < b; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    const l = this.last.get(pid);
    if (l !== undefined && !l.dropped && l.kind === kind && l.sym === sym && l.name !== name && l.len === b - a && l.h1 === h1 && l.h2 === h2) {
      l.dropped = true;
      this.count++;
      this.first ??= { line, name, twin: l.name, sym };
      return true;
    }
    if (l === undefined) {
      this.last.set(pid, { name, kind, sym, len: b - a, h1, h2, dropped: false });
    } else {
      l.name = name; l.kind = kind; l.sym = sym; l.len = b - a; l.h1 = h1; l.h2 = h2; l.dropped = false;
    }
    return false;
  }

  /** Any other record of task `pid`: its next probe record has no twin before it. */
  other(pid: number): void {
    const l = this.last.get(pid);
    if (l !== undefined) l.kind = '';
  }

  /** Lost events: no task's previous record is known. */
  forget(): void {
    this.last.clear();
  }
}
