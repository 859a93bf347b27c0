import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/trace/sniff.js';

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('sniffFormat', () => {
  it('recognises NDJSON, ftrace text and unknown input', () => {
    expect(sniffFormat(b('  \n{"pid":1,"ev":"acq"}\n'))).toBe('ndjson');
    expect(sniffFormat(b('# tracer: nop\n#\n'))).toBe('ftrace');
    expect(sniffFormat(b('version = 6\ncpus=2\n'))).toBe('ftrace');
    expect(sniffFormat(b('            ash-315     [001] .....   1.000001: dr: (down_read+0x0/0x50) sem=0x1\n'))).toBe('ftrace');
    expect(sniffFormat(b(' 0)   0.518 us    |    lookup_fast();\n'))).toBe('ftrace');
    expect(sniffFormat(b('\x17\x08\x44tracing6\x00'))).toBe('unknown');
    expect(sniffFormat(b('# A README\nSome prose.\n'))).toBe('unknown');
    expect(sniffFormat(b(''))).toBe('unknown');
    expect(sniffFormat(b('\x00\x01\x02\x03\n'))).toBe('unknown');
  });

  it('takes every ftrace fixture as ftrace', () => {
    const dir = new URL('../../traces/ftrace/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect([f, sniffFormat(readFileSync(new URL(f, dir)))]).toEqual([f, 'ftrace']);
  });
});
