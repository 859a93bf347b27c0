/**
 * README "Check your own kernel", followed on a real kernel (traces/tracedat/ownkernel-VERSION, made by
 * `npm run capture -- --phases ownkernel`): the script `kinv probes` printed for the kernel's BTF
 * is what this kinv prints for the offsets it names; the probes trace-cmd recorded are exactly the
 * script's (the kernel's kprobe_events while recording, the trace.dat's event formats, and the
 * function every record probes); `kinv check trace.dat` gives the summary and verdicts of the
 * capture run (expected.json), and the same as the README's text way (`trace-cmd report` with
 * `--functions` of `trace-cmd report -f`): exactly the same as `trace-cmd report -t`, whose stamps
 * keep their nanoseconds as kinv's reading of the file does (report-ns.txt.gz, made from the
 * trace.dat by trace-cmd 3.1.6), and no more ties than the plain report's microseconds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fillTemplate, MEMBERS, renderScript, type Offsets, type Placeholder } from '../../../src/probes/probe-set.js';
import type { RawFtraceRecord } from '../../../src/trace/ftrace/raw.js';
import { readFtraceRecords } from '../../../src/trace/ftrace/records.js';
import { readTraceDatMeta } from '../../../src/trace/tracedat/file.js';
import { traceDatText } from '../../../src/trace/tracedat/read.js';
import { kinv } from '../../helpers/kinv.js';

const SEEN = ['daddci', 'daddci_ret', 'dap', 'dap_ret', 'dr', 'dr_ret', 'dsplice', 'dsplice_ret', 'dw_ret', 'fs_lookup_ext4', 'fs_lookup_ext4_ret',
  'fs_lookup_xfsci', 'fs_lookup_xfsci_ret', 'lkslow', 'lkslow_ret', 'unhash', 'unhashwake', 'ur'];
// records: the record lines of `trace-cmd report` of each file (report.txt.gz), counted without kinv
const BUNDLES = [
  { dir: 'traces/tracedat/ownkernel-6.1', kernel: '6.1.0-56-cloud-amd64', seen: SEEN, records: 1823, iRwsem: 160 },
  // (another struct inode layout: the i_rwsem offset is learned from the records, of the trace.dat and of the report text)
  { dir: 'traces/tracedat/ownkernel-6.12', kernel: '6.12.118+deb12-cloud-amd64', seen: SEEN, records: 2012, iRwsem: 152 },
];

interface Probe { kind: 'p' | 'r'; fn: string; args: string }

/** `kinv_add NAME 'p:NAME FUNC ARGS'` lines of the script. */
function scriptProbes(script: string): Map<string, Probe> {
  const out = new Map<string, Probe>();
  for (const m of script.matchAll(/^kinv_add (\S+) '([pr])\d*:(\S+) (\S+) ?(.*)'$/gm)) {
    expect(m[3]).toBe(m[1]);
    out.set(m[1]!, { kind: m[2] as 'p' | 'r', fn: m[4]!, args: m[5]! });
  }
  return out;
}

/** `p:kprobes/NAME FUNC ARGS` lines of kprobe_events as the kernel prints them. */
function kernelProbes(text: string): Map<string, Probe> {
  const out = new Map<string, Probe>();
  for (const m of text.matchAll(/^([pr])\d*:kprobes\/(\S+) (\S+) ?(.*)$/gm)) out.set(m[2]!, { kind: m[1] as 'p' | 'r', fn: m[3]!, args: m[4]! });
  return out;
}

