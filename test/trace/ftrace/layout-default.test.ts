/**
 * A capture names its kernel's layout (the i_rwsem offset, the DCACHE_PAR_LOOKUP bit) through its
 * records; where it does not show one, the spec's default (6.1 x86_64's) is used, and a warning
 * (KV321) says so, at the file's first line, with the parameter that sets it. perf script's
 * layout shows them as tracefs text does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inferIrwsemOffset, inferParLookupBit } from '../../../src/trace/ftrace/infer.js';
import { kinv } from '../../helpers/kinv.js';
import { perfScriptOf } from '../../helpers/perf-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'kinv-layout-'));
const lines = gunzipSync(readFileSync('traces/kernel-programs/6.1-full/trace.gz')).toString('latin1').split('\n').slice(0, 3000);
const functions = 'traces/kernel-programs/6.1-full/functions';
function excerpt(name: string, keep: (l: string) => boolean): string {
  const f = join(dir, name);
  writeFileSync(f, lines.filter(keep).join('\n') + '\n', 'latin1');
  return f;
}
const kv321 = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('warning[KV321]'));

describe('a kernel layout the capture does not show', () => {
  it('a capture that shows both says nothing', async () => {
    const r = await kinv(['check', '--functions', functions, excerpt('whole.txt', () => true)]);
    expect(kv321(r.stderr)).toEqual([]);
  });

  it('without a down_read or down_write before a lookup, the i_rwsem offset is the default, and a warning says so', async () => {
    const f = excerpt('no-dr-dw.txt', (l) => !l.includes(' dr: ') && !l.includes(' dw: '));
    const r = await kinv(['check', '--functions', functions, f]);
    expect(kv321(r.stderr)).toEqual(['warning[KV321]: this capture does not show its kernel\'s i_rwsem_offset (no task\'s down_read or down_write is '
      + 'followed by its __lookup_slow, d_alloc_parallel, ->lookup or d_add_ci of the directory it locked): the spec\'s default 160 is used, '
      + 'and a kernel whose layout differs gets lock ids or outcomes that do not match its records']);
    expect(r.stderr).toContain(`--> ${f}:1:1`);
    expect(r.stderr).toContain('= help: give --param i_rwsem_offset=N');
    expect(kv321((await kinv(['check', '--functions', functions, '--param', 'i_rwsem_offset=160', f])).stderr)).toEqual([]);
  });

  it('without a down_read, the offset is read off a create path\'s down_write and the ->lookup or d_alloc_parallel after it', async () => {
    const f = excerpt('no-dr.txt', (l) => !l.includes(' dr: '));
    const json = async (...args: string[]) => (await kinv(['check', '--functions', functions, '-f', 'json', ...args, f]));
    const verdicts = (stdout: string) => stdout.replace(/"seconds":[\d.e-]+/, '"seconds":0');
    const inferred = await json();
    expect(kv321(inferred.stderr)).toEqual([]);
    expect(verdicts(inferred.stdout)).toEqual(verdicts((await json('--param', 'i_rwsem_offset=160')).stdout));
    expect(verdicts(inferred.stdout)).not.toEqual(verdicts((await json('--param', 'i_rwsem_offset=152')).stdout));
  });

  it('without a probed ->lookup after d_alloc_parallel, the DCACHE_PAR_LOOKUP bit is the default, and a warning says so', async () => {
    const r = await kinv(['check', '--functions', functions, excerpt('no-lookup.txt', (l) => !l.includes(' fs_lookup_'))]);
    expect(kv321(r.stderr)).toHaveLength(1);
    expect(kv321(r.stderr)[0]).toContain('does not show its kernel\'s dcache_par_lookup');
    expect(kv321(r.stderr)[0]).toContain('the spec\'s default 0x10000000 is used');
  });
});

describe('the layout read off the whole capture', () => {
  it('a DCACHE_PAR_LOOKUP bit the first part does not show is read off the rest (no warning, no default)', async () => {
    // 3 MB with no probed ->lookup (so no d_alloc_parallel return the bit can be read off), then the capture as it was.
    const all = gunzipSync(readFileSync('traces/kernel-programs/6.1-full/trace.gz')).toString('latin1').split('\n').filter((l) => !l.startsWith('#'));
    const f = join(dir, 'late-lookups.txt');
    writeFileSync(f, [...all.slice(0, 30_000).filter((l) => !l.includes(' fs_lookup_')), ...all.slice(30_000, 36_000)].join('\n') + '\n', 'latin1');
    const r = await kinv(['check', '--functions', functions, f]);
    expect(kv321(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('the layout read off perf script text', () => {
  it('the i_rwsem offset and the DCACHE_PAR_LOOKUP bit, as off the same capture\'s tracefs text', () => {
    // perf script writes `comm pid [cpu]` and `kprobes:name:` where tracefs writes `comm-pid [cpu]` and `name:`.
    const perf = perfScriptOf(gunzipSync(readFileSync('traces/ftrace/trace-cmd/extract.report.txt.gz')).toString('latin1'));
    const tracefs = gunzipSync(readFileSync('traces/ftrace/trace-cmd/extract.trace.txt.gz')).toString('latin1');
    expect([inferIrwsemOffset(perf), inferParLookupBit(perf)]).toEqual([160, 0x10000000]);
    expect([inferIrwsemOffset(tracefs), inferParLookupBit(tracefs)]).toEqual([160, 0x10000000]);
  });
});
