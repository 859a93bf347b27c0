/**
 * Pass 3, no recursion: a def may call other defs (or use one as a relation's successor function in
 * `reaches`/`path`), but never itself, directly or through others. The language has no base case
 * to stop on (a def is one expression over the current state), so a recursive def could only run
 * until the stack overflows; it is a located error instead, at the call that closes the cycle.
 */
import { error, type Diagnostic, type Span } from '../diag/diagnostic.js';
import type { CheckedExpr, CheckedSpec } from './ir.js';
import { visit } from './visit.js';

interface Call { callee: string; span: Span }

/** The defs a def's body calls, in source order. */
function callsOf(body: CheckedExpr, defs: ReadonlySet<string>): Call[] {
  const out: Call[] = [];
  visit(body, (x) => {
    if (x.k === 'defcall') out.push({ callee: x.def, span: x.span });
    // `reaches(succ, a, b)` with a successor def: the def is called for every node searched.
    const rel = x.k === 'builtin' && x.builtin.kind === 'graph' ? x.args[0] : undefined;
    if (rel?.k === 'lit' && rel.type.k === 'rel' && typeof rel.value === 'string' && defs.has(rel.value)) out.push({ callee: rel.value, span: rel.span });
  });
  return out;
}

export function checkNoRecursion(spec: CheckedSpec): Diagnostic[] {
  const names = new Set(spec.defs.keys());
  const calls = new Map([...spec.defs].map(([name, d]) => [name, callsOf(d.body, names)]));
  const diags: Diagnostic[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const walk = (def: string): void => {
    path.push(def);
    for (const c of calls.get(def) ?? []) {
      const back = path.indexOf(c.callee);
      if (back >= 0) {
        const cycle = [...path.slice(back), c.callee];
        const how = cycle.length === 2 ? 'calls itself' : `calls itself through ${cycle.slice(1, -1).map((n) => `'${n}'`).join(', ')}`;
        const d = error('KV204', `def '${c.callee}' ${how} (${cycle.join(' -> ')}): a def cannot recurse`, { span: c.span },
          'compute the result with a quantifier or a comprehension over state, or keep it in state updated by rules');
        d.notes = [{ message: `'${c.callee}' is declared here`, span: spec.defs.get(c.callee)!.span }];
        diags.push(d);
      } else if (!done.has(c.callee)) walk(c.callee);
    }
    path.pop();
    done.add(def);
  };
  for (const name of names) if (!done.has(name)) walk(name);
  return diags;
}
