import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { emptyStats, isGap, type TraceEvent, type TraceItem } from '../../../src/trace/event.js';
import { qstrName } from '../../../src/trace/ftrace/bytes.js';
import type { FtraceMapping, MapContext } from '../../../src/trace/ftrace/mapping-api.js';
import type { RawFtraceRecord, RawKind } from '../../../src/trace/ftrace/raw.js';
import { readFtrace } from '../../../src/trace/ftrace/read.js';

const DIR = new URL('../../../traces/ftrace/', import.meta.url);

async function* once(b: Buffer): AsyncGenerator<Buffer> { yield b; }

/** A hand-written mapping for the reference probe set (the bundled one is written in the spec language). */
function probeMapping(seen: { stacks: string[][]; lasts: (string | undefined)[] }): FtraceMapping {
  const PROBES = new Set(['dr', 'dr_ret', 'ur', 'dw', 'dw_ret', 'uw', 'lkslow', 'lkslow_ret', 'dap', 'dap_ret', 'sys_exit']);
  const offset = (ctx: MapContext): bigint => BigInt(ctx.params.i_rwsem_offset ?? '0xa0');
  return {
    wants: (name: string, kind: RawKind) => (kind === 'kprobe' || kind === 'kretprobe' || kind === 'syscall_exit') && PROBES.has(name),
    map(rec: RawFtraceRecord, ctx: MapContext): TraceEvent | TraceEvent[] | undefined {
      seen.stacks.push(ctx.stack(rec.pid).map((r) => r.name));
      seen.lasts.push(ctx.last(rec.pid)?.name);
      const ev = (e: string, args: TraceEvent['args'] = {}, extra: Partial<TraceEvent> = {}): TraceEvent => ({ seq: -1, pid: rec.pid, ev: e, args, ...extra });
      const dirOf = (sem: string): string => '0x' + (BigInt(sem) - offset(ctx)).toString(16);
      switch (rec.name) {
        case 'dr': ctx.task(rec.pid, () => ({ sems: [] as string[] })).sems.push(rec.args.sem!); return ev('acq_req', { lock: dirOf(rec.args.sem!), mode: 'R', kind: 'blocking' });
        case 'dr_ret':
        case 'dw_ret': {
          if (rec.entry === undefined) { ctx.report('KV304', 'down_read return without its call', rec); return undefined; }
          return ev('acq', { lock: dirOf(rec.entry.args.sem!), mode: 'R' });
        }
        case 'ur': return ev('rel', { lock: dirOf(rec.args.sem!), mode: 'R' });
        case 'lkslow': return ev('call', { dir: rec.args.dinode!, name: qstrName(rec.args.name!, rec.args.nlen) }, { fn: 'lookup_slow' });
        case 'lkslow_ret': return ev('ret', {}, { fn: 'lookup_slow', ret: rec.args.ret });
        case 'dap': return ev('call', { dir: rec.args.pinode!, name: qstrName(rec.args.name!, rec.args.nlen) }, { fn: 'd_alloc_parallel' });
        case 'dap_ret': return [ev('ret', { outcome: (Number(rec.args.dflags) & 0x10000000) !== 0 ? 'N' : 'H' }, { fn: 'd_alloc_parallel', ret: rec.args.ret })];
        case 'sys_exit': return ev('syscall_exit');
        default: return undefined;
      }
    },
    onGap: (gap) => ({ seq: -1, pid: gap.pid ?? -1, ev: 'note_gap', args: { reason: gap.reason } }),
    finish: () => ({ seq: -1, pid: 0, ev: 'end', args: {} }),
  };
}

async function run(file: string, mapping: FtraceMapping, batchSize?: number): Promise<{ batches: TraceItem[][]; stats: ReturnType<typeof emptyStats>; diags: Diagnostic[] }> {
  const stats = emptyStats();
  const diags: Diagnostic[] = [];
  const batches: TraceItem[][] = [];
  for await (const b of readFtrace(once(readFileSync(new URL(file, DIR))), mapping, { file, stats, batchSize, params: { i_rwsem_offset: '0xa0' }, onDiagnostic: (d) => diags.push(d) })) batches.push(b);
  return { batches, stats, diags };
}

