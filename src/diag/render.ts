/**
 * Diagnostics → text: rustc-style `error[KV101]: message`, `--> file:line:col`, the source line and
 * a caret underline, then notes and the hint. The only place diagnostics become text.
 */
import type { Diagnostic, LineLoc, Span } from './diagnostic.js';
import { lineColAt } from './source.js';
import { useColor } from './color.js';
import { terminalText } from './terminal.js';

export interface Style {
  bold(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
}

const plain: Style = { bold: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s, dim: (s) => s };
const ansi: Style = {
  bold: (s) => `\x1b[1m${s}\x1b[22m`,
  red: (s) => `\x1b[31m${s}\x1b[39m`,
  yellow: (s) => `\x1b[33m${s}\x1b[39m`,
  cyan: (s) => `\x1b[36m${s}\x1b[39m`,
  dim: (s) => `\x1b[2m${s}\x1b[22m`,
};

/** Colour as `--color` and the environment say (see color.ts). */
export function styleFor(stream: { isTTY?: boolean }): Style {
  return useColor(stream) ? ansi : plain;
}

export function spanLocation(span: Span, sources: Map<string, string>): string {
  const text = sources.get(span.source);
  if (text === undefined) return span.source;
  const lc = lineColAt(text, span.start);
  return `${span.source}:${lc.line}:${lc.column}`;
}

function excerpt(span: Span, sources: Map<string, string>, st: Style): string[] {
  const text = sources.get(span.source);
  if (text === undefined) return [];
  const lc = lineColAt(text, span.start);
  const width = Math.max(1, Math.min(span.end - span.start, lc.lineText.length - lc.column + 1));
  const num = String(lc.line);
  const pad = ' '.repeat(num.length);
  return [
    `${pad} ${st.cyan('|')}`,
    `${st.cyan(num)} ${st.cyan('|')} ${lc.lineText}`,
    `${pad} ${st.cyan('|')} ${' '.repeat(lc.column - 1)}${st.red('^'.repeat(width))}`,
  ];
}

function lineExcerpt(at: LineLoc, st: Style): string[] {
  if (at.text === undefined) return [];
  const num = String(at.line);
  const pad = ' '.repeat(num.length);
  // An excerpt is cut already: its length is the line's, not the excerpt's.
  const shown = at.excerpt === undefined ? terminalText(at.text)
    : `${terminalText(at.text, Infinity)}…${at.excerpt.length !== undefined ? `(${at.excerpt.length} chars)` : ''}`;
  const out = [`${pad} ${st.cyan('|')}`, `${st.cyan(num)} ${st.cyan('|')} ${shown}`];
  if (at.column !== undefined) out.push(`${pad} ${st.cyan('|')} ${' '.repeat(Math.max(0, at.column - 1))}${st.red('^')}`);
  return out;
}

export function renderDiagnostic(d: Diagnostic, sources: Map<string, string>, st: Style = plain): string {
  const sev = d.severity === 'error' ? st.red(st.bold(`error[${d.code}]`))
    : d.severity === 'warning' ? st.yellow(st.bold(`warning[${d.code}]`))
    : st.bold(`note[${d.code}]`);
  // Messages quote trace text (names, values, whole lines): shown escaped and capped.
  const out = [`${sev}${st.bold(': ' + terminalText(d.message, 600))}`];
  if (d.span) {
    out.push(`  ${st.cyan('-->')} ${spanLocation(d.span, sources)}`);
    out.push(...excerpt(d.span, sources, st));
  } else if (d.at) {
    out.push(`  ${st.cyan('-->')} ${terminalText(d.at.source)}:${d.at.line}${d.at.column !== undefined ? ':' + d.at.column : ''}`);
    out.push(...lineExcerpt(d.at, st));
  }
  for (const n of d.notes ?? []) {
    const where = n.span ? ` (${spanLocation(n.span, sources)})` : n.at ? ` (${terminalText(n.at.source)}:${n.at.line})` : '';
    out.push(`  ${st.cyan('=')} note: ${terminalText(n.message, 600)}${where}`);
  }
  if (d.hint) out.push(`  ${st.cyan('=')} ${d.hint.startsWith('expected') || d.hint.startsWith('did you') ? '' : 'help: '}${terminalText(d.hint, 600)}`);
  return out.join('\n');
}

/** A diagnostic as a JSON-friendly object (location resolved). */
export function diagnosticJson(d: Diagnostic, sources: Map<string, string>): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: 'diagnostic', code: d.code, severity: d.severity, message: d.message };
  if (d.span) o.location = spanLocation(d.span, sources);
  if (d.at) { o.file = d.at.source; o.line = d.at.line; if (d.at.column !== undefined) o.column = d.at.column; }
  if (d.hint) o.hint = d.hint;
  return o;
}
