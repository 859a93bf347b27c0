/**
 * The layer rule of ARCHITECTURE.md: imports point down (checked by ESLint per folder, and here that
 * the rule really rejects an upward import), and no module of src/ reaches itself through its
 * imports.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'generated' ? [] : sourceFiles(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

/** The relative imports and re-exports of a module (type-only ones included), as src/-relative paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '(\.{1,2}\/[^']+)'/gms)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
  }
  return out;
}

/** Every cycle of the module graph, each once, as the list of modules along it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const walk = (m: string): void => {
    state.set(m, 'open');
    stack.push(m);
    for (const n of graph.get(m) ?? []) {
      if (state.get(n) === 'open') found.push(stack.slice(stack.indexOf(n)));
      else if (!state.has(n)) walk(n);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) walk(m);
  return found;
}

describe('imports', () => {
  it('form no cycle among the modules of src/', () => {
    const graph = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f), importsOf(f)]));
    expect(graph.get('analysis/load.ts')).toContain('dsl/parse.ts');
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle where there is one (the check above can fail)', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

describe('the layer rule in eslint.config.js', () => {
  const eslint = new ESLint();
  const problems = async (file: string, code: string): Promise<string[]> => {
    const [r] = await eslint.lintText(code, { filePath: resolve(file) });
    return r!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => `${m.line}:${m.column}`);
  };

  it('rejects an import of a higher layer, at its line', async () => {
    expect(await problems('src/monitor/new.ts', "import { checkEvents } from '../checker/check.js';\nexport const f = checkEvents;\n")).toEqual(['1:1']);
    expect(await problems('src/analysis/new.ts', "import type { TraceItem } from '../trace/event.js';\nexport type T = TraceItem;\n")).toEqual(['1:1']);
    expect(await problems('src/trace/ftrace/new.ts', "import { run } from '../../cli/run.js';\nexport const f = run;\n")).toEqual(['1:1']);
  });

  it('holds every folder of src/: each but the command line is refused an import of it', async () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders).toContain('report');
    const open = [];
    for (const f of folders.filter((x) => x !== 'cli')) {
      if ((await problems(`src/${f}/new.ts`, "import { runCli } from '../cli/run.js';\nexport const f = runCli;\n")).length === 0) open.push(f);
    }
    expect(open).toEqual([]);
  });

  it('accepts imports of the same or a lower layer', async () => {
    const code = "import type { TypedSpec } from '../analysis/ir.js';\nimport type { Scalar } from '../values/event.js';\n"
      + "import { error } from '../diag/diagnostic.js';\nexport type T = [TypedSpec, Scalar];\nexport const e = error;\n";
    expect(await problems('src/monitor/new.ts', code)).toEqual([]);
  });

  it('lets the simulator name the checker\'s types but not run it', async () => {
    expect(await problems('src/sim/new.ts', "import type { IncrementalChecker } from '../checker/incremental.js';\nexport type C = IncrementalChecker;\n"))
      .toEqual([]);
    expect(await problems('src/sim/new.ts', "import { bundledChecker } from '../checker/incremental.js';\nexport const c = bundledChecker;\n"))
      .toEqual(['1:1']);
  });
});
