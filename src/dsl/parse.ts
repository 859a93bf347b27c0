/**
 * Text → syntax tree. The only module that touches the generated parser: it turns peggy's
 * SyntaxError into a KV001 diagnostic and attaches `///` doc comments to the declarations below them.
 */
import { parse as peggyParse } from './generated/parser.js';
import type { Decl, Expr, SpecAst } from './ast.js';
import { balanceChains } from './balance.js';
import { closerOf, openBrackets } from './brackets.js';
import { error, fail, ok, type Diagnostic, type Result } from '../diag/diagnostic.js';
import { closest } from '../diag/suggest.js';

/** A spec source: a file path (or label) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

interface PeggyError {
  message: string;
  expected?: { type: string; description?: string; text?: string }[] | null;
  found?: string | null;
  location?: { start: { offset: number }; end: { offset: number } };
}

function isPeggyError(e: unknown): e is PeggyError {
  return typeof e === 'object' && e !== null && 'location' in e && 'message' in e;
}

function describeExpected(e: PeggyError): string | undefined {
  if (!e.expected || e.expected.length === 0) return undefined;
  // A character class without a description would show as the word 'class'.
  // A literal token is quoted: bare, the comma of 'expected ,, :, per' read as the list's own.
  const names = [...new Set(e.expected.map((x) => x.description ?? (x.type === 'literal' && x.text !== undefined ? `\`${x.text}\`` : x.text)
    ?? (x.type === 'any' ? 'any character' : x.type)))]
    .filter((n) => n !== 'whitespace' && n !== 'comment' && n !== 'class');
  if (names.length === 0) return undefined;
  names.sort();
  // Past a handful the list stops helping: say how many more there are rather than cut it silently.
  const shown = names.length > 10 ? [...names.slice(0, 8), `and ${names.length - 8} more`] : names;
  return `expected ${shown.join(', ')}`;
}

/** Where brackets nest deepest (the first such place), or the start. */
function deepestPoint(text: string): number {
  let depth = 0, best = 0, at = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') { if (++depth > best) { best = depth; at = i; } }
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return at;
}

function syntaxDiagnostic(src: SourceFile, e: unknown): Diagnostic {
  if (e instanceof RangeError) {
    // The parser recurses once per level of nesting: past some thousands of levels the stack ends.
    const at = deepestPoint(src.text);
    return error('KV001', 'the spec nests too deeply to parse (thousands of brackets or prefix operators in one expression)',
      { span: { source: src.path, start: at, end: at } }, 'split the expression into defs');
  }
  if (!isPeggyError(e) || !e.location) {
    return error('KV001', `cannot parse spec: ${String(e)}`, { span: { source: src.path, start: 0, end: 0 } });
  }
  // An error the grammar raised itself (`error(...)` in an action) says what is wrong in its message.
  if (e.expected === null || e.expected === undefined) {
    const { start, end } = { start: e.location.start.offset, end: e.location.end.offset };
    return error('KV001', e.message, { span: { source: src.path, start, end: Math.max(start + 1, end) } });
  }
  const atEnd = e.found === null || e.found === undefined;
  const found = atEnd ? 'end of input' : JSON.stringify(e.found);
  let start = e.location.start.offset;
  // At the end of input, point just after the last token rather than at trailing blank lines.
  if (atEnd) while (start > 0 && /\s/.test(src.text[start - 1]!)) start--;
  const d = error('KV001', `unexpected ${found}`, { span: { source: src.path, start, end: Math.max(start + 1, e.location.end.offset) } },
    misstep(src.text, start) ?? describeExpected(e));
  const unclosed = unclosedBracket(src.text, e.location.start.offset, atEnd ? undefined : e.found ?? undefined)
    ?? openBeforeDeclaration(src.text, e.location.start.offset);
  if (unclosed) {
    d.message += `: '${unclosed.char}' is not closed`;
    d.notes = [{ message: `the '${unclosed.char}' opened here needs a '${closerOf(unclosed)}'`,
      span: { source: src.path, start: unclosed.offset, end: unclosed.offset + 1 } }];
  }
  return d;
}

/**
 * A likelier cause than the tokens the grammar expected, where the text shows one: a `/*` comment
 * (kinv's comments are `//`), or a line whose quotes do not pair (a string left open ends at the
 * next quote, and the error comes after it).
 */
function misstep(text: string, at: number): string | undefined {
  if (text.startsWith('/*', at)) return 'comments are `//` to the end of the line (`///` above a declaration documents it); there is no `/* */`';
  const from = text.lastIndexOf('\n', at - 1) + 1;
  // A word that begins a line where a declaration goes, one slip from a declaration's keyword.
  const word = /^[A-Za-z_]\w*/.exec(text.slice(at))?.[0];
  if (word !== undefined && text.slice(from, at).trim() === '' && !DECLARATION_KEYWORDS.includes(word)) {
    const keyword = closest(word, DECLARATION_KEYWORDS);
    if (keyword !== undefined) return `did you mean '${keyword}'?`;
  }
  const to = text.indexOf('\n', at);
  const line = text.slice(from, to === -1 ? text.length : to).replace(/\\./g, '');
  const comment = line.indexOf('//');
  const quotes = (comment === -1 ? line : line.slice(0, comment)).split('"').length - 1;
  return quotes % 2 === 1 ? 'this line\'s quotes do not pair: is a string left open (a string ends on its own line)?' : undefined;
}

