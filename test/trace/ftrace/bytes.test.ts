import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { bytesToText, displayLine, displayLoc, qstrName } from '../../../src/trace/ftrace/bytes.js';

const latin1 = (bytes: number[]): string => Buffer.from(bytes).toString('latin1');

describe('byte strings', () => {
  it('decodes valid UTF-8 and keeps other bytes as they are', () => {
    expect(bytesToText(latin1([0x63, 0x61, 0x66, 0xc3, 0xa9]))).toBe('café');
    expect(bytesToText(latin1([0x63, 0x61, 0x66, 0xe9]))).toBe('caf\u00e9');
    expect(bytesToText('plain')).toBe('plain');
  });

  it('cuts qstr names to nlen bytes before decoding', () => {
    expect(qstrName('d/FILE3', '1')).toBe('d');
    expect(qstrName(latin1([0xc3, 0xa9, 0x41]), 2)).toBe('é');
    expect(qstrName('abc', 'x')).toBe('abc');
    expect(qstrName('abc', 9)).toBe('abc');
  });

  it('shows control bytes as dots and cuts long lines', () => {
    expect(displayLine('a\x00b\x1fc')).toBe('a.b.c');
    expect(displayLine('x'.repeat(10), 4)).toBe('xxxx…');
  });

  it('gives a cut line as an excerpt with the length of the line, for the renderer to print', () => {
    expect(displayLoc('x'.repeat(10), 10, 4)).toEqual({ text: 'xxxx', excerpt: { length: 10 } });
    expect(displayLoc('abc')).toEqual({ text: 'abc' });
    // Only the start of a longer line was passed: the line's length is the one given.
    expect(displayLoc('abc', 5000)).toEqual({ text: 'abc', excerpt: { length: 5000 } });
  });

  test.prop([fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 80 })])('qstrName never throws and never grows the name', (bytes, n) => {
    const s = Buffer.from(bytes).toString('latin1');
    expect(qstrName(s, n).length).toBeLessThanOrEqual(Math.min(n, s.length));
  });
});
