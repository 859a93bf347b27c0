/**
 * Payload grammars: the text after `name:` for the events the checker relies on (lock_*,
 * contention_*, sched_switch, raw_syscalls sys_exit) and the `name=value` argument lists of
 * kprobe/fprobe events. One small grammar per event, as the format notes advise; everything
 * works on (text, start, end) spans of the reader's chunk string, with bounded scans only.
 */
import * as chars from './chars.js';
import type { RecentCuts } from './recent.js';

const { findChar, findStr, isDigit, isWs, skipWs, trimEnd } = chars;


function isKeyChar(c: number): boolean {
  // [A-Za-z0-9_$.\-[\]] : probe argument names, `$retval`, event fields like `common_pid`.
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 36 || c === 46 || c === 45 || c === 91 || c === 93;
}

/** True when s[i..] is ` key=` (a space, a key, `=`) inside [i, end). */
function keyFollows(s: string, i: number, end: number): boolean {
  if (i >= end || !isWs(s.charCodeAt(i))) return false;
  let k = skipWs(s, i, end);
  const k0 = k;
  while (k < end && isKeyChar(s.charCodeAt(k))) k++;
  return k > k0 && k < end && s.charCodeAt(k) === 61;
}

/**
 * Index of the `"` that closes a quoted value whose text starts at `v0` in s[.., end), or -1 when
 * it runs to the end. A kprobe `:string` is printed raw (`name="%s"`), so a file name may hold `"`,
 * blanks and `=`: a name `a" b=1 c` prints `name="a" b=1 c" nlen=8`. The value ends at a `"`
 * followed by the end or by ` key=`, and, of several such, at the first one after which the rest
 * reads as ftrace prints arguments: `key=value` tokens with keys not repeated, values without `"`
 * but quoted ones (closed the same way) — so `b=1 c"` above is no rest, and the name is whole.
 * Without such a `"` the value is open: its name holds a newline, and the next line goes on.
 */
export function closeQuote(s: string, v0: number, end: number): number {
  // (first with every later string closed on this line; else one may run on past its end)
  const q = closeQuoteAt(s, v0, end, 0, false);
  return q !== -1 ? q : closeQuoteAt(s, v0, end, 0, true);
}

const MAX_NESTED_STRINGS = 4;

function closeQuoteAt(s: string, v0: number, end: number, depth: number, open: boolean): number {
  for (let j = v0; j < end; j++) {
    if (s.charCodeAt(j) !== 34) continue;
    const rest = trimEnd(s, j + 1, end);
    if (j + 1 === rest) return j;
    // (ftrace separates arguments by one blank: print_probe_args prints ` %s=`)
    if (s.charCodeAt(j + 1) !== 32 || !isKeyChar(s.charCodeAt(j + 2)) || !keyFollows(s, j + 1, end)) continue;
    if (depth >= MAX_NESTED_STRINGS || restReadsAsArgs(s, j + 1, rest, depth + 1, open)) return j;
  }
  // None: the value goes on past the end (a name holding a newline is continued by the next line).
  return -1;
}

