/**
 * `kinv check` end to end: exit codes (Contract 4), JSON verdicts with a final summary, and a
 * precise diagnostic (file:line:col) for each kind of bad input, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

function kinv(args: string[], input?: string | Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'kinv-cli-'));
function file(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

const GOOD = '{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}\n{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n{"pid":1,"ev":"syscall_exit"}\n';

describe('kinv check', () => {
  it('exits 0 on a clean trace and 1 on a violation', () => {
    expect(kinv(['check', 'traces/ndjson/clean-two-lookups.ndjson']).code).toBe(0);
    const r = kinv(['check', 'traces/ndjson/draft-d_add_ci-E2.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('violation[d_add_ci_parent_lock_balanced]');
    expect(r.stdout).toContain('traces/ndjson/draft-d_add_ci-E2.ndjson:11');
  });

  it('prints one JSON object per verdict and a summary last (--format json)', () => {
    const r = kinv(['check', '--format', 'json', 'traces/ndjson/draft-d_add_ci-E2.ndjson']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = objs.at(-1)!;
    expect(last.kind).toBe('summary');
    expect(last).toMatchObject({ lines: 16, records: 16, events: 16, malformed: 0, gaps: 0 });
    expect((last.evaluated as Record<string, number>).rel_held).toBe(2);
    const v = objs.filter((o) => o.kind === 'violation').map((o) => [o.invariant, o.pid, o.seq, o.file, o.line]);
    expect(v).toEqual([
      ['in_lookup_parent_locked', 101, 7, 'traces/ndjson/draft-d_add_ci-E2.ndjson', 8],
      ['d_add_ci_parent_lock_balanced', 101, 10, 'traces/ndjson/draft-d_add_ci-E2.ndjson', 11],
      ['lookup_parent_lock_balanced', 101, 11, 'traces/ndjson/draft-d_add_ci-E2.ndjson', 12],
      ['rel_held', 101, 13, 'traces/ndjson/draft-d_add_ci-E2.ndjson', 14],
    ]);
    expect(objs[0]!.spec).toMatch(/^spec\/vfs\/order\.kinv:\d+:\d+$/);
    expect(objs[1]!.spec).toMatch(/^spec\/vfs\/locks\.kinv:\d+:\d+$/);
  });

  it('reads standard input with -', () => {
    expect(kinv(['check', '-'], GOOD).code).toBe(0);
  });

  it('honours --param', () => {
    expect(kinv(['check', 'traces/ndjson/no_dap_under_dir_lock.ndjson']).code).toBe(0);
    expect(kinv(['check', '--param', 'order=new', 'traces/ndjson/no_dap_under_dir_lock.ndjson']).code).toBe(1);
  });

  it('exits 2 on usage and spec errors', () => {
    expect(kinv(['check']).code).toBe(2);
    expect(kinv(['frobnicate']).code).toBe(2);
    expect(kinv(['check', '--format', 'xml', 'x']).code).toBe(2);
    const r = kinv(['check', '--param', 'order=sideways', 'traces/ndjson/clean-two-lookups.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('KV106');
    const bad = file('bad.kinv', 'event acq(lock: id)\ninvariant x on acq: lock ==\n');
    const s = kinv(['check', '--spec', bad, 'traces/ndjson/clean-two-lookups.ndjson']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/bad\.kinv:2:28/);
  });

  const BAD: [string, string | Buffer, string, string][] = [
    ['bad JSON', GOOD + '{"pid":1,"ev":"acq",}\n', 'KV301', ':5:'],
    ['missing pid', '{"ev":"syscall_exit"}\n', 'KV301', ':1:1'],
    ['wrong type', '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"X"}}\n', 'KV302', ':1'],
    ['ret with no call', '{"pid":1,"ev":"ret","fn":"lookup"}\n', 'KV304', ':1'],
    ['truncated last line', GOOD + '{"pid":1,"ev":"ac', 'KV305', ':5:'],
    ['binary garbage', Buffer.from([0x7b, 0x00, 0x01, 0xff, 0xfe, 0x0a]), 'KV306', ':1:1'],
  ];
  for (const [what, content, code, at] of BAD) {
    it(`gives a precise diagnostic and exit 3 for ${what}`, () => {
      const p = file(`${what.replace(/ /g, '_')}.ndjson`, content);
      const r = kinv(['check', p]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(code);
      expect(r.stderr).toContain(p + at);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  }

  it('reports an unreadable trace file with exit 3', () => {
    const r = kinv(['check', join(tmp, 'does-not-exist.ndjson')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no such file');
  });

  it('warns about events the spec does not declare, and still checks the rest', () => {
    const r = kinv(['check', '-'], '{"pid":1,"ev":"frob"}\n' + GOOD);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("unknown event 'frob'");
  });

  it('never prints a stack trace or exits outside 0..3 on arbitrary input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      const r = kinv(['check', '-'], Buffer.from(bytes));
      expect([0, 1, 3]).toContain(r.code);
      expect(r.stderr).not.toContain('internal error');
    }), { numRuns: 15 });
  });
});

describe('kinv lint', () => {
  it('accepts the bundled spec and reports every error of a bad one with file:line:col', () => {
    expect(kinv(['lint']).code).toBe(0);
    const bad = file('many.kinv', 'event acq(lock: id)\ninvariant a on acq: lokc == 1\ninvariant b on acq: lock + 1\ninvariant c on aqc: true\n');
    const r = kinv(['lint', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:21`);
    expect(r.stderr).toContain(`${bad}:3:21`);
    expect(r.stderr).toContain(`${bad}:4:16`);
    expect(r.stderr).toContain('3 errors');
  });
});
