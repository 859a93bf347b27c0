/**
 * Damaged and hostile input, case by case: each becomes a located diagnostic and a gap of the
 * task it may belong to (every task when its task is unreadable), never a value that is judged.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkTraceFile } from '../../src/checker/file.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';
import { terminalText } from '../../src/diag/terminal.js';
import { expandTraces } from '../../src/cli/trace-files.js';
import { desynchronisingChange } from '../helpers/gzip-desync.js';
import { firstDuplicateKey } from '../../src/trace/json-keys.js';

const specs = new SpecSet([], {});
const tmp = mkdtempSync(join(tmpdir(), 'kinv-damage-'));
let n = 0;

async function check(content: string | Buffer, ext = 'ndjson') {
  const path = join(tmp, `t${n++}.${ext}`);
  writeFileSync(path, content);
  const diags: Diagnostic[] = [];
  const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: (d) => diags.push(d) });
  return {
    diags: diags.map((d) => `${d.code} ${d.at?.line}:${d.at?.column}`),
    gaps: (r?.gaps ?? []).map((g) => `${g.line} ${g.pids === undefined ? 'all' : g.pids.join(',')}${g.lasting ? ' lasting' : ''}`),
    violations: (r?.verdicts ?? []).filter((v) => v.kind === 'violation').map((v) => `${v.invariant} ${v.event?.pid} ${v.event?.line}`),
  };
}

const SYNC = '{"pid":1,"ev":"syscall_exit"}';
const ACQ = '{"pid":1,"ev":"acq_req","args":{"lock":"I1","mode":"R","kind":"blocking"}}\n{"pid":1,"ev":"acq","args":{"lock":"I1","mode":"R"}}';
const lines = (...ls: string[]): string => ls.join('\n') + '\n';

describe('NDJSON: a missing, null or mistyped argument is damage, not none', () => {
  it('rel with lock null', async () => {
    const r = await check(lines(SYNC, ACQ, '{"pid":1,"ev":"rel","args":{"lock":null,"mode":"R"}}', SYNC));
    expect(r).toEqual({ diags: ['KV302 4:29'], gaps: ['4 1'], violations: [] });
  });

  it('rel without lock', async () => {
    const r = await check(lines(SYNC, ACQ, '{"pid":1,"ev":"rel","args":{"mode":"R"}}', SYNC));
    expect(r).toEqual({ diags: ['KV302 4:21'], gaps: ['4 1'], violations: [] });
  });

  it('an optional argument may be none: d_splice_alias of a negative entry, lookup flags', async () => {
    const r = await check(lines(SYNC,
      '{"pid":1,"ev":"call","fn":"d_splice_alias","args":{"dentry":"D1","inode":null}}', '{"pid":1,"ev":"ret","fn":"d_splice_alias","ret":null}',
      '{"pid":1,"ev":"call","fn":"lookup_slow","args":{"dir":"I1","name":"a"}}', '{"pid":1,"ev":"ret","fn":"lookup_slow","ret":null}', SYNC));
    expect(r).toEqual({ diags: [], gaps: [], violations: [] });
  });

  it('duplicate keys, a pid beyond 2^53 - 1', async () => {
    const r = await check(lines(SYNC, '{"pid":1,"ev":"rel","args":{"lock":"I1","lock":"I2","mode":"R"}}', '{"pid":9007199254740993,"ev":"syscall_exit"}'));
    expect(r.diags).toEqual(['KV301 2:41', 'KV301 3:2']);
    expect(r.gaps).toEqual(['2 1', '3 all']);
    expect(r.violations).toEqual([]);
  });
});

describe('NDJSON: a line whose task cannot be read is a gap of every task, later ones too', () => {
  it('garbage, then a new task releases what it took before the garbage could have shown', async () => {
    const r = await check(lines(SYNC, 'garbage', '{"pid":2,"ev":"rel","args":{"lock":"I1","mode":"R"}}', '{"pid":2,"ev":"syscall_exit"}', '{"pid":2,"ev":"rel","args":{"lock":"I1","mode":"R"}}'));
    expect(r.diags).toEqual(['KV301 2:1']);
    expect(r.gaps).toEqual(['2 all']);
    // Task 2 is known again after its return to user space: the release after it is judged.
    expect(r.violations).toEqual(['rel_held 2 5']);
  });

  it('a line over 1 MiB without a newline is skipped in linear time', async () => {
    const r = await check(SYNC + '\n{"pid":1,"ev":"x","a":"' + 'a'.repeat(3 << 20));
    expect(r).toEqual({ diags: ['KV301 2:1'], gaps: ['2 all'], violations: [] });
  });

  it('a damaged record that may have reset a lock-order graph (an unlock_rename) starts the graphs over: no cycle across it', async () => {
    const ls = readFileSync('traces/ndjson/dir_lock_order-after-rename.ndjson', 'utf8').split('\n');
    const at = ls.findIndex((l) => l.includes('"unlock_rename"'));
    ls[at] = ls[at]!.replace('"ev":"unlock_rename"', '"ev":null');
    const r = await check(ls.join('\n'));
    expect(r).toEqual({ diags: [`KV301 ${at + 1}:${ls[at]!.indexOf('"ev"') + 1}`], gaps: [`${at + 1} 103`], violations: [] });
  });

  it('a UTF-8 byte order mark is skipped: the first record is read as NDJSON', async () => {
    const r = await check(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines('{"pid":1,"ev":"rel","args":{"lock":"I1","mode":"R"}}'))]));
    expect(r).toEqual({ diags: [], gaps: [], violations: ['rel_held 1 1'] });
  });
});

describe('ftrace: damaged records of a kprobe capture', () => {
  const clean = readFileSync('traces/ftrace/kprobe-fixed-d_add_ci.txt', 'latin1');
  /** The header's count made `n` (a line added is otherwise an inserted entry: KV316). */
  const counted = (ls: string[], n: number): void => {
    const i = ls.findIndex((l) => l.includes('entries-in-buffer/entries-written:'));
    ls[i] = ls[i]!.replace(/\d+\/\d+/, `${n}/${n}`);
  };
  const UR = 'ur: (up_read+0x0/0x40) sem=0xffff888004a1c0a0';
  const firstUr = clean.split('\n').findIndex((l) => l.includes(UR)) + 1;
  const damage = (by: string): string => clean.replace(UR, by);

  it('the clean capture: the fixed shape\'s release under an in-lookup dentry and its lock-order cycle', async () => {
    expect(await check(clean, 'txt')).toEqual({ diags: [], gaps: [], violations: ['in_lookup_parent_locked 315 21', 'lock_order_acyclic 315 24'] });
  });

  it('an up_read without sem=, or with sem=0xZZZZ: the diagnostic names the raw field', async () => {
    for (const [by, says] of [['ur: (up_read+0x0/0x40)', 'the record has no sem='], ['ur: (up_read+0x0/0x40) sem=0xZZZZ', "the record's sem=0xZZZZ does not give one"]] as const) {
      expect(await check(damage(by), 'txt')).toEqual({ diags: [`KV302 ${firstUr}:1`], gaps: [`${firstUr} 315`], violations: [] });
      const diags: Diagnostic[] = [];
      const path = join(tmp, `t${n++}.txt`);
      writeFileSync(path, damage(by));
      await checkTraceFile(path, specs, { onDiagnostic: (d) => diags.push(d) });
      expect(diags.map((d) => d.message)).toEqual([`argument 'lock' of 'rel' is missing; it must be a string: ${says}`]);
    }
  });

  it('an up_read whose probe leaves its argument unnamed (arg1=): the diagnostic says to name it sem=', async () => {
    const diags: Diagnostic[] = [];
    const path = join(tmp, `t${n++}.txt`);
    writeFileSync(path, damage('ur: (up_read+0x0/0x40) arg1=0xffff888004a1c0a0'));
    await checkTraceFile(path, specs, { onDiagnostic: (d) => diags.push(d) });
    expect(diags.map((d) => [d.code, d.at?.line, d.message])).toEqual([['KV302', firstUr,
      "argument 'lock' of 'rel' is missing; it must be a string: the record has no sem= (it has arg1=: name the probe's argument sem=, as kinv probes does)"]]);
  });

  it('control bytes in a record line outside quotes; an up_read replaced by binary', async () => {
    expect(await check(damage('ur: (up_read+0x0/0x40)\x01 sem=0xffff888004a1c0a0'), 'txt')).toEqual({ diags: [`KV306 ${firstUr}:74`], gaps: [`${firstUr} 315`], violations: [] });
    const binary = clean.split('\n').map((l, i) => (i + 1 === firstUr ? '\x17\x08Dtrace\x00\x00' : l)).join('\n');
    expect(await check(binary, 'txt')).toEqual({ diags: [`KV306 ${firstUr}:1`], gaps: [`${firstUr} all`], violations: [] });
  });

  it('a line deleted from a file whose header counts its entries: every task unknown throughout', async () => {
    const deleted = clean.split('\n').filter((l) => !l.includes(' unhash: ')).join('\n');
    expect(await check(deleted, 'txt')).toEqual({ diags: ['KV316 3:1'], gaps: ['3 all lasting', '31 all'], violations: [] });
  });

  it('two lines of one CPU swapped: a gap before and after the misplaced span', async () => {
    const ls = clean.split('\n');
    [ls[firstUr - 2], ls[firstUr - 1]] = [ls[firstUr - 1]!, ls[firstUr - 2]!];
    expect(await check(ls.join('\n'), 'txt')).toEqual({ diags: [`KV315 ${firstUr}:1`], gaps: [`${firstUr} all`, `${firstUr} all`], violations: [] });
  });

  it('a line no mapping wants, moved out of its CPU\'s time order: the same gaps as a moved record', async () => {
    const ls = clean.split('\n');
    // A probe on a function no mapping names, stamped before the line above it on CPU 1.
    ls.splice(firstUr, 0, '            stat-315     [001] .....   100.000100: myprobe: (vfs_getattr+0x0/0x40) x=0x1');
    counted(ls, 21);
    const moved = firstUr + 1;
    // The d_add_ci release at line 21 was judged before the moved line: its verdict stands; the
    // lock-order cycle after it is no longer claimed.
    expect(await check(ls.join('\n'), 'txt')).toEqual({ diags: [`KV315 ${moved}:1`], gaps: [`${moved} all`, `${moved} all`], violations: ['in_lookup_parent_locked 315 21'] });
  });

  it('a mapped record older only than an unmapped line before it: out of order all the same', async () => {
    const ls = clean.split('\n');
    ls.splice(firstUr - 1, 0, '            stat-315     [001] .....   100.000216: myprobe: (vfs_getattr+0x0/0x40) x=0x1');
    counted(ls, 21);
    ls[firstUr] = ls[firstUr]!.replace('100.000217', '100.000215');
    const moved = firstUr + 1;
    expect(await check(ls.join('\n'), 'txt')).toEqual({ diags: [`KV315 ${moved}:1`], gaps: [`${moved} all`, `${moved} all`], violations: [] });
  });

  it('a cut .gz: decoded as far as it goes, then a located diagnostic and a gap of every task', async () => {
    const gz = gzipSync(Buffer.from(clean.repeat(1), 'latin1'));
    const r = await check(gz.subarray(0, gz.length - 30), 'gz');
    expect(r.diags.at(-1)).toMatch(/^KV305 \d+:1$/);
    expect(r.gaps.at(-1)).toMatch(/ all$/);
  });
});

