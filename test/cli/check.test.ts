/**
 * `kinv check` end to end: exit codes (Contract 4), JSON verdicts with a final summary, and a
 * precise diagnostic (file:line:col) for each kind of bad input, never a stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';

const tmp = mkdtempSync(join(tmpdir(), 'kinv-cli-'));
function file(name: string, content: string | Buffer): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

const GOOD = '{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}\n{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n{"pid":1,"ev":"syscall_exit"}\n';

describe('kinv check', () => {
  it('counts the violations it does not show as repeats of one shown (same invariant, same object), and --all shows them', async () => {
    const req = (pid: number) => `{"pid":${pid},"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}`;
    const acq = (pid: number) => `{"pid":${pid},"ev":"acq","args":{"lock":"I1","mode":"R"}}`;
    const trace = file('repeats.ndjson', [req(1), acq(1), req(1), req(2), acq(2), req(2)].join('\n') + '\n');
    const first = await kinv(['check', trace]);
    expect(first.code).toBe(1);
    expect(first.stdout.match(/^violation\[no_recursive_acq\]/gm)?.length).toBe(1);
    expect(first.stdout).toContain('1 violation (and 1 repeat of the same invariant and object not shown: --all shows them)');
    const json = JSON.parse((await kinv(['check', '-f', 'json', trace])).stdout.trim().split('\n').pop()!) as { violations: number; repeats: number };
    expect([json.violations, json.repeats]).toEqual([1, 1]);
    const all = await kinv(['check', '--all', '-f', 'json', trace]);
    const summary = JSON.parse(all.stdout.trim().split('\n').pop()!) as { violations: number; repeats: number };
    expect([summary.violations, summary.repeats]).toEqual([2, 0]);
  });

  it('exits 0 on a clean trace and 1 on a violation', async () => {
    expect((await kinv(['check', 'traces/ndjson/clean-two-lookups.ndjson'])).code).toBe(0);
    const r = await kinv(['check', 'traces/ndjson/draft-d_add_ci-E2.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('violation[d_add_ci_parent_lock_balanced]');
    expect(r.stdout).toContain('traces/ndjson/draft-d_add_ci-E2.ndjson:11');
  });

  it('prints one JSON object per verdict and a summary last (--format json)', async () => {
    const r = await kinv(['check', '--format', 'json', 'traces/ndjson/draft-d_add_ci-E2.ndjson']);
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

  it('reports an unreadable or malformed --probes / --functions file as a usage error with its location', async () => {
    const trace = 'traces/ftrace/coverage/readdir-legacy.txt';
    const bad = await kinv(['check', '--probes', file('probes.txt', 'p:dr down_read sem=%di:x64\nnot a probe\n'), trace]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/probes\.txt:2:1: not a kprobe_events definition/);
    const missing = await kinv(['check', '--functions', join(tmp, 'no-such-file'), trace]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --functions .*no-such-file/);
    const empty = await kinv(['check', '--functions', file('fns.txt', '\n'), trace]);
    expect([empty.code, /fns\.txt:1:1: no function names/.test(empty.stderr)]).toEqual([2, true]);
  });

  it('reads standard input with -', async () => {
    expect((await kinv(['check', '-'], GOOD)).code).toBe(0);
  });

  it('honours --param', async () => {
    expect((await kinv(['check', 'traces/ndjson/no_dap_under_dir_lock.ndjson'])).code).toBe(0);
    expect((await kinv(['check', '--param', 'order=new', 'traces/ndjson/no_dap_under_dir_lock.ndjson'])).code).toBe(1);
  });

  it('exits 2 on usage and spec errors', async () => {
    expect((await kinv(['check'])).code).toBe(2);
    expect((await kinv(['frobnicate'])).code).toBe(2);
    expect((await kinv(['check', '--format', 'xml', 'x'])).code).toBe(2);
    const r = await kinv(['check', '--param', 'order=sideways', 'traces/ndjson/clean-two-lookups.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('KV106');
    const bad = file('bad.kinv', 'event acq(lock: id)\ninvariant x on acq: lock ==\n');
    const s = await kinv(['check', '--spec', bad, 'traces/ndjson/clean-two-lookups.ndjson']);
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
    it(`gives a precise diagnostic and exit 3 for ${what}`, async () => {
      const p = file(`${what.replace(/ /g, '_')}.ndjson`, content);
      const r = await kinv(['check', p]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(code);
      expect(r.stderr).toContain(p + at);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  }

  it('reports an unreadable trace file with exit 3', async () => {
    const r = await kinv(['check', join(tmp, 'does-not-exist.ndjson')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no such file');
  });

  it('warns about events the spec does not declare, and still checks the rest', async () => {
    const r = await kinv(['check', '-'], '{"pid":1,"ev":"frob"}\n' + GOOD);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("unknown event 'frob'");
  });

  it('takes a declared event or function written in another case as damage, not as an event that never happened', async () => {
    // Left out as unknown, the 'ACQ' made the 'rel' after it a release of an unheld lock (exit 1).
    const r = await kinv(['check', '-f', 'json', '-'], GOOD.replace('"ev":"acq",', '"ev":"ACQ",'));
    expect(r.code).toBe(3);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.filter((o) => o.kind === 'violation')).toEqual([]);
    expect(objs.filter((o) => o.kind === 'diagnostic').map((o) => [o.code, o.line, o.column, o.message]))
      .toEqual([['KV302', 2, 21, "event 'ACQ' is not declared; 'acq' is (names are exact)"]]);
    const fn = await kinv(['check', '-'], '{"pid":1,"ev":"call","fn":"Lookup","args":{"dir":"I1","dentry":"D1","name":"a","fs":"x"}}\n');
    expect([fn.code, fn.stderr.includes("function 'Lookup' is not declared; 'lookup' is")]).toEqual([3, true]);
  });

  it('reports a function the spec does not declare once, with a hint, and checks the rest', async () => {
    const r = await kinv(['check', '-'], '{"pid":1,"ev":"call","fn":"lookup_sl","args":{}}\n{"pid":1,"ev":"ret","fn":"lookup_sl","ret":"D1"}\n' + GOOD);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning[KV303]: unknown function 'lookup_sl' (2 records) ignored: the spec does not declare it");
    expect(r.stderr).toContain("did you mean 'lookup_slow'?");
  });

  it('takes a name one slip from a declared one as a damaged record of that one: its task is unknown, not judged without it', async () => {
    // Left out, the misspelt release would leave I1 held at the exit: a false no_locks_at_exit.
    const trace = '{"pid":101,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n{"pid":101,"ev":"rle","args":{"lock":"I1","mode":"R"}}\n'
      + '{"pid":101,"ev":"syscall_exit"}\n';
    const r = await kinv(['check', '-'], trace);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("error[KV302]: event 'rle' is not declared; 'rel' is, with these arguments (a misspelt name: the record is taken as lost)");
    expect(r.stderr).toContain('<stdin>:2:');
    expect(r.stdout).not.toContain('violation[');
  });

  it('takes a name one slip from a declared one but with arguments of its own as a record the spec does not follow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinv-slip-'));
    const spec = join(dir, 'lock.kinv');
    writeFileSync(spec, 'event lock(l: id)\nevent unlock(l: id)\nstate held: set[task, id]\non lock { add (pid, l) to held }\n'
      + 'on unlock { remove (pid, l) from held }\ninvariant unlock_held on unlock: (pid, l) in held\n');
    const trace = '{"pid":1,"ev":"lock","args":{"l":"A"}}\n{"pid":1,"ev":"block","args":{"dev":"sda","sector":8}}\n{"pid":1,"ev":"unlock","args":{"l":"A"}}\n';
    const r = await kinv(['check', '--spec', spec, '-'], trace);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning[KV303]: unknown event 'block' (1 record) ignored: the spec does not declare it");
    expect(r.stderr).not.toContain('KV302');
  });

  it('takes a fraction or an integer past 2^53 in an int argument as damage', async () => {
    for (const flags of ['1.5', '18446744073709551615']) {
      const r = await kinv(['check', '-'], `{"pid":1,"ev":"call","fn":"lookup","args":{"dir":"I1","dentry":"D1","name":"a","fs":"x","flags":${flags}}}\n`);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("argument 'flags' of 'call lookup' must be an integer (at most 2^53 - 1 in magnitude)");
      expect(r.stdout).not.toContain('violation');
    }
  });

  it('never prints a stack trace or exits outside 0..3 on arbitrary input', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), async (bytes) => {
      const r = await kinv(['check', '-'], Buffer.from(bytes));
      expect([0, 1, 3]).toContain(r.code);
      expect(r.stderr).not.toContain('internal error');
    }), { numRuns: 60 });
  });
});

describe('kinv lint', () => {
  it('accepts the bundled spec and reports every error of a bad one with file:line:col', async () => {
    expect((await kinv(['lint'])).code).toBe(0);
    const bad = file('many.kinv', 'event acq(lock: id)\ninvariant a on acq: lokc == 1\ninvariant b on acq: lock + 1\ninvariant c on aqc: true\n');
    const r = await kinv(['lint', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2:21`);
    expect(r.stderr).toContain(`${bad}:3:21`);
    expect(r.stderr).toContain(`${bad}:4:16`);
    expect(r.stderr).toContain('3 errors');
  });
});
