/**
 * One diagnostic type for every phase: spec parsing and analysis, trace ingest and the checker.
 * Diagnostics are data; they become text only in `render.ts`.
 */
import type { DiagCode } from './codes.js';

export type Severity = 'error' | 'warning' | 'note';

/** A byte-offset range in a source (spec file or trace file); `end` is exclusive. */
export interface Span {
  source: string;
  start: number;
  end: number;
}

/** A location already resolved to a line (trace files are streamed, so offsets are not kept). */
export interface LineLoc {
  source: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column. */
  column?: number;
  /** The text of the line, when known, for the caret display. */
  text?: string;
  /**
   * Set when `text` is only the start of a long line (a reader keeps no more of it): the display
   * then ends it with an ellipsis and the line's full length in characters, where known.
   */
  excerpt?: { length?: number };
}

export interface Note {
  message: string;
  span?: Span;
  at?: LineLoc;
}

export interface Diagnostic {
  code: DiagCode;
  severity: Severity;
  /** One sentence, no trailing period; names quoted. */
  message: string;
  span?: Span;
  at?: LineLoc;
  /** What the parser expected, or a suggestion. */
  hint?: string;
  notes?: Note[];
}

export type Result<T> =
  | { ok: true; value: T; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export function ok<T>(value: T, diagnostics: Diagnostic[] = []): Result<T> {
  return { ok: true, value, diagnostics };
}

export function fail<T>(diagnostics: Diagnostic[]): Result<T> {
  return { ok: false, diagnostics };
}

export function error(code: DiagCode, message: string, where: { span?: Span; at?: LineLoc } = {}, hint?: string): Diagnostic {
  const d: Diagnostic = { code, severity: 'error', message };
  if (where.span) d.span = where.span;
  if (where.at) d.at = where.at;
  if (hint !== undefined) d.hint = hint;
  return d;
}

export function warning(code: DiagCode, message: string, where: { span?: Span; at?: LineLoc } = {}, hint?: string): Diagnostic {
  return { ...error(code, message, where, hint), severity: 'warning' };
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
