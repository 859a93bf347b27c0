/**
 * Loads spec files (or folders of `*.kinv`), follows `import`s relative to the importing file,
 * and runs parse → analyze. Each file is read once, so an import cycle is harmless.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpecAst } from '../dsl/ast.js';
import { parseSpec } from '../dsl/parse.js';
import { SpecCacheReader, type SpecCache } from '../dsl/parse-cache.js';
import { SpecProduct } from './spec-product.js';
import { error, ok, type Diagnostic, type Result } from '../diag/diagnostic.js';
import { analyze, type AnalyzeOptions } from './analyze.js';
import type { TypedSpec } from './ir.js';

/** Spec texts by the path used in spans, for rendering diagnostics and `file:line:col`. */
export type SourceTexts = Map<string, string>;

export interface LoadedSpec {
  spec: TypedSpec;
  sources: SourceTexts;
}

/** The folder of the bundled VFS spec. */
export function bundledSpecDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'spec', 'vfs');
}

function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** A spec is a regular file of reasonable size: `/dev/zero` or a FIFO would be read forever. */
const MAX_SPEC_BYTES = 16 << 20;

/** Why a path cannot be a spec file, or undefined when it may be read. */
function unreadableSpec(abs: string): string | undefined {
  let st;
  try { st = statSync(abs); } catch { return 'no such file'; }
  if (st.isDirectory()) return 'is a folder';
  if (!st.isFile()) return 'not a regular file';
  if (st.size > MAX_SPEC_BYTES) return `${st.size} bytes, more than a spec may have (${MAX_SPEC_BYTES})`;
  return undefined;
}

/** How a spec file's path is shown in spans and diagnostics, from its absolute path. */
export type ShowPath = (abs: string) => string;

/** The `*.kinv` files of a folder, sorted: the files a folder given as a spec stands for. */
export function specFilesOf(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.kinv')).sort();
}

/** Expands folders to their `*.kinv` files (sorted), keeps files. */
function expand(paths: string[], diags: Diagnostic[], texts: SourceTexts, show: ShowPath): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (texts.has(show(resolve(p)))) { out.push(p); continue; }
    let st;
    try {
      st = statSync(p);
    } catch {
      diags.push(error('KV002', `cannot read spec '${p}': no such file or folder`));
      continue;
    }
    if (st.isDirectory()) {
      const files = specFilesOf(p);
      if (files.length === 0) diags.push(error('KV002', `spec folder '${p}' has no .kinv files`));
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}

let cache: SpecCacheReader | null | undefined;

/**
 * The bundled spec's parsed files, written by `npm run build` next to this module in dist/ (none
 * next to the sources: there every file is parsed). Read once, on the first spec loaded.
 */
function specCache(): SpecCacheReader | null {
  if (cache !== undefined) return cache;
  try {
    cache = new SpecCacheReader(JSON.parse(readFileSync(new URL('./spec-cache.json', import.meta.url), 'utf8')) as SpecCache);
  } catch {
    cache = null;
  }
  return cache;
}

/**
 * Parses the given spec files and everything they import. Syntax errors of every file are reported
 * together. `show` names each file in spans (its path from the working folder, by default).
 */
export function loadSpecAsts(paths: string[], texts: SourceTexts = new Map(), show: ShowPath = displayPath):
{ asts: SpecAst[]; sources: SourceTexts; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const asts: SpecAst[] = [];
  const seen = new Set<string>();
  const visit = (abs: string, from?: { source: string; start: number; end: number }): void => {
    if (seen.has(abs)) return;
    seen.add(abs);
    const shown = show(abs);
    let text = texts.get(shown);
    if (text === undefined) {
      const why = unreadableSpec(abs);
      if (why !== undefined) {
        diagnostics.push(error(from ? 'KV003' : 'KV002', `cannot read spec '${shown}': ${why}`, from ? { span: from } : {}));
        return;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(abs);
      } catch {
        diagnostics.push(error(from ? 'KV003' : 'KV002', `cannot read spec '${shown}'`, from ? { span: from } : {}));
        return;
      }
      const decoded = specFileText(bytes);
      if (typeof decoded !== 'string') {
        diagnostics.push(error(from ? 'KV003' : 'KV002', `cannot read spec '${shown}': ${decoded.problem}`,
          from ? { span: from } : { at: { source: shown, line: decoded.line, column: decoded.column } }));
        return;
      }
      text = decoded;
    }
    texts.set(shown, text);
    const cached = specCache()?.get({ path: shown, text });
    const r = cached ? ok(cached) : parseSpec({ path: shown, text });
    diagnostics.push(...r.diagnostics);
    if (!r.ok) return;
    for (const d of r.value.decls) {
      if (d.kind === 'import') visit(resolve(dirname(abs), d.path), d.span);
    }
    asts.push(r.value);
  };
  for (const p of expand(paths, diagnostics, texts, show)) visit(resolve(p));
  return { asts, sources: texts, diagnostics };
}

