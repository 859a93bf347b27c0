/**
 * Unknown, not violated, when a capture cannot tell (traces/ftrace/coverage/). Each log is a
 * correct kernel's behaviour seen through a probe set that misses an acquisition variant
 * (iterate_dir's down_read_killable, inode_lock_nested's down_write_nested under lockdep): the
 * release the log cannot match is an unknown verdict naming the unprobed functions. Declaring the
 * capture's probes (`--probes`) turns a second release of what a task took once into a violation,
 * since a probe that would have shown another acquisition was there and saw none; a release of what
 * the task never took stays unknown, as some declared probe must then have been off (KV333).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { parseFunctionList, parseProbeDefinitions } from '../../src/trace/coverage.js';

const DIR = 'traces/ftrace/coverage';
const specs = new SpecSet([], {});
const full = parseProbeDefinitions(readFileSync(`${DIR}/kprobe_events.full`, 'utf8'));

async function verdicts(file: string, opts: { probes?: boolean; functions?: string[] } = {}) {
  const r = await checkTraceFile(`${DIR}/${file}`, specs, {
    all: true,
    probes: opts.probes ? full.probes : undefined,
    kernelFunctions: opts.functions,
  });
  expect(r).toBeDefined();
  return r!.verdicts.map((v) => [v.kind, v.invariant, v.event?.line, ...(v.kind === 'unknown' ? [v.reason?.match(/lacks the entry or return probe of ([\w ]+):/)?.[1]] : [])]);
}

describe('coverage: unknown where an unprobed variant could explain the log', () => {
  it('parses every definition of the full probe set', () => {
    expect(full.problems).toEqual([]);
    expect(full.probes.filter((p) => p.kind === 'kretprobe').map((p) => p.fn)).toContain('down_read_killable');
  });

  it("readdir's release after a stat, without a down_read_killable probe, is unknown and says which probes would decide it", async () => {
    expect(await verdicts('readdir-legacy.txt')).toEqual([
      ['unknown', 'rel_held', 20, 'down_read_killable down_read_interruptible down_read_trylock down_read_nested down_read_killable_nested down_read_non_owner'],
    ]);
  });

  it('only the variants the kernel has need a probe (--functions), and the rwsem API every kernel has is never taken as absent', async () => {
    // a stock kernel: no lockdep variants, no down_read_interruptible
    const stock = ['down_read', 'down_read_killable', 'down_read_trylock', 'up_read', 'down_write', 'down_write_killable', 'down_write_trylock', 'up_write', 'downgrade_write'];
    expect(await verdicts('readdir-legacy.txt', { functions: stock })).toEqual([
      ['unknown', 'rel_held', 20, 'down_read_killable down_read_trylock'],
    ]);
    // a list that is not the kernel's whole list (only the probed functions) changes nothing
    expect(await verdicts('readdir-legacy.txt', { functions: ['down_read', 'up_read'] })).toEqual([
      ['unknown', 'rel_held', 20, 'down_read_killable down_read_trylock'],
    ]);
  });

  it("a user's own probe on down_read_killable, under any event name, makes the same readdir clean", async () => {
    expect(await verdicts('readdir-full.txt')).toEqual([]);
  });

  it('declared probes that saw no acquisition make the release a violation', async () => {
    expect(await verdicts('readdir-legacy.txt', { probes: true })).toEqual([['violation', 'rel_held', 20]]);
  });

  // (another mkdir at its end, lines 24-27, shows the down_write probe on: without it, a declared
  // down_write that logged nothing while a lock is released exclusive untaken says the declared
  // probes were not those on, and every verdict here stays unknown: KV333, test/trace/ftrace/declared-probes.test.ts)
  it('->lookup under an unprobed down_write_nested (mkdir on lockdep) is unknown, and still is with every variant declared, as some declared one was off', async () => {
    expect(await verdicts('create-nested.txt')).toEqual([
      ['unknown', 'lookup_entry_locked', 20, 'down_read_killable down_read_interruptible down_read_trylock down_read_nested down_read_killable_nested down_read_non_owner down_write_killable down_write_trylock down_write_nested down_write_killable_nested _down_write_nest_lock'],
      ['unknown', 'rel_held', 22, 'down_write_killable down_write_trylock down_write_nested down_write_killable_nested _down_write_nest_lock'],
    ]);
    // (task 500 releases exclusive, after a return to user space, an rwsem it has not taken exclusive
    // since: some exclusive variant took it, and the declared ones that logged nothing were not on; a
    // kernel that released what it never took reads the same, so the capture cannot tell, KV333)
    const notes: string[] = [];
    const r = await checkTraceFile(`${DIR}/create-nested.txt`, specs, {
      all: true, probes: full.probes, onDiagnostic: (d) => { if (d.code === 'KV333') notes.push(d.message); },
    });
    expect(r!.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['unknown', 'lookup_entry_locked', 20],
      ['unknown', 'rel_held', 22],
    ]);
    // (mkdir-501's down_write, the capture's first, comes after it: it may have been turned on there)
    expect(notes).toEqual([expect.stringMatching(/^--probes declares down_write, whose first record is at line 24, after an acquisition the capture does not log/),
      expect.stringMatching(/^--probes declares down_write_killable or down_write_nested or _down_write_nest_lock, and the capture logged no entry of any, though it shows an acquisition it does not log \(1 up_write by a task of an rwsem it has not taken since a return to user space the capture shows, the first on line 22\)/)]);
  });

  it('a task whose acquisitions the capture never shows (probes filtered to other tasks) is unknown, even with every variant probed', async () => {
    const r = await checkTraceFile(`${DIR}/filtered-entries.txt`, specs, { all: true, probes: full.probes });
    expect(r!.verdicts.map((v) => [v.kind, v.invariant, v.event?.line, v.reason])).toEqual([
      ['unknown', 'rel_held', 21, 'the capture shows no acquisition by task 502 at all: its probes may be filtered to other tasks'],
    ]);
  });

  it('an in-lookup dentry whose end the capture cannot show (no __d_lookup_unhash, as on a kernel that inlines it) is unknown at the unlock, not a violation', async () => {
    const inlined = ['down_read', 'down_read_killable', 'down_read_trylock', 'up_read', 'down_write', 'down_write_killable', 'down_write_trylock', 'up_write', 'downgrade_write', '__lookup_slow', 'd_alloc_parallel', 'ext4_lookup'];
    for (const functions of [undefined, inlined]) {
      const r = await checkTraceFile(`${DIR}/unhash-not-shown.txt`, specs, { all: true, kernelFunctions: functions });
      expect(r!.verdicts.filter((v) => v.kind !== 'pending').map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([['unknown', 'in_lookup_parent_locked', 22]]);
      expect(r!.violations).toBe(0);
    }
  });

  it("a killable return probe that does not fetch ret=$retval cannot say whether the lock was taken: KV302 at its line and a gap, never a failure guessed", async () => {
    const diags: string[] = [];
    const r = await checkTraceFile(`${DIR}/readdir-no-retval.txt`, specs, { all: true, probes: full.probes, onDiagnostic: (d) => diags.push(`${d.code} ${d.at?.line}:${d.at?.column}`) });
    expect(r!.verdicts).toEqual([]);
    expect(diags).toEqual(['KV302 21:1']);
    expect(r!.gaps.map((g) => g.pids)).toEqual([[400]]);
  });

  it('a killable acquisition that returned -EINTR (low 32 bits) holds nothing', async () => {
    expect(await verdicts('killable-failed.txt', { probes: true })).toEqual([
      ['violation', 'rel_held', 16],
      ['violation', 'failed_acq_holds_nothing', 16],
    ]);
  });

  it("the draft d_add_ci's release after its own release in one system call stays a violation with the legacy probe set", async () => {
    const r = await checkTraceFile('traces/ftrace/kprobe-draft-d_add_ci.txt', specs, {});
    expect(r!.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['violation', 'in_lookup_parent_locked', 21],
      ['violation', 'd_add_ci_parent_lock_balanced', 24],
      ['violation', 'lookup_parent_lock_balanced', 25],
      ['violation', 'rel_held', 29],
    ]);
  });
});

describe('function lists', () => {
  it('reads available_filter_functions and kallsyms, without compiler suffixes', () => {
    expect([...parseFunctionList('down_read\nd_add_ci [xfs]\n__lookup_slow.isra.0\n')].sort()).toEqual(['__lookup_slow', 'd_add_ci', 'down_read']);
    expect([...parseFunctionList('ffffffff81a3b2c0 T down_read\nffffffffc0123000 t xfs_vn_ci_lookup\t[xfs]\n')].sort()).toEqual(['down_read', 'xfs_vn_ci_lookup']);
  });

  it('rejects a line that is no probe definition, with its line', () => {
    expect(parseProbeDefinitions('p:a down_read sem=%di:x64\nnonsense here\n').problems).toEqual([{ line: 2, text: 'nonsense here' }]);
  });
});
