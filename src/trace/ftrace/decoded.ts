/**
 * Records decoded field by field from a binary trace (trace-cmd's trace.dat, src/trace/tracedat/),
 * handed to the text reader without a line of text: the decoder gives each record's columns as
 * the strings tracefs would print for them, and `fillScan` sets the line scan exactly as scanLine
 * sets it for the line those columns make, over a short text holding only them. The reader then
 * takes the record as it takes that line (ordering checks, call pairing, the `map` filter, the
 * record built by `materialise` from the same strings), so a decoded record and its rendered line
 * give equal records. Whatever the decoder cannot promise to give as scanLine would read it (a
 * payload with control bytes, an open quote or edge blanks, a function-tracer line) it passes as
 * a text line instead: a decoded record holds no control bytes, so no line check applies to it.
 */
import * as chars from './chars.js';
import { L_RECORD, type LineScan } from './line.js';
import type { TsClock } from './raw.js';

// Local bindings: see chars.ts.
const { skipWs } = chars;

/**
 * One record decoded from binary data: the columns tracefs would print for it, one after the
 * other in `text` (comm, timestamp, flags, payload; no blanks between), with where each starts.
 */
export interface DecodedRecord {
  kind: 'kprobe' | 'kretprobe' | 'syscall_exit' | 'event';
  /** The event name (a probe's own name, `sys_exit`, …). */
  name: string;
  pid: number;
  cpu: number;
  clock: Extract<TsClock, 'ns' | 'counter'>;
  /**
   * The task name (no blanks or control bytes), the timestamp (`sec.usec` for clock `ns`, an
   * integer for `counter`), the flags column (`d..1.`), then the text after `name: ` (no blanks at
   * its ends; a probe's starts with its `(site)` or `(site <- sym)` head).
   */
  text: string;
  tsAt: number;
  flagsAt: number;
  payloadAt: number;
  /** Probes: the lengths of the site in the head (`sym+0xoff/0xsize`, a return's `caller+…`) and of the probed function. */
  siteLength: number;
  symLength: number;
}

/** A batch of a binary trace's lines in order: decoded records, and text lines (headers, markers, records given as text). */
export interface DecodedChunk {
  decoded: (DecodedRecord | string)[];
  /**
   * The decoded records' texts one after the other, in one string (`starts`: where each record's
   * is, by its index in `decoded`): the records are read from it, so that what they keep of it is
   * a slice of one string, as records read from text are.
   */
  joined?: { text: string; starts: Int32Array };
}

export function isDecodedChunk(c: unknown): c is DecodedChunk {
  return typeof c === 'object' && c !== null && 'decoded' in c;
}

/** The columns of a record, as strings: its DecodedRecord. */
export function decodedRecord(kind: DecodedRecord['kind'], name: string, pid: number, cpu: number, clock: DecodedRecord['clock'],
  cols: { comm: string; ts: string; flags: string; payload: string; site?: string; sym?: string }): DecodedRecord {
  const tsAt = cols.comm.length;
  const flagsAt = tsAt + cols.ts.length;
  const payloadAt = flagsAt + cols.flags.length;
  return {
    kind, name, pid, cpu, clock, text: cols.comm + cols.ts + cols.flags + cols.payload, tsAt, flagsAt, payloadAt,
    siteLength: cols.site?.length ?? 0, symLength: cols.sym?.length ?? 0,
  };
}

/**
 * Sets `sc` as scanLine sets it for the record line of `d` (see the module comment), over `d.text`
 * or over the same text at `at` in `text`.
 */
export function fillScan(sc: LineScan, d: DecodedRecord, text = d.text, at = 0): void {
  const end = at + d.text.length;
  sc.reset(text, at, end);
  sc.cls = L_RECORD;
  sc.kind = d.kind;
  sc.name = d.name;
  sc.pid = d.pid;
  sc.cpu = d.cpu;
  sc.commS = at;
  sc.commE = at + d.tsAt;
  sc.tsS = sc.commE;
  sc.tsE = at + d.flagsAt;
  sc.tsClock = d.clock;
  sc.flagsS = sc.tsE;
  sc.flagsE = at + d.payloadAt;
  sc.payS = sc.flagsE;
  sc.payE = end;
  if (d.kind === 'kprobe' || d.kind === 'kretprobe') {
    sc.siteS = sc.payS + 1;
    sc.siteE = sc.siteS + d.siteLength;
    if (d.kind === 'kprobe') {
      sc.symS = sc.siteS;
      sc.symE = sc.symS + d.symLength;
      sc.argsS = skipWs(text, sc.siteE + 1, sc.payE);
    } else {
      sc.symS = sc.siteE + 4; // ` <- `
      sc.symE = sc.symS + d.symLength;
      sc.argsS = skipWs(text, sc.symE + 1, sc.payE);
    }
  }
}