/** Loads and checks a spec. With no paths, the bundled spec: from the build's analysis of it when that is of these very files. */
export function loadSpec(paths: string[], opts: AnalyzeOptions = {}, texts?: SourceTexts): Result<LoadedSpec> & { sources: SourceTexts } {
  if (paths.length === 0 && texts === undefined) return loadBundled(bundledProduct(), bundledSpecDir(), opts);
  return analyzeSpec(paths.length ? paths : [bundledSpecDir()], opts, texts);
}

/**
 * The spec of folder `dir` from its product when the product is of these very files and holds
 * these parameters (and the builtins are the language's), else analysed.
 */
export function loadBundled(p: SpecProduct | null, dir: string, opts: AnalyzeOptions = {}): Result<LoadedSpec> & { sources: SourceTexts } {
  const variant = opts.builtins === undefined ? p?.variantFor(opts.params ?? {}) : undefined;
  return (p && variant !== undefined ? fromProduct(p, variant, dir) : undefined) ?? analyzeSpec([dir], opts);
}

/** Parses and analyses spec files, `show` naming them in spans (see loadSpecAsts). */
export function analyzeSpec(paths: string[], opts: AnalyzeOptions = {}, texts?: SourceTexts, show: ShowPath = displayPath):
Result<LoadedSpec> & { sources: SourceTexts } {
  const { asts, sources, diagnostics } = loadSpecAsts(paths, texts, show);
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics, sources };
  const r = analyze(asts, opts);
  if (!r.ok) return { ok: false, diagnostics: [...diagnostics, ...r.diagnostics], sources };
  return { ok: true, value: { spec: r.value, sources }, diagnostics: [...diagnostics, ...r.diagnostics], sources };
}

let product: SpecProduct | null | undefined;

/**
 * The build's analysis of the bundled spec (spec-product.ts), written by `npm run build` next to
 * this module in dist/ (none next to the sources: there the spec is always analysed).
 */
function bundledProduct(): SpecProduct | null {
  if (product !== undefined) return product;
  // The build writes them in ASCII (other characters escaped), which latin1 reads fastest.
  const read = (name: string): string => readFileSync(new URL(`./spec-product/${name}`, import.meta.url), 'latin1');
  try {
    product = new SpecProduct(read('index.json'), (i) => read(`${i}.json`));
  } catch {
    product = null;
  }
  return product;
}

/**
 * Line `variant` of a product made from folder `dir`, if the folder holds the very files it was
 * made from (the same list, each text the same): else undefined, and the spec is analysed.
 */
export function fromProduct(p: SpecProduct, variant: number, dir: string): (Result<LoadedSpec> & { sources: SourceTexts }) | undefined {
  let listed: string[];
  try { listed = specFilesOf(dir); } catch { return undefined; }
  const { header } = p;
  if (listed.length !== header.listed.length || listed.some((f, i) => f !== header.listed[i])) return undefined;
  const sources: SourceTexts = new Map();
  const shown = new Map<string, string>();
  for (const f of header.files) {
    const abs = join(dir, f.name);
    if (unreadableSpec(abs) !== undefined) return undefined;
    let text: string;
    try { text = readFileSync(abs, 'utf8'); } catch { return undefined; }
    if (text !== f.text) return undefined;
    shown.set(f.name, displayPath(abs));
    sources.set(displayPath(abs), text);
  }
  let r;
  try { r = p.read(variant, (name) => shown.get(name)!); } catch { return undefined; }
  return { ok: true, value: { spec: r.spec, sources }, diagnostics: r.diagnostics, sources };
}

/** Loads a spec from in-memory text (tests, library users). */
export function loadSpecText(text: string, path = 'spec.kinv', opts: AnalyzeOptions = {}): Result<LoadedSpec> & { sources: SourceTexts } {
  const texts: SourceTexts = new Map([[path, text]]);
  return loadSpec([path], opts, texts);
}

/**
 * A spec file's text. A UTF-8 byte order mark, which some editors write, is no part of it; bytes
 * that are not UTF-8 would be read as U+FFFD, changing a string literal without a word, so they
 * make the file unreadable, with the line they are on.
 */
export function specFileText(bytes: Buffer): string | { problem: string; line: number; column: number } {
  const body = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const text = body.toString('utf8');
    const at = Math.max(0, text.indexOf('\ufffd'));
    const line = text.slice(0, at).split('\n').length;
    const column = at - text.lastIndexOf('\n', at - 1);
    return { problem: `not UTF-8 text (line ${line}, column ${column})`, line, column };
  }
}
