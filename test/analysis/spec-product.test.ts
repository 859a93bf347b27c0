/**
 * The build's analysed spec (src/analysis/spec-product.ts): loaded from a product, the bundled spec
 * is the one the analysis makes (to every reader, and in every verdict on the bundled traces); a
 * product is used only for the very files it was made from and the parameters it holds, so an
 * edited spec folder is analysed again and its edit takes effect.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeSpec, bundledSpecDir, fromProduct, loadBundled } from '../../src/analysis/load.js';
import { buildSpecProduct, firstDifference } from '../../src/analysis/spec-product-build.js';
import { SpecProduct, type ProductFiles } from '../../src/analysis/spec-product.js';
import { findStateAbstraction, recordedStateAbstraction, stateAbstraction } from '../../src/analysis/state-abstraction.js';
import { checkEvents, CompiledSpec } from '../../src/checker/check.js';
import { verdictJson } from '../../src/checker/report.js';
import { parseNdjsonLine } from '../../src/trace/ndjson.js';
import type { TraceEvent } from '../../src/trace/event.js';

const dir = bundledSpecDir();
type Params = Record<string, string>;
const VARIANTS: Params[] = [{ order: 'new' }, { source: 'ftrace' }];
const files = buildSpecProduct(dir, VARIANTS);
const productOf = (f: ProductFiles): SpecProduct => new SpecProduct(f.header, (i) => f.variants[i]!);
const product = productOf(files);

const tmp = mkdtempSync(join(tmpdir(), 'kinv-product-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function analysed(params: Record<string, string>) {
  const r = analyzeSpec([dir], { params });
  if (!r.ok) throw new Error('the bundled spec does not load');
  return r;
}

function fromBundledProduct(params: Record<string, string>) {
  const variant = product.variantFor(params);
  expect(variant).toBeDefined();
  const r = fromProduct(product, variant!, dir);
  if (!r?.ok) throw new Error('the product of the bundled spec is not used');
  return r;
}

describe('the bundled spec from its product', () => {
  for (const params of [{}, ...VARIANTS, { order: 'current' }] as Params[]) {
    it(`is the analysed spec, with ${JSON.stringify(params)}`, () => {
      const fast = fromBundledProduct(params);
      const plain = analysed(params);
      expect(firstDifference(fast, plain)).toBeUndefined();
      expect(fast).toEqual(plain);
      expect([...fast.sources.keys()]).toEqual([...plain.sources.keys()]);
    });
  }

  for (const params of [{}, ...VARIANTS, { order: 'current' }] as Params[]) {
    it(`records the state abstraction the analysis finds, with ${JSON.stringify(params)}`, () => {
      const fast = fromBundledProduct(params);
      const plain = analysed(params);
      const recorded = recordedStateAbstraction(fast.value.spec);
      expect(recorded).toBeDefined();
      expect(stateAbstraction(fast.value.spec)).toBe(recorded);
      const found = findStateAbstraction(plain.value.spec);
      expect(firstDifference(recorded, found)).toBeUndefined();
      expect(recorded).toEqual(found);
      // The bundled spec abstracts something, so a product that dropped it would show here.
      expect(found.exact).toBe(false);
      expect(recordedStateAbstraction(plain.value.spec)).toBeUndefined();
    });
  }

  it('gives the same verdict as the analysed spec on every bundled NDJSON trace', () => {
    const traces = join(dir, '..', '..', 'traces', 'ndjson');
    const names = readdirSync(traces).filter((f) => f.endsWith('.ndjson'));
    expect(names.length).toBeGreaterThan(10);
    for (const params of [{}, { order: 'new' }] as Params[]) {
      const fast = fromBundledProduct(params);
      const plain = analysed(params);
      const withFast = new CompiledSpec(fast.value.spec);
      const withPlain = new CompiledSpec(plain.value.spec);
      let violations = 0;
      for (const name of names) {
        const events: TraceEvent[] = [];
        readFileSync(join(traces, name), 'utf8').split('\n').forEach((line, i) => {
          if (line.trim() === '') return;
          const r = parseNdjsonLine(line, i + 1, name, events.length);
          if ('event' in r) events.push(r.event);
        });
        const a = checkEvents(withFast, events, { all: true });
        const b = checkEvents(withPlain, events, { all: true });
        const json = (r: typeof a, sources: Map<string, string>) => r.verdicts.map((v) => verdictJson(v, sources));
        expect(json(a, fast.sources), name).toEqual(json(b, plain.sources));
        expect(a.diagnostics, name).toEqual(b.diagnostics);
        violations += a.violations;
      }
      expect(violations).toBeGreaterThan(0);
    }
  });

  it('takes a parameter given at its default as left out, and holds no other set', () => {
    expect(product.variantFor({ order: 'current' })).toBe(product.variantFor({}));
    expect(product.variantFor({ source: 'ndjson', order: 'new' })).toBe(product.variantFor({ order: 'new' }));
    expect(product.variantFor({ order: 'new', source: 'ftrace' })).toBeUndefined();
    expect(product.variantFor({ no_such_param: '1' })).toBeUndefined();
    expect(product.variantFor({ i_rwsem_offset: '0xa0' })).toBeUndefined();
  });

  it('loads a parameter set it does not hold by analysing it', () => {
    const params = { order: 'new', source: 'ftrace' };
    expect(firstDifference(loadBundled(product, dir, { params }), analysed(params))).toBeUndefined();
    const bad = loadBundled(product, dir, { params: { no_such_param: '1' } });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics.map((d) => d.code)).toContain('KV105');
  });
});

describe('a product of an edited folder', () => {
  /** A copy of the bundled spec folder and its product, made before any edit. */
  function copy(name: string): { at: string; product: SpecProduct } {
    const at = join(tmp, name);
    cpSync(dir, at, { recursive: true });
    return { at, product: productOf(buildSpecProduct(at, VARIANTS)) };
  }

  it('is used while the folder is unchanged', () => {
    const c = copy('unchanged');
    expect(fromProduct(c.product, c.product.variantFor({})!, c.at)).toBeDefined();
  });

  it('is not used once a file changes, and the edit takes effect', () => {
    const c = copy('edited');
    const file = join(c.at, 'locks.kinv');
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('param lookup_shared: bool = true', 'param lookup_shared: bool = false');
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    expect(fromProduct(c.product, c.product.variantFor({})!, c.at)).toBeUndefined();
    const loaded = loadBundled(c.product, c.at, {});
    if (!loaded.ok) throw new Error('the edited copy does not load');
    expect(loaded.value.spec.params.get('lookup_shared')!.value).toBe(false);
    expect(firstDifference(loaded, analyzeSpec([c.at]))).toBeUndefined();
    expect(recordedStateAbstraction(loaded.value.spec)).toBeUndefined();
  });

  it('is not used once a file is added or removed', () => {
    const added = copy('added');
    writeFileSync(join(added.at, 'zz.kinv'), 'enum Extra { A }\n');
    expect(fromProduct(added.product, 0, added.at)).toBeUndefined();
    const loaded = loadBundled(added.product, added.at, {});
    expect(loaded.ok && loaded.value.spec.enums.has('Extra')).toBe(true);

    const removed = copy('removed');
    rmSync(join(removed.at, 'ftrace.kinv'));
    expect(fromProduct(removed.product, 0, removed.at)).toBeUndefined();
  });

  it('misses on any one-character edit of any file', () => {
    const c = copy('fuzzed');
    const names = readdirSync(c.at).filter((f) => f.endsWith('.kinv')).sort();
    const originals = new Map(names.map((f) => [f, readFileSync(join(c.at, f), 'utf8')]));
    fc.assert(fc.property(
      fc.constantFrom(...names), fc.nat(), fc.constantFrom('', ' ', 'x', '\n', '0'),
      (name, at, put) => {
        const text = originals.get(name)!;
        const i = at % text.length;
        const edited = text.slice(0, i) + put + text.slice(i + 1);
        fc.pre(edited !== text);
        writeFileSync(join(c.at, name), edited);
        try {
          expect(fromProduct(c.product, 0, c.at)).toBeUndefined();
        } finally {
          writeFileSync(join(c.at, name), text);
        }
      }), { numRuns: 60 });
    expect(fromProduct(c.product, 0, c.at)).toBeDefined();
  });
});

