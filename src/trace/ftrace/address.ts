/**
 * A probe argument printed as a kernel address, read the way the spec's `ptr()` reads it
 * (`parseAddress` in analysis/builtins.ts), so that the read ahead (the i_rwsem offset, the rwsems
 * never released) and the mapping name the same object from the same record.
 *
 * How a fetch argument prints depends on its type and on the kernel: `:x64` prints `0x…` (bare
 * hexadecimal before 4.17, whose `u64` printed hex), `:u64` prints decimal on 4.17 and later. A
 * `p:dr down_read sem=%di:u64` probe logs `sem=18446612682147741856` for 0xffff888004a1c0a0. Bare
 * digits with a letter are hexadecimal; bare decimal digits are read as decimal, as `ptr()` reads
 * them (a kernel address printed bare hex has letters: its top bits are ones).
 */

/** The value of a printed address (`0x` optional, its leading hex digits); undefined when it has none. */
export function printedAddress(v: string | undefined): bigint | undefined {
  const digits = addressDigits(v);
  return digits === undefined ? undefined : BigInt('0x' + digits);
}

/**
 * The lower-case hex digits of a printed address without leading zeros (`0` for zero), read from
 * its leading digits (`0x` optional); undefined when it has none.
 */
export function addressDigits(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const prefixed = v.length > 1 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 32) === 120;
  let i = prefixed ? 2 : 0;
  const a = i;
  let letter = false;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i) | 0;
    if (c >= 48 && c <= 57) continue;
    const l = c | 32;
    if (l >= 97 && l <= 102) { letter = true; continue; }
    break;
  }
  if (i === a) return undefined;
  // (`:u64` on 4.17 and later: decimal)
  if (!prefixed && !letter) return BigInt(v.slice(a, i)).toString(16);
  let z = a;
  while (z < i - 1 && v.charCodeAt(z) === 48) z++;
  return v.slice(z, i).toLowerCase();
}

/**
 * A flags word a probe fetched (d_alloc_parallel's `dflags`), as a number, read the way the
 * mapping's `dflags_of` reads it (spec/vfs/ftrace.kinv): `0x…` is hexadecimal (`:x32`); bare
 * digits are decimal (`:u32` on 4.17 and later prints `268435456` for DCACHE_PAR_LOOKUP), except
 * where the same record prints the address `beside` it (the returned dentry) in bare hex, as a
 * kernel whose hexadecimal types print without `0x` does: there they are hexadecimal too.
 * Undefined when it reads as no number.
 */
export function printedFlags(flags: string | undefined, beside: string | undefined): number | undefined {
  if (flags === undefined || !/^(?:0x[0-9a-f]+|[0-9a-f]+)$/i.test(flags)) return undefined;
  const decimal = /^[0-9]+$/.test(flags) && !(beside !== undefined && /^[0-9a-f]*[a-f][0-9a-f]*$/i.test(beside));
  const v = decimal ? Number(flags) : Number.parseInt(flags.replace(/^0x/i, ''), 16);
  return Number.isFinite(v) ? v >>> 0 : undefined;
}
