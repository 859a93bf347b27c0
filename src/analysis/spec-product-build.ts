/**
 * Makes a spec folder's product (spec-product.ts): `npm run build` runs it on the bundled spec.
 * The product it returns has been read back and compared with a fresh analysis of every
 * parameter set it holds, so a build never ships a product that loads differently.
 */
import { isAbsolute, relative } from 'node:path';
import { BUILTINS } from './builtins.js';
import { analyzeSpec, fromProduct, specFilesOf } from './load.js';
import { findStateAbstraction, recordedStateAbstraction } from './state-abstraction.js';
import {
  PRODUCT_FORMAT, SpecProduct, sourceMark, TAG, type ProductFiles, type ProductHeader, type ProductLine, type ProductValue, type Tagged,
} from './spec-product.js';

/**
 * The product of folder `dir` for each of `variants` (parameter sets; the defaults-only one is
 * always held). Throws when the spec has errors, imports a file outside the folder, or holds
 * a value a product cannot carry.
 */
export function buildSpecProduct(dir: string, variants: Record<string, string>[]): ProductFiles {
  // Files are numbered as first read, which is the order of the loader's sources (the header's files).
  const numbers = new Map<string, number>();
  const names = new Map<string, string>();
  const markOf = (abs: string): string => {
    const name = relative(dir, abs);
    if (name === '') return abs; // the folder itself, asked whether it is an in-memory file
    if (name.startsWith('..') || isAbsolute(name)) throw new Error(`${abs}: the spec reads a file outside ${dir}`);
    if (!numbers.has(name)) numbers.set(name, numbers.size);
    const mark = sourceMark(numbers.get(name)!);
    names.set(mark, name);
    return mark;
  };
  const analysed = (params: Record<string, string>): ProductValue => {
    const r = analyzeSpec([dir], { params }, undefined, markOf);
    if (!r.ok) throw new Error(`${dir}: the spec does not load with parameters ${JSON.stringify(params)}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
    return { spec: r.value.spec, diagnostics: r.diagnostics, abstraction: findStateAbstraction(r.value.spec) };
  };

  const base = analyzeSpec([dir], {}, undefined, markOf);
  if (!base.ok) throw new Error(`${dir}: the spec has errors`);
  const defaults: Record<string, string> = {};
  for (const [name, p] of base.value.spec.params) defaults[name] = String(p.value);
  const differing = (params: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(params).filter(([k, v]) => defaults[k] !== v));
  const held = [{}, ...variants.map(differing)].filter((p, i, all) => all.findIndex((q) => JSON.stringify(q) === JSON.stringify(p)) === i);

  const header: ProductHeader = {
    format: PRODUCT_FORMAT,
    listed: specFilesOf(dir),
    files: [...base.sources].map(([mark, text]) => ({ name: names.get(mark)!, text })),
    defaults,
    variants: held,
  };
  const files = { header: ascii(JSON.stringify(header)), variants: held.map((p) => ascii(JSON.stringify(encodeLine(analysed(p))))) };
  verify(files, dir, held, defaults);
  return files;
}

/** Reads the product back: each line as the loader would load it, and each parameter at its default as the spec without it. */
function verify(files: ProductFiles, dir: string, held: Record<string, string>[], defaults: Record<string, string>): void {
  const product = new SpecProduct(files.header, (i) => files.variants[i]!);
  const plain = (params: Record<string, string>) => {
    const r = analyzeSpec([dir], { params });
    if (!r.ok) throw new Error(`${dir}: the spec does not load with parameters ${JSON.stringify(params)}`);
    return r;
  };
  for (const params of held) {
    const variant = product.variantFor(params);
    const read = variant === undefined ? undefined : fromProduct(product, variant, dir);
    const analysed = plain(params);
    const diff = firstDifference(read, analysed);
    if (diff !== undefined) throw new Error(`${dir}: the product with parameters ${JSON.stringify(params)} differs from the analysis at ${diff}`);
    const recorded = read?.ok ? recordedStateAbstraction(read.value.spec) : undefined;
    const abstractionDiff = firstDifference(recorded, analysed.ok ? findStateAbstraction(analysed.value.spec) : undefined);
    if (abstractionDiff !== undefined) {
      throw new Error(`${dir}: the product's state abstraction with parameters ${JSON.stringify(params)} differs from the analysis at ${abstractionDiff}`);
    }
  }
  const withoutParams = plain({});
  for (const [k, v] of Object.entries(defaults)) {
    const diff = firstDifference(plain({ [k]: v }), withoutParams);
    if (diff !== undefined) throw new Error(`${dir}: --param ${k}=${v} (its default) makes another spec (at ${diff}): a product's key cannot leave it out`);
  }
}

