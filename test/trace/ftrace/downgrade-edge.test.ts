/**
 * downgrade_write read as a release probe of its own (unreleased.ts downgradesEnded/downgradesBegan,
 * KV334): its probe turned off while the acquisitions and the other releases go on leaves the
 * exclusive holds after its last record ending unseen. A hold ended with neither an up_write nor a
 * downgrade logged (its task returns to user space, asks for it again, releases it by up_read, or
 * another task is granted it) is a sign; two or more past the last record and the holders'
 * exclusive holds are followed no further. A refused trylock or killable wait took nothing, and is none.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { parseFunctionList, parseProbeDefinitions } from '../../../src/trace/coverage.js';
import { readAhead } from '../../../src/trace/ftrace/read-ahead.js';
import { chunks, stepLog as log } from '../../helpers/step-log.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-downgrade-edge-'));

const SEM = 'sem=0xa1';
/** An exclusive hold by `task` from `site`, ended as `end` says (no end: none logged), then its return to user space. */
const hold = (task: string, site: string, ...end: string[]): [string, string][] => [
  [task, `dw: (down_write+0x0/0x50) ${SEM}`], [task, `dw_ret: (${site}+0x1/0x2 <- down_write)`],
  ...end.map((e): [string, string] => [task, `${e} ${SEM}`]), [task, 'sys_exit: NR 217 = 0'],
];
const UW = 'uw: (up_write+0x0/0x50)', DGW = 'dgw: (downgrade_write+0x0/0x50)', UR = 'ur: (up_read+0x0/0x50)';

/** ls-601 renames once (up_write), reads the directory once with its downgrade logged, then three times without. */
const UNLOGGED = log([
  ...hold('ls-601', 'vfs_rename', UW), ...hold('ls-601', 'iterate_dir', DGW, UR),
  ...hold('ls-601', 'iterate_dir', UR), ...hold('ls-601', 'iterate_dir', UR), ...hold('ls-601', 'iterate_dir', UR),
  ...hold('ls-601', 'vfs_rename', UW),
]);

const PROBES = ['down_read', 'down_write'].flatMap((f) => [`p:kprobes/${f} ${f} sem=%di:x64`, `r:kprobes/${f}_ret ${f}`])
  .concat(['down_read_killable', 'down_read_trylock', 'down_write_killable', 'down_write_trylock'].flatMap((f) => [`p:kprobes/${f} ${f} sem=%di:x64`, `r:kprobes/${f}_ret ${f} ret=$retval`]))
  .concat(['up_read', 'up_write', 'downgrade_write'].map((f) => `p:kprobes/${f} ${f} sem=%di:x64`)).join('\n');

describe('downgrade_write records ending while exclusive holds go on', () => {
  it('the read ahead: the last downgrade record, three unseen ends past it, and the holder counted though its records end its holds', async () => {
    const ahead = await readAhead(chunks(UNLOGGED));
    // (lines: the header's four; the downgrade is the 7th record; the first unlogged one's down_write the 10th)
    expect(ahead.downgradesEnded).toEqual({ line: 11, exits: 3, tasks: new Map([[601, 14]]) });
    expect(ahead.downgradesBegan).toBeUndefined();
    expect(ahead.releasesEnded.W).toBeUndefined();
  });

  it('kinv check: the up_reads of the undowngraded holds are unknown, not rel_mode violations, and KV334 says where the downgrades end', async () => {
    const path = join(tmp, 'unlogged.txt');
    writeFileSync(path, UNLOGGED);
    const notes: Diagnostic[] = [];
    const r = await checkTraceFile(path, new SpecSet([], {}), {
      onDiagnostic: (d) => { if (d.code === 'KV334') notes.push(d); },
      probes: parseProbeDefinitions(PROBES).probes,
      kernelFunctions: parseFunctionList('down_read\ndown_read_killable\ndown_read_trylock\ndown_write\ndown_write_killable\ndown_write_trylock\nup_read\nup_write\ndowngrade_write\n'),
    });
    expect(r!.verdicts.filter((v) => v.kind === 'violation')).toEqual([]);
    expect(r!.verdicts.filter((v) => v.kind === 'unknown').map((v) => v.invariant)).toContain('rel_held');
    expect(notes.map((d) => [d.at?.line, /^the capture's last downgrade_write record is at line 11, though after it 3 rwsems are taken exclusive/.test(d.message)])).toEqual([[11, true]]);
  });

  it('turned on late: exclusive holds ended by up_read before the first downgrade record, and their holder', async () => {
    const text = log([
      ...hold('ls-601', 'iterate_dir', UR), ...hold('ls-601', 'iterate_dir', UR),
      ...hold('ls-601', 'iterate_dir', DGW, UR), ...hold('ls-601', 'vfs_rename', UW),
    ]);
    // (the first downgrade is the 11th record, line 15; the first hold's down_write is on line 5)
    expect((await readAhead(chunks(text))).downgradesBegan).toEqual({ line: 15, exits: 2, tasks: new Map([[601, 5]]) });
    expect((await readAhead(chunks(text))).downgradesEnded).toBeUndefined();
    // (one such hold is no sign)
    const once = log([...hold('ls-601', 'iterate_dir', UR), ...hold('ls-601', 'iterate_dir', DGW, UR), ...hold('ls-601', 'vfs_rename', UW)]);
    expect((await readAhead(chunks(once))).downgradesBegan).toBeUndefined();
  });

  it('refused trylocks and killable waits past the last downgrade record are no sign; granted ones left open are', async () => {
    const tries = (ret: string): [string, string][] => [1, 2, 3].flatMap((): [string, string][] => [
      ['mv-602', `dwt: (down_write_trylock+0x0/0x50) ${SEM}`], ['mv-602', `dwt_ret: (do_rename+0x1/0x2 <- down_write_trylock) ret=${ret}`],
      ['mv-602', 'sys_exit: NR 82 = -16'],
      ['mv-603', `dwk: (down_write_killable+0x0/0x50) ${SEM}`], ['mv-603', `dwk_ret: (do_rename+0x1/0x2 <- down_write_killable) ret=${ret === '0x1' ? '0x0' : '0xfffffffffffffffc'}`],
      ['mv-603', 'sys_exit: NR 82 = -4'],
    ]);
    const before = [...hold('ls-601', 'iterate_dir', DGW, UR), ...hold('ls-601', 'vfs_rename', UW)];
    expect((await readAhead(chunks(log([...before, ...tries('0x0')])))).downgradesEnded).toBeUndefined();
    expect((await readAhead(chunks(log([...before, ...tries('0x1')])))).downgradesEnded).toMatchObject({ line: 7, tasks: new Map([[602, 14], [603, 17]]) });
  });
});
