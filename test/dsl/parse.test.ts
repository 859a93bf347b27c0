/** The parser: syntax errors carry a location and what was expected; it never throws. */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSpec, parseExpr } from '../../src/dsl/parse.js';

const bundled = readdirSync('spec/vfs').filter((f) => f.endsWith('.kinv')).map((f) => readFileSync(`spec/vfs/${f}`, 'utf8'));

describe('parseSpec', () => {
  it('parses nested brackets and braces in time linear in their depth', () => {
    // Tuples and parenthesised expressions, set literals and comprehensions were alternatives that
    // each parsed their first element again: 22 levels of '(' took most of a minute.
    const parens = `invariant i on acq: ${'('.repeat(60)}a == (b, c)${')'.repeat(60)}\n`;
    const braces = `invariant i on acq: size(${'{'.repeat(40)}x${'}'.repeat(40)}) > 0 and size({ {t} | t in s }) > 0\n`;
    const t0 = Date.now();
    const p = parseSpec({ path: 'p.kinv', text: parens });
    const b = parseSpec({ path: 'b.kinv', text: braces });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect([p.ok, b.ok]).toEqual([true, true]);
    const deep = parseSpec({ path: 'd.kinv', text: `invariant i on acq: ${'('.repeat(20000)}a${')'.repeat(20000)}\n` });
    expect(deep.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([
      ['KV001', 'the spec nests too deeply to parse (thousands of brackets or prefix operators in one expression)', 20 + 19999],
    ]);
  });

  it('takes no tree deeper than the phases after it can walk: a located error, not a stack overflow later', () => {
    const head = 'event acq(lock: id, mode: str)\n';
    const at = head.length + 'invariant x on acq: '.length;
    const chain = parseSpec({ path: 'c.kinv', text: `${head}invariant x on acq: 1${' + 1'.repeat(2000)} > 0\n` });
    expect(chain.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([
      ['KV001', 'the spec nests too deeply: an expression 2004 levels deep (at most 500: each operator, call or branch is a level)', at],
    ]);
    // Just under the bound, and a long `and` chain (balanced by the parser), are fine.
    expect(parseSpec({ path: 'n.kinv', text: `${head}invariant x on acq: ${'not '.repeat(490)}true\n` }).ok).toBe(true);
    expect(parseSpec({ path: 'a.kinv', text: `${head}invariant x on acq: ${Array(3000).fill('mode == "R"').join(' and ')}\n` }).ok).toBe(true);
  });

  it('a chain of 20,000 `+` is the located depth error, not a stack overflow in the balancing pass', () => {
    const head = 'event acq(lock: id, mode: str)\n';
    const at = head.length + 'invariant x on acq: '.length;
    const r = parseSpec({ path: 'c.kinv', text: `${head}invariant x on acq: 1${' + 1'.repeat(20000)} > 0\n` });
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([
      ['KV001', 'the spec nests too deeply: an expression 20004 levels deep (at most 500: each operator, call or branch is a level)', at],
    ]);
    // An `and` chain as long, with `or` chains inside it, is balanced in order (each operand where it was).
    const ands = Array.from({ length: 20000 }, (_, i) => (i % 1000 === 0 ? `(mode == "${i}" or mode == "x${i}")` : `mode == "${i}"`)).join(' and ');
    const balanced = parseSpec({ path: 'a.kinv', text: `${head}invariant x on acq: ${ands}\n` });
    expect(balanced.ok).toBe(true);
    const body = (balanced as { value: { decls: { kind: string; body?: unknown }[] } }).value.decls[1]!.body;
    const leaves: string[] = [];
    const walk = (e: { kind: string; op?: string; left?: unknown; right?: unknown; value?: unknown }): void => {
      if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) { walk(e.left as typeof e); walk(e.right as typeof e); return; }
      const text = ((e as { right?: { parts?: { value?: string }[] } }).right?.parts ?? [])[0]?.value;
      leaves.push(text ?? '?');
    };
    walk(body as { kind: string });
    expect(leaves.length).toBe(20000 + 20);
    expect(leaves.slice(0, 4)).toEqual(['0', 'x0', '1', '2']);
    expect(leaves.slice(-2)).toEqual(['19998', '19999']);
  });

  it('a brace or a quote gone wrong in a string is an error where it is, not at the opening quote', () => {
    const head = 'event acq(lock: id, mode: str)\ninvariant x on acq: mode == "R" else ';
    const cases: [string, string, number][] = [
      ['"bad {mode thing"', 'expected `}` to close the `{` at column 43: a `{...}` in a string holds one expression (write `{{` for a brace itself)', 11],
      ['"bad } thing"', 'a `}` with no `{` before it in a string: write `}}` for a brace itself', 5],
      ['"bad {} thing"', 'an empty `{}` in a string: put an expression between the braces, or write `{{}}` for the braces themselves', 5],
      ['"bad { + } thing"', 'expected an expression after `{` in a string (write `{{` for a brace itself)', 7],
      ['"bad {mode} thing', 'this string is not closed: a string ends with `"` on its own line', 17],
    ];
    for (const [lit, message, offset] of cases) {
      const r = parseSpec({ path: 's.kinv', text: `${head}${lit}\n` });
      expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([['KV001', message, head.length + offset]]);
    }
    // Doubled braces are the braces themselves, as before.
    expect(parseSpec({ path: 'o.kinv', text: `${head}"{{}} and {{mode}} {mode}"\n` }).ok).toBe(true);
  });

  it('a control character or a bad escape in a string is an error at the string', () => {
    // (at the string's text: after its opening quote)
    for (const [lit, col] of [['"a\u0000b"', 21], ['"bad \\q"', 21], ['"tab\there {mode}"', 21]] as const) {
      const r = parseSpec({ path: 's.kinv', text: `invariant x on acq: mode == "R" else ${lit}\n`.replace('mode == "R" else ', '') });
      expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([
        ['KV001', 'a string may hold no control character (a tab or NUL as itself) and only the escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX', col],
      ]);
    }
  });

  it("names the declaration keyword a word at a declaration's place is one slip from", () => {
    const r = parseSpec({ path: 'k.kinv', text: 'event acq(lock: id)\ninvarient x on acq: true\nstat s: set[id]\n' });
    expect(r.diagnostics.map((d) => [d.message, d.span?.start, d.hint])).toEqual([['unexpected "i"', 20, "did you mean 'invariant'?"]]);
    const second = parseSpec({ path: 'k.kinv', text: 'event acq(lock: id)\nstat s: set[id]\n' });
    expect(second.diagnostics.map((d) => d.hint)).toEqual(["did you mean 'state'?"]);
  });

  it('names the bracket a declaration before left open, at the next declaration', () => {
    const text = 'event acq(lock: id)\nstate s: set[task, id]\non acq { add (pid, lock) to s\ninvariant x on acq: true\n';
    const r = parseSpec({ path: 'b.kinv', text });
    expect(r.diagnostics.map((d) => [d.message, d.notes?.map((n) => [n.message, n.span?.start])])).toEqual([
      ['unexpected "x": \'{\' is not closed', [["the '{' opened here needs a '}'", text.indexOf('{')]]],
    ]);
  });

  it('takes integers only, and only those a double holds exactly: an error at the literal, not a rounded value', () => {
    const head = 'event acq(flags: int)\ninvariant x on acq: flags & ';
    const at = head.length;
    const cases: [string, string][] = [
      ['0xffffffffffffffff', '0xffffffffffffffff is past the largest integer kinv holds exactly, 2^53 - 1 (9007199254740991)'],
      ['9007199254740993', '9007199254740993 is past the largest integer kinv holds exactly, 2^53 - 1 (9007199254740991)'],
      ['1.5', 'kinv has integers only: 1.5 is not one'],
    ];
    for (const [lit, message] of cases) {
      const r = parseSpec({ path: 'n.kinv', text: `${head}${lit} == flags\n` });
      expect(r.diagnostics.map((d) => [d.code, d.message, d.span?.start])).toEqual([['KV001', message, at]]);
    }
    for (const lit of ['9007199254740991', '0x1fffffffffffff', '0']) expect(parseSpec({ path: 'n.kinv', text: `${head}${lit} == flags\n` }).ok).toBe(true);
  });

  it('takes a negative parameter default, as --param does', () => {
    const r = parseSpec({ path: 'p.kinv', text: 'param below: int = -3\nparam zero: int = -0\n' });
    expect(r.ok).toBe(true);
    const values = r.ok ? r.value.decls.map((d) => (d.kind === 'param' ? d.value : undefined)) : [];
    expect(values.map((v) => (v && 'value' in v ? v.value : undefined))).toEqual([-3, 0]);
    expect(Object.is((values[1] as { value: number }).value, -0)).toBe(false);
  });

  it('names a likelier cause where the text shows one: a string left open, a /* comment', () => {
    const open = parseSpec({ path: 'o.kinv', text: 'event acq(mode: str)\ninvariant x on acq: mode == "R\ninvariant y on acq: true\n' });
    expect(open.diagnostics.map((d) => [d.message, d.span?.start, d.hint])).toEqual([
      ['this string is not closed: a string ends with `"` on its own line', 51, undefined],
    ]);
    const comment = parseSpec({ path: 'c.kinv', text: 'event acq(mode: str)\n/* note */\n' });
    expect(comment.diagnostics.map((d) => [d.message, d.span?.start, d.hint])).toEqual([
      ['unexpected "/"', 21, 'comments are `//` to the end of the line (`///` above a declaration documents it); there is no `/* */`'],
    ]);
  });

  it('parses every declaration kind', () => {
    const r = parseSpec({ path: 'a.kinv', text: `
import "b.kinv"
param p: int = 3
enum Mode { R, W }
event acq(lock: id, mode: Mode)
fn f(x: id) returns (ret: str, o: Mode)
state held: map[task, id] -> Mode
state s: set[task, id]
state g: rel[str]
state v: var int
def d(t: task): set[task] = { u | (u, l) in held where u != t }
on acq when mode == W { held[pid, lock] := mode }
invariant i on acq per lock: (pid, lock) not in held else "x {lock}"
obligation o: each (t, l) in held due at syscall_exit where t == pid
sync syscall_exit
map kprobe dr when sem != "" -> acq_req(lock: ptr_sub(sem, 160), mode: R, kind: blocking), ignore
` });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.decls.map((d) => d.kind)).toEqual(['import', 'param', 'enum', 'event', 'fn', 'state', 'state', 'state', 'state', 'def', 'rule', 'invariant', 'obligation', 'sync', 'mapping']);
  });

  it('attaches /// doc comments to the declaration below', () => {
    const r = parseSpec({ path: 'a.kinv', text: '/// First line.\n/// Second line.\ninvariant x always: true\n' });
    expect(r.ok && r.value.decls[0]!.kind === 'invariant' && r.value.decls[0]!.doc).toBe('First line.\nSecond line.');
  });

  it('reports a syntax error at its offset with what was expected', () => {
    const text = 'invariant x on acq:\n  held[pid, lock] ==\n';
    const r = parseSpec({ path: 'bad.kinv', text });
    expect(r.ok).toBe(false);
    const d = r.diagnostics[0]!;
    expect(d.code).toBe('KV001');
    expect(d.span?.source).toBe('bad.kinv');
    expect(d.span?.start).toBe(text.trimEnd().length);
    expect(d.hint).toMatch(/^expected /);
  });

  it('at the end of input, names the bracket left open, at its location', () => {
    const text = 'event acq(lock: id)\ninvariant x on acq: (lock == "a(" and\n  lock != "b"\n';
    const r = parseSpec({ path: 'open.kinv', text });
    const d = r.diagnostics[0]!;
    expect([d.code, d.message, d.span?.start]).toEqual(['KV001', "unexpected end of input: '(' is not closed", text.trimEnd().length]);
    expect(d.notes?.map((n) => [n.message, n.span?.start])).toEqual([["the '(' opened here needs a ')'", text.indexOf('(lock ==')]]);
  });

  it('at a closer that does not match, names the bracket it should have closed', () => {
    const text = 'event acq(lock: id)\ninvariant x on acq: size({ l | l in tasks ) > 0\n';
    const d = parseSpec({ path: 'm.kinv', text }).diagnostics[0]!;
    expect([d.message, d.span?.start]).toEqual(["unexpected \")\": '{' is not closed", text.indexOf(' ) >') + 1]);
    expect(d.notes?.map((n) => n.span?.start)).toEqual([text.indexOf('{ l')]);
  });

  it('adds no bracket note to an error that is not about brackets', () => {
    const d = parseSpec({ path: 'n.kinv', text: 'invariant x on acq: (a == == b)\n' }).diagnostics[0]!;
    expect([d.message, d.notes]).toEqual(['unexpected "="', undefined]);
  });

  it('quotes the literal tokens it expected, so that a comma among them reads as one', () => {
    const text = 'event acq(lock: id)\ninvariant a on acq lock == "x"\n';
    const d = parseSpec({ path: 'q.kinv', text }).diagnostics[0]!;
    expect([d.code, d.message, d.span?.start, d.hint]).toEqual(['KV001', 'unexpected "l"', text.indexOf('lock =='), 'expected `,`, `:`, `per`, `when`']);
    const e = parseSpec({ path: 'q.kinv', text: 'event acq(lock: id)\non acq { n[pid] = 1 }\n' }).diagnostics[0]!;
    expect([e.message, e.hint]).toEqual(['unexpected "="', 'expected `:=`']);
  });

  it('says how many more tokens were expected instead of cutting the list', () => {
    const d = parseSpec({ path: 'h.kinv', text: 'invariant x on acq: a ==' }).diagnostics[0]!;
    expect(d.hint).toMatch(/^expected .*, and \d+ more$/);
    expect(d.hint).not.toContain('…');
  });

  it('takes a count\'s whole where-chain as its filter and compares the count after it', () => {
    for (const text of ['count (t, l) in held where l == lock and held[t, l] == W <= 1', '(count (t, l) in held where l == lock and held[t, l] == W) <= 1']) {
      const r = parseExpr({ path: 'e', text });
      expect(r.ok, text).toBe(true);
      if (!r.ok) return;
      const e = r.value as { kind: string; op: string; left: { kind: string; filter: { op: string } }; right: { value: number } };
      expect([e.op, e.left.kind, e.left.filter.op, e.right.value]).toEqual(['<=', 'count', 'and', 1]);
    }
  });

  it('keeps operator precedence: and binds tighter than or, comparison tighter than and', () => {
    const r = parseExpr({ path: 'e', text: 'a or b and c == d' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.value as { kind: string; op: string; right: { op: string; right: { op: string } } };
    expect([e.op, e.right.op, e.right.right.op]).toEqual(['or', 'and', '==']);
  });

  it('never throws, on any text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      const r = parseSpec({ path: 'x', text: s });
      expect(typeof r.ok).toBe('boolean');
    }));
  });

  it('never throws on mutations of the bundled spec (deleted, duplicated or swapped characters)', () => {
    const base = bundled.join('\n');
    fc.assert(fc.property(fc.nat(base.length - 1), fc.nat(40), fc.constantFrom('del', 'dup', 'brace', 'quote'), (at, len, how) => {
      const cut = how === 'del' ? base.slice(0, at) + base.slice(at + len)
        : how === 'dup' ? base.slice(0, at) + base.slice(at, at + len) + base.slice(at)
        : base.slice(0, at) + (how === 'brace' ? '{' : '"') + base.slice(at);
      const r = parseSpec({ path: 'm', text: cut });
      if (!r.ok) expect(r.diagnostics[0]!.span!.start).toBeLessThanOrEqual(cut.length);
    }));
  });
});
