/**
 * The trace.dat's copy of /proc/kallsyms: text symbols sorted by address, to name a probe's
 * address the way the kernel prints `%pS` (`sym+0xoff/0xsize`). A symbol's size is the distance
 * to the next symbol, as the kernel computes it; an address at or past that end, or before the
 * first symbol, has no name here and is printed as a bare address.
 */

export interface Resolved {
  name: string;
  /** The module the symbol is in (`[xfs]` in kallsyms), '' for the kernel itself. */
  module: string;
  offset: bigint;
  size: bigint;
}

export class Kallsyms {
  private readonly addrs: bigint[] = [];
  private readonly names: string[] = [];
  private readonly modules: string[] = [];
  private readonly cache = new Map<bigint, Resolved | undefined>();

  constructor(text: string) {
    const rows: { addr: bigint; name: string; module: string }[] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-fA-F]+) (\S) (\S+)(?:\s+\[([^\]]+)\])?/.exec(line);
      if (!m) continue;
      const addr = BigInt('0x' + m[1]!);
      if (addr === 0n) continue;
      rows.push({ addr, name: m[3]!, module: m[4] ?? '' });
    }
    rows.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    for (const r of rows) { this.addrs.push(r.addr); this.names.push(r.name); this.modules.push(r.module); }
  }

  /** Whether the table names a symbol `name`. */
  has(name: string): boolean {
    this.named ??= new Set(this.names);
    return this.named.has(name);
  }

  private named: Set<string> | undefined;

  get size(): number {
    return this.addrs.length;
  }

  /** The symbol holding `addr`, with the offset into it and its size. */
  resolve(addr: bigint): Resolved | undefined {
    if (this.cache.has(addr)) return this.cache.get(addr);
    const a = this.addrs;
    let lo = 0;
    let hi = a.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    let r: Resolved | undefined;
    // The first of several names at one address is the one kept (aliases share an address).
    while (found > 0 && a[found - 1] === a[found]) found--;
    if (found >= 0) {
      let next = found + 1;
      while (next < a.length && a[next] === a[found]) next++;
      if (next < a.length && addr < a[next]!) {
        r = { name: this.names[found]!, module: this.modules[found]!, offset: addr - a[found]!, size: a[next]! - a[found]! };
      }
    }
    if (this.cache.size < 100_000) this.cache.set(addr, r);
    return r;
  }
}

/**
 * `sym+0xoff/0xsize [module]` (with the offset) or `sym` (without), as tracefs prints a probe's
 * site and its function (6.1: the module only with the offset); a bare `0x…` when unknown.
 */
export function symbolText(ks: Kallsyms, addr: bigint, withOffset: boolean): string {
  const r = ks.resolve(addr);
  if (r === undefined) return '0x' + addr.toString(16);
  if (!withOffset) return r.name;
  return `${r.name}+0x${r.offset.toString(16)}/0x${r.size.toString(16)}${r.module === '' ? '' : ` [${r.module}]`}`;
}
