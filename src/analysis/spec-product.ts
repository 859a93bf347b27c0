/**
 * The bundled spec, analysed at build time: `npm run build` writes the analysed spec of
 * spec/vfs/ next to the compiled loader (dist/analysis/spec-product/, made by
 * spec-product-build.ts), so a start with the bundled spec parses one JSON text instead of
 * parsing, type checking and lowering ~60 kB of spec (most of a cold `explore`).
 *
 * The loader uses a product only for the very files it was made from (every text compared whole,
 * the folder's list of files too) and only for a parameter set it holds; anything else is analysed
 * as usual. A product is a header (index.json: the files, the parameter sets) and one JSON text
 * per parameter set (a "line", N.json), read only when asked for.
 *
 * JSON has no Map, Set or function: those stand as a record tagged `TAG` (a builtin by its key
 * in the builtin table), listed by where they are, and spans name their file by a mark
 * (`sourceMark`). Reading a line puts the shown paths in place of the marks in its text, then puts
 * back each listed value: no walk over the whole value (that walk, and the slower reads of every
 * node its stores left to the passes after it, were a third of a cold explore's time over Node's
 * own start).
 */
import type { Diagnostic } from '../diag/diagnostic.js';
import { BUILTINS } from './builtins.js';
import type { TypedSpec } from './ir.js';
import { recordStateAbstraction, type StateAbstraction } from './state-abstraction.js';

/** Bumped when the layout changes: a product of another layout is not read. */
export const PRODUCT_FORMAT = 3;

/** Stands for the display path of the header's file `index` in a product's spans (short: a span holds one). */
export function sourceMark(index: number): string {
  return `\u0000${index}`;
}

export interface ProductHeader {
  format: number;
  /** The folder's `*.kinv` files, sorted, as the loader lists them. */
  listed: string[];
  /** Every file the loader reads, in its order, with the text that was analysed. */
  files: { name: string; text: string }[];
  /** Each declared parameter's default value, written as `--param` would give it. */
  defaults: Record<string, string>;
  /** Per line after the header: the parameters it was analysed with, the defaults left out. */
  variants: Record<string, string>[];
}

/**
 * What a product line holds: the loader's result for the bundled spec with those parameters, and
 * what exploration may abstract of its state (state-abstraction.ts), which reading the line records
 * for the spec it reads, so that a cold `explore` need not walk the spec for it.
 */
export interface ProductValue {
  spec: TypedSpec;
  diagnostics: Diagnostic[];
  abstraction: StateAbstraction;
}

/**
 * A product line as written: the value, with Maps, Sets and builtins as tagged records, and the
 * place of each tagged record (keys and indexes from the value down), innermost first.
 */
export interface ProductLine {
  value: unknown;
  tagged: (string | number)[][];
}

/** The key of a record that stands for a value JSON cannot hold; its value says which. */
export const TAG = '\u0000';
export type Tagged = { [TAG]: 'map'; entries: unknown[] } | { [TAG]: 'set'; items: unknown[] } | { [TAG]: 'builtin'; name: string };

/** The key of a parameter set: its entries sorted by name. */
export function paramsKey(params: Record<string, string>): string {
  return JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
}

/** The files of a product: its header, and each parameter set's line. */
export interface ProductFiles {
  header: string;
  variants: string[];
}

/** A product, its lines read on demand. */
export class SpecProduct {
  readonly header: ProductHeader;
  private readonly byParams = new Map<string, number>();

  /** Throws when the header is no product of this format. */
  constructor(header: string, private readonly line: (variant: number) => string) {
    this.header = JSON.parse(header) as ProductHeader;
    if (this.header.format !== PRODUCT_FORMAT) throw new Error(`spec product format ${this.header.format}, not ${PRODUCT_FORMAT}`);
    this.header.variants.forEach((p, i) => this.byParams.set(paramsKey(p), i));
  }

  /**
   * The line analysed with `params`, or undefined. A parameter given at its default makes the same
   * spec as one left out (the build checks that of every parameter); an undeclared one is for the
   * analysis to report.
   */
  variantFor(params: Record<string, string>): number | undefined {
    const differing: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) {
      const d = this.header.defaults[k];
      if (d === undefined) return undefined;
      if (v !== d) differing[k] = v;
    }
    return this.byParams.get(paramsKey(differing));
  }

  /** Line `variant`, its spans naming each file as `shown` gives. Throws when it cannot be read or names a builtin this build lacks. */
  read(variant: number, shown: (name: string) => string): ProductValue {
    const line = JSON.parse(unmarked(this.line(variant), this.header.files.map((f) => JSON.stringify(shown(f.name))))) as ProductLine;
    const value = line.value as ProductValue;
    for (const at of line.tagged) {
      if (at.length === 0) throw new Error('the spec product tags its whole value');
      let parent = line.value as Record<string | number, unknown>;
      for (let i = 0; i < at.length - 1; i++) parent = parent[at[i]!] as Record<string | number, unknown>;
      const key = at[at.length - 1]!;
      parent[key] = untag(parent[key] as Tagged);
    }
    recordStateAbstraction(value.spec, value.abstraction);
    return value;
  }
}

/**
 * A line's JSON text with each file's mark (`"\u0000<index>"`, a whole JSON string) replaced by
 * the JSON string of the path shown for file `index`, in one pass. (A string of the spec that
 * merely looks like a mark would be replaced too; the build compares every line it writes with
 * the analysis, so no such line ships.)
 */
function unmarked(text: string, shown: string[]): string {
  const ESC = '\\u0000';
  const parts: string[] = [];
  let from = 0;
  for (let i = text.indexOf(ESC); i !== -1; i = text.indexOf(ESC, i + 1)) {
    if (text.charCodeAt(i - 1) !== 0x22) continue;
    let j = i + ESC.length;
    while (text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    if (j === i + ESC.length || text.charCodeAt(j) !== 0x22) continue;
    const index = text.slice(i + ESC.length, j);
    const path = index.length > 1 && index.startsWith('0') ? undefined : shown[Number(index)];
    if (path === undefined) continue;
    parts.push(text.slice(from, i - 1), path);
    from = j + 1;
    i = j;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

const BUILTIN_TABLE: Readonly<Record<string, unknown>> = BUILTINS;

/** The value a tagged record stands for (its contents already put back). */
function untag(t: Tagged): unknown {
  switch (t[TAG]) {
    case 'map': return new Map(t.entries as [unknown, unknown][]);
    case 'set': return new Set(t.items);
    case 'builtin':
      if (!Object.hasOwn(BUILTIN_TABLE, t.name)) throw new Error(`the spec product names a builtin '${t.name}' this build does not have`);
      return BUILTIN_TABLE[t.name];
    default: throw new Error('the spec product tags a value it has no reading of');
  }
}
