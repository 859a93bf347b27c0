import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { qstrName } from '../../../src/trace/ftrace/bytes.js';
import type { RawFtraceRecord, RawItem, RawKind } from '../../../src/trace/ftrace/raw.js';
import { emptyFtraceStats, readFtraceRecords, type FtraceReadStats } from '../../../src/trace/ftrace/records.js';

const DIR = new URL('../../../traces/ftrace/', import.meta.url);

async function* chunks(data: Buffer, cuts: number[] = []): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c > at && c < data.length) { yield data.subarray(at, c); at = c; }
  }
  if (at < data.length) yield data.subarray(at);
}

interface Read { items: RawItem[]; stats: FtraceReadStats; diags: Diagnostic[] }

async function read(data: Buffer | string, opts: { cuts?: number[]; wanted?: (n: string, k: RawKind) => boolean; window?: number; leaves?: string[] } = {}): Promise<Read> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const stats = emptyFtraceStats();
  const diags: Diagnostic[] = [];
  const items: RawItem[] = [];
  for await (const b of readFtraceRecords(chunks(buf, opts.cuts), { file: 'f', stats, wanted: opts.wanted, reorderWindowNs: opts.window, leafFunctions: opts.leaves, onDiagnostic: (d) => diags.push(d) })) items.push(...b);
  return { items, stats, diags };
}

function fixture(name: string): Promise<Read> {
  return read(readFileSync(new URL(name, DIR)));
}

/** One line per item: `L<line> <kind> <name> pid cpu` plus the pairing facts. */
function brief(it: RawItem): string {
  if (it.kind === 'gap') return `L${it.line} gap ${it.reason}${it.cpu === undefined ? '' : ` cpu=${it.cpu}`}${it.pid === undefined ? '' : ` pid=${it.pid}`}${it.lost === undefined ? '' : ` lost=${it.lost}`}`;
  const extra = [it.entryLost ? 'LOST' : '', it.entry ? `entry@${it.entry.line}` : '', it.retval !== undefined ? `ret=${it.retval}` : ''].filter((s) => s !== '').join(' ');
  return `L${it.line} ${it.kind} ${it.name} ${it.pid} ${it.cpu}${extra ? ' ' + extra : ''}`;
}

function records(items: RawItem[]): RawFtraceRecord[] {
  return items.filter((i): i is RawFtraceRecord => i.kind !== 'gap');
}

