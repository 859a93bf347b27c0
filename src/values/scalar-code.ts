/**
 * Every string and number a key or digest holds, numbered as met (the numbers only need to stay
 * fixed within one process): exploration's state keys and a monitor's digest parts are written as
 * these numbers, not as the names themselves. Strings and numbers number apart, and `undefined`,
 * `null`, `true` and `false` have numbers of their own, so that `null`, `"null"`, `1` and `"1"`
 * stay apart.
 */
const STRING_CODES = new Map<string, number>();
const NUMBER_CODES = new Map<number, number>();
/** Each code's string or number, by `(code - 4) >> 1` (strings at even codes, numbers at odd). */
const STRINGS: string[] = [];
const NUMBERS: number[] = [];

export function scalarCode(x: unknown): number {
  if (typeof x === 'string') {
    let c = STRING_CODES.get(x);
    if (c === undefined) { c = 4 + 2 * STRING_CODES.size; STRING_CODES.set(x, c); STRINGS.push(x); }
    return c;
  }
  if (typeof x === 'number') {
    let c = NUMBER_CODES.get(x);
    if (c === undefined) { c = 5 + 2 * NUMBER_CODES.size; NUMBER_CODES.set(x, c); NUMBERS.push(x); }
    return c;
  }
  return x === undefined ? 0 : x === null ? 1 : x === true ? 2 : x === false ? 3 : unnumbered(x);
}

/** The scalar numbered `code` (`scalarCode`'s inverse, for codes it gave). */
export function scalarOf(code: number): string | number | boolean | null | undefined {
  if (code >= 4) {
    const x = (code & 1) === 0 ? STRINGS[(code - 4) >> 1] : NUMBERS[(code - 5) >> 1];
    if (x === undefined) throw new Error(`internal: no scalar has the number ${code}`);
    return x;
  }
  return code === 0 ? undefined : code === 1 ? null : code === 2;
}

function unnumbered(x: unknown): never {
  throw new Error(`internal: a key or digest part holds ${typeof x}, which is not a scalar`);
}
