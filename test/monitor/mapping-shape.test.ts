/**
 * The events the record mapper emits, key for key: which fields and arguments each has, in which
 * order (the order JSON output and explanations show them), with an argument that comes out none
 * left out of `args` and, when the schema requires it, its record fields named in `unread`, before
 * or after `ret` as the arguments come (a declared optional argument left out is no damage: nothing
 * reads its words).
 */
import { describe, expect, it } from 'vitest';
import { bundledSpecDir, loadSpecText } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { compileRecordMapper, type MappableRecord } from '../../src/monitor/mapping.js';
import type { TraceEvent } from '../../src/values/event.js';

const specs = new SpecSet([bundledSpecDir()], {});
const mapper = compileRecordMapper(specs.base!.spec);

const DIR = '0xffff888006000000';
const INODE = '0xffff888004a3e000';
const DENTRY = '0xffff8880051039c0';

function record(kind: 'kprobe' | 'kretprobe', sym: string, args: Record<string, string>, retval?: string, entry?: MappableRecord): MappableRecord {
  return {
    kind, name: kind === 'kprobe' ? 'p' : 'r', pid: 1027, comm: 'find', cpu: 3, tsSec: 5, tsNsec: 1993000, args, retval, probedSym: sym, entry,
    file: 'log', line: 12,
  };
}

const dapEntry = (extra: Record<string, string> = {}): MappableRecord =>
  record('kprobe', 'd_alloc_parallel', { parent: DIR, pinode: INODE, name: 'File31', nlen: '6', ...extra });

/** The event as its keys and values, nested objects too, in their order. */
const layout = (ev: TraceEvent): string => JSON.stringify(ev);

describe('record mapper event layout', () => {
  it('gives a call its arguments in declaration order, an optional one that is none left out, and no unread', () => {
    const [ev] = mapper.map(dapEntry())!;
    expect(layout(ev!)).toBe(JSON.stringify({
      seq: 0, pid: 1027, ev: 'call', fn: 'd_alloc_parallel', args: { dir: INODE, name: 'File31' }, comm: 'find', cpu: 3, ts: 5.001993,
      file: 'log', line: 12,
    }));
  });

  it('names a required argument that is none in unread, with what the record shows of the fields it reads', () => {
    const [ev] = mapper.map(record('kprobe', 'd_alloc_parallel', { parent: DIR, name: 'File31', nlen: '6' }))!;
    expect(layout(ev!)).toBe(JSON.stringify({
      seq: 0, pid: 1027, ev: 'call', fn: 'd_alloc_parallel', args: { name: 'File31' }, comm: 'find', cpu: 3, ts: 5.001993,
      file: 'log', line: 12, unread: { dir: 'the record has no pinode=' },
    }));
  });

  it('gives every argument when the record has them all, and no unread', () => {
    const [ev] = mapper.map(dapEntry({ hash: '0x1f', wq: '0xffffc90000a3bd40' }))!;
    expect(layout(ev!)).toBe(JSON.stringify({
      seq: 0, pid: 1027, ev: 'call', fn: 'd_alloc_parallel', args: { dir: INODE, name: 'File31', key: '31:file31', wq: '0xffffc90000a3bd40' },
      comm: 'find', cpu: 3, ts: 5.001993, file: 'log', line: 12,
    }));
  });

  it('puts a return value after the fields, and its other arguments in args', () => {
    const [ev] = mapper.map(record('kretprobe', 'd_alloc_parallel', { dflags: '0x10000000', ret: DENTRY }, undefined, dapEntry()))!;
    expect(layout(ev!)).toBe(JSON.stringify({
      seq: 0, pid: 1027, ev: 'ret', fn: 'd_alloc_parallel', args: { outcome: 'N' }, comm: 'find', cpu: 3, ts: 5.001993, file: 'log', line: 12,
      ret: DENTRY,
    }));
  });

  it('names a none argument of a return in unread, before or after ret as the arguments come', () => {
    const text = 'fn f(a: id) returns (ret: str, b: str, c: str, d?: str)\nmap kretprobe f -> ret f(b: ptr(x), ret: ptr(ret), c: ptr(y), d: ptr(z))\n';
    const loaded = loadSpecText(text, 't.kinv');
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    const m = compileRecordMapper(loaded.value.spec);
    const at = (args: Record<string, string>): string => layout(m.map(record('kretprobe', 'f', { ret: DENTRY, ...args }))![0]!);
    const head = { seq: 0, pid: 1027, ev: 'ret', fn: 'f' };
    const tail = { comm: 'find', cpu: 3, ts: 5.001993, file: 'log', line: 12 };
    expect(at({ x: DIR, y: INODE })).toBe(JSON.stringify({ ...head, args: { b: DIR, c: INODE }, ...tail, ret: DENTRY }));
    expect(at({ y: INODE })).toBe(JSON.stringify({ ...head, args: { c: INODE }, ...tail, unread: { b: 'the record has no x=' }, ret: DENTRY }));
    expect(at({ x: DIR })).toBe(JSON.stringify({ ...head, args: { b: DIR }, ...tail, ret: DENTRY, unread: { c: 'the record has no y=' } }));
    expect(at({})).toBe(JSON.stringify({ ...head, args: {}, ...tail, unread: { b: 'the record has no x=', c: 'the record has no y=' }, ret: DENTRY }));
  });
});
