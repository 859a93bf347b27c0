/**
 * Long chains of `and` / `or` as balanced trees. The grammar nests `a or b or c …` to the left, so
 * a generated spec with a few thousand alternatives would be a tree as deep as it is long, and
 * every pass over it (analysis, compilation, evaluation) would recurse that deep. Both operators
 * are associative and evaluate their operands left to right either way, so a balanced tree of
 * the same operands in the same order means the same and is only log2(n) deep.
 */
import type { Expr } from './ast.js';

/** Rebalances every `and`/`or` chain under `root`, in place; returns the (possibly new) root. */
export function balanceChains<T>(root: T): T {
  return walk(root) as T;
}

function walk(x: unknown): unknown {
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) x[i] = walk(x[i]);
    return x;
  }
  if (x === null || typeof x !== 'object') return x;
  const o = x as Record<string, unknown>;
  if (o.kind === 'binary' && (o.op === 'and' || o.op === 'or')) return chain(o as Extract<Expr, { kind: 'binary' }>);
  for (const k of Object.keys(o)) if (k !== 'span') o[k] = walk(o[k]);
  return o;
}

function chain(top: Extract<Expr, { kind: 'binary' }>): Expr {
  const op = top.op as 'and' | 'or';
  const operands: Expr[] = [];
  // In order, without recursion: the chain may be thousands long on either side.
  const stack: Expr[] = [top];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'binary' && n.op === op) { stack.push(n.right, n.left); continue; }
    operands.push(walk(n) as Expr);
  }
  return build(operands, 0, operands.length, op);
}

function build(xs: Expr[], lo: number, hi: number, op: 'and' | 'or'): Expr {
  if (hi - lo === 1) return xs[lo]!;
  const mid = (lo + hi) >>> 1;
  const left = build(xs, lo, mid, op);
  const right = build(xs, mid, hi, op);
  return { kind: 'binary', op, left, right, span: { source: left.span.source, start: left.span.start, end: right.span.end } };
}