/** Every character outside ASCII as a JSON escape: the files are then read as latin1, the fastest decoding. */
function ascii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A product line's JSON value (`ProductLine`): Maps, Sets and builtins as records tagged TAG, and
 * where each tagged record is, innermost first, so that reading the line puts them back without a
 * walk over the whole value.
 */
export function encodeLine(value: ProductValue): ProductLine {
  const builtinNames = new Map<unknown, string>(Object.entries(BUILTINS).map(([name, b]) => [b, name]));
  const onPath = new Set<unknown>();
  const tagged: (string | number)[][] = [];
  const at: (string | number)[] = [];
  const encode = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || Object.is(v, -0)) throw new Error(`at ${path}: ${v} has no JSON form`);
      return v;
    }
    if (typeof v !== 'object') throw new Error(`at ${path}: a ${typeof v} has no JSON form`);
    const builtin = builtinNames.get(v);
    if (builtin !== undefined) {
      tagged.push([...at]);
      return { [TAG]: 'builtin', name: builtin } satisfies Tagged;
    }
    if (onPath.has(v)) throw new Error(`at ${path}: a cycle`);
    onPath.add(v);
    let out: unknown;
    if (v instanceof Map) {
      out = { [TAG]: 'map', entries: [...v].map(([k, x], i) => entry(i, k, x, path)) } satisfies Tagged;
      tagged.push([...at]);
    } else if (v instanceof Set) {
      out = { [TAG]: 'set', items: [...v].map((x, i) => nested(['items', i], x, `${path}[${i}]`)) } satisfies Tagged;
      tagged.push([...at]);
    } else if (Array.isArray(v)) {
      out = v.map((x, i) => {
        if (x === undefined) throw new Error(`at ${path}[${i}]: undefined has no JSON form in an array`);
        return nested([i], x, `${path}[${i}]`);
      });
    } else if (Object.getPrototypeOf(v) === Object.prototype) {
      if (Object.hasOwn(v, TAG)) throw new Error(`at ${path}: a record with the key a product tags values with`);
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = nested([k], x, `${path}.${k}`);
      out = o;
    } else throw new Error(`at ${path}: an instance of ${(v as object).constructor.name} has no JSON form`);
    onPath.delete(v);
    return out;
  };
  /** `x` encoded at `keys` below the current place. */
  const nested = (keys: (string | number)[], x: unknown, path: string): unknown => {
    at.push(...keys);
    try { return encode(x, path); } finally { at.length -= keys.length; }
  };
  const entry = (i: number, k: unknown, x: unknown, path: string): unknown[] =>
    [nested(['entries', i, 0], k, `${path}[${i}].key`), nested(['entries', i, 1], x, `${path}[${i}]`)];
  return { value: encode(value, '$'), tagged };
}

/**
 * Where two loaded specs differ (a path), or undefined when they are the same to every reader:
 * Maps and Sets in the same order, builtins the same functions, numbers by Object.is, and a
 * property set to undefined the same as one left out (as JSON leaves it).
 */
export function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return path;
  if (a instanceof Map && b instanceof Map) return firstDifference([...a], [...b], path);
  if (a instanceof Set && b instanceof Set) return firstDifference([...a], [...b], path);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const keysOf = (o: object): string[] => Object.entries(o).filter(([, x]) => x !== undefined).map(([k]) => k);
  const ka = keysOf(a);
  const kb = keysOf(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}{${ka.join(',')} vs ${kb.join(',')}}`;
  for (const k of ka) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}
