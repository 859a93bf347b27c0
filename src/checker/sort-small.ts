/**
 * In-place sorts for the short lists a monitor's digest sorts at every step of an exploration
 * (the entries of a store, the past-time tables' last matches, the open calls): the same order as
 * `Array.prototype.sort` gives (both stable), without the work array it allocates on every call,
 * which was an eighth of everything an exploration allocated. Longer lists go to it.
 */

const SHORT = 24;

/** `a.sort(cmp)`. */
export function sortBy<T>(a: T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length > SHORT) return a.sort(cmp);
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && cmp(a[j]!, x) > 0) { a[j + 1] = a[j]!; j--; }
    a[j + 1] = x;
  }
  return a;
}

/** `a.sort()` of strings: by UTF-16 code units. */
export function sortStrings(a: string[]): string[] {
  if (a.length > SHORT) return a.sort();
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > x) { a[j + 1] = a[j]!; j--; }
    a[j + 1] = x;
  }
  return a;
}
