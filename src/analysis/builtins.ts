/**
 * The builtin functions of the spec language: each one's signature (what the type checker reads)
 * and its implementation (what the monitor runs) in one entry, so that adding a builtin is one
 * edit here. The table is typed so that an implementation taking a different number of arguments
 * than its signature lists does not compile, and `defineBuiltins` checks the same when the module
 * loads (an implementation may leave off trailing arguments the type system cannot see).
 *
 * Implementations receive scalars (`none` is `null`) and, last, the evaluation context: the call
 * record a return belongs to and what the trace can show. They never see monitor state, so this
 * module sits beside the analysis, below the monitor that runs it.
 */
import type { ObservedFunctions } from '../values/observed.js';
import type { Scalar, TraceEvent } from '../values/event.js';
import { BOOL, INT, STR, TASK, type Type } from './types.js';

/** What an implementation may read besides its arguments (the monitor's evaluation environment has this shape). */
export interface BuiltinContext {
  /** The call record of the return being mapped or checked (`entry(...)`). */
  readonly call: TraceEvent | undefined;
  /** What the trace can show; no coverage means a complete trace. */
  readonly rt: { readonly coverage?: ObservedFunctions | undefined };
}

/** A parameter: a scalar type, `value` (any scalar) or `collection` (a set, map or rel). */
export type ParamKind = Type | 'value' | 'collection';

/** What an implementation receives for a parameter: a collection is opaque but for its size. */
type ArgOf<P> = P extends 'collection' ? { readonly size: number } | Scalar | readonly Scalar[] : Scalar;
type Args<P extends readonly ParamKind[]> = { -readonly [K in keyof P]: ArgOf<P[K]> };

/** An implementation as the monitor calls it: the arguments in order, then the context. */
export type BuiltinImpl = (...args: (Scalar | object | BuiltinContext)[]) => Scalar;

export interface ValueBuiltin {
  kind: 'value';
  params: readonly ParamKind[];
  result: Type;
  doc: string;
  /** Only meaningful in a `map` declaration (it reads the raw call record). */
  mappingOnly?: boolean;
  impl: BuiltinImpl;
}

/**
 * A builtin over a relation: `NAME(R, from, to)` where R is a rel state or a successor def (one
 * node in, a set of nodes out). The monitor searches the shortest path of at least one edge
 * from `from` to `to` (recording what it rests on when explaining); the builtin turns it into
 * its result.
 */
export interface GraphBuiltin {
  kind: 'graph';
  result: Type;
  doc: string;
  fromPath: (path: readonly Scalar[] | undefined) => Scalar;
}

export type Builtin = ValueBuiltin | GraphBuiltin;

/** The source form of a value builtin, typed so that the implementation's arguments match `params`. */
export interface ValueBuiltinSource<P extends readonly ParamKind[]> {
  params: P;
  result: Type;
  doc: string;
  mappingOnly?: boolean;
  impl: (...args: [...Args<P>, BuiltinContext]) => Scalar;
}

/** A value builtin, its implementation's arguments checked against `params` by the type checker. */
export function valueBuiltin<const P extends readonly ParamKind[]>(b: ValueBuiltinSource<P>): ValueBuiltin {
  const { impl, ...rest } = b;
  // The one erasure of the table: from here on the monitor calls it with the arguments the
  // analysis checked against `params`.
  return { kind: 'value', ...rest, impl: impl as unknown as BuiltinImpl };
}

export function graphBuiltin(b: Omit<GraphBuiltin, 'kind'>): GraphBuiltin {
  return { kind: 'graph', ...b };
}

/**
 * A table of builtins, checked: every implementation takes its listed arguments (and may take the
 * context after them). Throws on a mismatch, so a bad entry stops the program when it loads.
 */
