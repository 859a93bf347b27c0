/**
 * Terse event builders for traces written by hand in tests:
 * `ev(101, 'acq', { lock: 'I1', mode: 'R' })`, `call(101, 'lookup', {...})`, `ret(101, 'lookup', 'D1')`.
 * `seq` is 0: `checkTrace` numbers events by position when their seqs do not increase.
 */
import type { Scalar, TraceEvent, TraceGap } from '../trace/event.js';

export function ev(pid: number, name: string, args: Record<string, Scalar> = {}): TraceEvent {
  return { seq: 0, pid, ev: name, args };
}
export function call(pid: number, fn: string, args: Record<string, Scalar> = {}): TraceEvent {
  return { seq: 0, pid, ev: 'call', fn, args };
}
export function ret(pid: number, fn: string, value: Scalar = null, args: Record<string, Scalar> = {}): TraceEvent {
  return { seq: 0, pid, ev: 'ret', fn, args, ret: value };
}
/** A span of lost history: of `pids`, or of every task when omitted. */
export function gap(pids?: number[]): TraceGap {
  return { kind: 'gap', reason: 'test', pids, seq: 0 };
}