describe('terminal text', () => {
  it('escapes control bytes, ESC, OSC, BEL, CR, C1 and bidi overrides, and caps the length', () => {
    expect(terminalText('a\x1b[2Jb\x1b]0;t\x07c\rd\u009be\u202ef\u2066')).toBe('a\\x1b[2Jb\\x1b]0;t\\x07c\\x0dd\\x9be\\u{202e}f\\u{2066}');
    expect(terminalText('x'.repeat(100_000))).toBe('x'.repeat(200) + '…(100000 chars)');
    expect(terminalText('plain name/with spaces')).toBe('plain name/with spaces');
  });
});

describe('trace folders and files', () => {
  it('a folder: every regular file but the sidecars, which are named; a dangling link is unreadable', () => {
    const dir = join(tmp, 'folder');
    mkdirSync(dir);
    for (const f of ['a.json', 'b.txt', 'expected.json', 'metadata.json', 'README.md', 'x.meta.json']) writeFileSync(join(dir, f), '{}\n');
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    const t = expandTraces([dir]);
    expect(t.files).toEqual([join(dir, 'a.json'), join(dir, 'b.txt')]);
    expect(t.skipped).toEqual([{ dir, names: ['README.md', 'expected.json', 'metadata.json', 'x.meta.json'], folders: [] }]);
    expect(t.unreadable).toEqual([{ path: join(dir, 'dangling'), why: 'a symbolic link to nothing' }]);
  });

  it('a capture\'s folder: its trace, not what the capture saved beside it from tracefs and its machine', () => {
    const dir = join(tmp, 'capture');
    mkdirSync(dir);
    const sidecars = ['casefold.txt', 'console.log.gz', 'counts.json', 'filters.txt', 'functions', 'host-changes.log', 'kallsyms', 'kinv-probes.cmdline', 'kinv-probes.sh',
      'kprobe_events', 'kprobe_events.after', 'kprobe_profile', 'mounts.txt', 'probed-verdicts.json', 'record.log', 'setup.txt', 't.syms',
      'workload-params.txt', 'workload.log'];
    // Traces named as users name them, some near a sidecar's name.
    const traces = ['console.txt', 'functions.txt', 'kprobe.txt', 'record.txt', 'record.txt.gz', 'run.log', 'trace.dat', 'trace.gz', 'trace.log',
      'workload.ndjson'];
    for (const f of [...sidecars, ...traces]) writeFileSync(join(dir, f), '\n');
    const t = expandTraces([dir]);
    expect(t.files).toEqual(traces.map((f) => join(dir, f)));
    expect(t.skipped).toEqual([{ dir, names: sidecars, folders: [] }]);
  });

  it('duplicate keys are found at any depth, escapes compared as JSON.parse sees them', () => {
    expect(firstDuplicateKey('{"a":1,"b":{"c":1,"\\u0063":2}}')).toEqual({ key: 'c', column: 19 });
    expect(firstDuplicateKey('{"a":[{"b":1},{"b":2}],"c":"a"}')).toBeUndefined();
  });
});