export function defineBuiltins<T extends Record<string, Builtin>>(table: T): Readonly<T> {
  for (const [name, b] of Object.entries(table)) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`builtin '${name}': a builtin's name is a lower-case identifier`);
    if (b.kind !== 'value') continue;
    const n = b.params.length;
    if (b.impl.length !== n && b.impl.length !== n + 1) {
      throw new Error(`builtin '${name}' lists ${n} parameter${n === 1 ? '' : 's'} but its implementation takes ${b.impl.length}`);
    }
  }
  return Object.freeze(table);
}

// ---- 64-bit kernel addresses, as text ----

const MASK64 = (1n << 64n) - 1n;

/** Parses a kernel address or number given as text ("ffff8880…", "0xffff…", "-12"); undefined if not one. */
export function parseAddress(s: string): bigint | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  try {
    if (/^-?\d+$/.test(t)) return BigInt(t) & MASK64;
    const h = t.startsWith('0x') || t.startsWith('0X') ? t.slice(2) : t;
    if (!/^[0-9a-fA-F]+$/.test(h)) return undefined;
    return BigInt('0x' + h) & MASK64;
  } catch {
    return undefined;
  }
}

/**
 * True when `s` is a plain non-negative number of at most 13 digits (hex, optionally 0x, or
 * decimal): then its value is below 2^52, far from the error-pointer range, and `is_error` need
 * not build a BigInt. Object ids such as "D12" and short addresses take this path.
 */
function smallAddress(s: string): boolean {
  let i = s.length > 2 && s.charCodeAt(0) === 48 && (s.charCodeAt(1) | 32) === 120 ? 2 : 0;
  const n = s.length - i;
  if (n < 1 || n > 13) return false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102))) return false;
  }
  return true;
}

/**
 * True when `s` is already what `ptr` makes of an address: 0x and 1 to 16 lower-case hex digits
 * without a leading zero (or 0x0). Captures print addresses so; then no BigInt is needed.
 */