/** The index just past the `}` that closes the `{` at `i`, or -1 when it runs to `end`. */
function braceEnd(s: string, i: number, end: number): number {
  let depth = 0;
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * Whether s[i, end) is blank-separated `key=value` tokens as ftrace prints probe arguments (see
 * closeQuote); `open`: its last string may run on past the end.
 */
function restReadsAsArgs(s: string, i: number, end: number, depth: number, open: boolean): boolean {
  // (the keys seen, as [start, end) pairs of s on a stack shared by the nested calls: this runs
  // for every quoted value of every probe record, and a list of sliced keys was garbage each time)
  const base = keyTop;
  try {
    i = skipWs(s, i, end);
    while (i < end) {
      const k0 = i;
      while (i < end && isKeyChar(s.charCodeAt(i))) i++;
      if (i === k0 || i >= end || s.charCodeAt(i) !== 61) return false;
      if (keySeen(s, base, k0, i)) return false;
      keyBounds[keyTop++] = k0;
      keyBounds[keyTop++] = i;
      i++;
      const c = i < end ? s.charCodeAt(i) : -1;
      if (c === 34) {
        const q = closeQuoteAt(s, i + 1, end, depth, open);
        if (q === -1) return open;
        i = q + 1;
      } else if (c === 123) {
        // `{1,2,3}`, `{"a","b"}` (a string array): closed
        const j = braceEnd(s, i, end);
        if (j === -1 || (j < end && !isWs(s.charCodeAt(j)))) return false;
        i = j;
      } else {
        while (i < end && !isWs(s.charCodeAt(i))) { if (s.charCodeAt(i) === 34) return false; i++; }
      }
      if (i < end && (s.charCodeAt(i) !== 32 || isWs(s.charCodeAt(i + 1)))) return false;
      i++;
    }
    return true;
  } finally {
    keyTop = base;
  }
}

/** The keys restReadsAsArgs has read, as start and end offsets, pair after pair; `keyTop` is the next free slot. */
const keyBounds: number[] = [];
let keyTop = 0;

/** Whether s[k0, k1) equals a key on the stack from `base` on. */
function keySeen(s: string, base: number, k0: number, k1: number): boolean {
  const n = k1 - k0;
  for (let p = base; p < keyTop; p += 2) {
    const a = keyBounds[p]!;
    if (keyBounds[p + 1]! - a !== n) continue;
    let j = 0;
    while (j < n && s.charCodeAt(a + j) === s.charCodeAt(k0 + j)) j++;
    if (j === n) return true;
  }
  return false;
}

/**
 * Parses `key=value` pairs separated by blanks into `args`. `names`: where the keys of the lines
 * of one kind are kept, from `slot` on (the n-th key of such a line most often repeats the last's). Values: plain tokens, `"quoted
 * strings"` (may contain blanks and quotes; a string ends as closeQuote says), `{…}` arrays, `(fault)`. Tokens without `=` are ignored. Never fails.
 */
export function parseKeyValues(s: string, i: number, end: number, args: Record<string, string>, names?: RecentCuts, slot = 0): void {
  scanKeyValues(s, i, end, args, names, slot);
}

/**
 * True when a `"quoted"` value of s[i, end) runs to the end without its closing quote: a kprobe
 * `:string` fetch of bytes that are not NUL-terminated may hold a newline, so the record goes on
 * over the next line(s).
 */
export function hasOpenString(s: string, i: number, end: number): boolean {
  if (findChar(s, 34, i, end) === -1) return false;
  // A list that ends (but for blanks) in a `"` that no `=` opens leaves no value open: every
  // quoted value opens before that `"` and is closed by it at the latest (see scanKeyValues).
  const last = trimEnd(s, i, end) - 1;
  if (last - 1 >= i && s.charCodeAt(last) === 34 && s.charCodeAt(last - 1) !== 61) return false;
  return !quotedValuesClosed(s, i, end);
}

/**
 * Index of the first control byte (other than tab) of the `key=value` list s[i, end) outside its
 * quoted values as the reader delimits them (closeQuote), or -1. A kernel string printed with `%s` is not escaped: a qstr
 * name that runs past its end (no NUL after it: d_add_ci's exact-case name) may hold `"` bytes of
 * its own, and counting quotes alone would put its later bytes outside any value. A NUL is not
 * taken as a value's (the fetch of a string ends at one): its index is returned wherever it is.
 */
export function controlOutsideValues(s: string, i: number, end: number): number {
  let from = i;
  i = skipWs(s, i, end);
  while (i < end) {
    while (i < end && !isWs(s.charCodeAt(i)) && s.charCodeAt(i) !== 61) i++;
    if (i >= end || s.charCodeAt(i) !== 61) { i = skipWs(s, i, end); continue; }
    i++;
    if (i >= end || s.charCodeAt(i) !== 34) continue;
    const bad = firstControl(s, from, i);
    if (bad !== -1) return bad;
    const q = closeQuote(s, i + 1, end);
    // A NUL is never a string's own byte (a probe's string fetch stops at one): a value holding one
    // is damage (a file's lost block reads as NULs, and may swallow whole records).
    const nul = s.indexOf('\0', i + 1);
    if (nul !== -1 && nul < (q === -1 ? end : q)) return nul;
    if (q === -1) return -1; // open to the end: the rest is the value's
    i = from = q + 1;
    i = skipWs(s, i, end);
  }
  return firstControl(s, from, end);
}

/** Index of the first control byte (other than tab, and a CR that ends the span) of s[i, end), or -1. */
function firstControl(s: string, i: number, end: number): number {
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 ? c !== 9 && !(c === 13 && i === end - 1) : c === 0x7f) return i;
  }
  return -1;
}

/** Whether every `"quoted"` value of the `key=value` list s[i, end) is closed (the full walk). */
export function quotedValuesClosed(s: string, i: number, end: number): boolean {
  return scanKeyValues(s, i, end, undefined);
}

/** The `key=value` walk; fills `args` when given. False when a quoted value is left open. */
function scanKeyValues(s: string, i: number, end: number, args: Record<string, string> | undefined, names?: RecentCuts, slot = 0): boolean {
  let closed = true;
  let n = slot;
  i = skipWs(s, i, end);
  while (i < end) {
    const k0 = i;
    while (i < end && !isWs(s.charCodeAt(i)) && s.charCodeAt(i) !== 61) i++;
    if (i >= end || s.charCodeAt(i) !== 61) { i = skipWs(s, i, end); continue; }
    const k1 = i;
    i++;
    const c = i < end ? s.charCodeAt(i) : -1;
    let v0 = i;
    let v1: number;
    if (c === 34) {
      // "quoted": find the closing quote that ends the value.
      v0 = i + 1;
      const q = closeQuote(s, v0, end);
      if (q === -1) { v1 = trimEnd(s, v0, end); i = end; closed = false; } else { v1 = q; i = q + 1; }
    } else if (c === 123) {
      const j = braceEnd(s, i, end);
      v1 = j === -1 ? end : j;
      i = v1;
    } else {
      while (i < end && !isWs(s.charCodeAt(i))) i++;
      v1 = i;
    }
    if (args !== undefined && k1 > k0) args[names !== undefined ? names.cut(n++, s, k0, k1) : s.slice(k0, k1)] = s.slice(v0, v1);
    i = skipWs(s, i, end);
  }
  return closed;
}