describe('ftrace: a lost-events marker in the seed\'s bug capture', () => {
  it('makes no violation the capture without it does not have (the lock-order edges computed from what the loss may have changed are unknown)', async () => {
    const all = gunzipSync(readFileSync(new URL('../../traces/kernel-buggy/trace.gz', import.meta.url))).toString('utf8').split('\n').slice(0, 22000)
      .filter((l) => !l.startsWith('# entries-in-buffer')); // (its count is of the whole capture)
    const said = async (ls: string[]) => {
      const path = join(tmp, `t${n++}.txt`);
      writeFileSync(path, ls.join('\n') + '\n');
      const r = await checkTraceFile(path, specs, { all: true, onDiagnostic: () => undefined });
      return { gaps: (r?.gaps ?? []).map((g) => g.line), violations: (r?.verdicts ?? []).filter((v) => v.kind === 'violation').map((v) => `${v.invariant} ${v.event?.pid}: ${v.message}`) };
    };
    const whole = await said(all);
    const lost = await said([...all.slice(0, 19999), 'CPU:1 [LOST 5 EVENTS]', ...all.slice(19999)]);
    expect(whole.gaps).toEqual([]);
    // the loss lies after CPU 1's record before the marker (line 19999) and up to the marker
    expect(lost.gaps).toEqual([19999, 20000]);
    expect(whole.violations.length).toBeGreaterThan(0);
    expect(lost.violations.filter((v) => !whole.violations.includes(v))).toEqual([]);
  });
});

