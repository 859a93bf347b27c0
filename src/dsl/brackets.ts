/**
 * The brackets open at a point of a spec's text: what a syntax error at the end of the input, or
 * at a closer that does not match, most likely stems from. Strings and `//` comments are skipped
 * (a bracket inside them is text).
 */
export interface OpenBracket {
  char: '(' | '[' | '{';
  offset: number;
}

const CLOSER: Readonly<Record<OpenBracket['char'], string>> = { '(': ')', '[': ']', '{': '}' };

/** The brackets open just before `end`, outermost first. A closer that matches nothing open is skipped. */
export function openBrackets(text: string, end: number): OpenBracket[] {
  const stack: OpenBracket[] = [];
  for (let i = 0; i < end; i++) {
    const c = text[i]!;
    if (c === '"') {
      // To the closing quote, over escapes; a string never spans lines.
      for (i++; i < end && text[i] !== '"' && text[i] !== '\n'; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < end && text[i] !== '\n') i++;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push({ char: c, offset: i });
    } else if (c === ')' || c === ']' || c === '}') {
      const top = stack.at(-1);
      if (top && CLOSER[top.char] === c) stack.pop();
    }
  }
  return stack;
}

/** The closer of an opening bracket. */
export function closerOf(b: OpenBracket): string {
  return CLOSER[b.char];
}