describe('readFtrace', () => {
  it('maps the reference probe set to spec events with provenance, seq and SourceStats', async () => {
    const seen = { stacks: [] as string[][], lasts: [] as (string | undefined)[] };
    const { batches, stats, diags } = await run('kprobe-probeset.txt', probeMapping(seen));
    const items = batches.flat();
    expect(items.map((i) => (isGap(i) ? `gap ${i.reason}` : `${i.seq} ${i.ev} ${i.fn ?? ''} L${i.line} ${JSON.stringify(i.args)}`))).toEqual([
      '0 acq_req  L7 {"lock":"0xffff888004a3e000","mode":"R","kind":"blocking"}',
      '1 acq  L8 {"lock":"0xffff888004a3e000","mode":"R"}',
      '2 call lookup_slow L9 {"dir":"0xffff888004a3e000","name":"d"}',
      '3 call d_alloc_parallel L10 {"dir":"0xffff888004a3e000","name":"café"}',
      '4 ret d_alloc_parallel L11 {"outcome":"N"}',
      '5 ret lookup_slow L15 {}',
      '6 rel  L16 {"lock":"0xffff888004a3e000","mode":"R"}',
      '7 syscall_exit  L18 {}',
      '8 end  Lundefined {}',
    ]);
    const first = items[0] as TraceEvent;
    expect(first).toMatchObject({ pid: 2201, cpu: 0, comm: 'ls', file: 'kprobe-probeset.txt', ts: 200.0001 });
    // Open wanted calls, excluding the record itself: lkslow is open while dap maps; dap's return pops it.
    // `ur` has no return probe: it stays open until the syscall exit closes the task's kprobe entries.
    expect(seen.stacks).toEqual([[], [], [], ['lkslow'], ['lkslow'], [], [], ['ur'], []]);
    expect(seen.lasts).toEqual([undefined, 'dr', 'dr_ret', 'lkslow', 'dap', 'dap_ret', 'lkslow_ret', 'ur', 'dw_ret']);
    expect(diags.map((d) => `${d.code} ${d.severity} ${d.at!.line}`)).toEqual(['KV304 warning 17']);
    // `events` is left to the checker, which counts the events it accepts.
    expect(stats).toEqual({ lines: 18, records: 12, events: 0, malformed: 0, gaps: 0, unmapped: 4, skipped: 6 });
  });

  it('passes gaps through in order, after the mapping had its say', async () => {
    const { batches, stats } = await run('lost-events.txt', probeMapping({ stacks: [], lasts: [] }));
    const items = batches.flat();
    expect(items.map((i) => (isGap(i) ? `gap:${i.reason}:${i.cpu ?? '-'}:${i.seq}` : `${i.ev}:${i.seq}`))).toEqual([
      'note_gap:0', 'gap:overwritten history:-:1', 'note_gap:1', 'gap:buffer started:1:2', 'rel:2', 'note_gap:3', 'gap:lost events:1:4',
      'acq_req:4', 'note_gap:5', 'gap:line too big:-:6', 'note_gap:6', 'gap:buffer started:-:7', 'syscall_exit:7', 'end:8',
    ]);
    expect(stats).toMatchObject({ lines: 10, records: 3, events: 0, gaps: 5, unmapped: 0, skipped: 7 });
  });

  it('batches items by batchSize', async () => {
    const { batches } = await run('kprobe-probeset.txt', probeMapping({ stacks: [], lasts: [] }), 3);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 2, 1]);
  });
});

/**
 * function_graph without funcgraph-proc names a CPU's task only from its first `=>` marker on
 * (none before a CPU's first task). The records before were judged as one task, pid -1, for every
 * CPU: CPU 0's and CPU 1's first tasks, each taking a directory's rwsem shared, made one task that
 * asked for a lock it held (a false no_recursive_acq at line 9).
 */
const GRAPH_NO_PROC = [
  '# tracer: function_graph',
  '#',
  '# CPU  DURATION                  FUNCTION CALLS',
  '# |     |   |                     |   |   |   |',
  ' 0)               |  /* sys_exit: NR 4 = 0 */',
  ' 1)               |  /* sys_exit: NR 4 = 0 */',
  ' 0)               |  /* dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0 */',
  ' 0)               |  /* dr_ret: (walk_component+0xd1/0x150 <- down_read) */',
  ' 1)               |  /* dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0 */',
  ' 1)               |  /* dr_ret: (walk_component+0xd1/0x150 <- down_read) */',
  ' 0)               |  /* ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0 */',
  ' 1)               |  /* ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0 */',
  ' 0)               |  /* sys_exit: NR 4 = 0 */',
  ' ------------------------------------------',
  ' 0)   find-317    =>   stat-315  ',
  ' ------------------------------------------',
  '',
  ' 0)               |  /* sys_exit: NR 4 = 0 */',
  ' 0)               |  /* dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0 */',
  ' 0)               |  /* dr_ret: (walk_component+0xd1/0x150 <- down_read) */',
  ' 0)               |  /* dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0 */',
].join('\n') + '\n';

describe('records that name no task (function_graph without funcgraph-proc)', () => {
  it('are not judged, with a warning at the first; the tasks the markers name are', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kinv-read-')), 'graph-no-proc.txt');
    writeFileSync(path, GRAPH_NO_PROC);
    const diags: Diagnostic[] = [];
    const r = await checkTraceFile(path, new SpecSet([], {}), { onDiagnostic: (d) => diags.push(d) });
    expect(diags.filter((d) => d.code === 'KV337').map((d) => [d.at?.line, /^9 records name no task/.test(d.message)])).toEqual([[5, true]]);
    expect(r!.verdicts.filter((v) => v.kind === 'violation').map((v) => [v.invariant, v.event?.pid, v.event?.seq, v.event?.line])).toEqual([
      ['no_recursive_acq', 315, 3, 21],
    ]);
  });
});
