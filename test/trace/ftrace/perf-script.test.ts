/**
 * `perf script` text (traces/ftrace/perf/, README there): real perf 6.1 output of tracepoints with
 * the default fields, `-F` field lists and callchains, and the reference probe records laid out as
 * perf prints them, each read to its exact records; and the whole capture in that layout judged as
 * its tracefs text is.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../../src/checker/file.js';
import { SpecSet } from '../../../src/checker/spec-set.js';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import type { RawFtraceRecord, RawItem } from '../../../src/trace/ftrace/raw.js';
import { readFtraceRecords } from '../../../src/trace/ftrace/records.js';
import { parseKallsyms, ProbeSites } from '../../../src/trace/ftrace/sites.js';
import { sniffFormat } from '../../../src/trace/sniff.js';
import { perfScriptOf } from '../../helpers/perf-layout.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = 'traces/ftrace/perf';
const syms = parseKallsyms(readFileSync('traces/ftrace/trace-cmd/extract.functions.txt', 'latin1'));
const sites = new ProbeSites(undefined, syms.kind === 'symbols' ? syms.symbols : undefined);

async function read(file: string, probeSites?: ProbeSites): Promise<{ items: RawItem[]; diags: Diagnostic[]; skipped: number }> {
  const items: RawItem[] = [];
  const diags: Diagnostic[] = [];
  const text = readFileSync(`${DIR}/${file}`, 'latin1');
  async function* one(): AsyncGenerator<string> { yield text; }
  const stats = { bytes: 0, lines: 0, records: 0, wanted: 0, skipped: 0, malformed: 0, continued: 0, gaps: 0, entryLost: 0, unreturned: 0, returnsMissed: 0 };
  for await (const b of readFtraceRecords(one(), { file, stats, probeSites, onDiagnostic: (d) => diags.push(d) })) items.push(...b);
  return { items, diags, skipped: stats.skipped };
}

const recs = (items: RawItem[]): RawFtraceRecord[] => items.filter((i): i is RawFtraceRecord => i.kind !== 'gap');
const brief = (r: RawFtraceRecord) => ({ kind: r.kind, name: r.name, pid: r.pid, tgid: r.tgid, comm: r.comm, cpu: r.cpu, ts: r.tsRaw, args: r.args, retval: r.retval });

describe('perf script tracepoint layouts (real perf 6.1 output)', () => {
  const first = { kind: 'event', name: 'sched_process_exec', pid: 16001, tgid: undefined, comm: 'ls', cpu: 0, ts: '10976.103421', args: { filename: '/usr/bin/ls', pid: '16001', old_pid: '16001' }, retval: undefined };
  const exit = { kind: 'syscall_exit', name: 'sys_exit', pid: 16001, tgid: undefined, comm: 'ls', cpu: 0, ts: '10976.103424', args: { nr: '59', ret: '0' }, retval: '0' };
  const last = { kind: 'event', name: 'sched_process_exit', pid: 16001, tgid: undefined, comm: 'ls', cpu: 0, ts: '10976.115519', args: { comm: 'ls', pid: '16001', prio: '120', group_dead: 'true' }, retval: undefined };

  it('default fields: `comm tid [cpu] time: sys:event: trace`, the event named without its system', async () => {
    const r = await read('syscalls.txt');
    expect(r.diags).toEqual([]);
    const all = recs(r.items).map(brief);
    expect(all).toHaveLength(12);
    expect(all[0]).toEqual(first);
    expect(all[1]).toEqual(exit);
    expect(all.at(-1)).toEqual(last);
  });

  it('-F comm,pid,tid,cpu,time,event,ip,sym,dso,symoff,trace: pid/tid, and the ip and symbol after the trace left out', async () => {
    const r = await read('syscalls-fields.txt');
    expect(r.diags).toEqual([]);
    const all = recs(r.items).map(brief);
    expect(all[1]).toEqual({ ...exit, tgid: 16001 });
    expect(all.at(-1)).toEqual({ ...last, tgid: 16001 });
    expect(all.map((x) => ({ ...x, tgid: undefined }))).toEqual(recs((await read('syscalls.txt')).items).map(brief));
  });

  it('-F comm,tid,cpu,time,event,ip,sym,trace and -F tid,cpu,time,event,trace give the same records (no comm in the second)', async () => {
    const base = recs((await read('syscalls.txt')).items).map(brief);
    expect(recs((await read('syscalls-ip-sym.txt')).items).map(brief)).toEqual(base);
    expect(recs((await read('syscalls-tid-only.txt')).items).map(brief)).toEqual(base.map((x) => ({ ...x, comm: '' })));
  });

  it('callchains (-g): the TAB-indented frames and the blank line after each sample are skipped, not malformed', async () => {
    const r = await read('syscalls-callchain.txt');
    expect(r.diags).toEqual([]);
    expect(recs(r.items).map((x) => `${x.name} ${x.pid} ${x.args.nr}`)).toEqual(['sys_exit 16391 59', 'sys_exit 16391 12', 'sys_exit 16391 3']);
    expect(r.skipped).toBe(17);
  });

  it('is sniffed as trace text', () => {
    for (const f of ['syscalls.txt', 'syscalls-fields.txt', 'syscalls-tid-only.txt', 'syscalls-callchain.txt', 'probes-from-report.txt']) {
      expect(sniffFormat(readFileSync(`${DIR}/${f}`)), f).toBe('ftrace');
    }
  });
});

describe('perf script probe records', () => {
  it('`kprobes:lkslow: (addr) args` and `kprobes:dap_ret: (addr <- site)` read as trace-cmd report reads them', async () => {
    const r = await read('probes-from-report.txt', sites);
    expect(r.diags).toEqual([]);
    const all = recs(r.items);
    expect(all.find((x) => x.line === 20)).toMatchObject({
      kind: 'kprobe', name: 'lkslow', probedSym: '__lookup_slow', site: 'ffffffffa515b8d0', pid: 423, comm: 'lkwork', cpu: 0, tsRaw: '43.000000',
      args: { name: '423', nlen: '3', dir: '0xff3d828e825570c0', dinode: '0xff3d828e814461a8', flags: '0x4010' },
    });
    expect(all.find((x) => x.line === 22)).toMatchObject({ kind: 'kretprobe', name: 'dap_ret', probedSym: 'd_alloc_parallel', site: 'ffffffffa515b92d', args: { ret: '0xff3d828e83a6a840' } });
    expect(all.find((x) => x.line === 18)).toMatchObject({ kind: 'syscall_exit', name: 'sys_exit', pid: 423, args: { nr: '302', ret: '0' } });
  });

  it('the whole capture in perf layout is judged as its tracefs text', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kinv-perf-'));
    const path = join(tmp, 'perf.txt');
    writeFileSync(path, perfScriptOf(gunzipSync(readFileSync('traces/ftrace/trace-cmd/extract.report.txt.gz')).toString('latin1')));
    const specs = new SpecSet([], {});
    const judge = async (p: string, withSymbols: boolean) => {
      const diags: Diagnostic[] = [];
      const r = (await checkTraceFile(p, specs, { all: true, kernelSymbols: withSymbols && syms.kind === 'symbols' ? syms.symbols : undefined, onDiagnostic: (d) => diags.push(d) }))!;
      return { diags: diags.map((d) => d.code), verdicts: r.verdicts.length, events: r.stats.events, unmapped: r.stats.unmapped, gaps: r.stats.gaps, evaluated: r.evaluated, unknown: r.unknown };
    };
    const want = await judge('traces/ftrace/trace-cmd/extract.trace.txt.gz', false);
    expect(want.events).toBe(1480);
    expect(await judge(path, true)).toEqual(want);
  });
});
