/**
 * A strict test of an input's first bytes: NDJSON starts with `{`; ftrace text has a recognisable
 * header or event line among its first lines; anything else (binary trace.dat, prose, empty input)
 * is `unknown`. `--from auto` does not use it: the registry (registry.ts) asks each format's own
 * `sniff`, and trace text there takes any text no other format claims, so that its reader reports
 * each line it does not recognise rather than the whole input being refused.
 */
import { newSniffState, parseFtraceLine } from './ftrace/line.js';

export type SniffedFormat = 'ftrace' | 'ndjson' | 'unknown';

const TRACE_DAT_MAGIC = [0x17, 0x08, 0x44];
const MAX_LINES = 64;

/** Guesses the format from the first bytes (a few KB are enough). */
export function sniffFormat(firstBytes: Uint8Array): SniffedFormat {
  const b = Buffer.from(firstBytes.buffer, firstBytes.byteOffset, Math.min(firstBytes.byteLength, 1 << 16));
  if (TRACE_DAT_MAGIC.every((m, i) => b[i] === m)) return 'unknown';
  let i = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 10 || b[i] === 13)) i++;
  if (i >= b.length) return 'unknown';
  if (b[i] === 123) return 'ndjson';
  const text = b.toString('latin1', i);
  const lines = text.split('\n');
  // The last piece may be cut by the sniff window; only judge complete lines when there are any.
  if (lines.length > 1) lines.pop();
  const st = newSniffState('<sniff>');
  let seen = 0;
  for (const l of lines) {
    if (seen >= MAX_LINES) break;
    if (l.trim() === '') continue;
    seen++;
    const r = parseFtraceLine(l, st);
    if (r.kind === 'unrecognised') {
      if (r.binary) return 'unknown';
      continue;
    }
    if (r.kind === 'skip' && (r.what === 'header' || r.what === 'legend' || r.what === 'separator' || r.what === 'banner')) {
      if (st.tracer !== undefined) return 'ftrace';
      continue;
    }
    return 'ftrace';
  }
  return 'unknown';
}
