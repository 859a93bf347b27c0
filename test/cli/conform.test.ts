/** `kinv conform` end to end: the reading's diagnostics are shown, warnings too, capped per code as `check` caps them. */
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
});
