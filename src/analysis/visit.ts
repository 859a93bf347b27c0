/** Walking the IR: every sub-expression of an expression, or every object under a part of a spec, at either stage. */
import type { CheckedDomain, CheckedExpr, DomainIR, TExpr } from './ir.js';

type AnyExpr = CheckedExpr | TExpr;

/** The direct sub-expressions of `e`, in evaluation order. */
export function children(e: AnyExpr): AnyExpr[] {
  const kids: (AnyExpr | null | undefined)[] = [];
  switch (e.k) {
    case 'lookup': kids.push(...e.keys); break;
    case 'succ': kids.push(e.target, e.key); break;
    case 'member': kids.push(...e.elem, e.coll); break;
    case 'bin': kids.push(e.left, e.right); break;
    case 'not': case 'neg': kids.push(e.operand); break;
    case 'cond': kids.push(e.cond, e.then, e.otherwise); break;
    case 'quant': kids.push(domainExpr(e.domain), e.filter, e.body); break;
    case 'count': kids.push(domainExpr(e.domain), e.filter); break;
    case 'setComp': kids.push(domainExpr(e.domain), e.filter, e.elem); break;
    case 'setLit': case 'tuple': kids.push(...e.items); break;
    case 'old': if ('expr' in e) kids.push(e.expr); break;
    case 'once': case 'previously': kids.push(...e.keys); break;
    case 'since': kids.push(...e.anchor.keys, ...e.blockers.flatMap((b) => b.keys)); break;
    case 'matches': kids.push(...e.fields.map((f) => f.value)); break;
    case 'builtin': case 'defcall': kids.push(...e.args); break;
    case 'template': for (const p of e.parts) if (typeof p !== 'string') kids.push(p); break;
    default: break;
  }
  return kids.filter((k): k is AnyExpr => k !== null && k !== undefined);
}

/** Calls `f` on `e` and every sub-expression of it. */
export function visit<E extends AnyExpr>(e: E, f: (x: E) => void): void {
  f(e);
  for (const k of children(e)) visit(k as E, f);
}

function domainExpr(d: CheckedDomain | DomainIR): AnyExpr | null {
  if (d.k === 'expr') return d.expr;
  return d.k === 'state' && d.index ? d.index.value : null;
}

/** An IR object as `walk` meets it: an expression, a statement, a domain, a rule, …, told by its fields. */
export type IrNode = Record<string, unknown>;

/** Calls `visit(node, parent)` for every IR object under `root` (arrays walked through; spans and types not). */
export function walk(root: unknown, visit: (n: IrNode, parent: IrNode | undefined) => void, parent?: IrNode): void {
  if (Array.isArray(root)) { for (const x of root) walk(x, visit, parent); return; }
  if (root === null || typeof root !== 'object' || root instanceof Set || root instanceof Map) return;
  const n = root as IrNode;
  visit(n, parent);
  for (const key in n) {
    if (key === 'span' || key === 'type') continue;
    walk(n[key], visit, n);
  }
}
