/**
 * `kinv conform` (src/conform/): a trace is a behaviour of the model with a d_add_ci shape, or the
 * first event no candidate state can take, pinned by event index and source line. The kprobe
 * fixtures are a draft and a fixed kernel's d_add_ci frame (whole real captures: real-captures.test.ts,
 * in the exhaustive project). Mutated copies of a capture do not conform.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../../src/conform/conform.js';
import type { DAddCiShape } from '../../src/sim/state.js';
import { kinv } from '../helpers/kinv.js';
import { conform, verdicts } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-conform-'));
/** A copy of a text fixture without the given (1-based) record lines, its header's entry count lowered to match. */
function without(path: string, lines: number[]): string {
  const text = readFileSync(path, 'utf8').split('\n').filter((_, i) => !lines.includes(i + 1)).join('\n')
    .replace(/entries-in-buffer\/entries-written: (\d+)\/(\d+)/, (_, a: string, b: string) => `entries-in-buffer/entries-written: ${+a - lines.length}/${+b - lines.length}`);
  const out = join(tmp, `${lines.join('-')}-${path.replace(/\W/g, '_')}`);
  writeFileSync(out, text);
  return out;
}

describe('kinv conform on a failing ->lookup', () => {
  // simple_lookup (fs/libfs.c) returns ERR_PTR(-ENAMETOOLONG) before it splices anything, as 9p's
  // v9fs_vfs_lookup returns d_splice_alias's error for an ERR_PTR inode: the in-lookup state ends
  // at __lookup_slow's d_lookup_done, after ->lookup returned (6.12 captures, phase ninep).
  it('a ->lookup that returns an error with its dentry still in lookup conforms to every shape', async () => {
    expect(verdicts(await conform('traces/ftrace/kprobe-lookup-enametoolong.txt'))).toEqual({
      mainline: ['conforms'], draft: ['conforms'], fixed: ['conforms'],
    });
  });

  // The fixture's records 13-25 (after the 12 header lines): the failing lookup's return is record 20, its
  // unhash records 21-22. Copies: the unhash before the error return (a ->lookup that hashed, then failed),
  // and the fixture followed by a second lookup that returns success (0x0) yet ends nothing until after it.
  const FIXTURE = 'traces/ftrace/kprobe-lookup-enametoolong.txt';
  it('an error return must be a failing ->lookup, and a success must not be one: neither copy conforms, at its ret lookup', async () => {
    const lines = readFileSync(FIXTURE, 'utf8').split('\n');
    const stamp = (l: string): string => / (\d+\.\d+): /.exec(l)![1]!;
    const restamped = (l: string, at: string): string => l.replace(/ \d+\.\d+: /, ` ${at}: `);
    // records 20-22 (lines 20-22) reordered as unhash, unhash, return, each keeping its place's time
    const [r20, r21, r22] = [lines[19]!, lines[20]!, lines[21]!];
    const hashedFirst = [...lines.slice(0, 19), restamped(r21, stamp(r20)), restamped(r22, stamp(r21)), restamped(r20, stamp(r22)), ...lines.slice(22)];
    const hashedPath = join(tmp, 'lookup-hashed-then-error.txt');
    writeFileSync(hashedPath, hashedFirst.join('\n'));
    const records = lines.slice(12).filter((l) => l.trim() !== '');
    const succeeded = records.map((l) => l.replace(/ 100\.(\d+): /, ' 101.$1: ').replace(/ ret=0xffffffffffffffdc$/, ' ret=0x0').replace(/ = -36$/, ' = 0'));
    const twice = [...lines.slice(0, 12), ...records, ...succeeded].join('\n').replace('13/13', `${2 * records.length}/${2 * records.length}`) + '\n';
    const twicePath = join(tmp, 'lookup-fail-then-unspliced.txt');
    writeFileSync(twicePath, twice);
    const hashed = await conform(hashedPath);
    expect(hashed.gaps).toBe(0);
    expect(verdicts(hashed).mainline).toEqual(['does not conform', 8, 22, 'ret lookup', 315]);
    const second = await conform(twicePath);
    expect(second.gaps).toBe(0);
    expect(verdicts(second).mainline).toEqual(['does not conform', 19, 20 + records.length, 'ret lookup', 315]);
  });
});

