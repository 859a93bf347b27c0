/**
 * Syntax trees → the checked, lowered spec the monitor compiles, as four passes, each in its own
 * module with its own input and output types:
 *
 *   declare    SpecAst[]            → Declarations   names and types of every declaration (declare.ts)
 *   typecheck  SpecAst[], Declarations → CheckedSpec  every body resolved and typed (typecheck.ts)
 *   recursion  CheckedSpec          → (diagnostics)  no def calls itself (recursion.ts)
 *   lower      CheckedSpec          → TypedSpec      past-time tables, old() captures, indexes (lower.ts)
 *
 * and, on a spec without errors, a warning at each invariant whose condition reads nothing (constant-invariants.ts)
 * and at each state read and never filled by a rule (unwritten-states.ts).
 *
 * Each pass reports all of its errors at once. Declaration errors do not stop the type checker
 * (a bad declaration types as `error`, which checks against anything), so one run shows every name
 * and type error of a spec; lowering runs only on a spec without errors, and cannot fail.
 */
import type * as A from '../dsl/ast.js';
import type { Diagnostic, Result } from '../diag/diagnostic.js';
import { BUILTINS, type BuiltinTable } from './builtins.js';
import { declare } from './declare.js';
import type { TypedSpec } from './ir.js';
import { lower } from './lower.js';
import { checkNoRecursion } from './recursion.js';
import { constantInvariants } from './constant-invariants.js';
import { unwrittenStates } from './unwritten-states.js';
import { typecheck } from './typecheck.js';

export interface AnalyzeOptions {
  /** `--param k=v` overrides, by name. */
  params?: Record<string, string>;
  /** The builtin functions a spec may call (default: the language's, in src/analysis/builtins.ts). */
  builtins?: BuiltinTable;
}

export function analyze(asts: A.SpecAst[], opts: AnalyzeOptions = {}): Result<TypedSpec> {
  const diagnostics: Diagnostic[] = [];
  const { decls, diagnostics: declared } = declare(asts, { params: opts.params });
  diagnostics.push(...declared);
  const { spec: checked, diagnostics: typed } = typecheck(asts, decls, opts.builtins ?? BUILTINS);
  diagnostics.push(...typed);
  diagnostics.push(...checkNoRecursion(checked));
  if (diagnostics.some((d) => d.severity === 'error')) return { ok: false, diagnostics };
  // (on a spec without errors only: beside errors, a placeholder `true` is noise)
  diagnostics.push(...constantInvariants(checked));
  diagnostics.push(...unwrittenStates(checked));
  return { ok: true, value: lower(checked), diagnostics };
}