/** The words a declaration begins with (grammar/kinv.peggy's Decl). */
const DECLARATION_KEYWORDS = ['import', 'param', 'enum', 'event', 'fn', 'state', 'def', 'on', 'after', 'always', 'invariant', 'obligation', 'sync', 'map'];

/**
 * The bracket an error stems from: at the end of input, the innermost one still open; at a
 * closer, the open bracket it does not match. Anywhere else the error is about something else.
 */
function unclosedBracket(text: string, offset: number, found: string | undefined): { char: '(' | '[' | '{'; offset: number } | undefined {
  const isCloser = found === ')' || found === ']' || found === '}';
  if (found !== undefined && !isCloser) return undefined;
  const top = openBrackets(text, offset).at(-1);
  if (!top || (isCloser && closerOf(top) === found)) return undefined;
  return top;
}

/**
 * The bracket still open where a line begins with a declaration's keyword: the declaration before
 * it lacks its closer (`on acq { ...` and no `}`), which the grammar meets only here, as a statement
 * it cannot read.
 */
function openBeforeDeclaration(text: string, offset: number): { char: '(' | '[' | '{'; offset: number } | undefined {
  const from = text.lastIndexOf('\n', offset - 1) + 1;
  const word = /^[A-Za-z_]\w*/.exec(text.slice(from).trimStart())?.[0];
  if (word === undefined || !DECLARATION_KEYWORDS.includes(word) || word === 'map') return undefined;
  return openBrackets(text, from).at(-1);
}

/** `///` lines directly above the declaration starting at `offset`. */
function docAbove(text: string, offset: number): string | undefined {
  const lines: string[] = [];
  let end = text.lastIndexOf('\n', offset - 1);
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end).trim();
    if (!line.startsWith('///')) break;
    lines.unshift(line.slice(3).trim());
    end = start - 1;
  }
  return lines.length ? lines.join('\n') : undefined;
}

/**
 * How deep a spec's syntax tree may nest (nodes within nodes). The phases after the parser walk
 * the tree recursively, a few calls per level: a chain of 1,500 `+` exhausted the stack in the
 * type checker. No spec written by hand comes near; a generated one can split into defs.
 */
export const MAX_TREE_DEPTH = 500;

/** The deepest node of a tree of nodes (objects with a `kind` and a `span`), found without recursion, when it lies deeper than `limit`. */
function tooDeep(root: unknown, limit: number): { depth: number; span: { start: number; end: number } } | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  let worst: { depth: number; span: { start: number; end: number } } | undefined;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const isNode = !Array.isArray(node) && 'kind' in node && 'span' in node;
    const here = isNode ? depth + 1 : depth;
    const span = isNode ? (node as { span: { start: number; end: number } }).span : undefined;
    // (the deepest, and of those the first in the text)
    if (span !== undefined && here > limit && (worst === undefined || here > worst.depth || (here === worst.depth && span.start < worst.span.start))) {
      worst = { depth: here, span };
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'span' && typeof v === 'object' && v !== null) stack.push({ node: v, depth: here });
  }
  return worst;
}

/** Parses a whole spec file. Never throws. */
export function parseSpec(src: SourceFile): Result<SpecAst> {
  try {
    const ast = balanceChains(peggyParse(src.text, { grammarSource: src.path, startRule: 'Spec' }) as SpecAst);
    const deep = tooDeep(ast, MAX_TREE_DEPTH);
    if (deep !== undefined) {
      const message = `the spec nests too deeply: an expression ${deep.depth} levels deep`
        + ` (at most ${MAX_TREE_DEPTH}: each operator, call or branch is a level)`;
      return fail([error('KV001', message,
        { span: { source: src.path, start: deep.span.start, end: deep.span.end } }, 'split the expression into defs')]);
    }
    for (const d of ast.decls as Decl[]) {
      if (d.kind === 'import') continue;
      const doc = docAbove(src.text, d.span.start);
      if (doc !== undefined) d.doc = doc;
    }
    return ok(ast);
  } catch (e) {
    return fail([syntaxDiagnostic(src, e)]);
  }
}

/** Parses one expression (tests and the REPL-like `lint --expr`). Never throws. */
export function parseExpr(src: SourceFile): Result<Expr> {
  try {
    return ok(balanceChains(peggyParse(src.text, { grammarSource: src.path, startRule: 'Expr' }) as Expr));
  } catch (e) {
    return fail([syntaxDiagnostic(src, e)]);
  }
}
