/**
 * Text → syntax tree. The only module that touches the generated parser: it turns peggy's
 * SyntaxError into a KV001 diagnostic and attaches `///` doc comments to the declarations below them.
 */
import { parse as peggyParse } from './generated/parser.js';
import type { Decl, Expr, SpecAst } from './ast.js';
import { balanceChains } from './balance.js';
import { closerOf, openBrackets } from './brackets.js';
import { error, fail, ok, type Diagnostic, type Result } from '../diag/diagnostic.js';

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
  const names = [...new Set(e.expected.map((x) => x.description ?? x.text ?? (x.type === 'any' ? 'any character' : x.type)))]
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
  const atEnd = e.found === null || e.found === undefined;
  const found = atEnd ? 'end of input' : JSON.stringify(e.found);
  let start = e.location.start.offset;
  // At the end of input, point just after the last token rather than at trailing blank lines.
  if (atEnd) while (start > 0 && /\s/.test(src.text[start - 1]!)) start--;
  const d = error('KV001', `unexpected ${found}`, { span: { source: src.path, start, end: Math.max(start + 1, e.location.end.offset) } }, describeExpected(e));
  const unclosed = unclosedBracket(src.text, e.location.start.offset, atEnd ? undefined : e.found ?? undefined);
  if (unclosed) {
    d.message += `: '${unclosed.char}' is not closed`;
    d.notes = [{ message: `the '${unclosed.char}' opened here needs a '${closerOf(unclosed)}'`,
      span: { source: src.path, start: unclosed.offset, end: unclosed.offset + 1 } }];
  }
  return d;
}

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

/** Parses a whole spec file. Never throws. */
export function parseSpec(src: SourceFile): Result<SpecAst> {
  try {
    const ast = balanceChains(peggyParse(src.text, { grammarSource: src.path, startRule: 'Spec' }) as SpecAst);
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