describe('a damaged product line', () => {
  it('is not used when it names a builtin this build lacks: the spec is analysed', () => {
    const tag = '{"\\u0000":"builtin","name":"is_error"}';
    expect(files.variants[0]).toContain(tag);
    const damaged = productOf({ ...files, variants: files.variants.map((t) => t.replaceAll(tag, tag.replace('is_error', 'no_such_builtin'))) });
    expect(fromProduct(damaged, damaged.variantFor({})!, dir)).toBeUndefined();
    expect(firstDifference(loadBundled(damaged, dir, {}), analysed({}))).toBeUndefined();
  });

  it('is not used when a place it lists holds no tagged value', () => {
    const damaged = productOf({ ...files, variants: files.variants.map((t) => t.replace('"tagged":[', '"tagged":[["spec","no_such_field"],')) });
    expect(fromProduct(damaged, damaged.variantFor({})!, dir)).toBeUndefined();
  });
});

describe('building a product', () => {
  it('refuses a spec with errors', () => {
    const at = join(tmp, 'broken');
    cpSync(dir, at, { recursive: true });
    writeFileSync(join(at, 'zz.kinv'), 'invariant nope on acq: no_such_name\n');
    expect(() => buildSpecProduct(at, [])).toThrow(/errors/);
  });

  it('keeps a spec\'s non-ASCII text exact while writing only ASCII', () => {
    const ascii = (t: string): boolean => [...t].every((c) => c.charCodeAt(0) < 0x80);
    expect(ascii(files.header)).toBe(true);
    for (const v of files.variants) expect(ascii(v)).toBe(true);
    const texts = readdirSync(dir).filter((f) => f.endsWith('.kinv')).map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(texts.some((t) => !ascii(t))).toBe(true);
    expect(product.header.files.map((f) => f.text).sort()).toEqual(texts.sort());
  });
});