function canonicalAddress(s: string): boolean {
  const n = s.length;
  if (n < 3 || n > 18 || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return false;
  if (s.charCodeAt(2) === 48) return n === 3;
  for (let i = 2; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function normalAddress(s: string): Scalar {
  if (canonicalAddress(s)) return s;
  const b = parseAddress(s);
  return b === undefined ? null : '0x' + b.toString(16);
}

function parseInt0x(v: Scalar): Scalar {
  if (typeof v !== 'string') return typeof v === 'number' ? v : null;
  const t = v.trim();
  const n = /^-?0x/i.test(t) ? (t.startsWith('-') ? -parseInt(t.slice(3), 16) : parseInt(t.slice(2), 16)) : Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseHex(v: Scalar): Scalar {
  if (typeof v !== 'string') return null;
  // (the common case, a hex number of at most 16 digits, without the BigInt: parseInt of radix 16
  // rounds to the nearest double as Number of the BigInt does)
  if (isHexNumber(v)) return parseInt(v, 16);
  const b = parseAddress(v.startsWith('0x') || /^[0-9a-f]+$/i.test(v) ? (v.startsWith('0x') ? v : '0x' + v) : v);
  return b === undefined ? null : Number(b);
}

/** Whether `v` is 1 to 16 hex digits, `0x` first or not. */
function isHexNumber(v: string): boolean {
  const from = v.length > 2 && v.charCodeAt(0) === 48 && v.charCodeAt(1) === 120 ? 2 : 0;
  const n = v.length - from;
  if (n < 1 || n > 16) return false;
  for (let i = from; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

function offsetAddress(v: Scalar, off: Scalar, sign: 1n | -1n): Scalar {
  if (typeof v !== 'string' || typeof off !== 'number') return null;
  // A canonical address and a small offset: the low 8 digits change, unless there is a carry or borrow.
  if (Number.isInteger(off) && Math.abs(off) < 0x100000 && canonicalAddress(v)) {
    const cut = Math.max(2, v.length - 8);
    const r = parseInt(v.slice(cut), 16) + (sign === 1n ? off : -off);
    const width = v.length - cut;
    if (r >= 0 && r < 16 ** width) return cut === 2 ? '0x' + r.toString(16) : v.slice(0, cut) + r.toString(16).padStart(width, '0');
  }
  const b = parseAddress(v);
  return b === undefined ? null : '0x' + ((b + sign * BigInt(off)) & MASK64).toString(16);
}

/** An ERR_PTR: the model's `ERR:-12`, or an address in the top 4095 bytes (-4095..-1), however written. */
export function isErrorPointer(v: Scalar | undefined): boolean {
  if (typeof v !== 'string') return false;
  if (v.startsWith('ERR:')) return true;
  if (smallAddress(v)) return false;
  // (MASK64 - 4094 is 0xfffffffffffff001)
  if (canonicalAddress(v)) return v.length === 18 && v.startsWith('0xfffffffffffff') && !v.endsWith('000');
  const b = parseAddress(v);
  return b !== undefined && b >= MASK64 - 4094n;
}

function errorPointer(v: Scalar): Scalar {
  if (typeof v !== 'string') return null;
  if (v.startsWith('ERR:')) return v;
  const b = parseAddress(v);
  return b !== undefined && b >= MASK64 - 4094n ? `ERR:${String(b - MASK64 - 1n)}` : null;
}

/** An `int` return value read from a 64-bit register: writing eax zero-extends, so -EINTR may print as 0xfffffffc or 0xfffffffffffffffc. */
function lowInt32(v: Scalar): Scalar {
  if (typeof v !== 'string') return typeof v === 'number' ? v | 0 : null;
  const b = parseAddress(v);
  return b === undefined ? null : Number(BigInt.asIntN(32, b));
}

function sizeOf(c: { readonly size: number } | Scalar | readonly Scalar[]): Scalar {
  return typeof c === 'object' && c !== null && 'size' in c ? c.size : 0;
}

function minMax(f: (a: number, b: number) => number): (a: Scalar, b: Scalar) => Scalar {
  return (a, b) => (typeof a === 'number' && typeof b === 'number' ? f(a, b) : null);
}

/** A scalar as text, as the monitor shows it (`none` for an absent value). */
function text(v: Scalar): string {
  return v === null ? 'none' : String(v);
}

export const BUILTINS = defineBuiltins({
  size: valueBuiltin({ params: ['collection'], result: INT, doc: 'number of elements of a collection', impl: sizeOf }),
  str: valueBuiltin({ params: ['value'], result: STR, doc: 'a value as text', impl: text }),
  int: valueBuiltin({ params: [STR], result: INT, doc: 'parse a decimal or 0x-prefixed hexadecimal number', impl: parseInt0x }),
  hex: valueBuiltin({ params: [STR], result: INT, doc: 'parse a hexadecimal number, with or without 0x', impl: parseHex }),
  lower: valueBuiltin({ params: [STR], result: STR, doc: 'lower-case text', impl: (s) => (typeof s === 'string' ? s.toLowerCase() : null) }),
  upper: valueBuiltin({ params: [STR], result: STR, doc: 'upper-case text', impl: (s) => (typeof s === 'string' ? s.toUpperCase() : null) }),
  starts_with: valueBuiltin({
    params: [STR, STR], result: BOOL, doc: 'text prefix test',
    impl: (s, p) => typeof s === 'string' && typeof p === 'string' && s.startsWith(p),
  }),
  cut: valueBuiltin({
    params: [STR, INT], result: STR, doc: 'the first n characters',
    impl: (s, n) => (typeof s === 'string' && typeof n === 'number' ? s.slice(0, Math.max(0, n)) : s === null ? null : text(s)),
  }),
  ptr: valueBuiltin({
    params: [STR], result: STR, doc: 'normalise a kernel address to 0x-prefixed lower-case hex',
    impl: (s) => (typeof s === 'string' ? normalAddress(s) : null),
  }),
  ptr_sub: valueBuiltin({ params: [STR, INT], result: STR, doc: 'a kernel address minus a byte offset (64-bit exact)',
    impl: (s, n) => offsetAddress(s, n, -1n) }),
  ptr_add: valueBuiltin({ params: [STR, INT], result: STR, doc: 'a kernel address plus a byte offset (64-bit exact)',
    impl: (s, n) => offsetAddress(s, n, 1n) }),
  is_error: valueBuiltin({ params: [STR], result: BOOL, doc: 'an error pointer: "ERR:-12", or an address in the top 4095 bytes', impl: isErrorPointer }),
  errptr: valueBuiltin({ params: [STR], result: STR, doc: 'an error pointer as "ERR:-12" (none if the value is not one)', impl: errorPointer }),
  entry: valueBuiltin({
    params: [STR], result: STR, mappingOnly: true, doc: 'in a mapping: a field of the call record a return record belongs to',
    impl: (name, ctx) => { const c = ctx.call; if (!c || typeof name !== 'string') return null; const v = c.args[name]; return v === undefined ? null : v; },
  }),
  int32: valueBuiltin({
    params: [STR], result: INT, doc: 'an int return value read from a 64-bit register: the low 32 bits, signed ("0xfffffffc" is -4)', impl: lowInt32,
  }),
  probed: valueBuiltin({
    params: [STR], result: BOOL,
    doc: 'whether the trace shows entries of the function (always true for complete traces); a function the kernel inlined is not probed',
    impl: (fn, ctx) => { const cov = ctx.rt.coverage; return cov === undefined || (typeof fn === 'string' && cov.hasEntry(fn)); },
  }),
  complete_trace: valueBuiltin({
    params: [STR], result: BOOL,
    doc: 'whether the trace is complete (NDJSON, the simulator), not a capture; the argument says why a capture cannot show what the rule needs, '
      + 'and the coverage report gives it for a rule whose condition it keeps false',
    impl: (_why, ctx) => ctx.rt.coverage === undefined,
  }),
  unprobed: valueBuiltin({
    params: [STR], result: STR,
    doc: 'the functions of a blank-separated list that the trace does not probe (that may exist in the traced kernel), blank-separated; "" for complete traces',
    impl: (list, ctx) => { const cov = ctx.rt.coverage; return typeof list !== 'string' || cov === undefined ? '' : cov.unprobed(list); },
  }),
  unprobed_returns: valueBuiltin({
    params: [STR], result: STR,
    doc: 'the functions of a blank-separated list whose returns the trace does not probe, blank-separated; "" for complete traces',
    impl: (list, ctx) => { const cov = ctx.rt.coverage; return typeof list !== 'string' || cov === undefined ? '' : cov.unprobedReturns(list); },
  }),
  unprobed_calls: valueBuiltin({
    params: [STR], result: STR,
    doc: 'the functions of a blank-separated list whose entries or returns the trace does not probe (a return without its entry\'s '
      + 'arguments shows no more than no call), blank-separated; "" for complete traces',
    impl: (list, ctx) => { const cov = ctx.rt.coverage; return typeof list !== 'string' || cov === undefined ? '' : cov.unprobedCalls(list); },
  }),
  never_released: valueBuiltin({
    params: [STR], result: BOOL,
    doc: 'whether a capture, read whole, shows this lock taken and never released (its releases filtered out or lost); '
      + 'false for complete traces and for input that cannot be read ahead',
    impl: (sem, ctx) => { const cov = ctx.rt.coverage; return cov !== undefined && typeof sem === 'string' && cov.neverReleased(sem); },
  }),
  never_released_in: valueBuiltin({
    params: [STR, STR], result: BOOL,
    doc: 'whether a capture, read whole, shows this lock taken in mode "R" (shared) or "W" (exclusive) and released, anywhere in it, '
      + 'only in the other mode (its releases of that mode not probed, or filtered out): when such a hold ends cannot be told; '
      + 'false for complete traces and for locks never released at all (never_released)',
    impl: (lock, mode, ctx) => {
      const cov = ctx.rt.coverage;
      return cov !== undefined && typeof lock === 'string' && typeof mode === 'string' && cov.neverReleasedIn(lock, mode);
    },
  }),
  never_releases_in: valueBuiltin({
    params: [TASK, STR], result: BOOL,
    doc: 'whether a capture, read whole, shows the task taking locks in mode "R" or "W" and releasing none that way, anywhere in it, '
      + 'where other tasks do (its release probes filtered to other tasks, by pid or comm): when its holds end cannot be told; '
      + 'false for complete traces and for input that cannot be read ahead',
    impl: (pid, mode, ctx) => {
      const cov = ctx.rt.coverage;
      return cov !== undefined && typeof pid === 'number' && typeof mode === 'string' && cov.neverReleasesIn(pid, mode);
    },
  }),
  never_ends_lookups: valueBuiltin({
    params: [TASK], result: BOOL,
    doc: 'whether a capture, read whole, shows the task making in-lookup dentries with d_alloc_parallel, returning to user space, and ending no in-lookup '
      + 'state anywhere (no __d_lookup_unhash of its own), where other tasks do (its unhash probes filtered to other tasks): when its '
      + 'in-lookup states end cannot be told; false for complete traces and for input that cannot be read ahead',
    impl: (pid, ctx) => { const cov = ctx.rt.coverage; return cov !== undefined && typeof pid === 'number' && cov.neverEndsLookups(pid); },
  }),
  acquisitions_unlogged: valueBuiltin({
    params: [TASK], result: BOOL,
    doc: 'whether a capture, read whole, shows the task releasing rwsems its records show it not holding where acquisitions went unlogged '
      + '(right after an acquisition return with no entry, or outside the acquisition entry records: an entry probe off for part of the '
      + 'capture): what it holds cannot be told; false for complete traces and for input that cannot be read ahead',
    impl: (pid, ctx) => { const cov = ctx.rt.coverage; return cov !== undefined && typeof pid === 'number' && cov.acquisitionsUnlogged(pid); },
  }),
  never_downgrades: valueBuiltin({
    params: [TASK], result: BOOL,
    doc: 'whether a capture, read whole, shows the task releasing by up_read locks it took exclusive, with no downgrade_write of its own '
      + 'anywhere, where other tasks downgrade (downgrade_write filtered to other tasks): when its exclusive holds became shared cannot '
      + 'be told; false for complete traces and for input that cannot be read ahead',
    impl: (pid, ctx) => { const cov = ctx.rt.coverage; return cov !== undefined && typeof pid === 'number' && cov.neverDowngrades(pid); },
  }),
  min: valueBuiltin({ params: [INT, INT], result: INT, doc: 'the smaller integer', impl: minMax(Math.min) }),
  max: valueBuiltin({ params: [INT, INT], result: INT, doc: 'the larger integer', impl: minMax(Math.max) }),
  reaches: graphBuiltin({ result: BOOL, doc: 'whether `to` is reachable from `from` by at least one edge', fromPath: (p) => p !== undefined }),
  path: graphBuiltin({
    result: STR, doc: 'the shortest such path as "a -> b -> c" (none if there is none)',
    fromPath: (p) => (p === undefined ? null : p.map(text).join(' -> ')),
  }),
});

/** The builtins a spec is analysed with, by name: the table above, or one a caller extended. */
export type BuiltinTable = Readonly<Record<string, Builtin>>;

/** Kinds of raw ftrace records a `map` declaration can match (the ftrace reader's record kinds). */
export const RECORD_SOURCES: readonly string[] = ['function', 'graph_entry', 'graph_exit', 'graph_leaf', 'event', 'kprobe', 'kretprobe', 'syscall_exit'];
