/**
 * The BTF reader: a real blob written by pahole's encoder (traces/btf/, README there) read to the
 * offsets pahole prints for it, anonymous members, qualifiers and typedefs on the way, and every
 * kind of damage a located error, never a wrong offset.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BtfError, parseBtf } from '../../src/probes/btf.js';
import { paholeOffset } from '../../src/probes/pahole.js';
import { MEMBERS, offsetsFrom, type Placeholder } from '../../src/probes/probe-set.js';

const blob = readFileSync('traces/btf/vfs-structs.btf');
const paholeText = readFileSync('traces/btf/vfs-structs.pahole.txt', 'latin1');

describe('a real BTF blob (pahole -J)', () => {
  const btf = parseBtf(blob);

  it('gives for every member the probe set needs the offset pahole prints', () => {
    for (const k of Object.keys(MEMBERS) as Placeholder[]) {
      const [s, m] = MEMBERS[k];
      expect(btf.offsetOf(s, m), `${s}.${m}`).toBe(paholeOffset(paholeText, s, m));
    }
  });

  it('gives the Linux 6.1 x86_64 offsets the bundled captures use (sem = dinode + 0xa0)', () => {
    expect(offsetsFrom(btf)).toEqual({
      offsets: { I_RWSEM: 160, QSTR_LEN: 4, QSTR_NAME: 8, D_FLAGS: 0, D_PARENT: 24, D_NAME_NAME: 40, D_INODE: 48, ND_DENTRY: 8, ND_LAST_NAME: 24, ND_LAST_LEN: 20 },
      missing: [],
    });
  });

  it('finds members through anonymous unions and structs, and nothing that is not there', () => {
    expect(btf.offsetOf('qstr', 'hash_len')).toBe(0);
    expect(btf.offsetOf('inode', 'i_nlink')).toBe(72);
    expect(btf.offsetOf('inode', 'i_rwsem.wait_list')).toBe(160 + 24);
    expect(btf.offsetOf('inode', 'nope')).toBeUndefined();
    expect(btf.offsetOf('nostruct', 'x')).toBeUndefined();
    expect(btf.offsetOf('dentry', 'd_inode.i_rwsem')).toBeUndefined();
  });
});

describe('damaged BTF', () => {
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /too short for a BTF header \(0 bytes\)/],
    ['an ELF file', Buffer.from('\x7fELF' + '\0'.repeat(60), 'latin1'), /no BTF magic \(0xeb9f\) at the start: 7f 45 4c 46/],
    ['cut short', blob.subarray(0, blob.length - 100), /sections run past the end/],
  ];
  it.each(cases)('%s', (_, buf, why) => {
    expect(() => parseBtf(buf)).toThrow(BtfError);
    expect(() => parseBtf(buf)).toThrow(why);
  });

  it('an unknown kind, and a type section that ends inside a type', () => {
    const bad = Buffer.from(blob);
    const typeStart = bad.readUInt32LE(4) + bad.readUInt32LE(8);
    bad.writeUInt32LE(31 << 24, typeStart + 4);
    expect(() => parseBtf(bad)).toThrow(/unknown BTF kind 31 at byte 24 \(type 1\)/);
    const cut = Buffer.from(blob);
    cut.writeUInt32LE(cut.readUInt32LE(12) - 6, 12);
    expect(() => parseBtf(cut)).toThrow(BtfError);
  });
});

describe('paholeOffset', () => {
  it('reads `/* offset size */` comments, following struct members for dotted paths', () => {
    expect(paholeOffset(paholeText, 'inode', 'i_rwsem')).toBe(160);
    expect(paholeOffset(paholeText, 'nameidata', 'last.len')).toBe(20);
    expect(paholeOffset(paholeText, 'dentry', 'd_name.name')).toBe(40);
    expect(paholeOffset(paholeText, 'dentry', 'nope')).toBeUndefined();
    expect(paholeOffset(paholeText, 'dentry', 'd_flags.x')).toBeUndefined();
  });
});
