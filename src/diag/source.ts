/** Offsets → line and column, computed only when a diagnostic is rendered. */
export interface LineCol {
  line: number;
  column: number;
  lineText: string;
}

export function lineColAt(text: string, offset: number): LineCol {
  const o = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < o; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  return { line, column: o - start + 1, lineText: text.slice(start, end).replace(/\r$/, '') };
}
