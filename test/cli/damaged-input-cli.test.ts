/**
 * Damaged input and unusable arguments at the command line: one located message and the exit code
 * of Contract 4 (2 usage, 3 nothing judged or unreadable), never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function kinv(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, input, maxBuffer: 1 << 28 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'kinv-cli-damage-'));

describe('kinv check: nothing to judge is no pass', () => {
  it('an empty file and an empty folder exit 3 with KV314', () => {
    const empty = join(tmp, 'empty.ndjson');
    writeFileSync(empty, '');
    const dir = join(tmp, 'nothing');
    mkdirSync(dir);
    for (const path of [empty, dir]) {
      const r = kinv(['check', path]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('error[KV314]: nothing to judge');
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('a function_graph capture (calls without their arguments) exits 3, KV401 saying no rule had an event to judge', () => {
    const r = kinv(['check', 'traces/kernel/graph/trace.gz']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error\[KV401\]: verdict unknown: no rule was judged: the capture holds none of the events the rules read \(96946 of 110274 records map to no event of the spec/);
    expect(r.stdout).not.toContain('no violation');
  });

  it('a folder of traces named .json is checked, and its sidecars are named', () => {
    const dir = join(tmp, 'json');
    mkdirSync(dir);
    writeFileSync(join(dir, 'run.json'), '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n');
    writeFileSync(join(dir, 'expected.json'), '{}\n');
    const r = kinv(['check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('violation[rel_held]');
    expect(r.stderr).toContain(`note[KV313]: ${dir}: 1 file beside the traces not checked (expected.json)`);
  });
});

describe('unusable arguments', () => {
  it('--param of an int that is not a whole number is a usage error', () => {
    for (const p of ['dcache_par_lookup=1.5', 'i_rwsem_offset=1.5']) {
      const r = kinv(['check', '--param', p, 'traces/ftrace/kprobe-fixed-d_add_ci.txt']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error[KV106]: --param ${p}: expected int`);
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('sim --out into a folder that does not exist: one line, exit 2', () => {
    const r = kinv(['sim', '--out', join(tmp, 'no', 'such', 'x.ndjson')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`kinv sim: cannot write '${join(tmp, 'no', 'such', 'x.ndjson')}': no such folder`]);
  });

  it('a spec importing /dev/zero is a located error', () => {
    const spec = join(tmp, 'zero.kinv');
    writeFileSync(spec, 'import "/dev/zero"\n');
    const r = kinv(['lint', '--spec', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[KV003]: cannot read spec '/dev/zero': not a regular file");
    expect(r.stderr).toContain(`--> ${spec}:1:1`);
  });

  it('a spec that cannot take a trace\'s source says why, at its line, and the trace is not judged', () => {
    const spec = join(tmp, 'ndjson-only.kinv');
    writeFileSync(spec, 'enum Source { ndjson }\nparam source: Source = ndjson\nevent syscall_exit()\nstate n: var int\non syscall_exit when source == ndjson { n := n + 1 }\n');
    const r = kinv(['check', '--spec', spec, 'traces/ftrace/events-lock.txt']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error[KV106]: --param source=ftrace: expected one of ndjson');
    expect(r.stderr).toContain(`--> ${spec}:2:7`);
  });
});

describe('standard input is judged as the same file is (what must be known of a whole capture first is read ahead of it too)', () => {
  const verdicts = (stdout: string): string[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; invariant?: string; line?: number })
    .filter((o) => o.kind === 'violation' || o.kind === 'unknown').map((o) => `${o.kind} ${o.invariant} ${o.line}`);

  it('a capture whose release probes are filtered: the locks it never releases are unknown, not 31 violations', () => {
    const dir = 'traces/kernel-waitqueue/release-filtered';
    const args = ['check', '-f', 'json', '--param', 'i_rwsem_offset=136', '--probes', `${dir}/kprobe_events`, '--functions', `${dir}/functions`];
    const file = kinv([...args, `${dir}/trace.txt.gz`]);
    const stdin = kinv([...args, '-'], readFileSync(`${dir}/trace.txt.gz`));
    expect(stdin.code).toBe(3);
    expect(verdicts(stdin.stdout)).toEqual(verdicts(file.stdout));
    expect(verdicts(stdin.stdout).filter((v) => v.startsWith('violation'))).toEqual([]);
    const kv320 = stdin.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; code?: string; message?: string; line?: number })
      .filter((o) => o.kind === 'diagnostic' && o.code === 'KV320');
    expect(kv320.map((d) => d.line)).toEqual([13]);
    expect(kv320[0]!.message).toMatch(/^22 rwsems are taken and never released anywhere in this capture \(first: sem=0xffff888002448420, taken at line 13\)/);
  });

  it('a record line missing from a log whose header counts its entries: no verdict at all (exit 3), as for the file', () => {
    const deleted = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'latin1').split('\n').filter((l) => !l.includes(' unhash: ')).join('\n');
    const r = kinv(['check', '-'], Buffer.from(deleted, 'latin1'));
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('violation[');
    expect(r.stderr).toContain('error[KV316]: the header promises 20 entries, but the log holds at most 19 record lines');
    expect(r.stderr).toContain('--> <stdin>:3:1');
  });
});
