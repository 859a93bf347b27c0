/**
 * Probe arguments as ftrace prints them: a `:string` fetch is printed raw between quotes
 * (`name="%s"`), so a file name holding `"`, blanks and `=` prints text that looks like more
 * arguments. The value must still be read whole: a name cut short is another name, and the lookup
 * rules (which dentry is in lookup or hashed under which name) would judge the wrong one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { closeQuote, hasOpenString, parseKeyValues } from '../../../src/trace/ftrace/payload.js';
import { checkWithCapture, found, PROGRAMS, writeLog } from '../../helpers/programs-capture.js';

const args = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  parseKeyValues(text, 0, text.length, out);
  return out;
};

describe('a quoted value holding what looks like more arguments', () => {
  it('ends at the quote after which the rest reads as arguments', () => {
    expect(args('name="a" b=1 c" nlen=8 dir=0x1')).toEqual({ name: 'a" b=1 c', nlen: '8', dir: '0x1' });
    expect(args('name="x" nlen=1 abc0" nlen=14 dir=0x1')).toEqual({ name: 'x" nlen=1 abc0', nlen: '14', dir: '0x1' });
    // (a key printed twice is no rest of one record's arguments)
    expect(args('name="a" nlen=3 dir="b" nlen=13 dir=0x1')).toEqual({ name: 'a" nlen=3 dir="b', nlen: '13', dir: '0x1' });
    // (a non-string value never holds a quote)
    expect(args('dname="q" r=2" inode=0x5 name="Q" r=2" nlen=7')).toEqual({ dname: 'q" r=2', inode: '0x5', name: 'Q" r=2', nlen: '7' });
    expect(args('q="x"y" z=1 s=(fault) arr={1,2}')).toEqual({ q: 'x"y', z: '1', s: '(fault)', arr: '{1,2}' });
    // (a string array after a string)
    expect(args('name="a b" names={"c","d e"} n=2')).toEqual({ name: 'a b', names: '{"c","d e"}', n: '2' });
  });

  it('is open when no quote can close it: the name holds a newline and the next line goes on', () => {
    const line = 'dname="abc0" inode=0x1 name="x" nlen=1 Abc0\xc8\xb7\xff2';
    expect(closeQuote(line, line.indexOf('name="x"') + 6, line.length)).toBe(-1);
    expect(hasOpenString(line, 0, line.length)).toBe(true);
    const joined = line + '\n" nlen=14';
    expect(args(joined)).toEqual({ dname: 'abc0', inode: '0x1', name: 'x" nlen=1 Abc0\xc8\xb7\xff2\n', nlen: '14' });
  });

  // Names of any bytes but NUL, `/` and newline, over an alphabet rich in the printed syntax. Left
  // ambiguous: a quote, blank and `key=` later followed by `="` (with the closing quote: `a" k="b`,
  // `a" b=1 k=`), which prints as further arguments ending in a string argument `k`, as a probe
  // with such an argument would print them: only the probe's own argument list could tell.
  const ambiguous = /" [A-Za-z0-9_$.\-[\]]+=(?:.*=)?"/s;
  const name = fc.array(fc.constantFrom('a', 'B', '0', ' ', '"', '=', '\\', ')', '(', '{', '}', '\xff', '\t', '" nlen=', '" b=1 ', '" inode=0x5', 'nlen=3'), { maxLength: 12 })
    .map((cs) => cs.join('')).filter((n) => !ambiguous.test(n + '"'));
  test.prop([name, name])('reads every printed name back whole, with the arguments around it', (n1, n2) => {
    const line = `dentry=0xff1 dname="${n1}" inode=0x5 name="${n2}" nlen=${n2.length}`;
    expect(args(line)).toEqual({ dentry: '0xff1', dname: n1, inode: '0x5', name: n2, nlen: String(n2.length) });
    expect(hasOpenString(line, 0, line.length)).toBe(false);
  });
});

describe('a real capture with its file names spelled to look like arguments', () => {
  // 6.1-names, its first 700 lines (without the entries-in-buffer line: an excerpt holds fewer
  // entries than the header counts). Every name is prefixed with `x" y=1 ` (nlen grown to match):
  // the same lookups, in the same directories, of other names. Read as `x`, four lookups of
  // different names in one directory looked like a lookup of a name already hashed there.
  const tmp = mkdtempSync(join(tmpdir(), 'kinv-names-'));
  const original = gunzipSync(readFileSync(join(PROGRAMS, '6.1-names', 'trace.gz'))).toString('latin1').split('\n').slice(0, 700);
  original.splice(2, 1);
  const prefix = 'x" y=1 ';
  const renamed = original.map((l) => l
    .replace(/ nlen=(\d+)/g, (_, n: string) => ` nlen=${Number(n) + prefix.length}`)
    .replace(/ (d?name)="/g, (_, k: string) => ` ${k}="${prefix}`));

  it('gives the verdicts of the capture as printed', async () => {
    expect(renamed.filter((l) => l.includes(`name="${prefix}`)).length).toBeGreaterThan(50);
    const errors: string[] = [];
    const before = await checkWithCapture(writeLog(tmp, 'names.txt', original), '6.1-names', errors);
    const after = await checkWithCapture(writeLog(tmp, 'renamed.txt', renamed), '6.1-names', errors);
    expect(errors).toEqual([]);
    expect(found(after)).toEqual(found(before));
    expect(found(after).filter(([, inv]) => inv === 'no_new_while_hashed')).toEqual([]);
    expect([after.stats.events, after.violations]).toEqual([before.stats.events, 0]);
  });
});
