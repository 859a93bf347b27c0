/**
 * Bare-address probe sites (trace-cmd report, perf script): symbol tables, the resolver, and the
 * records read from a real `trace-cmd report` against the tracefs text of the same ring buffer
 * (traces/ftrace/trace-cmd/, README there).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/diag/diagnostic.js';
import { parseProbeDefinitions } from '../../../src/trace/coverage.js';
import type { RawFtraceRecord, RawItem } from '../../../src/trace/ftrace/raw.js';
import { readFtraceRecords } from '../../../src/trace/ftrace/records.js';
import { parseKallsyms, ProbeSites, symbolAt, type KernelSymbols } from '../../../src/trace/ftrace/sites.js';

const DIR = 'traces/ftrace/trace-cmd';
const gz = (f: string): string => gunzipSync(readFileSync(`${DIR}/${f}`)).toString('latin1');

function symbolsOf(text: string): KernelSymbols {
  const r = parseKallsyms(text);
  if (r.kind !== 'symbols') throw new Error(`no symbols: ${r.kind}`);
  return r.symbols;
}

async function read(text: string, sites?: ProbeSites): Promise<{ items: RawItem[]; diags: Diagnostic[] }> {
  const items: RawItem[] = [];
  const diags: Diagnostic[] = [];
  async function* one(): AsyncGenerator<string> { yield text; }
  for await (const b of readFtraceRecords(one(), { file: 'f', probeSites: sites, onDiagnostic: (d) => diags.push(d) })) items.push(...b);
  return { items, diags };
}

const probeRecords = (items: RawItem[]): RawFtraceRecord[] => items.filter((i): i is RawFtraceRecord => i.kind === 'kprobe' || i.kind === 'kretprobe');

describe('parseKallsyms', () => {
  it('/proc/kallsyms: text symbols only, module suffixes and compiler suffixes dropped, sorted', () => {
    const r = parseKallsyms([
      'ffffffff81002000 T down_read', 'ffffffff81000000 T _stext', 'ffffffff82000000 D jiffies', 'ffffffff81001000 t rwsem_wake.isra.0',
      'ffffffffc0001000 t xfs_vn_lookup\t[xfs]', 'ffffffff81003000 W weak_fn', 'not a symbol line',
    ].join('\n'));
    expect(r.kind).toBe('symbols');
    if (r.kind !== 'symbols') return;
    expect(r.symbols.names).toEqual(['_stext', 'rwsem_wake', 'down_read', 'weak_fn', 'xfs_vn_lookup']);
    expect([...r.symbols.addrs]).toEqual([0xffffffff81000000n, 0xffffffff81001000n, 0xffffffff81002000n, 0xffffffff81003000n, 0xffffffffc0001000n]);
  });

  it('kallsyms read without root (every address 0) names no address; a name list has none', () => {
    expect(parseKallsyms('0000000000000000 T down_read\n0000000000000000 t up_read\n')).toEqual({ kind: 'zeroed' });
    expect(parseKallsyms('down_read\nup_read [xfs]\n')).toEqual({ kind: 'none' });
  });

  it('`trace-cmd report -f` (the kallsyms of a real trace.dat): address and name, no type column', () => {
    const s = symbolsOf(readFileSync(`${DIR}/extract.functions.txt`, 'latin1'));
    expect(s.names).toHaveLength(53);
    expect(symbolAt(s, 0xffffffffa5814330n)).toEqual({ name: 'down_read', offset: 0n });
    expect(symbolAt(s, 0xffffffffc02e8d94n)).toEqual({ name: 'xfs_vn_ci_lookup', offset: 4n });
    expect(symbolAt(s, 0xffffffffa4f02f5fn)).toBeUndefined();
  });
});

describe('ProbeSites', () => {
  const syms = symbolsOf('ffffffff81000000 T down_read\nffffffff81000100 T up_read\n');
  const probes = parseProbeDefinitions('p:kprobes/dr down_read sem=%di:x64\nr:kprobes/dr_ret down_read\np:a/x f1\np:b/x f2\n').probes;

  it('an event named by the probe definitions is that function, whatever the address', () => {
    expect(new ProbeSites(probes, undefined).resolve('kprobe', 'dr', 'ffffffffdeadbeef')).toEqual({ fn: 'down_read' });
    expect(new ProbeSites(probes, undefined).resolve('kretprobe', 'dr_ret', '1')).toEqual({ fn: 'down_read' });
  });

  it('otherwise the symbol at or up to 16 bytes below the address (4 with IBT); further in is no entry', () => {
    const sites = new ProbeSites(probes, syms);
    expect(sites.resolve('kprobe', 'ur', 'ffffffff81000100')).toEqual({ fn: 'up_read' });
    expect(sites.resolve('kprobe', 'ur', 'ffffffff81000104')).toEqual({ fn: 'up_read' });
    expect(sites.resolve('kprobe', 'ur', 'ffffffff81000111')).toEqual({ problem: expect.stringMatching(/17 bytes into up_read .*same boot/) });
    expect(sites.resolve('kprobe', 'ur', 'ffffffff80ffffff')).toEqual({ problem: expect.stringMatching(/below every text symbol/) });
  });

  it('one event name defined for two functions (two groups) decides nothing: the address does', () => {
    expect(new ProbeSites(probes, syms).resolve('kprobe', 'x', 'ffffffff81000000')).toEqual({ fn: 'down_read' });
    expect(new ProbeSites(probes, undefined).resolve('kprobe', 'x', 'ffffffff81000000')).toEqual({ problem: expect.stringMatching(/--probes FILE.*--functions FILE/) });
  });
});

describe('a real trace-cmd report', () => {
  const report = gz('extract.report.txt.gz');
  const tracefs = gz('extract.trace.txt.gz');
  const syms = symbolsOf(readFileSync(`${DIR}/extract.functions.txt`, 'latin1'));

  it('reads a kprobe `(addr)` as the function at addr and a kretprobe `(addr <- site)` as returning from addr', async () => {
    const { items, diags } = await read(report, new ProbeSites(undefined, syms));
    expect(diags).toEqual([]);
    const recs = probeRecords(items);
    const lkslow = recs.find((r) => r.line === 21)!;
    expect(lkslow).toMatchObject({
      kind: 'kprobe', name: 'lkslow', probedSym: '__lookup_slow', site: 'ffffffffa515b8d0', pid: 423, comm: 'lkwork', cpu: 0, tsRaw: '43', tsClock: 'counter',
      args: { name: '423', nlen: '3', dir: '0xff3d828e825570c0', dinode: '0xff3d828e814461a8', flags: '0x4010' },
    });
    // (probed function <- return site): d_alloc_parallel returned into __lookup_slow, not the reverse.
    expect(recs.find((r) => r.line === 23)).toMatchObject({
      kind: 'kretprobe', name: 'dap_ret', probedSym: 'd_alloc_parallel', site: 'ffffffffa515b92d', args: { ret: '0xff3d828e83a6a840', dflags: '0x10000000' },
    });
  });

  it('gives record for record what the tracefs text of the same buffer gives (but the site, printed otherwise)', async () => {
    const fields = (r: RawFtraceRecord) => [r.kind, r.name, r.probedSym, r.pid, r.comm, r.cpu, r.tsRaw, JSON.stringify(r.args), r.entryLost].join(' ');
    const a = probeRecords((await read(report, new ProbeSites(undefined, syms))).items).map(fields);
    const b = probeRecords((await read(tracefs)).items).map(fields);
    // 1,879 records: 367 sys_exit and 5 sched_process_exit, the rest probes.
    expect(a.length).toBe(1507);
    expect(a).toEqual(b);
  });

  it('trace-cmd report -l (latency columns, counter clock) reads the same', async () => {
    const fields = (r: RawFtraceRecord) => [r.kind, r.name, r.probedSym, r.pid, r.cpu, r.tsRaw, r.tsClock, JSON.stringify(r.args)].join(' ');
    const a = (await read(gz('extract.report-l.txt.gz'), new ProbeSites(undefined, syms)));
    expect(a.diags).toEqual([]);
    expect(probeRecords(a.items).map(fields)).toEqual(probeRecords((await read(report, new ProbeSites(undefined, syms))).items).map(fields));
  });

  it('with nothing to name the sites: no probe record, a gap for each, one KV319 per event at its first record', async () => {
    const { items, diags } = await read(report);
    expect(probeRecords(items)).toEqual([]);
    const gaps = items.filter((i) => i.kind === 'gap');
    expect(gaps).toHaveLength(1507);
    expect(gaps[0]).toMatchObject({ reason: 'unresolved probe site', pid: 423, cpu: 0, line: 2 });
    expect(diags.map((d) => `${d.code} ${d.at?.line}:${d.at?.column}`).slice(0, 3)).toEqual(['KV319 2:65', 'KV319 20:65', 'KV319 21:65']);
    expect(diags[0]!.message).toMatch(/^return probe 'dw_ret' shows the probed function only as the address ffffffffa5814c40: pass .*--probes FILE.*--functions FILE/);
    expect(new Set(diags.map((d) => d.code))).toEqual(new Set(['KV319']));
  });
});
