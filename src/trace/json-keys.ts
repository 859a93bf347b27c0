/**
 * Duplicate keys in a JSON object: JSON.parse keeps the last silently, so a record such as
 * `{"lock":"I1","lock":"I2"}` would be judged on a value its writer may not have meant. Run on
 * text JSON.parse has accepted (so the syntax is known good), on the reader's slow path only.
 */

/** The first key repeated within one object, with its 1-based column, or undefined. */
export function firstDuplicateKey(text: string): { key: string; column: number } | undefined {
  const stack: (Set<string> | undefined)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) { stack.push(new Set()); expectKey = true; continue; } // {
    if (c === 91) { stack.push(undefined); continue; } // [
    if (c === 125 || c === 93) { stack.pop(); expectKey = false; continue; } // } ]
    if (c === 44) { expectKey = stack[stack.length - 1] !== undefined; continue; } // ,
    if (c !== 34) continue;
    const start = i;
    for (i++; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 92) { i++; continue; }
      if (d === 34) break;
    }
    if (!expectKey) continue;
    expectKey = false;
    const keys = stack[stack.length - 1];
    if (keys === undefined) continue;
    // Compare keys as JSON.parse sees them, so "\u006cock" and "lock" are the same key.
    const key = JSON.parse(text.slice(start, i + 1)) as string;
    if (keys.has(key)) return { key, column: start + 1 };
    keys.add(key);
  }
  return undefined;
}
