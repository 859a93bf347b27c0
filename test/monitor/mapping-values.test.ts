/**
 * The record mapper's copies of the text it emits (mapping.ts detach): a value cut from the
 * reader's chunk, or computed by the mapping, comes out as the same text, whether its copy is made
 * afresh or given again from the table of recent ones, also past the table's bound.
 */
import { describe, expect, it } from 'vitest';
import { bundledSpecDir } from '../../src/analysis/load.js';
import { SpecSet } from '../../src/checker/spec-set.js';
import { compileRecordMapper, type MappableRecord } from '../../src/monitor/mapping.js';

const specs = new SpecSet([bundledSpecDir()], {});
const mapper = compileRecordMapper(specs.base!.spec);

/** A `down_read` entry probe record whose `sem` is cut from a larger text, as the reader's are. */
function downRead(sem: string, line: number): MappableRecord {
  const chunk = `xx sem=${sem} yy`;
  return {
    kind: 'kprobe', name: 'dr', pid: 7, comm: 'lkwork', cpu: 0, tsSec: 1, tsNsec: line, args: { sem: chunk.slice(7, 7 + sem.length) },
    retval: undefined, probedSym: 'down_read', entry: undefined, file: 'f', line,
  };
}

describe('record mapper values', () => {
  it('emits lock ids of the same text for the same address, through and past the table of recent copies', () => {
    const addr = (i: number): string => '0xffff8880' + (0x04a40000 + i * 0x100).toString(16).padStart(8, '0');
    const lockOf = (i: number): string => '0xffff8880' + (0x04a40000 + i * 0x100 - 160).toString(16).padStart(8, '0');
    const first = mapper.map(downRead(addr(1), 1))!;
    expect(first).toHaveLength(1);
    expect(first[0]!.ev).toBe('acq_req');
    expect(first[0]!.args).toEqual({ lock: lockOf(1), mode: 'R', kind: 'blocking' });
    // (more distinct values than the table holds, then the first again)
    for (let i = 2; i < 9000; i++) expect(mapper.map(downRead(addr(i), i))![0]!.args.lock).toBe(lockOf(i));
    expect(mapper.map(downRead(addr(1), 9000))![0]!.args.lock).toBe(lockOf(1));
    expect(mapper.map(downRead(addr(8999), 9001))![0]!.args.lock).toBe(lockOf(8999));
    expect(mapper.map(downRead(addr(8999), 9002))![0]!.comm).toBe('lkwork');
  });
});
