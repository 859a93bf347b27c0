/**
 * Returns a kretprobe missed (it ran out of instances), for every probed function: a leaf's is
 * put back, a leaf whose return value decides the outcome (a killable acquisition) makes its task
 * unknown, an outer function's is found at the task's syscall exit and makes the task unknown up
 * to there; and a function whose return is not probed at all misses nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import type { RawItem } from '../../../src/trace/ftrace/raw.js';
import { emptyFtraceStats, readFtraceRecords } from '../../../src/trace/ftrace/records.js';

const SEM = 'sem=0xffff888004a1c0a0';
const line = (pid: number, t: number, body: string): string => `           ls-${pid}     [000] ..... ${(100 + t / 1000).toFixed(6)}: ${body}`;

async function read(lines: string[], opts: { leaves?: string[]; returnProbes?: string[] } = {}) {
  const diags: Diagnostic[] = [];
  const items: RawItem[] = [];
  async function* src() { yield Buffer.from(lines.join('\n') + '\n', 'latin1'); }
  for await (const b of readFtraceRecords(src(), { file: 'f', stats: emptyFtraceStats(), leafFunctions: opts.leaves, returnProbes: opts.returnProbes, onDiagnostic: (d) => diags.push(d) })) items.push(...b);
  const brief = items.map((it) => (it.kind === 'gap' ? `L${it.line} gap ${it.reason} pid=${it.pid ?? '*'}` : `L${it.line} ${it.kind} ${it.probedSym ?? it.name}${it.returnMissed ? ' put-back' : ''}`));
  return { brief, warnings: diags.filter((d) => d.code === 'KV312').map((d) => d.message), hints: diags.filter((d) => d.code === 'KV312').map((d) => d.hint) };
}

describe('missed kretprobe returns', () => {
  it("an outer function's missing return shows at the syscall exit: a gap for the task and a warning", async () => {
    const r = await read([
      line(400, 1, 'lkslow: (__lookup_slow+0x0/0x190) name="a" nlen=1 dir=0x1 dinode=0x2 flags=0x0'),
      line(400, 2, 'lkslow_ret: (walk_component+0xde/0x150 <- __lookup_slow) ret=0x3'),
      line(400, 3, 'lkslow: (__lookup_slow+0x0/0x190) name="b" nlen=1 dir=0x1 dinode=0x2 flags=0x0'),
      line(400, 4, 'sys_exit: NR 4 = 0'),
    ]);
    expect(r.brief).toEqual(['L1 kprobe __lookup_slow', 'L2 kretprobe __lookup_slow', 'L3 kprobe __lookup_slow', 'L4 gap return missing pid=400', 'L4 syscall_exit sys_exit']);
    expect(r.warnings).toEqual([expect.stringMatching(/^1 kretprobe return is missing from the log \(1 of __lookup_slow\): the task returned to user space/)]);
  });

  it('an entry whose function has no return probe in the declared probe set misses nothing', async () => {
    const lines = [line(400, 1, `drk: (down_read_killable+0x0/0x60) ${SEM}`), line(400, 2, `ur: (up_read+0x0/0x40) ${SEM}`), line(400, 3, 'sys_exit: NR 217 = 0')];
    const r = await read(lines, { leaves: ['down_read_killable?'], returnProbes: ['__lookup_slow'] });
    expect(r.brief).toEqual(['L1 kprobe down_read_killable', 'L2 kprobe up_read', 'L3 syscall_exit sys_exit']);
    expect(r.warnings).toEqual([]);
    // without the probe set, the log cannot tell a missing return probe from a missed return
    const u = await read(lines, { leaves: ['down_read_killable?'] });
    expect(u.brief).toEqual(['L1 kprobe down_read_killable', 'L2 gap return missing pid=400', 'L2 kprobe up_read', 'L3 syscall_exit sys_exit']);
    expect(u.warnings).toEqual([expect.stringMatching(/no return of down_read_killable was seen before \(1 of down_read_killable\): if the capture has no return probe on it, nothing was missed; pass its kprobe_events with --probes to say so$/)]);
  });

  it("a killable leaf's missed return is a gap, not a guess: it may have failed", async () => {
    const r = await read([line(400, 1, `drk: (down_read_killable+0x0/0x60) ${SEM}`), line(400, 2, `ur: (up_read+0x0/0x40) ${SEM}`), line(400, 3, 'sys_exit: NR 217 = 0')], { leaves: ['down_read_killable?'], returnProbes: ['down_read_killable'] });
    expect(r.brief).toEqual(['L1 kprobe down_read_killable', 'L2 gap return missing pid=400', 'L2 kprobe up_read', 'L3 syscall_exit sys_exit']);
    expect(r.warnings).toHaveLength(1);
  });

  it("a blocking leaf's missed return is put back before the task's next record", async () => {
    const r = await read([
      line(400, 1, `dr: (down_read+0x0/0x50) ${SEM}`), line(400, 2, 'dr_ret: (walk_component+0xd1/0x150 <- down_read) arg1=0x0'),
      line(400, 3, `ur: (up_read+0x0/0x40) ${SEM}`), line(400, 4, `dr: (down_read+0x0/0x50) ${SEM}`), line(400, 5, `ur: (up_read+0x0/0x40) ${SEM}`),
    ], { leaves: ['down_read'] });
    expect(r.brief).toEqual(['L1 kprobe down_read', 'L2 kretprobe down_read', 'L3 kprobe up_read', 'L4 kprobe down_read', 'L5 kretprobe down_read put-back', 'L5 kprobe up_read']);
  });

  it('where the log lost records, the hint says the return may be among them (with nmissed 0, it was)', async () => {
    const body = [
      line(400, 1, `dr: (down_read+0x0/0x50) ${SEM}`), line(400, 2, 'dr_ret: (walk_component+0xd1/0x150 <- down_read) arg1=0x0'),
      line(400, 3, `ur: (up_read+0x0/0x40) ${SEM}`), line(400, 4, `dr: (down_read+0x0/0x50) ${SEM}`), line(400, 5, `ur: (up_read+0x0/0x40) ${SEM}`),
    ];
    const lossless = await read(body, { leaves: ['down_read'] });
    expect(lossless.hints).toEqual(['a kretprobe misses returns when more tasks are inside its function than it has instances (nmissed in kprobe_profile): define it with more, e.g. r64:dr_ret down_read']);
    // (a `trace` file whose header counts more entries written than the buffer holds: the ring buffer overwrote some)
    const lossy = await read(['# tracer: nop', '#', '# entries-in-buffer/entries-written: 5/40   #P:1', '#', ...body], { leaves: ['down_read'] });
    expect(lossy.hints).toHaveLength(1);
    expect(lossy.hints[0]).toMatch(/; or, as this log lost records \(the ring buffer overwrote or dropped them\), the return was among those: with nmissed 0, it was$/);
  });
});
