/**
 * What the real captures say about case-insensitive names in the dcache, which decides the key of
 * in_lookup_unique: on XFS ASCII-CI directories (stock 6.1), d_add_ci's d_alloc_parallel for the
 * on-disk spelling returns a new in-lookup dentry while the same task still owns the user's
 * spelling of the name in lookup. So the dcache compares those names exactly there (XFS sets no
 * d_hash/d_compare), and a key that folded case would call a correct kernel wrong.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { expect, it } from 'vitest';

const pidOf = (l: string): number => Number(/-(\d+)\s+\[/.exec(l)?.[1] ?? -1);

/** d_add_ci calls whose own d_alloc_parallel returned an in-lookup dentry for a case variant of the still in-lookup user spelling. */
function caseVariantPairs(file: string): { user: string; exact: string }[] {
  const lines = gunzipSync(readFileSync(file)).toString('latin1').split('\n');
  const out: { user: string; exact: string }[] = [];
  lines.forEach((l, i) => {
    const m = / daddci: \(d_add_ci\+0x0\/\S+\) dentry=(\S+) .*dname="([^"]*)" .*name="([^"]*)"/.exec(l);
    if (!m) return;
    const [, dentry, user, exact] = m as unknown as [string, string, string, string];
    const pid = pidOf(l);
    let inLookup = false;
    for (let j = i + 1; j < lines.length; j++) {
      const k = lines[j]!;
      if (pidOf(k) !== pid) continue;
      // the user's spelling leaves lookup only after d_add_ci returns (its caller's d_lookup_done)
      if (k.includes(' unhash: ') && k.includes(`dentry=${dentry} `)) return;
      const r = / dap_ret: .* ret=\S+ dflags=(\S+)/.exec(k);
      if (r && !inLookup) inLookup = (parseInt(r[1]!, 16) & 0x10000000) !== 0;
      if (k.includes(' daddci_ret: ')) break;
    }
    if (inLookup && user !== exact && user.toLowerCase() === exact.toLowerCase()) out.push({ user, exact });
  });
  return out;
}

it('on stock 6.1 (XFS ASCII-CI), a task owns two in-lookup dentries whose names differ only in case', () => {
  for (const capture of ['6.1-full', '6.1-legacy']) {
    const pairs = caseVariantPairs(`traces/kernel-programs/${capture}/trace.gz`);
    expect(pairs.length, capture).toBeGreaterThan(0);
  }
  expect(caseVariantPairs('traces/kernel-programs/6.1-full/trace.gz')).toContainEqual({ user: 'SHARED0', exact: 'shared0' });
});
