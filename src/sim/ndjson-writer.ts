/** TraceEvents → canonical NDJSON lines (Contract 1), so any source can be saved and re-read. */
import type { TraceEvent } from '../trace/event.js';

export function toNdjsonLine(e: TraceEvent): string {
  const o: Record<string, unknown> = { pid: e.pid };
  if (e.comm !== undefined) o.comm = e.comm;
  o.ev = e.ev;
  if (e.fn !== undefined) o.fn = e.fn;
  if (e.ret !== undefined) o.ret = e.ret;
  if (Object.keys(e.args).length) o.args = e.args;
  return JSON.stringify(o);
}