describe('a compressed trace that fails its checksum: its violations are unknown, as the text may be damaged anywhere', () => {
  // (then another task's 20,000 returns to user space: the damage shows past the decoder's first chunk of text)
  const e2 = Buffer.concat([readFileSync('traces/ndjson/draft-d_add_ci-E2.ndjson'), Buffer.from('{"pid":900,"ev":"syscall_exit"}\n'.repeat(20000))]);
  const detailed = async (gz: Buffer) => {
    const path = join(tmp, `t${n++}.ndjson.gz`);
    writeFileSync(path, gz);
    const diags: Diagnostic[] = [];
    // (each verdict's kind as it is handed on: a compressed stream's are held to its end)
    const handed: string[] = [];
    const r = (await checkTraceFile(path, specs, { onDiagnostic: (d) => diags.push(d), onVerdict: (v) => handed.push(`${v.kind} ${v.invariant}`) }))!;
    return { r, handed, diags: diags.filter((d) => d.severity === 'error').map((d) => [d.code, d.message, d.at?.line]) };
  };

  it('a bit of the gzip trailer\'s CRC flipped: the four violations of the draft E2 trace become unknown, with one KV305 saying why', async () => {
    const gz = gzipSync(e2);
    gz[gz.length - 8]! ^= 1;
    const { r, diags, handed } = await detailed(gz);
    expect(r.violations).toBe(0);
    // never handed on as violations: a line of JSON already printed could not be taken back
    expect(handed).toEqual(['unknown in_lookup_parent_locked', 'unknown d_add_ci_parent_lock_balanced', 'unknown lookup_parent_lock_balanced', 'unknown rel_held']);
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['unknown', 'in_lookup_parent_locked', 8], ['unknown', 'd_add_ci_parent_lock_balanced', 11],
      ['unknown', 'lookup_parent_lock_balanced', 12], ['unknown', 'rel_held', 14],
    ]);
    expect(r.undecided).toMatchObject({ in_lookup_parent_locked: 1, d_add_ci_parent_lock_balanced: 1, lookup_parent_lock_balanced: 1, rel_held: 1 });
    expect(r.coverage.filter((c) => c.undecided > 0).map((c) => c.invariant).sort())
      .toEqual(['d_add_ci_parent_lock_balanced', 'in_lookup_parent_locked', 'lookup_parent_lock_balanced', 'rel_held']);
    const path = `${tmp}/t${n - 1}.ndjson.gz`;
    // (every line is decoded and handed over before the trailer's check fails: the verdicts are held to the stream's end)
    const damage = `the gzip stream is damaged or cut short after ${e2.length} bytes of data (incorrect data check)`;
    expect(diags).toEqual([
      ['KV305', damage, 20017],
      ['KV305', `the 4 violations found in ${path} cannot be trusted: ${damage}, and the text decoded before that may be damaged anywhere`
        + ' (a compressed stream\'s checksum covers it whole); taken as unknown', 20017],
    ]);
  });

  it('a changed bit that runs the decoder on through the trailer to the end (zlib: "unexpected end of file", as of a cut): damage, its violations unknown', async () => {
    const { r, diags } = await detailed(desynchronisingChange(gzipSync(e2)));
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['unknown', 'in_lookup_parent_locked', 8], ['unknown', 'd_add_ci_parent_lock_balanced', 11],
      ['unknown', 'lookup_parent_lock_balanced', 12], ['unknown', 'rel_held', 14],
    ]);
    expect(diags.map((d) => d[0])).toContain('KV305');
    expect(diags.map((d) => d[1]).join('\n')).toMatch(new RegExp(`the gzip stream is damaged or cut short after \\d+ bytes of data \\(the data decodes on into the input's last 8 bytes, `
      + `which read as the member's trailer \\(a size of ${e2.length} bytes, where \\d+ were decoded\\): damaged, not cut short\\)`));
  });

  it('followed by bytes that are not gzip: every line decoded and its checksum verified, so its violations stand; read as cut after them', async () => {
    const gz = Buffer.concat([gzipSync(e2), Buffer.from('not gzip at all\n')]);
    const { r, diags, handed } = await detailed(gz);
    expect(handed).toEqual(r.verdicts.map((v) => `violation ${v.invariant}`));
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['violation', 'in_lookup_parent_locked', 8], ['violation', 'd_add_ci_parent_lock_balanced', 11],
      ['violation', 'lookup_parent_lock_balanced', 12], ['violation', 'rel_held', 14],
    ]);
    expect(r.gaps.map((g) => [g.line, g.pids])).toEqual([[20017, undefined]]);
    expect(diags).toEqual([
      ['KV305', `the gzip stream's members decode whole and verified (${e2.length} bytes of data), and it is followed by 16 bytes`
        + ' that begin no gzip member (incorrect header check): the capture may go on in them', 20017],
    ]);
  });

  it('a small gzip followed by a byte that is not gzip (a newline appended to the file): checked whole, and read as cut after it', async () => {
    const e2small = readFileSync('traces/ndjson/draft-d_add_ci-E2.ndjson');
    const { r, diags } = await detailed(Buffer.concat([gzipSync(e2small), Buffer.from('\n')]));
    expect(r.verdicts.map((v) => [v.kind, v.invariant, v.event?.line])).toEqual([
      ['violation', 'in_lookup_parent_locked', 8], ['violation', 'd_add_ci_parent_lock_balanced', 11],
      ['violation', 'lookup_parent_lock_balanced', 12], ['violation', 'rel_held', 14],
    ]);
    expect(diags).toEqual([
      ['KV305', `the gzip stream's members decode whole and verified (${e2small.length} bytes of data), and it is followed by 1 bytes`
        + ' that begin no gzip member (incorrect header check): the capture may go on in them', 17],
    ]);
  });

  it('followed by a gzip magic number and no member: a later header, read as cut as well, its violations standing', async () => {
    const { r, diags } = await detailed(Buffer.concat([gzipSync(e2), Buffer.from([0x1f, 0x8b, 0xff, 0xff]), Buffer.alloc(20)]));
    expect(r.verdicts.map((v) => [v.kind, v.invariant])).toEqual([
      ['violation', 'in_lookup_parent_locked'], ['violation', 'd_add_ci_parent_lock_balanced'], ['violation', 'lookup_parent_lock_balanced'], ['violation', 'rel_held'],
    ]);
    expect(diags).toEqual([['KV305', `the gzip stream's members decode whole and verified (${e2.length} bytes of data), and it is followed by 24 bytes`
      + ' that begin no gzip member (unknown compression method): the capture may go on in them', 20017]]);
  });

  it('zero padding after its end is nothing; data after the padding, which the decoder stops before, is said and the capture read as cut there', async () => {
    const gz = gzipSync(e2);
    const padded = await detailed(Buffer.concat([gz, Buffer.alloc(4096)]));
    expect(padded.diags).toEqual([]);
    expect(padded.r.verdicts.map((v) => v.kind)).toEqual(['violation', 'violation', 'violation', 'violation']);
    const more = await detailed(Buffer.concat([gz, Buffer.alloc(3), gzipSync(Buffer.from('{"pid":901,"ev":"syscall_exit"}\n'))]));
    expect(more.r.verdicts.map((v) => v.kind)).toEqual(['violation', 'violation', 'violation', 'violation']);
    expect(more.diags).toEqual([['KV305', `the gzip stream's members decode whole and verified (${e2.length} bytes of data), and the 55 bytes after its end begin with zero padding`
      + ' and go on with data, which is not read: the capture may go on in them', 20017]]);
  });

  it('cut short (its trailer gone): what decoded is the file\'s own, and its violations stand', async () => {
    const gz = gzipSync(e2);
    const { r, diags, handed } = await detailed(gz.subarray(0, gz.length - 8));
    expect(handed).toEqual(r.verdicts.map((v) => `violation ${v.invariant}`));
    expect(r.verdicts.map((v) => [v.kind, v.invariant])).toEqual([
      ['violation', 'in_lookup_parent_locked'], ['violation', 'd_add_ci_parent_lock_balanced'], ['violation', 'lookup_parent_lock_balanced'], ['violation', 'rel_held'],
    ]);
    expect(diags.map((d) => d[0])).toEqual(['KV305']);
  });
});