describe.each(BUNDLES)('$dir: the README followed on $kernel', (bundle) => {
  const { dir } = bundle;
  const script = readFileSync(`${dir}/kinv-probes.sh`, 'utf8');
  const probes = scriptProbes(script);

  it('the script is what kinv probes prints for the offsets it names (the reference set, the capture\'s --dir and --comm)', () => {
    const header = script.split('\n');
    const offsets: Offsets = {};
    for (const m of header[1]!.matchAll(/(\w+)\.([\w.]+)=(\d+)/g)) {
      const k = (Object.keys(MEMBERS) as Placeholder[]).find((p) => MEMBERS[p][0] === m[1] && MEMBERS[p][1] === m[2]);
      expect(k).toBeDefined();
      offsets[k!] = Number(m[3]);
    }
    expect(Object.keys(offsets).length).toBe(10);
    expect(offsets.I_RWSEM).toBe(bundle.iRwsem);
    const cmd = readFileSync(`${dir}/kinv-probes.cmdline`, 'utf8');
    const dirs = [...cmd.matchAll(/--dir (\S+)/g)].map((m) => m[1]!);
    const comms = [...cmd.matchAll(/--comm (\S+)/g)].map((m) => m[1]!);
    expect(dirs).toEqual(['/mnt/xfsci/d', '/mnt/ext4/d']);
    const { lines, dropped } = fillTemplate(readFileSync('scripts/capture/probes.txt', 'utf8'), offsets);
    const btfSource = /struct offsets from (.*):$/.exec(header[0]!)![1]!;
    const again = renderScript({ btfSource, setName: 'reference', offsets, lines, dropped, crossCheck: header[2]!.slice(4), dirs, comms });
    expect(again).toBe(script);
    expect(header[2]).toBe('#   pahole reads the same 10 offsets');
    expect(probes.size).toBe(26);
  });

  it('the kernel held exactly the script\'s probes while recording, and removed them after', () => {
    expect(kernelProbes(readFileSync(`${dir}/kprobe_events`, 'utf8'))).toEqual(probes);
    expect(readFileSync(`${dir}/kprobe_events.after`, 'utf8')).toBe('');
    expect(readFileSync(`${dir}/record.log`, 'utf8')).toMatch(/^kinv: 26 probes; watching: sem == 0x[0-9a-f]+ \|\| sem == 0x[0-9a-f]+\n/);
  });

  it('the trace.dat holds the formats of exactly those probes, their fields the script\'s arguments, and each record probes the script\'s function', async () => {
    const dat = readFileSync(`${dir}/trace.dat`);
    const meta = readTraceDatMeta(dat);
    const formats = new Map<string, { entry: boolean; fields: string[] }>();
    for (const id of meta.formats.ids()) {
      const f = meta.formats.get(id)!;
      if (f.system !== 'kprobes') continue;
      formats.set(f.name, {
        entry: f.byName.has('__probe_ip'),
        fields: f.fields.filter((x) => !x.name.startsWith('common_') && !x.name.startsWith('__probe_')).map((x) => x.name),
      });
    }
    expect([...formats.keys()].sort()).toEqual([...probes.keys()].sort());
    for (const [name, p] of probes) {
      const argNames = p.args === '' ? [] : p.args.split(' ').map((a) => a.slice(0, a.indexOf('=')));
      expect({ name, entry: formats.get(name)!.entry, fields: formats.get(name)!.fields }).toEqual({ name, entry: p.kind === 'p', fields: argNames });
    }
    const t = traceDatText(dat);
    async function* text(): AsyncGenerator<Buffer> { yield* t.chunks; }
    const recs: RawFtraceRecord[] = [];
    for await (const b of readFtraceRecords(text(), { file: 'trace.dat' })) for (const r of b) if (r.kind !== 'gap') recs.push(r);
    const probed = recs.filter((r) => r.kind === 'kprobe' || r.kind === 'kretprobe');
    expect(probed.length).toBeGreaterThan(1000);
    const seen = new Set<string>();
    for (const r of probed) {
      const p = probes.get(r.name)!;
      expect([r.name, r.kind, r.probedSym]).toEqual([r.name, p.kind === 'p' ? 'kprobe' : 'kretprobe', p.fn]);
      seen.add(r.name);
    }
    // lookups only (no directory written: no dw/uw of a watched lock), d_add_ci on XFS ASCII-CI;
    // dw_ret is of other rwsems (mmap_lock) of the lkwork tasks
    expect([...seen].sort()).toEqual(bundle.seen);
  });

  it('kinv check trace.dat: the summary and verdicts of the capture run, and the same as the report text with its symbols', async () => {
    const expected = JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as Record<string, unknown>;
    const summary = (out: string): Record<string, unknown> => {
      const s = JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
      delete s.seconds;
      return s;
    };
    const dat = await kinv(['check', '--format', 'json', `${dir}/trace.dat`]);
    const lines = (out: string) => out.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l) as { kind: string; code?: string });
    // verdicts and gaps; diagnostics apart: trace-cmd report prints a timestamp to the microsecond
    // where kinv's reading of the trace.dat keeps its nanoseconds, so the text may show a tie across
    // CPUs (KV311, a warning) that the file's own order does not have
    const verdicts = (out: string) => lines(out).filter((l) => l.kind !== 'diagnostic');
    const diagnostics = (out: string) => lines(out).filter((l) => l.kind === 'diagnostic').map((l) => l.code);
    expect(dat.code).toBe(expected.violations === 0 ? 0 : 1);
    expect({ ...summary(dat.stdout), files: ['trace.dat'] }).toEqual(expected);
    expect(expected.violations).toBe(0);
    expect(expected.records).toBe(bundle.records);
    expect((expected.evaluated as Record<string, number>).lookup_parent_lock_balanced).toBeGreaterThan(50);
    // No tie in the file's nanosecond stamps, so no gap: every task judged throughout.
    const gaps = (out: string) => lines(out).filter((l) => l.kind === 'gap') as unknown as { reason: string; pids: number[] }[];
    expect(gaps(dat.stdout)).toEqual([]);
    expect(expected.gaps).toBe(0);
    expect(diagnostics(dat.stdout)).toEqual([]);
    // `trace-cmd report -t` prints the same nanoseconds: the same verdicts, gaps and summary.
    const ns = await kinv(['check', '--format', 'json', '--functions', `${dir}/t.syms`, `${dir}/report-ns.txt.gz`]);
    expect(ns.code).toBe(dat.code);
    expect(lines(ns.stdout)).toEqual(lines(dat.stdout));
    expect({ ...summary(ns.stdout), files: ['trace.dat'] }).toEqual(expected);
    // The plain report prints microseconds: records of two CPUs apart by less than one are a tie
    // there, which the text cannot order, so tasks are unknown across it (gaps, KV311), and what
    // is judged is judged alike.
    const txt = await kinv(['check', '--format', 'json', '--functions', `${dir}/t.syms`, `${dir}/report.txt.gz`]);
    expect(txt.code).toBe(dat.code);
    expect(new Set(gaps(txt.stdout).map((g) => g.reason))).toEqual(new Set(gaps(txt.stdout).length > 0 ? ['records tied across CPUs'] : []));
    const judged = (out: string) => { const s = summary(out); return [s.events, s.violations, s.pending]; };
    expect(judged(txt.stdout)).toEqual(judged(dat.stdout));
    expect(verdicts(txt.stdout).filter((l) => l.kind !== 'gap')).toEqual(verdicts(dat.stdout).filter((l) => l.kind !== 'gap'));
    expect(diagnostics(txt.stdout).filter((c) => c !== 'KV311')).toEqual([]);
  });

  if (dir.endsWith('6.1')) {
    it('two CPUs\' records 151 ns apart within one microsecond (lkwork-447 on CPU 0 at 45.129413764, lkwork-446 on CPU 1 at 45.129413915) keep the file\'s order: no tie', async () => {
      const dat = await kinv(['check', '--format', 'json', `${dir}/trace.dat`]);
      const txt = await kinv(['check', '--format', 'json', '--functions', `${dir}/t.syms`, `${dir}/report.txt.gz`]);
      const tied = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; line?: number; pids?: number[] })
        .filter((l) => l.kind === 'gap').map((g) => `${g.line}:${g.pids?.join(',')}`);
      // the microsecond report: both tasks unknown across the tie (a gap as it opens and as it
      // closes), and so at lines 1380-1381, 45.152949 on both CPUs; the file: none
      expect(tied(txt.stdout)).toEqual(['610:447', '610:446', '611:447', '611:446', '1380:447', '1380:444', '1381:447', '1381:444']);
      expect(tied(dat.stdout)).toEqual([]);
      let all = '';
      for (const b of traceDatText(new Uint8Array(readFileSync(`${dir}/trace.dat`))).chunks) all += b.toString('latin1');
      expect(all).toMatch(/lkwork-447 +\[000\] \S+ +45\.129413764: dap: /);
      expect(all).toMatch(/lkwork-446 +\[001\] \S+ +45\.129413915: dr_ret: /);
    });
  }
});
