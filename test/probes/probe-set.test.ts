/**
 * `kinv probes`: the probe lines with this kernel's offsets, and the script run as a user would
 * paste it, in bash, against a stand-in tracefs folder and stand-in trace-cmd and perf that print
 * the command line they were given.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../src/probes/btf.js';
import { ARCHES, archOf, fillTemplate, renderScript, shq } from '../../src/probes/probe-set.js';
import { kinv } from '../helpers/kinv.js';

const OFFSETS = { I_RWSEM: 160, QSTR_LEN: 4, QSTR_NAME: 8, D_FLAGS: 0, D_PARENT: 24, D_NAME_NAME: 40, D_INODE: 48 };

describe('fillTemplate', () => {
  it('fills the offsets of the reference set; lines needing offsets the BTF lacks are left out', () => {
    const { lines, dropped } = fillTemplate(readFileSync('scripts/capture/probes.txt', 'utf8'), OFFSETS);
    expect(lines).toHaveLength(26);
    expect(dropped).toEqual([]);
    expect(lines[0]).toEqual({ kind: 'p', event: 'lkslow', fn: '__lookup_slow', alternative: false, sem: false,
      text: 'p:lkslow __lookup_slow name=+0(+8(%di)):string nlen=+4(%di):u32 dir=%si:x64 dinode=+48(%si):x64 flags=%dx:x32' });
    expect(lines.filter((l) => l.sem).map((l) => l.event)).toEqual(['dr', 'ur', 'dw', 'uw']);
    const full = fillTemplate(readFileSync('scripts/capture/probes-full.txt', 'utf8'), OFFSETS);
    expect(full.dropped.every((d) => d.includes('{ND_'))).toBe(true);
    expect(full.dropped.length).toBeGreaterThan(0);
    expect(full.lines.some((l) => l.alternative)).toBe(true);
  });

  it('quotes for the shell', () => {
    expect(shq("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });
});

describe('the script, run in bash', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kinv-probes-'));
  const tracefs = join(tmp, 'tracing');
  mkdirSync(join(tracefs, 'events/kprobes/lkslow'), { recursive: true });
  for (const f of ['kprobe_events', 'trace', 'tracing_on', 'events/kprobes/lkslow/enable']) writeFileSync(join(tracefs, f), '');
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  for (const tool of ['trace-cmd', 'perf']) writeFileSync(join(bin, tool), `#!/bin/sh\nfor a in "$@"; do printf '[%s]' "$a"; done; echo\n`, { mode: 0o755 });
  const { lines } = fillTemplate(readFileSync('scripts/capture/probes.txt', 'utf8'), OFFSETS);
  const script = renderScript({ btfSource: 'x', setName: 'reference', offsets: OFFSETS, lines, dropped: [], dirs: ['/nonexistent dir'], comms: ['ls', 'find'], crossCheck: 'c' });

  it('adds each probe line, and records every added event with its filter', () => {
    const out = execFileSync('bash', ['-c', `${script}\nkinv_record ls -R /\nkinv_perf_record -- true\n`], {
      encoding: 'utf8', env: { ...process.env, KINV_TRACEFS: tracefs, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(readFileSync(join(tracefs, 'kprobe_events'), 'utf8').split('\n').slice(0, -1)).toEqual(lines.map((l) => l.text));
    const [tc, pf] = out.trim().split('\n');
    const comm = 'comm == "ls" || comm == "find"';
    expect(tc).toBe('[record]' + lines.map((l) => `[-e][kprobes:${l.event}]` + (l.sem ? '' : ['dr_ret', 'dw_ret'].includes(l.event) ? `[-f][${comm}]` : '')).join('')
      + `[-e][raw_syscalls:sys_exit][-f][${comm}][-e][sched:sched_process_exit][ls][-R][/]`);
    expect(pf).toBe('[record][-a]' + lines.map((l) => `[-e][kprobes:${l.event}]` + (l.sem ? '' : ['dr_ret', 'dw_ret'].includes(l.event) ? `[--filter][${comm}]` : '')).join('')
      + `[-e][raw_syscalls:sys_exit][--filter][${comm}][-e][sched:sched_process_exit][--][true]`);
  });

  it('says so when a directory shows no slow lookup, and removes its probes on kinv_probes_off', () => {
    const r = spawnSync('bash', ['-c', `${script}\nkinv_probes_off\n`], { encoding: 'utf8', env: { ...process.env, KINV_TRACEFS: tracefs } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('kinv: no slow lookup seen in /nonexistent dir (is it a directory?)\nkinv: 26 probes; watching: every rwsem (no directory learned)\n');
    const events = readFileSync(join(tracefs, 'kprobe_events'), 'utf8');
    expect(events.trim().split('\n').slice(-26)).toEqual(lines.map((l) => `-:kprobes/${l.event}`));
  });
});

describe('the architecture whose registers the probes read', () => {
  const arm = parseBtf(readFileSync('traces/btf/vfs-structs-arm64.btf'));
  const x86 = parseBtf(readFileSync('traces/btf/vfs-structs-x86_64.btf'));

  it('is told by the BTF\'s struct pt_regs, and by nothing else', () => {
    expect([archOf(arm), archOf(x86), archOf(parseBtf(readFileSync('traces/btf/vfs-structs.btf')))]).toEqual(['arm64', 'x86_64', undefined]);
  });

  it('names every argument register of the template as the architecture does, and nothing else changes', () => {
    const template = readFileSync('scripts/capture/probes-full.txt', 'utf8');
    const x = fillTemplate(template, OFFSETS).lines;
    const a = fillTemplate(template, OFFSETS, 'arm64').lines;
    const back = (t: string): string => t.replace(/%x([0-5])\b/g, (_, k: string) => ARCHES.x86_64[Number(k)]!);
    expect(a.map((l) => back(l.text))).toEqual(x.map((l) => l.text));
    expect(a.some((l) => /%(di|si|dx|cx|r8|r9)\b/.test(l.text))).toBe(false);
    expect(a.find((l) => l.event === 'fs_atomic_open_fuse')?.text).toContain('oflags=%x3:x32');
    expect(a.find((l) => l.event === 'dap')!.text).toBe('p:dap d_alloc_parallel parent=%x0:x64 pinode=+48(%x0):x64 name=+0(+8(%x1)):string nlen=+4(%x1):u32 wq=%x2:x64');
    expect(fillTemplate(template, OFFSETS, 'riscv64').lines.find((l) => l.event === 'dr')!.text).toBe('p:dr down_read sem=%a0:x64');
  });

  it('kinv probes writes the BTF\'s registers, refuses an --arch the BTF contradicts, and says when it assumes', async () => {
    const a = await kinv(['probes', '--btf', 'traces/btf/vfs-structs-arm64.btf']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("#   registers: arm64 (the BTF's struct pt_regs)\n");
    expect(a.stdout).toContain("kinv_add dr 'p:dr down_read sem=%x0:x64'");
    const x = await kinv(['probes', '--btf', 'traces/btf/vfs-structs-x86_64.btf']);
    expect([x.code, x.stdout.includes('registers:'), x.stdout.includes("kinv_add dr 'p:dr down_read sem=%di:x64'")]).toEqual([0, false, true]);
    const wrong = await kinv(['probes', '--btf', 'traces/btf/vfs-structs-arm64.btf', '--arch', 'x86_64']);
    expect([wrong.code, wrong.stdout]).toEqual([2, '']);
    expect(wrong.stderr).toContain("--arch x86_64, but the BTF's struct pt_regs is arm64's");
    const assumed = await kinv(['probes', '--btf', 'traces/btf/vfs-structs.btf']);
    expect(assumed.stdout).toContain('#   registers: x86_64, assumed (the BTF has no struct pt_regs to tell; --arch x86_64|arm64|riscv64 to choose)\n');
    const chosen = await kinv(['probes', '--btf', 'traces/btf/vfs-structs.btf', '--arch', 'riscv64']);
    expect(chosen.stdout).toContain("kinv_add dr 'p:dr down_read sem=%a0:x64'");
  });
});

describe('kinv probes', () => {
  it('prints the probe set for a BTF file; refuses what is not BTF with exit 2', async () => {
    const ok = await kinv(['probes', '--btf', 'traces/btf/vfs-structs.btf', '--dir', '/mnt/x']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('#   inode.i_rwsem=160 qstr.len=4 qstr.name=8 dentry.d_flags=0 dentry.d_parent=24 dentry.d_name.name=40 dentry.d_inode=48');
    expect(ok.stdout).toMatch(/# {3}(pahole reads the same 10 offsets|not checked with pahole: pahole not installed)\n/);
    expect(ok.stdout).toContain("kinv_add dr 'p:dr down_read sem=%di:x64'");
    expect(ok.stdout).toContain("KINV_DIRS=('/mnt/x')");
    const bad = await kinv(['probes', '--btf', 'traces/btf/vfs-structs.c']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('traces/btf/vfs-structs.c:1:1: not BTF: no BTF magic');
  });
});
