/**
 * `kinv examples`: checks every bundled trace (traces/<source>/, each folder with an
 * expected.json) against its expected verdicts, then shows the seed's d_add_ci bug as a full
 * counterexample. Exit 0 when every trace gives exactly its expected verdicts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpecSet } from '../../checker/spec-set.js';
import { checkTraceFile } from '../../checker/file.js';
import { renderVerdict } from '../../checker/report.js';
import { renderDiagnostic, styleFor } from '../../diag/render.js';
import type { Verdict } from '../../checker/engine.js';
import { parse } from '../args.js';
import { COMMANDS } from '../options.js';
import { Progress } from '../progress.js';

/** One expectation: the verdicts [kind, invariant, seq] a trace must give, with its parameters. */
export interface Expectation {
  params?: Record<string, string>;
  exit?: number;
  verdicts: [string, string, number | null][];
}

export function tracesRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'traces');
}

/** Every (trace file, expectation) pair under traces/. */
export function bundledExpectations(root = tracesRoot()): { file: string; exp: Expectation }[] {
  const out: { file: string; exp: Expectation }[] = [];
  for (const folder of readdirSync(root).sort()) {
    if (!existsSync(join(root, folder, 'expected.json'))) continue;
    // expected.json, and any other *expected.json beside it (e.g. ci-expected.json).
    for (const ej of readdirSync(join(root, folder)).filter((f) => f.endsWith('expected.json')).sort()) {
      const all = JSON.parse(readFileSync(join(root, folder, ej), 'utf8')) as Record<string, Expectation | string>;
      for (const [name, exp] of Object.entries(all)) {
        if (typeof exp === 'string' || name.startsWith('//')) continue;
        out.push({ file: join(root, folder, name), exp });
      }
    }
  }
  return out;
}

const SHOWCASE = 'draft-d_add_ci-E2.ndjson';

/** The same verdicts [kind, invariant, seq], in any order. */
export function sameVerdicts(a: readonly (string | number | null)[][], b: readonly (string | number | null)[][]): boolean {
  const key = (vs: readonly (string | number | null)[][]): string[] => vs.map((v) => JSON.stringify(v)).sort();
  return JSON.stringify(key(a)) === JSON.stringify(key(b));
}

export async function examples(argv: string[]): Promise<number> {
  parse(argv, COMMANDS.examples.options);
  const out = styleFor(process.stdout);
  const cases = bundledExpectations();
  const specs = new Map<string, SpecSet>();
  let good = 0;
  let showcase: { v: Verdict; sources: Map<string, string> } | undefined;
  process.stdout.write(out.bold('kinv examples') + `: the bundled VFS spec on ${cases.length} bundled traces, each against its expected verdicts\n\n`);
  const width = Math.max(...cases.map((c) => relative(process.cwd(), c.file).length));
  for (const { file, exp } of cases) {
    const key = JSON.stringify(exp.params ?? {});
    let s = specs.get(key);
    if (!s) {
      s = new SpecSet([], exp.params ?? {});
      if (!s.base) {
        for (const d of s.diagnostics) process.stderr.write(renderDiagnostic(d, s.sources, styleFor(process.stderr)) + '\n');
        return 2;
      }
      specs.set(key, s);
    }
    const problems: string[] = [];
    const progress = new Progress(relative(process.cwd(), file), process.stderr);
    const report = await checkTraceFile(relative(process.cwd(), file), s,
      { params: exp.params ?? {}, onBatch: (b) => progress.update(b.lines, b.events),
      onDiagnostic: (d) => { if (d.severity === 'error') problems.push(d.message); } });
    progress.clear();
    const shown = relative(process.cwd(), file).padEnd(width);
    if (!report) { process.stdout.write(`  ${shown}  ${out.red('unreadable')}: ${problems.join('; ')}\n`); continue; }
    const got = report.verdicts.map((v) => [v.kind, v.invariant, v.event?.seq ?? null]);
    // As sets: an expectation declares which verdicts a trace gives, not the order a report lists them in.
    const ok = sameVerdicts(got, exp.verdicts);
    if (ok) good++;
    const names = [...new Set(report.verdicts.map((v) => (v.kind === 'pending' ? `${v.invariant} (pending)` : v.invariant)))];
    const what = names.length ? names.join(', ') : 'every invariant holds';
    process.stdout.write(`  ${shown}  ${ok ? out.bold('as expected') : out.red('MISMATCH   ')}  ${what}\n`);
    if (!ok) process.stdout.write(`      expected ${JSON.stringify(exp.verdicts)}\n      got      ${JSON.stringify(got)}\n`);
    if (file.endsWith(SHOWCASE) && report.verdicts[0]) showcase = { v: report.verdicts[0], sources: s.sources };
  }
  process.stdout.write(`\n${good}/${cases.length} traces gave exactly their expected verdicts.\n`);
  if (showcase) {
    process.stdout.write(`\nThe seed's bug, as kinv reports it (kinv check traces/ndjson/${SHOWCASE}):\n\n`);
    process.stdout.write(renderVerdict(showcase.v, showcase.sources, out) + '\n');
  }
  return good === cases.length ? 0 : 1;
}