/** Next blank-separated token [i, j) of s[i, end). */
function tokenEnd(s: string, i: number, end: number): number {
  while (i < end && !isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * `lock_acquire: ADDR [try ][read ]NAME` → addr, try ('1'/'0'), read ('1'/'0'), name.
 * The class name is the rest of the line and may contain blanks.
 */
export function parseLockAcquire(s: string, i: number, end: number, args: Record<string, string>): boolean {
  i = skipWs(s, i, end);
  const a1 = tokenEnd(s, i, end);
  if (a1 === i) return false;
  args.addr = s.slice(i, a1);
  let p = skipWs(s, a1, end);
  let isTry = false;
  let isRead = false;
  if (s.startsWith('try ', p) && p + 4 < end) { isTry = true; p = skipWs(s, p + 4, end); }
  if (s.startsWith('read ', p) && p + 5 < end) { isRead = true; p = skipWs(s, p + 5, end); }
  args.try = isTry ? '1' : '0';
  args.read = isRead ? '1' : '0';
  args.name = s.slice(p, trimEnd(s, p, end));
  return true;
}

/** `lock_release|lock_contended|lock_acquired: ADDR NAME` → addr, name. */
export function parseLockAddrName(s: string, i: number, end: number, args: Record<string, string>): boolean {
  i = skipWs(s, i, end);
  const a1 = tokenEnd(s, i, end);
  if (a1 === i) return false;
  args.addr = s.slice(i, a1);
  const p = skipWs(s, a1, end);
  args.name = s.slice(p, trimEnd(s, p, end));
  return true;
}

/** `contention_begin: ADDR (flags=A|B)` / `contention_end: ADDR (ret=N)` → addr and the field. */
export function parseContention(s: string, i: number, end: number, field: 'flags' | 'ret', args: Record<string, string>): boolean {
  i = skipWs(s, i, end);
  const a1 = tokenEnd(s, i, end);
  if (a1 === i) return false;
  args.addr = s.slice(i, a1);
  const p = skipWs(s, a1, end);
  const open = `(${field}=`;
  if (!s.startsWith(open, p)) return false;
  const close = findChar(s, 41, p + open.length, end);
  if (close === -1) return false;
  args[field] = s.slice(p + open.length, close);
  return true;
}

/**
 * `sched_switch: prev_comm=C prev_pid=N prev_prio=P prev_state=S ==> next_comm=C next_pid=N next_prio=P`.
 * Comms may contain blanks, so split on ` prev_pid=`, ` ==> next_comm=` and ` next_pid=`.
 */
export function parseSchedSwitch(s: string, i: number, end: number, args: Record<string, string>): boolean {
  i = skipWs(s, i, end);
  if (!s.startsWith('prev_comm=', i)) return false;
  const a = findStr(s, ' prev_pid=', i, end);
  if (a === -1) return false;
  const b = findStr(s, ' ==> next_comm=', a, end);
  if (b === -1) return false;
  const c = findStr(s, ' next_pid=', b + 15, end);
  if (c === -1) return false;
  args.prev_comm = s.slice(i + 10, a);
  parseKeyValues(s, a + 1, b, args);
  args.next_comm = s.slice(b + 15, c);
  parseKeyValues(s, c + 1, end, args);
  return args.prev_pid !== undefined && args.next_pid !== undefined;
}

/** raw_syscalls `sys_exit: NR n = r` → nr, ret. */
export function parseRawSysExit(s: string, i: number, end: number, args: Record<string, string>): boolean {
  i = skipWs(s, i, end);
  if (!s.startsWith('NR ', i)) return false;
  const n0 = i + 3;
  const n1 = tokenEnd(s, n0, end);
  const eq = skipWs(s, n1, end);
  if (n1 === n0 || s.charCodeAt(eq) !== 61) return false;
  const r0 = skipWs(s, eq + 1, end);
  const r1 = trimEnd(s, r0, end);
  if (r1 === r0) return false;
  args.nr = s.slice(n0, n1);
  args.ret = s.slice(r0, r1);
  return true;
}

/** funcgraph-args `a=1, b=0x2` (inside the parentheses) → args. */
export function parseGraphArgs(s: string, i: number, end: number, args: Record<string, string>): void {
  while (i < end) {
    i = skipWs(s, i, end);
    let j = i;
    while (j < end && s.charCodeAt(j) !== 44) j++;
    const eq = findChar(s, 61, i, j);
    if (eq !== -1) args[s.slice(i, trimEnd(s, i, eq))] = s.slice(skipWs(s, eq + 1, j), trimEnd(s, eq + 1, j));
    i = j + 1;
  }
}
