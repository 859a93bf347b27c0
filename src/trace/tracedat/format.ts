/**
 * Event format files (`events/<system>/<event>/format`, as stored in a trace.dat): the event's
 * name, id, field layout and `print fmt`. Only what decoding needs is kept.
 */

export interface FieldFormat {
  name: string;
  /** The C type as written (`unsigned long`, `__data_loc char[]`, `char[16]`). */
  type: string;
  offset: number;
  size: number;
  signed: boolean;
  /** `__data_loc`: a 32-bit (length << 16 | offset) pointing at the bytes in the record. */
  dataLoc: boolean;
  /** A fixed array (`char comm[16]`). */
  array: boolean;
}

export interface EventFormat {
  system: string;
  name: string;
  id: number;
  fields: FieldFormat[];
  byName: Map<string, FieldFormat>;
  /** The format string of `print fmt`, unescaped, when it has one. */
  printFmt: string | undefined;
  /** The arguments of `print fmt`, as written. */
  printArgs: string[];
}

/** Parses one format file; `undefined` when it has no name or id (reported by the caller). */
export function parseEventFormat(system: string, text: string): EventFormat | undefined {
  const name = /^name: (\S+)$/m.exec(text)?.[1];
  const id = /^ID: (\d+)$/m.exec(text)?.[1];
  if (name === undefined || id === undefined) return undefined;
  const fields: FieldFormat[] = [];
  for (const m of text.matchAll(/^\s*field:([^;]*);\s*offset:(\d+);\s*size:(\d+);(?:\s*signed:(-?\d+);)?/gm)) {
    const decl = m[1]!.trim();
    const arr = /^(.*?)\s*([\w]+)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!arr) continue;
    const fieldName = arr[2]!;
    const type = (arr[1]! + (arr[3] ?? '')).trim();
    fields.push({
      name: fieldName, type, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1',
      dataLoc: type.startsWith('__data_loc') || type.startsWith('__rel_loc'), array: arr[3] !== undefined,
    });
  }
  const pf = /^print fmt: (.*)$/m.exec(text)?.[1];
  let printFmt: string | undefined;
  let printArgs: string[] = [];
  if (pf !== undefined && pf.startsWith('"')) {
    const end = closingQuote(pf);
    if (end > 0) {
      printFmt = unescapeC(pf.slice(1, end));
      printArgs = splitArgs(pf.slice(end + 1).replace(/^\s*,/, ''));
    }
  }
  return { system, name, id: Number(id), fields, byName: new Map(fields.map((f) => [f.name, f])), printFmt, printArgs };
}

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue; }
    if (s[i] === '"') return i;
  }
  return -1;
}

function unescapeC(s: string): string {
  return s.replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/** Splits `a, f(b, c), d` at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      cur += c;
      if (c === '\\') { cur += s[++i] ?? ''; continue; }
      if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}
