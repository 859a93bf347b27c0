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
  const holder: Slot = { v: root };
  walk(holder, 'v');
  return holder.v as T;
}

type Slot = Record<string | number, unknown>;

/**
 * Rebalances the tree in `slot[key]`, without recursion: an expression the balancing leaves deep
 * (a chain of thousands of `+`) is the parser's to refuse with its place (`MAX_TREE_DEPTH`), not a
 * stack overflow here. Work items are a slot to visit, or a chain to build from operands visited before.
 */
function walk(slot: Slot, key: string | number): void {
  const todo: ({ slot: Slot; key: string | number } | { build: Expr[]; op: 'and' | 'or'; slot: Slot; key: string | number })[] = [{ slot, key }];
  while (todo.length > 0) {
    const item = todo.pop()!;
    if ('build' in item) { item.slot[item.key] = build(item.build, 0, item.build.length, item.op); continue; }
    const x = item.slot[item.key];
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) todo.push({ slot: x as unknown as Slot, key: i });
      continue;
    }
    const o = x as Record<string, unknown>;
    if (o.kind === 'binary' && (o.op === 'and' || o.op === 'or')) {
      const op = o.op;
      const operands = chainOperands(o as Extract<Expr, { kind: 'binary' }>, op);
      // The chain is built once its operands (each possibly a chain of the other operator) are.
      todo.push({ build: operands, op, slot: item.slot, key: item.key });
      for (let i = 0; i < operands.length; i++) todo.push({ slot: operands as unknown as Slot, key: i });
      continue;
    }
    for (const k of Object.keys(o)) if (k !== 'span') todo.push({ slot: o, key: k });
  }
}

/** The operands of an `op` chain, in order, without recursion: the chain may be thousands long on either side. */
function chainOperands(top: Extract<Expr, { kind: 'binary' }>, op: 'and' | 'or'): Expr[] {
  const operands: Expr[] = [];
  const stack: Expr[] = [top];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'binary' && n.op === op) { stack.push(n.right, n.left); continue; }
    operands.push(n);
  }
  return operands;
}

function build(xs: Expr[], lo: number, hi: number, op: 'and' | 'or'): Expr {
  if (hi - lo === 1) return xs[lo]!;
  const mid = (lo + hi) >>> 1;
  const left = build(xs, lo, mid, op);
  const right = build(xs, mid, hi, op);
  return { kind: 'binary', op, left, right, span: { source: left.span.source, start: left.span.start, end: right.span.end } };
}
