/**
 * Types of the spec language. Scalars are what trace fields carry; collections exist only as
 * state, comprehension results and def results. `none` (an absent value) inhabits every scalar
 * type, so a map lookup of a missing key is simply `none`.
 */
export type ScalarType =
  | { k: 'int' }
  | { k: 'str' }
  | { k: 'bool' }
  | { k: 'id' }
  | { k: 'task' }
  /** Seconds with a fraction (the implicit `ts` field): ordered among themselves, never an int. */
  | { k: 'time' }
  | { k: 'enum'; name: string; members: readonly string[] }
  | { k: 'none' };

export type Type =
  | ScalarType
  | { k: 'tuple'; items: Type[] }
  | { k: 'set'; elem: Type[] }
  | { k: 'map'; keys: Type[]; value: Type }
  | { k: 'rel'; node: Type }
  | { k: 'error' };

export const INT: Type = { k: 'int' };
export const STR: Type = { k: 'str' };
export const BOOL: Type = { k: 'bool' };
export const ID: Type = { k: 'id' };
export const TASK: Type = { k: 'task' };
export const TS: Type = { k: 'time' };
export const NONE: Type = { k: 'none' };
export const ERROR: Type = { k: 'error' };

export function isScalar(t: Type): t is ScalarType {
  return t.k === 'int' || t.k === 'str' || t.k === 'bool' || t.k === 'id' || t.k === 'task' || t.k === 'time' || t.k === 'enum' || t.k === 'none';
}

export function show(t: Type): string {
  switch (t.k) {
    case 'enum': return t.name;
    case 'tuple': return `(${t.items.map(show).join(', ')})`;
    case 'set': return `set[${t.elem.map(show).join(', ')}]`;
    case 'map': return `map[${t.keys.map(show).join(', ')}] -> ${show(t.value)}`;
    case 'rel': return `rel[${show(t.node)}]`;
    default: return t.k;
  }
}

/** Runtime representation class: values of compatible types compare equal at run time. */
function repr(t: Type): 'num' | 'time' | 'str' | 'bool' | 'none' | 'other' | 'error' {
  switch (t.k) {
    case 'int': case 'task': return 'num';
    case 'time': return 'time';
    case 'str': case 'id': case 'enum': return 'str';
    case 'bool': return 'bool';
    case 'none': return 'none';
    case 'error': return 'error';
    default: return 'other';
  }
}

/** Whether a value of type `a` may stand where `b` is expected (or be compared with it). */
export function compatible(a: Type, b: Type): boolean {
  if (a.k === 'error' || b.k === 'error') return true;
  if (a.k === 'none' || b.k === 'none') return isScalar(a) && isScalar(b);
  if (a.k === 'enum' && b.k === 'enum') return a.name === b.name;
  if (a.k === 'enum' || b.k === 'enum') return (a.k === 'enum' ? b : a).k === 'str';
  const ra = repr(a);
  if (ra !== 'other') return ra === repr(b);
  if (a.k === 'tuple' && b.k === 'tuple') return a.items.length === b.items.length && a.items.every((x, i) => compatible(x, b.items[i]!));
  if (a.k === 'set' && b.k === 'set') return a.elem.length === b.elem.length && a.elem.every((x, i) => compatible(x, b.elem[i]!));
  return false;
}

/** Element types of a collection when iterated (`x in C` / `(a, b) in C`), or undefined. */
export function elementTypes(t: Type): Type[] | undefined {
  switch (t.k) {
    case 'set': return t.elem;
    case 'map': return t.keys;
    case 'rel': return [t.node, t.node];
    default: return undefined;
  }
}

/** Whether the type carries task identity (for per-task state and explanations). */
export function isTask(t: Type): boolean {
  return t.k === 'task';
}
