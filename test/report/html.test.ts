/**
 * `kinv check --html FILE` without a browser: the file is self-contained (no URL it would fetch),
 * its embedded data is the checked trace's spans and verdicts, and trace text cannot end the
 * script element it sits in. The page in a real browser: html.browser.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Payload } from '../../src/report/html/payload.js';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-html-'));

/** Where the bundled spec states a rule: `file:line:column` of its name (the spec's text moves). */
function ruleAt(file: string, keyword: 'invariant' | 'obligation', name: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.startsWith(`${keyword} ${name}`));
  return `${file}:${line + 1}:${keyword.length + 2}`;
}

async function report(trace: string, name: string, command = 'check'): Promise<{ code: number; html: string; data: Payload }> {
  const out = join(tmp, name);
  const r = await kinv(command === 'check' ? ['check', '--html', out, trace] : [command, ...trace.split(' '), '--html', out]);
  const html = readFileSync(out, 'utf8');
  const m = /<script type="application\/json" id="kinv-data">([\s\S]*?)<\/script>/.exec(html);
  return { code: r.code, html, data: JSON.parse(m![1]!) as Payload };
}

describe('html report', () => {
  it('embeds the spans and verdicts of the ABBA deadlock, and fetches nothing', async () => {
    const { code, html, data } = await report('traces/ndjson/no_deadlock-abba.ndjson', 'abba.html');
    expect(code).toBe(1);
    expect(html).not.toMatch(/\b(src|href)\s*=|https?:\/\/|@import|url\(/i);
    expect(data.tasks.map((t) => `${t.comm} ${t.pid}`)).toEqual(['open 102', 'stat 101']);
    const s = data.spans;
    const kinds = ['frame', 'hold', 'wait', 'ilwait', 'inlookup'];
    const pid = (i: number): number => data.tasks[s.task[i]!]!.pid;
    const spans = s.kind.map((k, i) => `${kinds[k]} ${pid(i)} ${data.strings[s.name[i]!]} ${s.start[i]}-${s.end[i]}${s.open[i] ? ' open' : ''}`);
    expect(spans).toEqual([
      'wait 102 I1 0-1', 'hold 102 I1 1-6 open', 'frame 101 d_alloc_parallel 2-3', 'inlookup 101 D2 3-6 open', 'wait 101 I1 4-6 open',
      'frame 102 d_alloc_parallel 5-6 open', 'ilwait 102 D2 6-6 open',
    ]);
    expect(data.findings.map((f) => `${f.kind} ${f.invariant} ${f.at?.seq} ${f.spec}`)).toEqual([
      `violation lock_order_acyclic 5 ${ruleAt('spec/vfs/order.kinv', 'invariant', 'lock_order_acyclic')}`,
      `violation waiter_holds_nothing_needed 6 ${ruleAt('spec/vfs/order.kinv', 'invariant', 'waiter_holds_nothing_needed')}`,
      `violation no_deadlock 6 ${ruleAt('spec/vfs/order.kinv', 'invariant', 'no_deadlock')}`,
      `pending in_lookup_ended 3 ${ruleAt('spec/vfs/inlookup.kinv', 'obligation', 'in_lookup_ended')}`,
      `pending waiters_released 6 ${ruleAt('spec/vfs/inlookup.kinv', 'obligation', 'waiters_released')}`,
      `pending no_locks_at_exit 1 ${ruleAt('spec/vfs/locks.kinv', 'obligation', 'no_locks_at_exit')}`,
    ]);
    expect(data.findings[2]!.slice.map((e) => e.seq)).toEqual([1, 3, 4]);
  });

  it('keeps trace text inside its script element', async () => {
    const evil = join(tmp, 'evil.ndjson');
    writeFileSync(evil, '{"pid":1,"comm":"</script><script>alert(1)</script><!--","ev":"acq","args":{"lock":"I1","mode":"W"}}\n');
    const { html, data } = await report(evil, 'evil.html');
    expect(html).not.toContain('alert(1)</script>');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(data.tasks[0]!.comm).toBe('</script><script>alert(1)</script><!--');
  });

  it('draws a fuzz finding too (--html)', async () => {
    const { code, data } = await report('--d-add-ci draft --seed 5 --runs 200', 'fuzz.html', 'fuzz');
    expect(code).toBe(1);
    expect(data.findings).toHaveLength(1);
    expect(data.findings[0]!.kind).toBe('violation');
    expect(data.spans.kind.length).toBeGreaterThan(0);
  });
});
