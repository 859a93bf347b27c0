/**
 * Milliseconds from an arbitrary origin, monotonic, for durations: what `performance.now()` gives,
 * without its first use loading Node's performance-timing modules (a few milliseconds of a cold
 * start that measures one run).
 */
export function nowMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
