/** Walking the IR: every sub-expression of an expression, at either stage. */
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
