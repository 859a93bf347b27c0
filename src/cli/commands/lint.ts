/** `kinv lint [--spec FILE|DIR]... [--param k=v]...`: parse and check a spec, print every problem. */
import { loadSpec } from '../../analysis/load.js';
import { renderDiagnostic, styleFor } from '../../diag/render.js';
import { parse, paramsOf } from '../args.js';
import { COMMANDS } from '../options.js';

export async function lint(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMANDS.lint.options);
  const specs = [...((values.spec as string[] | undefined) ?? []), ...positionals];
  const r = loadSpec(specs, { params: paramsOf(values.param as string[] | undefined) });
  const st = styleFor(process.stderr);
  for (const d of r.diagnostics) process.stderr.write(renderDiagnostic(d, r.sources, st) + '\n\n');
  if (!r.ok) {
    const n = r.diagnostics.filter((d) => d.severity === 'error').length;
    process.stderr.write(`${n} error${n === 1 ? '' : 's'}\n`);
    return 2;
  }
  const s = r.value.spec;
  process.stdout.write(`ok: ${s.files.length} file${s.files.length === 1 ? '' : 's'}, ${s.events.size} events, ${s.states.size} state variables, `
    + `${s.rules.length} rules, ${s.invariants.length} invariants, ${s.obligations.length} obligations, ${s.mappings.length} mappings\n`);
  return 0;
}
