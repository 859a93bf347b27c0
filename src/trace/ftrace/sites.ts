/**
 * Probe sites printed as bare addresses. trace-cmd report and perf script print a probe event
 * through the kernel's print format, `(%lx)` and `(%lx <- %lx)`, so a record shows the probed
 * function only as an address (`(ffffffffb875b8d0)`); tracefs resolves it (`down_read+0x0/0x50`).
 * The function is found, in this order, through the capture's probe definitions (the event name
 * says which function it probes, whatever the address) and through the kernel's symbol table of the
 * same boot (`/proc/kallsyms`: the text symbol at or below the address, as the kernel's own
 * `kallsyms_lookup` does; on kernels with IBT a function probe sits 4 bytes in, past `endbr64`).
 */
import type { ProbeDefinition } from '../coverage.js';

/** Text symbols of a kernel, by address. */
export interface KernelSymbols {
  /** Ascending addresses. */
  addrs: BigUint64Array;
  /** The name at each address. */
  names: string[];
}

/** What `/proc/kallsyms` text holds, as far as addresses go. */
export type KallsymsParse =
  | { kind: 'symbols'; symbols: KernelSymbols }
  /** Every address is 0: the file was read without root (kptr_restrict), so it gives names only. */
  | { kind: 'zeroed' }
  /** No `address type name` line: a list of names (available_filter_functions). */
  | { kind: 'none' };

/** Symbol types that are code (kallsyms: t/T text, w/W weak). */
const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);

/**
 * The text symbols of `/proc/kallsyms` text (`ffffffff81000000 T _stext [module]`), or of
 * `trace-cmd report -f` (`ffffffff81000000 _stext [module]`: the kallsyms a trace.dat carries,
 * functions only, without the type column).
 */
export function parseKallsyms(text: string): KallsymsParse {
  const rows: { addr: bigint; name: string }[] = [];
  let lines = 0;
  let zero = 0;
  for (const m of text.matchAll(/^([0-9a-fA-F]{8,16}) (?:([a-zA-Z]) )?([^\s[]+)(?:[ \t]+\[[^\]\n]*\])?[ \t\r]*$/gm)) {
    lines++;
    const addr = BigInt('0x' + m[1]!);
    if (addr === 0n) { zero++; continue; }
    if (m[2] !== undefined && !TEXT_TYPES.has(m[2])) continue;
    rows.push({ addr, name: m[3]!.replace(/\.(?:isra|constprop|part|cold)\.\d+$/, '') });
  }
  if (lines === 0) return { kind: 'none' };
  if (zero === lines) return { kind: 'zeroed' };
  rows.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return { kind: 'symbols', symbols: { addrs: BigUint64Array.from(rows.map((r) => r.addr)), names: rows.map((r) => r.name) } };
}

/** The function containing `addr` and how far into it: the last text symbol at or below it; undefined below the first. */
export function symbolAt(symbols: KernelSymbols, addr: bigint): { name: string; offset: bigint } | undefined {
  const a = symbols.addrs;
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : { name: symbols.names[lo - 1]!, offset: addr - a[lo - 1]! };
}

/**
 * How far past a symbol a function probe's address may be: 0, or 4 on kernels with IBT (the
 * probe skips `endbr64`); a few bytes more allow for other entry padding. An address further in is
 * no function entry: a symbol table of another boot (KASLR moves the kernel) or a probe at an
 * offset, which only its definition can name.
 */
export const MAX_ENTRY_OFFSET = 16n;

export type SiteResolution = { fn: string } | { problem: string };

/** Resolves a probe record's bare-address site to the function it probes. */
export class ProbeSites {
  private readonly byEvent = new Map<string, string | null>();
  private readonly cache = new Map<string, SiteResolution>();

  constructor(probes: readonly ProbeDefinition[] | undefined, private readonly symbols: KernelSymbols | undefined) {
    for (const p of probes ?? []) {
      const k = p.kind + ' ' + p.event;
      const have = this.byEvent.get(k);
      // Two definitions of one event name (in different groups) for different functions: the name decides nothing.
      this.byEvent.set(k, have === undefined || have === p.fn ? p.fn : null);
    }
  }

  /** The probed function of a `kind` record of event `event` whose probed address is `hex` (no `0x`). */
  resolve(kind: 'kprobe' | 'kretprobe', event: string, hex: string): SiteResolution {
    const byName = this.byEvent.get(kind + ' ' + event);
    if (byName) return { fn: byName };
    const key = kind + ' ' + hex;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = this.lookUp(kind, event, hex);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private lookUp(kind: 'kprobe' | 'kretprobe', event: string, hex: string): SiteResolution {
    const what = `${kind === 'kprobe' ? 'probe' : 'return probe'} '${event}' shows the probed function only as the address ${hex}`;
    if (this.symbols === undefined) {
      return {
        problem: `${what}, and no definition or symbol table names it: pass the capture's kprobe_events (--probes FILE)`
          + " or its kernel's /proc/kallsyms read as root in the same boot (--functions FILE)",
      };
    }
    const at = symbolAt(this.symbols, BigInt('0x' + hex));
    if (at === undefined) return { problem: `${what}, below every text symbol of the --functions symbol table: is it the kallsyms of the same boot?` };
    if (at.offset > MAX_ENTRY_OFFSET) {
      return {
        problem: `${what}, ${at.offset} bytes into ${at.name} by the --functions symbol table: no function entry;`
          + ' is it the kallsyms of the same boot (KASLR moves the kernel each boot)? --probes FILE names probes by their event instead',
      };
    }
    return { fn: at.name };
  }
}
