/**
 * `kinv conform` end to end: the reading's diagnostics are shown, warnings too, capped per code as
 * `check` caps them; a capture's folder is conformed as its trace, its sidecars named; `--probes`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

describe('kinv conform', () => {
  it('shows a warning the verdict rests on (records re-merged across CPUs) with its line', async () => {
    const r = await kinv(['conform', '--d-add-ci', 'mainline', 'traces/ftrace/trace-pipe.txt']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/warning\[KV325\][^\n]*reorder window/);
    expect(r.stderr).toContain('--> traces/ftrace/trace-pipe.txt:7:1');
  });

  it('prints warnings as JSON diagnostics with --format json', async () => {
    const r = await kinv(['conform', '--format', 'json', '--d-add-ci', 'mainline', 'traces/ftrace/trace-pipe.txt']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.filter((o) => o.code === 'KV325').map((o) => [o.severity, o.line])).toEqual([['warning', 7]]);
    expect(objs.filter((o) => o.kind === 'conformance').map((o) => o.verdict)).toEqual(['unknown']);
  });

  it('caps the diagnostics of one code at --max-diagnostics and counts the rest', async () => {
    const all = await kinv(['conform', '--d-add-ci', 'mainline', 'traces/ftrace/trace-pipe.txt']);
    const codes = [...all.stderr.matchAll(/^(?:warning|error|note)\[(KV\d+)\]/gm)].map((m) => m[1]!);
    const counts = new Map<string, number>();
    for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
    const [code, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const capped = await kinv(['conform', '--max-diagnostics', '0', '--d-add-ci', 'mainline', 'traces/ftrace/trace-pipe.txt']);
    expect(capped.stderr).not.toContain(`[${code}]`);
    expect(capped.stderr).toContain(`(${n} more ${code} diagnostics not shown; --max-diagnostics N to see more)`);
    expect(capped.code).toBe(all.code);
  });

  it('conforms a capture\'s folder as its trace, naming the sidecars and how to give its probe definitions', async () => {
    const dir = 'traces/kernel-programs/6.12-lossy';
    const r = await kinv(['conform', '--d-add-ci', 'mainline', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`${dir}/trace.gz: cannot tell whether it conforms to the model with d_add_ci mainline`);
    expect(r.stdout).not.toMatch(/(kprobe_events|functions|counts\.json|casefold\.txt|mounts\.txt|workload\.log): /);
    expect(r.stderr).toContain(`note[KV313]: ${dir}: 10 files beside the traces not checked (README.md, casefold.txt, counts.json, dmesg.gz, functions, `
      + 'kprobe_events, metadata.json, mounts.txt, stats, workload.log)');
    expect(r.stderr).toContain(`give --functions ${dir}/functions --probes ${dir}/kprobe_events`);
  });

  it('reads the capture with --probes, as check does (a declared probe whose first record comes late: KV333), and refuses bad ones and 0 workers', async () => {
    const file = 'traces/ftrace/coverage/create-nested.txt';
    const given = await kinv(['conform', '--d-add-ci', 'mainline', '--probes', 'traces/ftrace/coverage/kprobe_events.full', file]);
    expect(given.stderr).toContain('note[KV333]: --probes declares down_write, whose first record is at line 24');
    const without = await kinv(['conform', '--d-add-ci', 'mainline', file]);
    expect(without.stderr).not.toContain('KV333');
    const empty = join(mkdtempSync(join(tmpdir(), 'kinv-empty-probes-')), 'kprobe_events');
    writeFileSync(empty, '');
    const emptied = await kinv(['conform', '--d-add-ci', 'mainline', '--probes', empty, file]);
    expect(emptied.stderr).toContain(`kinv: warning: ${empty} defines no probe, so it tells nothing of what the capture probes`);
    expect(emptied.code).toBe(without.code);
    const badProbes = await kinv(['conform', '--d-add-ci', 'mainline', '--probes', 'traces/kernel-programs/6.12-lossy/counts.json', file]);
    expect(badProbes.code).toBe(2);
    expect(badProbes.stderr).toContain('traces/kernel-programs/6.12-lossy/counts.json:1:1: not a kprobe_events definition');
    const r = await kinv(['conform', '-j', '0', '--d-add-ci', 'mainline', 'traces/ndjson/clean-two-lookups.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--jobs expects a positive integer');
  });

  it('a folder with no trace file (sidecars only) is nothing to judge: KV314, exit 3, not a pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-conform-sidecars-'));
    writeFileSync(join(dir, 'kprobe_events'), 'p:dr down_read sem=%di\n');
    writeFileSync(join(dir, 'README.md'), 'notes\n');
    const r = await kinv(['conform', '--d-add-ci', 'mainline', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error[KV314]: nothing to judge: no trace file in ${dir}`);
    expect(r.stdout).toBe('');
  });

  it('a bad --jobs or --probes is a usage error before anything is printed', async () => {
    for (const bad of [['-j', '0'], ['--probes', 'traces/kernel-programs/6.12-lossy/counts.json']]) {
      const r = await kinv(['conform', '--format', 'json', '--d-add-ci', 'mainline', ...bad, 'traces/kernel-programs/6.12-lossy', 'no/such/trace']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('KV313');
      expect(r.stderr).not.toContain('no/such/trace');
    }
  });
});
