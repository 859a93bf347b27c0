/**
 * Damaged input and unusable arguments at the command line: one located message and the exit code
 * of Contract 4 (2 usage, 3 nothing judged or unreadable), never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
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

  it('probe records in a function_graph log without funcgraph-proc, all before a task is named: KV401 names the records without a task as the cause', () => {
    const log = join(tmp, 'graph-no-proc.txt');
    writeFileSync(log, [
      '# tracer: function_graph', '#',
      ' 0)               |  /* sys_exit: NR 4 = 0 */',
      ' 0)               |  /* dr: (down_read+0x0/0x50) sem=0xffff888004a1c0a0 */',
      ' 0)               |  /* dr_ret: (walk_component+0xd1/0x150 <- down_read) */',
      ' 0)               |  /* ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0 */',
    ].join('\n') + '\n');
    const r = kinv(['check', log]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('warning[KV337]: 4 records name no task');
    expect(r.stderr).toContain('error[KV401]: verdict unknown: no rule was judged: 4 of 4 records gave no event to judge: records that name no task are not judged'
      + ' (KV337: function_graph prints each line\'s task only with funcgraph-proc on)');
  });

  it('a spec without invariants, and events that meet no invariant\'s condition, exit 3 with KV401 saying which', () => {
    const events = join(process.cwd(), 'spec', 'vfs', 'events.kinv');
    const trace = join(tmp, 'one-read.ndjson');
    writeFileSync(trace, '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n');
    const none = join(tmp, 'no-invariant.kinv');
    writeFileSync(none, `import "${events}"\n`);
    const writersOnly = join(tmp, 'writers-only.kinv');
    writeFileSync(writersOnly, `import "${events}"\ninvariant never_exclusive on acq when mode == W: false else "exclusive"\n`);
    const cases: [string, string][] = [
      [none, 'error[KV401]: verdict unknown: the spec declares no invariant, so nothing was judged'],
      [writersOnly, "error[KV401]: verdict unknown: no invariant was evaluated: the events they are judged on occurred, but none met an invariant's condition"],
    ];
    for (const [spec, message] of cases) {
      const r = kinv(['check', '--spec', spec, trace]);
      expect([spec, r.code]).toEqual([spec, 3]);
      expect(r.stderr).toContain(message);
      expect(r.stdout).not.toContain('no violation');
    }
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

  it('an empty file or folder named beside a trace is no pass: KV314 for it, exit 3 (1 with a violation)', () => {
    const clean = join(tmp, 'beside-clean.ndjson');
    writeFileSync(clean, ['{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}', '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}',
      '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}', '{"pid":1,"ev":"syscall_exit"}', ''].join('\n'));
    const bug = join(tmp, 'beside-bug.ndjson');
    writeFileSync(bug, '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n');
    const empty = join(tmp, 'beside-empty.ndjson');
    writeFileSync(empty, '\n\n');
    const folder = join(tmp, 'beside-folder');
    mkdirSync(folder);
    writeFileSync(join(folder, 'expected.json'), '{}\n');
    expect(kinv(['check', clean]).code).toBe(0);
    const r = kinv(['check', clean, empty, folder]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error[KV314]: nothing to judge: no trace record in ${empty}`);
    expect(r.stderr).toContain(`error[KV314]: nothing to judge: no trace file in ${folder}`);
    expect(r.stdout).not.toContain('no violation');
    const v = kinv(['check', bug, empty]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`error[KV314]: nothing to judge: no trace record in ${empty}`);
  });

  it('a folder inside a trace folder is named as not read, not passed over in silence', () => {
    const dir = join(tmp, 'nested');
    mkdirSync(join(dir, 'more'), { recursive: true });
    writeFileSync(join(dir, 'clean.ndjson'), [
      '{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}', '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}',
      '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}', '{"pid":1,"ev":"syscall_exit"}', ''].join('\n'));
    writeFileSync(join(dir, 'more', 'bug.ndjson'), '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n');
    const r = kinv(['check', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`note[KV313]: ${dir}: 1 folder in it not read (more/)`);
    expect(r.stderr).toContain('name a file or folder on the command line to check it anyway');
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

/** Checks `text` written to `name` in the scratch folder: no verdict (exit 3), `message` on stderr, and no violation. */
function noVerdict(name: string, text: string | Buffer, message: string): { path: string; stdout: string; stderr: string } {
  const path = join(tmp, name);
  writeFileSync(path, text);
  const r = kinv(['check', path]);
  expect(r.code).toBe(3);
  expect(r.stderr).toContain(message);
  expect(r.stdout + r.stderr).not.toContain('violation[');
  return { path, ...r };
}

describe('kinv check: rules left unjudged by damage are no pass', () => {
  // The seed's draft d_add_ci on a case-insensitive XFS: four violations after its line 16.
  const draft = readFileSync('traces/ftrace/kprobe-draft-d_add_ci.txt', 'utf8').split('\n');

  it('a lost-events marker in the middle of a task\'s lookup: no "no violation", exit 3, KV403 at the marker', () => {
    const lost = join(tmp, 'lost.txt');
    writeFileSync(lost, [...draft.slice(0, 16), 'CPU:1 [LOST 1 EVENTS]', ...draft.slice(16)].join('\n'));
    const r = kinv(['check', lost]);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('violation[');
    expect(r.stdout).toMatch(/^no violation, 20 not judged \(records missing\) — /m);
    expect(r.stderr).toContain('error[KV403]: verdict unknown: CPU 1 lost 1 event, and 20 evaluations of the rules fell where the tasks\' state was unknown');
    expect(r.stderr).toContain(`--> ${lost}:17:1`);
    const json = kinv(['check', '--format', 'json', lost]);
    const objects = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; code?: string; line?: number; skippedAfterLoss?: number });
    expect(objects.at(-1)).toMatchObject({ kind: 'summary', skippedAfterLoss: 20 });
    expect(objects.at(-2)).toMatchObject({ kind: 'diagnostic', code: 'KV403', line: 17 });
    expect(json.stderr).toBe('');
  });

  it('the same capture whole still has its violations, and a capture that merely starts mid-run is judged where it can be', () => {
    expect(kinv(['check', 'traces/ftrace/kprobe-draft-d_add_ci.txt']).code).toBe(1);
    // Tasks are unknown until their first syscall exit in every capture: those skips are no loss.
    const r = kinv(['check', '--format', 'json', 'traces/kernel/trace.gz']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { skippedAfterLoss: number; unknown: Record<string, number> };
    expect(summary.skippedAfterLoss).toBe(0);
    expect(Object.values(summary.unknown).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('an ftrace line over the length bound is a gap of every task: the release it held is not read as never made', () => {
    const lines = readFileSync('traces/ftrace/coverage/readdir-full.txt', 'utf8').split('\n');
    expect(kinv(['check', 'traces/ftrace/coverage/readdir-full.txt']).code).toBe(0);
    lines[21] += ` pad="${'A'.repeat(1 << 20)}"`;
    noVerdict('long.txt', lines.join('\n'), 'error[KV301]: line longer than 1048576 bytes');
  });

  it('a byte above 0x7f in a probe\'s head is damage (KV306 and a gap), not a record of a function the spec does not follow', () => {
    const lines = readFileSync('traces/ftrace/coverage/readdir-full.txt', 'latin1').split('\n');
    expect(lines[21]).toContain('(up_read+');
    lines[21] = lines[21]!.replace('(up_read', '(up\xff_read');
    const r = noVerdict('high.txt', Buffer.from(lines.join('\n'), 'latin1'), 'error[KV306]: a byte above 0x7f where the kernel prints ASCII');
    expect(r.stderr).toContain(`--> ${r.path}:22:`);
    // A task's name and a string value may hold any bytes.
    const named = lines.slice();
    named[21] = lines[21]!.replace('(up\xff_read', '(up_read').replace(/^(\s*)ls-400/, '$1l\xe9-400');
    const ok = join(tmp, 'comm.txt');
    writeFileSync(ok, Buffer.from(named.join('\n'), 'latin1'));
    expect(kinv(['check', ok]).stderr).not.toContain('KV306');
  });

  it('records of which none is an event of the spec: exit 3, KV401, whatever the format', () => {
    const fn = join(tmp, 'fn.txt');
    writeFileSync(fn, '# tracer: function\n#\n            bash-100     [000] .....   10.000001: vfs_statx <-do_statx\n');
    const frob = join(tmp, 'frob.ndjson');
    writeFileSync(frob, '{"pid":101,"ev":"frobnicate"}\n');
    for (const path of [fn, frob]) {
      const r = kinv(['check', path]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('error[KV401]: verdict unknown: no rule was judged');
      expect(r.stderr).toMatch(/^no verdict — 0 events from 1 records/m);
    }
  });

  it('returns of a lock function missing from a capture: the rules they leave unjudged make the verdict unknown, and the message says how --probes decides it', () => {
    const lines = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'utf8').split('\n').filter((l) => !l.includes(' dr_ret: '))
      .map((l) => l.replace('entries-in-buffer/entries-written: 20/20', 'entries-in-buffer/entries-written: 18/18'));
    const noret = join(tmp, 'noret.txt');
    writeFileSync(noret, lines.join('\n'));
    const r = kinv(['check', noret]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^no violation, 24 not judged \(records missing\) — /m);
    expect(r.stderr).toContain("error[KV403]: verdict unknown: a probed call's return is missing (its kretprobe ran out of instances, "
      + "or the return was among records the capture lost, or the capture has no return probe on that function: give the capture's kprobe_events with --probes");
  });

  it('a record duplicated in a trace whose header counts its entries: KV316, no verdict, not a lock taken twice', () => {
    const lines = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'utf8').split('\n');
    noVerdict('dup.txt', [...lines.slice(0, 14), lines[13], ...lines.slice(14)].join('\n'),
      'error[KV316]: the header promises 20 entries, but the log holds 21 record lines: 1 was duplicated or inserted');
  });

  it('a record cut right after its name with the next one glued on: KV301, and the glued record is read', () => {
    const lines = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'utf8').split('\n');
    // line 15 (dr_ret) cut after `dr_ret:`, line 16 glued on
    const glued = [...lines.slice(0, 14), lines[14]!.replace(/(dr_ret:).*/, '$1') + lines[15], ...lines.slice(16)]
      .map((l) => l.replace('entries-written: 20/20', 'entries-written: 19/19'));
    noVerdict('glued.txt', glued.join('\n'), 'error[KV301]: two records on one line: the record before column');
  });

  it('a trace.dat with a block of ring-buffer data zeroed: its events are lost, as a lost-events marker says, not dropped unseen', () => {
    const bytes = Buffer.from(readFileSync('traces/tracedat/record-v6.dat'));
    expect(kinv(['check', 'traces/tracedat/record-v6.dat']).code).toBe(0);
    bytes.fill(0, 25 * 4096, 26 * 4096);
    const r = noVerdict('zeroed.dat', bytes, 'error[KV403]: verdict unknown: CPU 1 lost events');
    expect(r.stdout).toMatch(/^no violation, \d+ not judged \(records missing\)/m);
  });

  it('a record whose seq is not after the one before it is damage: its task loses the event, no verdict on it', () => {
    const r = noVerdict('seq.ndjson', '{"pid":1,"seq":5,"ev":"acq","args":{"lock":"I1","mode":"R"}}\n'
      + '{"pid":1,"seq":3,"ev":"rel","args":{"lock":"I1","mode":"R"}}\n{"pid":1,"seq":6,"ev":"syscall_exit"}\n',
    "error[KV302]: 'seq' 3 is not after the 5 of the record before it");
    expect(r.stderr).toContain(`--> ${r.path}:2:1`);
  });

  it('records without seq among records with one follow the record before them: no damage, the verdict at its seq', () => {
    const path = join(tmp, 'some-seq.ndjson');
    writeFileSync(path, ['{"pid":1,"seq":1000,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}',
      '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}', '{"pid":1,"seq":1002,"ev":"rel","args":{"lock":"I1","mode":"R"}}',
      '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}', ''].join('\n'));
    const r = kinv(['check', '--format', 'json', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('KV302');
    const verdicts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; invariant?: string; seq?: number; line?: number })
      .filter((o) => o.kind === 'violation');
    expect(verdicts.map((v) => [v.invariant, v.seq, v.line])).toEqual([['rel_held', 1003, 4]]);
  });

  it('a d_alloc_parallel return without its ret is damage (KV302), not a NULL return judged inconsistent', () => {
    const path = join(tmp, 'no-ret.ndjson');
    writeFileSync(path, ['{"pid":1,"ev":"call","fn":"lookup_slow","args":{"dir":"I1","name":"foo"}}',
      '{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}', '{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}',
      '{"pid":1,"ev":"call","fn":"d_alloc_parallel","args":{"dir":"I1","name":"foo"}}', '{"pid":1,"ev":"ret","fn":"d_alloc_parallel","args":{"outcome":"N"}}',
      '{"pid":1,"ev":"il_end","args":{"dentry":"D1"}}', '{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}',
      '{"pid":1,"ev":"ret","fn":"lookup_slow","ret":"D1"}', '{"pid":1,"ev":"syscall_exit"}', ''].join('\n'));
    const r = kinv(['check', path]);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain('violation[');
    expect(r.stderr).toContain("error[KV302]: the return value 'ret' of 'ret d_alloc_parallel' is missing, so what it returned is unknown (null is a NULL return)");
    expect(r.stderr).toContain(`--> ${path}:5:1`);
  });

  it('conform holds seq order as check does: a record out of order is damage, not a step', () => {
    const lines = readFileSync('traces/sim/draft-current-E2.ndjson', 'utf8').trim().split('\n');
    const rev = join(tmp, 'revseq.ndjson');
    writeFileSync(rev, lines.map((l, i) => JSON.stringify({ ...(JSON.parse(l) as object), seq: 100 - i })).join('\n') + '\n');
    const r = kinv(['conform', '--d-add-ci', 'draft', rev]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("error[KV302]: 'seq' 99 is not after the 100 of the record before it");
    expect(kinv(['conform', '--d-add-ci', 'draft', 'traces/sim/draft-current-E2.ndjson']).code).toBe(0);
  });

  it('a compressed trace cut inside its first block: KV305, cut short, not "not a valid file"', () => {
    const gz = join(tmp, 'cut.gz');
    writeFileSync(gz, gzipSync(readFileSync('traces/ndjson/draft-d_add_ci-E2.ndjson')).subarray(0, 20));
    const r = kinv(['check', gz]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error[KV305]: the gzip stream is cut short before any data could be decoded');
    expect(r.stderr).not.toContain('KV309');
  });

  it('an unknown --param names no place in the spec', () => {
    const r = kinv(['check', '-p', 'nosuch=1', 'traces/ndjson/draft-d_add_ci-E2.ndjson']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error[KV105]: unknown parameter 'nosuch' given with --param");
    expect(r.stderr).not.toContain('-->');
  });
});

describe('kinv check, explore, fuzz, sim: outputs and options that would lose work or mislead', () => {
  it('a picture path that names the trace itself is refused before anything is written', () => {
    const trace = join(tmp, 'victim.ndjson');
    const text = readFileSync('traces/ndjson/draft-d_add_ci-E2.ndjson', 'utf8');
    writeFileSync(trace, text);
    for (const option of ['--html', '--perfetto', '--dot']) {
      const r = kinv(['check', option, trace, trace]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${option} ${trace} is the trace ${trace}: writing it would overwrite it`);
      expect(readFileSync(trace, 'utf8')).toBe(text);
    }
  });

  it('an -o that cannot be written is a usage error before the search, not an internal error after it', () => {
    for (const cmd of [['explore', '--d-add-ci', 'draft', '--scenario', 'single'], ['fuzz', '--d-add-ci', 'draft', '--seed', '1', '-n', '50']]) {
      const r = kinv([...cmd, '-o', join(tmp, 'no', 'such', 'dir', 'x.ndjson')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('cannot write -o ');
      expect(r.stderr).not.toContain('internal error');
    }
  });

  it('sizes of zero, random-scenario options on a named scenario, shares over 1, a second order and unknown invariants are usage errors', () => {
    const cases: [string[], string][] = [
      [['sim', '--scenario', 'random', '--dirs', '0'], '--dirs expects a positive integer'],
      [['fuzz', '--tasks', '0', '-n', '10'], '--tasks expects a positive integer'],
      [['explore', '--scenario', 'pair', '--tasks', '3'], "--tasks shapes a random scenario, and scenario 'pair' is fixed"],
      [['sim', '--scenario', 'pair', '--alloc-fail', '1'], "--alloc-fail shapes a random scenario, and scenario 'pair' is fixed"],
      [['sim', '--creat', '0.7', '--mkdir', '0.7'], 'are shares of the operations: together at most 1'],
      [['explore', '--order', 'new', '-p', 'order=current'], '--param order=current: the order is --order'],
      [['fuzz', '--seed', '1', '--only', 'rel_hled'], "--only: the spec has no invariant 'rel_hled' (did you mean 'rel_held'?)"],
    ];
    for (const [args, message] of cases) {
      const r = kinv(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toContain(message);
    }
  });

  it('a spec of one\'s own without the order parameter judges explored runs', () => {
    const spec = join(tmp, 'own.kinv');
    writeFileSync(spec, `import "${join(process.cwd(), 'spec', 'vfs', 'events.kinv')}"\ninvariant never_exclusive on acq: mode == R else "task {pid} takes {lock} exclusive"\n`);
    const r = kinv(['explore', '--spec', spec, '--scenario', 'mkdir']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('never_exclusive');
  });
});

describe('lists and names that fit nothing are refused, not bent', () => {
  const pair = ['sim', '--d-add-ci', 'mainline', '--order', 'current', '--scenario', 'pair'];

  it('sim --replay replays its own list exactly, and refuses a pick out of range or choices left over', () => {
    const first = kinv(pair);
    expect(first.code).toBe(0);
    const list = /--replay (\S+)\n/.exec(first.stderr)![1]!;
    const again = kinv([...pair, '--replay', list]);
    expect([again.code, again.stdout]).toEqual([0, first.stdout]);
    const itf = join(tmp, 'kept.itf.json');
    writeFileSync(itf, 'kept');
    const out = kinv([...pair, '--replay', '1,0,5', '--itf', itf]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--replay: choice 3 is 5, but that decision (schedule) has 2 options, 0 to 1: the list is not a run of this scenario');
    expect(out.stdout).toBe('');
    expect(readFileSync(itf, 'utf8')).toBe('kept');
    const over = kinv([...pair, '--replay', `${list},0`]);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain(`--replay gives ${list.split(',').length + 1} choices, but the run ended after ${list.split(',').length}`);
  });

  it('probes --comm refuses a name no task can have, before reading the BTF', () => {
    const cases: [string, string][] = [
      ['my-long-program-name', '--comm my-long-program-name: 20 bytes, and the kernel keeps a task\'s name to its first 15 (TASK_COMM_LEN 16), so no task is named that: give --comm my-long-program'],
      ['a"b', 'a task name for an ftrace filter cannot hold a quote, a backslash or a newline'],
      ['', '--comm expects a task name, got an empty one'],
    ];
    for (const [name, message] of cases) {
      const r = kinv(['probes', '--btf', join(tmp, 'no-such-btf'), '--comm', name]);
      expect([name, r.code]).toEqual([name, 2]);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('cannot read --btf');
    }
    const ok = kinv(['probes', '--btf', 'traces/btf/vfs-structs-x86_64.btf', '--comm', 'exactly15bytes!']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`KINV_COMM_FILTER='comm == "exactly15bytes!"'`);
  });

  it('a picture or counterexample file named - is refused (standard output carries the command\'s own output), and sim -o - is standard output', () => {
    for (const args of [['check', '--dot', '-', 'traces/ndjson/draft-d_add_ci-E2.ndjson'], ['explore', '--scenario', 'single', '-o', '-'], ['sim', '--scenario', 'single', '--itf', '-']]) {
      const r = kinv(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toContain(`${args.at(-2) === '-' ? args.at(-3) : args.at(-2)} -: standard output carries this command's own output`);
    }
    const sim = kinv(['sim', '--scenario', 'single', '-o', '-']);
    expect(sim.code).toBe(0);
    expect(sim.stdout).toBe(kinv(['sim', '--scenario', 'single']).stdout);
    expect(sim.stdout.split('\n')[0]).toContain('"ev":"call"');
  });
});
