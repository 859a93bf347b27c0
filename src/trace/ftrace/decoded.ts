/**
 * Records decoded field by field from a binary trace (trace-cmd's trace.dat, src/trace/tracedat/),
 * handed to the text reader without a line of text: the decoder gives each record's columns as
 * the strings tracefs would print for them, and `fillScan` sets the line scan exactly as scanLine
 * sets it for the line those columns make, over a short text holding only them. The reader then
 * takes the record as it takes that line (ordering checks, call pairing, the `map` filter, the
 * record built by `materialise` from the same strings), so a decoded record and its rendered line
 * give equal records. Whatever the decoder cannot promise to give as scanLine would read it (a
 * payload with control bytes, an open quote or edge blanks, a function-tracer line) it passes as
 * a text line instead.
 */
import * as chars from './chars.js';
import { L_RECORD, type LineScan } from './line.js';
import type { TsClock } from './raw.js';

// Local bindings: see chars.ts.
const { skipWs } = chars;

/** One record decoded from binary data: the columns tracefs would print for it. */
export interface DecodedRecord {
  kind: 'kprobe' | 'kretprobe' | 'syscall_exit' | 'event';
  /** The event name (a probe's own name, `sys_exit`, …). */
  name: string;
  pid: number;
  cpu: number;
  /** The task name column, without padding (no blanks or control bytes in it). */
  comm: string;
  /** The timestamp column without padding: `sec.usec` (clock `ns`) or an integer (`counter`). */
  ts: string;
  clock: Extract<TsClock, 'ns' | 'counter'>;
  /** The flags column (`d..1.`). */
  flags: string;
  /** The text after `name: `, without edge blanks; a probe's starts with its `(site)` or `(site <- sym)` head. */
  payload: string;
  /** Probes: the site in the head (`sym+0xoff/0xsize`, a return's `caller+…`). */
  site: string;
  /** Probes: the probed function, as the head names it. */
  sym: string;
}

/** A batch of a binary trace's lines in order: decoded records, and text lines (headers, markers, records given as text). */
export interface DecodedChunk {
  decoded: (DecodedRecord | string)[];
}

export function isDecodedChunk(c: unknown): c is DecodedChunk {
  return typeof c === 'object' && c !== null && 'decoded' in c;
}

/** Sets `sc` as scanLine sets it for the record line of `d` (see the module comment). */
export function fillScan(sc: LineScan, d: DecodedRecord): void {
  const comm = d.comm;
  const text = comm + d.ts + d.flags + d.payload;
  sc.reset(text, 0, text.length);
  sc.cls = L_RECORD;
  sc.kind = d.kind;
  sc.name = d.name;
  sc.pid = d.pid;
  sc.cpu = d.cpu;
  sc.commS = 0;
  sc.commE = comm.length;
  sc.tsS = sc.commE;
  sc.tsE = sc.tsS + d.ts.length;
  sc.tsClock = d.clock;
  sc.flagsS = sc.tsE;
  sc.flagsE = sc.flagsS + d.flags.length;
  sc.payS = sc.flagsE;
  sc.payE = text.length;
  if (d.kind === 'kprobe' || d.kind === 'kretprobe') {
    sc.siteS = sc.payS + 1;
    sc.siteE = sc.siteS + d.site.length;
    if (d.kind === 'kprobe') {
      sc.symS = sc.siteS;
      sc.symE = sc.symS + d.sym.length;
      sc.argsS = skipWs(text, sc.siteE + 1, sc.payE);
    } else {
      sc.symS = sc.siteE + 4; // ` <- `
      sc.symE = sc.symS + d.sym.length;
      sc.argsS = skipWs(text, sc.symE + 1, sc.payE);
    }
  }
}
