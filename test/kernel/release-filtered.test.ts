// A capture whose release probes are filtered to the directory locks while some acquisition probes
// are not (traces/kernel-waitqueue/release-filtered: the first 4,000 lines of the patched 6.1.192
// build's collision capture with `--probeset full`; the header's entry count is that of the
// excerpt). The unfiltered down_read_trylock, down_write_killable and down_read_killable record
// mmap_lock, exec_update_lock and shrinker_rwsem acquisitions (callers lock_mm_and_find_vma,
// vm_mmap_pgoff, __x64_sys_brk, begin_new_exec, shrink_slab), whose up_read/up_write the sem filter
// drops: those locks look held forever. Every verdict about what holds them is the filter's doing,
// so kinv cannot tell; the directory lock, whose releases are in the capture, is still judged.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkJson } from '../helpers/cli.js';

const DIR = join(import.meta.dirname, '../../traces/kernel-waitqueue/release-filtered');
type Found = { kind: string; invariant: string; line: number; message: string; reason?: string };

type Diag = { kind: string; code: string; severity: string; message: string; line?: number };

function kinv(): { status: number | null; found: Found[]; evaluated: Record<string, number>; diagnostics: Diag[] } {
  const r = checkJson(['--param', 'i_rwsem_offset=136', '--probes', join(DIR, 'kprobe_events'), '--functions', join(DIR, 'functions'),
    join(DIR, 'trace.txt.gz')]);
  const found = r.objects.filter((o) => o.kind === 'violation' || o.kind === 'unknown') as unknown as Found[];
  const summary = r.objects.find((o) => o.kind === 'summary') as unknown as { evaluated: Record<string, number> };
  const diagnostics = r.objects.filter((o) => o.kind === 'diagnostic') as unknown as Diag[];
  return { status: r.status, found, evaluated: summary.evaluated, diagnostics };
}

describe('release-filtered capture (traces/kernel-waitqueue/release-filtered)', () => {
  const r = kinv();

  it('reports no violation: the locks never released anywhere in the capture are unknown, with the reason', () => {
    expect(r.found.map((f) => `${f.kind} ${f.invariant} ${f.line}`)).toEqual([
      'unknown no_recursive_acq 243', 'unknown no_recursive_acq 287', 'unknown no_recursive_acq 1266', 'unknown mutual_exclusion 1267',
      'unknown no_recursive_acq 1310', 'unknown no_recursive_acq 2044', 'unknown no_recursive_acq 2088', 'unknown no_recursive_acq 2297',
      'unknown mutual_exclusion 2298', 'unknown no_recursive_acq 3508', 'unknown no_recursive_acq 3552', 'unknown no_recursive_acq 3995',
    ]);
    expect(r.status).toBe(3);
    expect(r.found[0]!.message).toBe('task 457 asks for 0xffff8880046c2398 (W, killable) while it already holds it R');
    expect(r.found[0]!.reason).toMatch(/^the capture shows 0xffff8880046c2398 taken but never released, anywhere in it/);
  });

  it('says which locks it cannot judge, where the first is taken: never a silent skip', () => {
    const kv320 = r.diagnostics.filter((d) => d.code === 'KV320');
    expect(kv320).toHaveLength(1);
    expect(kv320[0]!.severity).toBe('warning');
    // line 13: `drt: (down_read_trylock+0x0/0x50) sem=0xffff888002448420`, a trylock of init's mmap_lock
    expect(kv320[0]!.line).toBe(13);
    expect(kv320[0]!.message).toMatch(/^22 rwsems are taken and never released anywhere in this capture \(first: sem=0xffff888002448420, taken at line 13\)/);
  });

  it('still judges the directory lock, whose releases the capture has', () => {
    // xfsci's directory: sem 0xffff88800357f480, inode 0xffff88800357f3f8
    expect(r.found.some((f) => f.message.includes('0xffff88800357f3f8'))).toBe(false);
    expect(r.evaluated.lookup_entry_locked).toBeGreaterThan(0);
    expect(r.evaluated.rel_held).toBeGreaterThan(0);
    expect(r.evaluated.no_locks_at_exit).toBeGreaterThan(0);
  });
});