describe('kinv conform on a single d_add_ci frame (kprobe fixtures)', () => {
  it('the draft kernel\'s frame is the draft shape only: mainline has no release inside d_add_ci, fixed re-takes the lock', async () => {
    const r = await conform('traces/ftrace/kprobe-draft-d_add_ci.txt');
    expect(verdicts(r)).toEqual({
      mainline: ['does not conform', 8, 21, 'rel R', 315],
      draft: ['conforms'],
      fixed: ['does not conform', 11, 24, 'ret d_add_ci', 315],
    });
    // What the model could have done instead, and the one candidate state.
    expect(r.results[2]!.failure!.expected).toEqual(['acq_req R']);
    expect(r.results[2]!.failure!.candidates).toEqual(['lock free; 315 stat at d_add_ci:after-dap; in lookup: foo by 315']);
    expect(r.results[0]!.failure!.expected).toEqual(['ret d_add_ci', 'call d_alloc_parallel Foo']);
  });

  it('the fixed kernel\'s frame is the fixed shape only: the draft returns without the relock', async () => {
    expect(verdicts(await conform('traces/ftrace/kprobe-fixed-d_add_ci.txt'))).toEqual({
      mainline: ['does not conform', 8, 21, 'rel R', 315],
      draft: ['does not conform', 11, 24, 'acq_req R', 315],
      fixed: ['conforms'],
    });
  });

  // Lines are the mutated copy's: one line shorter from the removed one on.
  it('mutated copies do not conform to the draft: a lost release, a lost stray up_read, a lost return', async () => {
    // Without the release inside d_add_ci (line 21), the draft's d_alloc_parallel comes while the model still has to release.
    expect(verdicts(await conform(without('traces/ftrace/kprobe-draft-d_add_ci.txt', [21]), ['draft']))).toEqual({
      draft: ['does not conform', 8, 21, 'call d_alloc_parallel Foo', 315],
    });
    // Without the caller's up_read (line 29), the syscall ends with the model's release still to come.
    expect(verdicts(await conform(without('traces/ftrace/kprobe-draft-d_add_ci.txt', [29]), ['draft']))).toEqual({
      draft: ['does not conform', 15, 29, 'syscall exit', 315],
    });
    // Without d_alloc_parallel's return (line 23), d_add_ci returns before the model's lookup of the exact name does.
    expect(verdicts(await conform(without('traces/ftrace/kprobe-draft-d_add_ci.txt', [23]), ['draft']))).toEqual({
      draft: ['does not conform', 10, 23, 'ret d_add_ci', 315],
    });
  });

  it('what the mutated copies conform to: without the release inside d_add_ci the frame is mainline\'s; the others, no shape', async () => {
    expect(verdicts(await conform(without('traces/ftrace/kprobe-draft-d_add_ci.txt', [21])))).toEqual({
      mainline: ['conforms'],
      draft: ['does not conform', 8, 21, 'call d_alloc_parallel Foo', 315],
      fixed: ['does not conform', 8, 21, 'call d_alloc_parallel Foo', 315],
    });
    expect(verdicts(await conform(without('traces/ftrace/kprobe-draft-d_add_ci.txt', [29])))).toEqual({
      mainline: ['does not conform', 8, 21, 'rel R', 315],
      draft: ['does not conform', 15, 29, 'syscall exit', 315],
      fixed: ['does not conform', 11, 24, 'ret d_add_ci', 315],
    });
  });
});

describe('kinv conform on the simulator\'s own traces', () => {
  it('each conforms to the shape that made it; the draft\'s E1/E2/E3 runs to no other', async () => {
    for (const [file, order] of [['mainline-current-clean', 'current'], ['draft-new-E2', 'new'], ['fixed-new-clean', 'new'], ['ci-trio-shared-draft-new-mutex', 'new']] as const) {
      const shape = file.split('-').find((w) => (SHAPES as string[]).includes(w)) as DAddCiShape;
      expect(verdicts(await conform(`traces/sim/${file}.ndjson`, [shape], order))[shape], file).toEqual(['conforms']);
    }
    for (const e of ['E1', 'E2', 'E3']) {
      const r = verdicts(await conform(`traces/sim/draft-current-${e}.ndjson`));
      expect(r.draft, e).toEqual(['conforms']);
      expect(r.mainline![0], e).toBe('does not conform');
      expect(r.fixed![0], e).toBe('does not conform');
    }
  });
});

describe('kinv conform on the command line', () => {
  it('exits 0 when the shape explains the trace, 1 when not, 3 on a gap, 2 without a shape', async () => {
    expect((await kinv(['conform', '--d-add-ci', 'draft', 'traces/ftrace/kprobe-draft-d_add_ci.txt'])).code).toBe(0);
    const no = await kinv(['conform', '--d-add-ci', 'fixed', 'traces/ftrace/kprobe-draft-d_add_ci.txt']);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('first event no model state can take: ret d_add_ci by task 315');
    expect(no.stdout).toContain('--> traces/ftrace/kprobe-draft-d_add_ci.txt:24  (event 11, seq 11)');
    const auto = await kinv(['conform', '--d-add-ci', 'auto', 'traces/ftrace/kprobe-fixed-d_add_ci.txt']);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toContain('explained by fixed\n');
    // every shape unknown (a gap): not "explained by no shape", which would read as a verdict
    const untold = await kinv(['conform', '--d-add-ci', 'auto', 'traces/ftrace/lost-events.txt']);
    expect(untold.code).toBe(3);
    expect(untold.stdout).toContain('explained by no shape it could judge (cannot tell for mainline, draft, fixed)\n');
    const lost = await kinv(['conform', '--d-add-ci', 'mainline', 'traces/ftrace/lost-events.txt']);
    expect(lost.code).toBe(3);
    expect(lost.stdout).toContain('unknown: a gap (overwritten history: 100 events lost, somewhere between line 3 and line 10) at traces/ftrace/lost-events.txt:3 (every task)');
    expect((await kinv(['conform', 'traces/ftrace/kprobe-draft-d_add_ci.txt'])).code).toBe(2);
  });

  it('an empty folder named beside a trace that conforms: KV314 for the folder, exit 3', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kinv-conform-empty-'));
    const r = await kinv(['conform', '--d-add-ci', 'draft', 'traces/ftrace/kprobe-draft-d_add_ci.txt', empty]);
    expect(r.stdout).toContain('traces/ftrace/kprobe-draft-d_add_ci.txt: conforms to the model with d_add_ci draft');
    expect(r.stderr).toContain(`error[KV314]: nothing to judge: no trace file in ${empty}`);
    expect(r.code).toBe(3);
  });
});