describe('fixtures: exact records and line numbers', () => {
  it('function.txt', async () => {
    const r = await fixture('function.txt');
    expect(r.items.map(brief)).toEqual([
      'L12 function sys_close 1977 0',
      // L18 (CPU 1, t=1477 s, another format's line) is older than CPU 1's records read before it:
      // it goes where its time puts it, between a gap of every task and another after CPU 1's
      // records it overtook (L14, L16); the merge then orders it first.
      'L18 gap time went backwards', 'L18 function simple_strtoul 4000 1',
      'L13 function ttwu_do_activate.constprop.89 0 2', 'L14 function xfs_vn_lookup 4410 1',
      'L15 function iwl_pcie_irq_handler 512 3', 'L16 function simple_strtoul 1447 1',
      'L18 gap time went backwards', 'L17 function d_alloc_parallel 88 2',
    ]);
    expect(r.stats).toMatchObject({ lines: 18, records: 7, skipped: 11, malformed: 0 });
  });

  it('graph-default.txt: pids from => markers, nesting per task, a return without its call', async () => {
    const r = await fixture('graph-default.txt');
    expect(r.items.map(brief)).toEqual([
      'L5 graph_exit walk_component -1 0 LOST',
      'L10 graph_entry walk_component 315 0', 'L11 graph_leaf lookup_fast 315 0', 'L12 graph_entry down_read 315 0', 'L13 graph_leaf __might_sleep 315 0',
      'L14 graph_exit down_read 315 0 entry@12', 'L15 graph_entry __lookup_slow 315 0', 'L16 graph_entry vfs_statx -1 1',
      'L17 graph_entry d_alloc_parallel 315 0', 'L18 graph_leaf getname_flags -1 1', 'L19 graph_exit d_alloc_parallel 315 0 entry@17',
      'L20 graph_entry xfs_vn_lookup 315 0', 'L21 comment  315 0', 'L22 graph_exit xfs_vn_lookup 315 0 entry@20', 'L23 graph_exit __lookup_slow 315 0 entry@15',
      'L24 graph_leaf up_read 315 0', 'L25 graph_exit walk_component 315 0 entry@10',
      // the marker names `<idle>-0` as prev: the unknown-task frames of CPU 1 (vfs_statx) go to the idle task, not to find-316.
      'L30 graph_exit  316 1 LOST',
    ]);
    expect(r.stats).toMatchObject({ lines: 30, records: 18, skipped: 12, malformed: 0, entryLost: 2 });
  });

  it('graph-proc.txt: pids from the proc column, comments as probe events', async () => {
    const r = await fixture('graph-proc.txt');
    expect(r.items.map(brief)).toEqual([
      'L5 graph_entry d_alloc_parallel 4802 0', 'L6 graph_leaf _raw_spin_lock 4802 0', 'L7 graph_entry d_alloc_parallel 4410 1',
      'L8 graph_exit d_alloc_parallel 4802 0 entry@5', 'L9 graph_leaf d_alloc 4410 1', 'L10 graph_exit d_alloc_parallel 4410 1 entry@7',
      'L11 kprobe unhash 0 1', 'L12 graph_leaf cpuidle_enter 0 0',
    ]);
    expect(records(r.items)[2]!.comm).toBe('Web Co');
  });

  it('graph-abstime.txt: a task migrates and its returns close the calls made on the other CPU', async () => {
    const r = await fixture('graph-abstime.txt');
    expect(r.items.map(brief)).toEqual([
      'L5 graph_entry __lookup_slow 315 0', 'L6 graph_entry d_alloc_parallel 315 0', 'L7 graph_entry schedule 315 0', 'L8 graph_leaf up_read 316 1',
      'L9 graph_exit schedule 315 1 entry@7', 'L10 graph_exit d_alloc_parallel 315 1 entry@6', 'L11 graph_exit __lookup_slow 315 1 entry@5', 'L12 graph_leaf down_read 316 0',
    ]);
    expect(records(r.items).map((x) => x.tsNsec)).toEqual([774520000, 774522000, 774525000, 774530000, 774600000, 774610000, 774620000, 774640000]);
  });

  it('graph-retval.txt: both return-value forms', async () => {
    const r = await fixture('graph-retval.txt');
    expect(r.items.map(brief)).toEqual([
      'L9 graph_entry d_add_ci 315 1', 'L10 graph_leaf d_hash_and_lookup 315 1 ret=0x0', 'L11 graph_entry d_alloc_parallel 315 1',
      'L12 graph_leaf d_alloc 315 1 ret=0xffff888005100c00', 'L13 graph_exit d_alloc_parallel 315 1 entry@11 ret=-11', 'L14 graph_leaf xfs_foo 315 1 ret=-22',
      'L15 graph_exit d_add_ci 315 1 entry@9 ret=0xffff888005100d80', 'L16 graph_leaf iput 315 1 ret=0x0',
    ]);
  });

  it('graph-tail.txt: tail names, a tail whose call is not in the buffer, an outer tail skipping an inner call', async () => {
    const r = await fixture('graph-tail.txt');
    expect(r.items.map(brief)).toEqual([
      'L9 graph_entry walk_component 315 2', 'L10 graph_entry __lookup_slow 315 2', 'L11 graph_entry d_alloc_parallel 315 2',
      'L12 graph_exit d_alloc_parallel 315 2 entry@11', 'L13 graph_exit __lookup_slow 315 2 entry@10', 'L14 graph_exit walk_component 315 2 entry@9',
      'L15 graph_exit __switch_to 315 2 LOST', 'L16 graph_entry lookup_fast 315 2', 'L17 graph_entry __d_lookup_rcu 315 2', 'L18 graph_exit lookup_fast 315 2 entry@16',
    ]);
    expect(r.stats).toMatchObject({ entryLost: 1, unreturned: 1 });
  });

  it('events-lock.txt and events-tgid.txt', async () => {
    const r = await fixture('events-lock.txt');
    expect(r.items.map(brief)).toEqual([
      'L13 event lock_acquire 315 0', 'L14 event lock_acquire 315 0', 'L15 event lock_acquire 315 0', 'L16 event contention_begin 315 0',
      'L17 event contention_end 315 0', 'L18 event lock_release 315 0', 'L19 event sched_switch 4410 1', 'L20 event sched_switch 0 1', 'L21 event sched_process_exit 315 0',
    ]);
    expect(records(r.items).map((x) => `${x.args.try}${x.args.read}`).slice(0, 3)).toEqual(['01', '11', '10']);
    expect(records(r.items)[6]!.args).toMatchObject({ prev_comm: 'Web Content', prev_state: 'D|K', next_pid: '0' });
    const t = await fixture('events-tgid.txt');
    expect(records(t.items).map((x) => [x.pid, x.tgid, x.comm])).toEqual([[1977, 1977, 'bash'], [14, undefined, 'kworker/0:1']]);
  });

  it('kprobe-probeset.txt: the reference probe set, returns tied to their entries', async () => {
    const r = await fixture('kprobe-probeset.txt');
    expect(r.items.map(brief)).toEqual([
      'L7 kprobe dr 2201 0', 'L8 kretprobe dr_ret 2201 0 entry@7', 'L9 kprobe lkslow 2201 0', 'L10 kprobe dap 2201 0', 'L11 kretprobe dap_ret 2201 0 entry@10',
      'L12 kprobe fs_lookup_xfs 2201 0', 'L13 kretprobe fs_lookup_xfs_ret 2201 0 entry@12', 'L14 kprobe unhash 2201 0', 'L15 kretprobe lkslow_ret 2201 0 entry@9',
      'L16 kprobe ur 2201 0', 'L17 kretprobe dw_ret 2201 0 LOST', 'L18 syscall_exit sys_exit 2201 0 ret=-2',
    ]);
    const [dr, drRet, lk, dap] = records(r.items);
    expect(BigInt(dr!.args.sem!) - BigInt(lk!.args.dinode!)).toBe(0xa0n);
    expect(drRet!.entry!.args.sem).toBe('0xffff888004a3e0a0');
    expect(qstrName(lk!.args.name!, lk!.args.nlen)).toBe('d');
    // A non-UTF-8 byte survives byte-exact and is shown as latin1.
    expect(Buffer.from(dap!.args.name!, 'latin1')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(qstrName(dap!.args.name!, dap!.args.nlen)).toBe('caf\u00e9');
    expect(records(r.items)[5]!.args.dname).toBe('a b');
    expect(records(r.items)[7]!.args.dname).toBe('(fault)');
  });

  it('trace-pipe.txt: no header, out-of-order CPUs merged, a lost-events gap in its CPU order', async () => {
    const r = await fixture('trace-pipe.txt');
    expect(r.items.map(brief)).toEqual([
      'L2 kprobe dw 316 0', 'L1 kprobe dr 315 1', 'L3 kretprobe dr_ret 315 1 entry@1', 'L4 gap lost events cpu=0 lost=42',
      'L5 kprobe uw 316 0', 'L7 kprobe ur 315 1', 'L6 syscall_exit sys_exit 316 0 ret=0',
    ]);
    const unordered = await read(readFileSync(new URL('trace-pipe.txt', DIR)), { window: 0 });
    expect(unordered.items.map((i) => i.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('trace-cmd-report.txt: report header, padded names, TAB, 0x pointers, ns timestamps', async () => {
    const r = await fixture('trace-cmd-report.txt');
    expect(r.items.map(brief)).toEqual([
      'L4 event lock_release 16129 2', 'L5 event sched_switch 11630 1', 'L6 event cpu_idle 0 1', 'L7 function d_alloc_parallel 2201 0',
      'L8 kprobe dr 2201 0', 'L9 syscall_exit sys_exit 2201 0 ret=0',
    ]);
    expect(records(r.items)[5]!.tsNsec).toBe(498460123);
    expect(r.stats).toMatchObject({ lines: 9, skipped: 3, malformed: 0 });
    expect(r.diags).toEqual([]);
  });

  it('latency.txt: latency header, relative microseconds, printk prefix', async () => {
    const r = await fixture('latency.txt');
    expect(r.items.map(brief)).toEqual([
      'L12 function _raw_spin_lock_irq 0 0', 'L13 function delay_tsc 2042 3', 'L15 function __schedule 59 3', 'L16 function trace_hardirqs_on 2042 3', 'L14 event lock_acquire 67423 10',
    ]);
    expect(records(r.items).map((x) => x.tsClock)).toEqual(['relative', 'relative', 'relative', 'relative', 'relative']);
  });

  it('lost-events.txt: every kind of gap, with its CPU', async () => {
    const r = await fixture('lost-events.txt');
    expect(r.items.map(brief)).toEqual([
      'L3 gap overwritten history lost=100', 'L5 gap buffer started cpu=1', 'L6 kprobe ur 315 1', 'L7 gap lost events cpu=1', 'L8 kprobe dr 315 1',
      // CPU 0's oldest event comes after CPU 1's, in an overwritten buffer: every task unknown again.
      'L9 gap line too big lost=1', 'L10 gap buffer started', 'L10 syscall_exit sys_exit 316 0 ret=0',
    ]);
    expect(r.stats).toMatchObject({ lines: 10, records: 3, skipped: 7, malformed: 0, gaps: 5 });
  });

  it('binary-garbage.txt: binary lines, prose and a cut last line are diagnosed with file:line:col, each a gap of every task', async () => {
    const r = await fixture('binary-garbage.txt');
    expect(r.items.map(brief)).toEqual(['L2 kprobe dr 315 1', 'L3 gap malformed record lost=1', 'L4 gap malformed record lost=1', 'L5 gap malformed record lost=1', 'L6 kprobe ur 315 1', 'L7 gap truncated record cpu=1 pid=315 lost=1']);
    expect(r.diags.map((d) => `${d.code} ${d.at!.source}:${d.at!.line}:${d.at!.column}`)).toEqual(['KV306 f:3:1', 'KV306 f:4:1', 'KV310 f:5:1', 'KV305 f:7:39']);
    expect(r.stats).toMatchObject({ lines: 7, records: 2, skipped: 1, malformed: 4 });
  });
});

describe('reader behaviour', () => {
  // ftrace ends every line it prints with a newline: a last line without one was cut, maybe inside
  // its record's last value, which would then name another object.
  const report = readFileSync(new URL('trace-cmd-report.txt', DIR), 'latin1');
  it.each([
    ['inside a value', report.indexOf('sem=0xffff888004a3e0a0') + 'sem=0xffff8880'.length],
    ['after a whole record', report.indexOf('\n', report.indexOf('sem=0xffff888004a3e0a0'))],
  ])('a last line without its newline, cut %s, is diagnosed and its record not read', async (_, at) => {
    const r = await read(report.slice(0, at));
    expect(r.items.map(brief).slice(-2)).toEqual(['L7 function d_alloc_parallel 2201 0', 'L8 gap truncated record cpu=0 pid=2201 lost=1']);
    expect(r.diags.map((d) => `${d.code} ${d.at!.line}:${d.at!.column}`)).toEqual([`KV305 8:${at - report.lastIndexOf('\n', at - 1)}`]);
    expect(r.stats).toMatchObject({ lines: 8, malformed: 1 });
  });

  it('a qstr name printed past its end with `"` bytes of its own is read up to the quote before the next key (traces/kernel-programs/6.1-wild:175963)', async () => {
    // d_add_ci's exact-case name is not NUL-terminated: the :string fetch ran on over 1,000 bytes
    // of the dentry's neighbours, 12 of them `"`, before `" nlen=8`
    const { gunzipSync } = await import('node:zlib');
    const line = gunzipSync(readFileSync(new URL('../kernel-programs/6.1-wild/trace.gz', DIR))).toString('latin1').split('\n')[175962]!;
    expect(line).toMatch(/^ +mv-1490 +\[001\] \.{5} +177519: daddci: \(d_add_ci\+0x0\/0x120\) dentry=0xff14e3f10363d540 .* name="mixed1\.x/);
    expect(line.charCodeAt(line.indexOf(' name="mixed1.x') + 15)).toBe(0x11);
    expect(line.split('"').length - 1).toBe(14);
    const r = await read(line + '\n');
    expect(r.diags).toEqual([]);
    const [rec] = records(r.items);
    expect([rec!.kind, rec!.name, rec!.pid, rec!.args.nlen, rec!.args.inode, qstrName(rec!.args.name!, rec!.args.nlen)]).toEqual(['kprobe', 'daddci', 1490, '8', '0xff14e3f10372dd38', 'mixed1.x']);
    expect(rec!.args.name!.length).toBe(line.length - (line.indexOf(' name="') + 7) - '" nlen=8'.length);
    // a control byte outside every value (after the last one) is damage still
    const damaged = await read(line + '\x01\n');
    expect(damaged.diags.map((d) => d.code)).toEqual(['KV306']);
    expect(records(damaged.items)).toEqual([]);
  });

  it('a block of NULs that swallowed records, ending inside a quoted value, is damage: NUL is never a string\'s own byte', async () => {
    // (a :string fetch stops at NUL: only a file's lost block puts NULs there)
    const head = '            stat-315     [001] .....   100.000191: fs_lookup_xfsci: (xfs_vn_ci_lookup+0x0/0xd0 [xfs]) dir=0xffff888004a1c000 '
      + 'dentry=0xffff888005d0f9c0 flags=0x0 dname="foo"';
    const swallowed = head + '\0'.repeat(1000) + 'foo" dflags=0x10000008';
    const r = await read(swallowed + '\n');
    expect(r.diags.map((d) => `${d.code} ${d.at!.line}:${d.at!.column}`)).toEqual([`KV306 1:${head.length + 1}`]);
    expect(records(r.items)).toEqual([]);
    // the same bytes but a control byte other than NUL inside the value: read as the value it is
    const overrun = await read(head + '\x11'.repeat(3) + 'foo" dflags=0x10000008\n');
    expect(overrun.diags).toEqual([]);
    expect(records(overrun.items).map((x) => x.args.dflags)).toEqual(['0x10000008']);
  });

  it('counts unwanted records without building them, and still pairs their calls', async () => {
    const data = readFileSync(new URL('graph-default.txt', DIR));
    const r = await read(data, { wanted: (n, k) => n === 'd_alloc_parallel' || (n === 'walk_component' && k === 'graph_exit') });
    expect(r.items.map(brief)).toEqual(['L5 graph_exit walk_component -1 0 LOST', 'L17 graph_entry d_alloc_parallel 315 0', 'L19 graph_exit d_alloc_parallel 315 0 entry@17', 'L25 graph_exit walk_component 315 0']);
    expect(r.stats).toMatchObject({ records: 18, wanted: 4 });
  });

  it('after lost events on a CPU, the returns of its tasks no longer pair with older calls', async () => {
    const text = ' 0)               |  f() {\nCPU:0 [LOST 3 EVENTS]\n 0)   1.0 us    |  }\n';
    const r = await read(text);
    expect(r.items.map(brief)).toEqual(['L1 graph_entry f -1 0', 'L2 gap lost events cpu=0 lost=3', 'L3 graph_exit  -1 0 LOST']);
  });

  it('reports an over-long line once and goes on, every task unknown from it (it may have been any task\'s record)', async () => {
    const stats = emptyFtraceStats();
    const diags: Diagnostic[] = [];
    const long = 'x'.repeat(3000);
    const items: RawItem[] = [];
    for await (const b of readFtraceRecords(chunks(Buffer.from(`${long}\na-1 [000] .... 1.000001: f <-g\n${long}`), [1000, 2000, 3500]), { file: 'f', stats, maxLineBytes: 1024, onDiagnostic: (d) => diags.push(d) })) items.push(...b);
    expect(items.map(brief)).toEqual(['L1 gap line too big lost=1', 'L2 function f 1 0', 'L3 gap line too big lost=1']);
    expect(stats).toMatchObject({ lines: 3, records: 1, malformed: 2, gaps: 2 });
    expect(diags.map((d) => `${d.code}:${d.at!.line}`)).toEqual(['KV301:1', 'KV301:3']);
  });

  it('caps diagnostics and summarises the rest', async () => {
    const stats = emptyFtraceStats();
    const diags: Diagnostic[] = [];
    for await (const _ of readFtraceRecords(chunks(Buffer.from('junk\n'.repeat(5))), { file: 'f', stats, maxDiagnostics: 2, onDiagnostic: (d) => diags.push(d) })) void _;
    expect(diags.map((d) => `${d.code}:${d.severity}:${d.at!.line}`)).toEqual(['KV310:error:1', 'KV310:error:2', 'KV301:warning:5']);
    expect(stats.malformed).toBe(5);
  });

  it('reads CRLF line ends and string chunks', async () => {
    const stats = emptyFtraceStats();
    const items: RawItem[] = [];
    async function* strs(): AsyncGenerator<string> { yield 'a-1 [000] .... 1.000001: f <-g\r\n b-2 [001]'; yield ' .... 1.000002: h <-i\r\n'; }
    for await (const b of readFtraceRecords(strs(), { file: 'f', stats })) items.push(...b);
    expect(items.map(brief)).toEqual(['L1 function f 1 0', 'L2 function h 2 1']);
    expect(records(items)[1]!.args.parent).toBe('i');
  });
});

// --- properties -------------------------------------------------------------------------------

const GOOD = [
  '            bash-1977  [000] ....  17284.993652: sys_close <-system_call_fastpath',
  '              ls-2201    [000] .....   200.000100: dr: (down_read+0x0/0x50) sem=0xffff888004a3e0a0',
  '              ls-2201    [001] .....   200.000110: dr_ret: (walk_component+0xcc/0x150 <- down_read)',
  ' 0)               |  walk_component() {', ' 0)   0.518 us    |    lookup_fast();', ' 0) ! 150.112 us  |  }',
  ' 1)  <idle>-0    =>    ash-315', ' ------------------------------------------', '', '# tracer: function_graph',
  'CPU:1 [LOST 3 EVENTS]', '##### CPU 0 buffer started ####', '[LINE TOO BIG]',
  '360.774528 |   1)    ash-315    |   1.000 us    |    unlock_buffer();',
];
const BAD = ['hello world', '\x00\x01\x02', 'a-1 [000] .... x: f', ' 0)   1.0 us  |  (', '\xff\xfe garbage \xe9'];
const lineArb = fc.oneof(fc.constantFrom(...GOOD), fc.constantFrom(...BAD), fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')));

function newlines(buf: Buffer): number {
  let n = 0;
  for (const b of buf) if (b === 10) n++;
  return n;
}

describe('records continued over lines', () => {
  // A kprobe `:string` fetch of a qstr name is not NUL-terminated: it reads on into whatever
  // follows, and a newline byte there splits the record (seen in real 6.1 captures).
  const head = '          lkwork-192     [001] .....    13.378539: daddci: (d_add_ci+0x0/0x2d0) dentry=0xff1 name="Abc0\x87\x1a';
  it('joins the line(s) that finish an open quoted value to the record', async () => {
    const r = await read(`${head}\n" nlen=4\n          lkwork-192     [001] .....    13.378555: daddci_ret: (xfs_vn_ci_lookup+0xf3/0x130 <- d_add_ci) ret=0xff2\n`);
    expect(r.items.map(brief)).toEqual(['L1 kprobe daddci 192 1', 'L3 kretprobe daddci_ret 192 1 entry@1']);
    expect(records(r.items)[0]!.args).toEqual({ dentry: '0xff1', name: 'Abc0\x87\x1a\n', nlen: '4' });
    expect(r.stats).toMatchObject({ lines: 3, records: 2, continued: 1, malformed: 0 });
    expect(r.diags).toEqual([]);
  });

  it('joins over blank lines (a value holding several newlines) and across chunk boundaries', async () => {
    const text = `${head}\n\n\nx" nlen=4\n`;
    const whole = await read(text);
    expect(records(whole.items)[0]!.args.name).toBe('Abc0\x87\x1a\n\n\nx');
    expect(whole.stats).toMatchObject({ lines: 4, records: 1, continued: 3, skipped: 0 });
    const split = await read(text, { cuts: [head.length - 3, head.length + 1, head.length + 2] });
    expect(split.items.map(brief)).toEqual(whole.items.map(brief));
  });

  it('joins a continuation that looks like a header', async () => {
    const r = await read(`${head}\n# tracer: nop" nlen=4\n`);
    expect(records(r.items)[0]!.args).toMatchObject({ name: 'Abc0\x87\x1a\n# tracer: nop', nlen: '4' });
    expect(r.stats).toMatchObject({ lines: 2, records: 1, continued: 1, skipped: 0 });
  });

  it('joins a continuation that looks like a stack line (` => fn`: one only after a `<stack trace>` record)', async () => {
    const r = await read(`${head}\n => cd" nlen=4\n          lkwork-192     [001] .....    13.378555: <stack trace>\n => d_add_ci\n`);
    expect(r.items.map(brief)).toEqual(['L1 kprobe daddci 192 1', 'L3 event <stack trace> 192 1']);
    expect(records(r.items)[0]!.args).toEqual({ dentry: '0xff1', name: 'Abc0\x87\x1a\n => cd', nlen: '4' });
    expect(r.stats).toMatchObject({ lines: 4, records: 2, continued: 1, skipped: 1, malformed: 0 });
  });

  it('keeps an open value as printed when the next line is a record of its own', async () => {
    const r = await read(`${head}\n          lkwork-192     [001] .....    13.378555: daddci_ret: (xfs_vn_ci_lookup+0xf3/0x130 <- d_add_ci) ret=0xff2\n`);
    expect(r.items.map(brief)).toEqual(['L1 kprobe daddci 192 1', 'L2 kretprobe daddci_ret 192 1 entry@1']);
    expect(records(r.items)[0]!.args.name).toBe('Abc0\x87\x1a');
    expect(r.stats).toMatchObject({ lines: 2, records: 2, continued: 0 });
  });
});

describe('timestamp ties across CPUs', () => {
  const line = (pid: number, cpu: number, ts: string, sem: string) => `          lkwork-${pid}     [00${cpu}] .....    ${ts}: ur: (up_read+0x0/0x20) sem=${sem}`;
  it('warns once, at the first tie, that the order across CPUs within a tie is the log\'s', async () => {
    const r = await read([line(1, 0, '13.987058', '0x1'), line(2, 1, '13.987058', '0x2'), line(1, 0, '13.987058', '0x3'), line(2, 1, '13.987060', '0x4')].join('\n') + '\n');
    expect(r.diags.map((d) => [d.code, d.severity, d.at?.line])).toEqual([['KV311', 'warning', 2]]);
    expect(r.diags[0]!.message).toMatch(/^2 records share a timestamp with the record before, from another CPU \(first at line 2\)/);
  });
  it('does not warn for a counter clock, whose values never tie', async () => {
    const r = await read([line(1, 0, '100', '0x1'), line(2, 1, '101', '0x2')].join('\n') + '\n');
    expect(r.diags).toEqual([]);
  });
});

describe('kretprobe returns missing from the log', () => {
  // Task 7's down_read return was missed (the kretprobe had no free instance): its next record is
  // __lookup_slow's entry. Task 8's down_read returned normally.
  const log = [
    '  lkwork-7 [000] ..... 10: dr: (down_read+0x0/0xa0) sem=0xa0',
    '  lkwork-8 [001] ..... 11: dr: (down_read+0x0/0xa0) sem=0xa0',
    '  lkwork-8 [001] ..... 12: dr_ret: (walk_component+0xcc/0x150 <- down_read)',
    '  lkwork-7 [000] ..... 13: lkslow: (__lookup_slow+0x0/0x130) name="a" nlen=1 dir=0x1 dinode=0x0 flags=0x1',
    '  lkwork-7 [000] ..... 14: lkslow_ret: (walk_component+0xdb/0x150 <- __lookup_slow) ret=0x2',
  ].join('\n') + '\n';

  it('puts a leaf function\'s missing return back just before the task\'s next record, and warns', async () => {
    const r = await read(log, { leaves: ['down_read'] });
    expect(r.items.map(brief)).toEqual([
      'L1 kprobe dr 7 0', 'L2 kprobe dr 8 1', 'L3 kretprobe dr_ret 8 1 entry@2', 'L4 kretprobe dr_ret 7 0 entry@1',
      'L4 kprobe lkslow 7 0', 'L5 kretprobe lkslow_ret 7 0 entry@4',
    ]);
    const putBack = records(r.items)[3]!;
    expect([putBack.returnMissed, putBack.tsSec, putBack.tsNsec, putBack.entry?.args.sem]).toEqual([true, 0, 13, '0xa0']);
    expect(r.stats.returnsMissed).toBe(1);
    expect(r.diags.map((d) => [d.code, d.severity])).toEqual([['KV312', 'warning']]);
    expect(r.diags[0]!.message).toMatch(/^1 kretprobe return is missing from the log \(1 of down_read\)/);
  });

  it('makes the task unknown (a gap) when the first missing return comes before any return names its event', async () => {
    const early = [
      '  lkwork-7 [000] ..... 10: dr: (down_read+0x0/0xa0) sem=0xa0',
      '  lkwork-7 [000] ..... 11: lkslow: (__lookup_slow+0x0/0x130) name="a" nlen=1 dir=0x1 dinode=0x0 flags=0x1',
      '  lkwork-8 [001] ..... 12: dr: (down_read+0x0/0xa0) sem=0xa0',
      '  lkwork-8 [001] ..... 13: dr_ret: (walk_component+0xcc/0x150 <- down_read)',
    ].join('\n') + '\n';
    const r = await read(early, { leaves: ['down_read'] });
    expect(r.items.map(brief)).toEqual(['L1 kprobe dr 7 0', 'L2 gap return missing pid=7 lost=1', 'L2 kprobe lkslow 7 0', 'L3 kprobe dr 8 1', 'L4 kretprobe dr_ret 8 1 entry@3']);
    expect(r.diags[0]!.message).toMatch(/; 1 came before any return of their function or have a return value that decides whether the lock was taken, so their tasks' state is unknown from there \(gaps\) — no return of down_read was seen before \(1 of down_read\)/);
  });

  it('is not fooled by what is logged from inside the leaf: its graph line, lock events, its sched_switch', async () => {
    const inside = [
      '  lkwork-7 [000] ..... 10: dr: (down_read+0x0/0xa0) sem=0xa0',
      '  lkwork-7 [000] ..... 11: lock_acquire: 0xa0 read &type->i_mutex_dir_key',
      '  lkwork-7 [000] d.... 12: sched_switch: prev_comm=lkwork prev_pid=7 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120',
      '  lkwork-7 [000] ..... 13: dr_ret: (walk_component+0xcc/0x150 <- down_read)',
      '  lkwork-7 [000] ..... 14: lkslow: (__lookup_slow+0x0/0x130) name="a" nlen=1 dir=0x1 dinode=0x0 flags=0x1',
    ].join('\n') + '\n';
    const r = await read(inside, { leaves: ['down_read'] });
    expect(records(r.items).filter((x) => x.kind === 'kretprobe').map((x) => [x.line, x.returnMissed])).toEqual([[4, false]]);
    expect([r.stats.returnsMissed, r.diags]).toEqual([0, []]);
  });

  it('leaves calls of other functions open: a function that returned at once before may nest', async () => {
    const r = await read(log);
    expect(r.items.map(brief)).toEqual(['L1 kprobe dr 7 0', 'L2 kprobe dr 8 1', 'L3 kretprobe dr_ret 8 1 entry@2', 'L4 kprobe lkslow 7 0', 'L5 kretprobe lkslow_ret 7 0 entry@4']);
    expect([r.stats.returnsMissed, r.diags]).toEqual([0, []]);
  });
});

describe('properties', () => {
  test.prop([fc.array(lineArb, { maxLength: 40 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 })])(
    'never throws and accounts for every line: lines = records + skipped + malformed + continued', async (ls, cutLast, cutsRaw) => {
      let text = ls.join('\n') + (ls.length > 0 ? '\n' : '');
      if (cutLast && text.length > 3) text = text.slice(0, text.length - 2);
      const buf = Buffer.from(text, 'latin1');
      const r = await read(buf, { cuts: cutsRaw.map((c) => c % (buf.length + 1)) });
      const expectedLines = newlines(buf) + (buf.length > 0 && buf[buf.length - 1] !== 10 ? 1 : 0);
      expect(r.stats.lines).toBe(expectedLines);
      expect(r.stats.records + r.stats.skipped + r.stats.malformed + r.stats.continued).toBe(r.stats.lines);
      expect(records(r.items).length).toBe(r.stats.records);
      expect(r.diags.length).toBeGreaterThanOrEqual(Math.min(r.stats.malformed, 100));
    });

  test.prop([fc.array(lineArb, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 8 })])('chunk boundaries do not change the result', async (ls, cutsRaw) => {
    const buf = Buffer.from(ls.join('\n') + '\n', 'latin1');
    const whole = await read(buf);
    const split = await read(buf, { cuts: cutsRaw.map((c) => c % (buf.length + 1)) });
    expect(split.items.map(brief)).toEqual(whole.items.map(brief));
    expect(split.stats).toEqual(whole.stats);
  });

  test.prop([fc.uint8Array({ maxLength: 2000 })])('arbitrary bytes never throw and are all accounted', async (bytes) => {
    const r = await read(Buffer.from(bytes));
    expect(r.stats.records + r.stats.skipped + r.stats.malformed + r.stats.continued).toBe(r.stats.lines);
  });
});

describe('overwritten ring buffers', () => {
  const body = (header: string) => `# tracer: nop
#
# entries-in-buffer/entries-written: ${header}   #P:2
#
        find-300 [000] ..... 100.000001: dr: (down_read+0x0/0x50) sem=0xffff888004a100a0
        find-301 [001] ..... 100.000002: ur: (up_read+0x0/0x40) sem=0xffff888004a110a0
        find-300 [000] ..... 100.000003: ur: (up_read+0x0/0x40) sem=0xffff888004a100a0
`;
  const items = async (text: string) => {
    const out: string[] = [];
    async function* one(): AsyncGenerator<string> { yield text; }
    for await (const batch of readFtraceRecords(one(), { file: 't', wanted: () => true, onDiagnostic: () => {} })) {
      for (const it of batch) out.push(it.kind === 'gap' ? `gap ${it.reason} line ${it.line}` : `${it.name} line ${it.line}`);
    }
    return out;
  };
  it('a CPU whose oldest event comes later makes every task unknown at that point', async () => {
    expect(await items(body('3/40'))).toEqual(['gap overwritten history line 3', 'dr line 5', 'gap buffer started line 6', 'ur line 6', 'ur line 7']);
  });
  it('no such gap when nothing was overwritten', async () => {
    expect(await items(body('3/3'))).toEqual(['dr line 5', 'ur line 6', 'ur line 7']);
  });
  const said = async (text: string, overwrittenUntil?: number) => {
    const diags: Diagnostic[] = [];
    async function* one(): AsyncGenerator<string> { yield text; }
    for await (const batch of readFtraceRecords(one(), { file: 't', wanted: () => true, onDiagnostic: (d) => diags.push(d), overwrittenUntil })) void batch;
    return diags.map((d) => [d.code, d.severity, d.at?.line, d.message.match(/overwrote (\d+) events/)?.[1], d.message.match(/until line (\d+)/)?.[1]]);
  };
  it('a warning says how many events the buffer overwrote, at the header, and from which line every CPU\'s history is whole', async () => {
    expect(await said(body('3/40'), 6)).toEqual([['KV322', 'warning', 3, '37', '6']]);
    // (without the line: one CPU's log, or no look ahead)
    expect(await said(body('3/40'))).toEqual([['KV322', 'warning', 3, '37', undefined]]);
    expect(await said(body('3/3'))).toEqual([]);
  });
});
