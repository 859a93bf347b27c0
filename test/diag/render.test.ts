/** How a diagnostic's trace line is shown: escaped, capped, and an excerpt with its line's length. */
import { describe, expect, it } from 'vitest';
import { renderDiagnostic } from '../../src/diag/render.js';
import { error } from '../../src/diag/diagnostic.js';
import { readNdjson } from '../../src/trace/ndjson.js';
import type { Diagnostic } from '../../src/diag/diagnostic.js';

describe('renderDiagnostic: the line under the location', () => {
  it('gives an excerpt the length of its whole line, not its own', () => {
    const d = error('KV301', 'bad', { at: { source: 't', line: 1, column: 1, text: 'x'.repeat(200), excerpt: { length: 5000 } } });
    const shown = renderDiagnostic(d, new Map()).split('\n')[3]!;
    expect(shown).toBe(`1 | ${'x'.repeat(200)}…(5000 chars)`);
  });

  it('ends an excerpt of unknown length with an ellipsis alone', () => {
    const d = error('KV301', 'bad', { at: { source: 't', line: 1, column: 1, text: 'abc', excerpt: {} } });
    expect(renderDiagnostic(d, new Map()).split('\n')[3]).toBe('1 | abc…');
  });

  it("shows a long NDJSON record's first 200 characters and its full length", async () => {
    const line = JSON.stringify({ pid: 'x', ev: 'acq', pad: 'y'.repeat(1000) });
    const diags: Diagnostic[] = [];
    async function* one(): AsyncGenerator<Buffer> { yield Buffer.from(line + '\n'); }
    for await (const b of readNdjson(one(), { file: 't', onDiagnostic: (d) => diags.push(d) })) void b;
    expect(diags).toHaveLength(1);
    expect(renderDiagnostic(diags[0]!, new Map()).split('\n')[3]).toBe(`1 | ${line.slice(0, 200)}…(${line.length} chars)`);
  });
});
