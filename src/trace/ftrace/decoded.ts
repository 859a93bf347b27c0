/**
 * Records decoded field by field from a binary trace (trace-cmd's trace.dat, src/trace/tracedat/),
 * handed to the text reader without a line of text: the decoder builds each record itself, every
 * column the string tracefs would print for it (comm, timestamp, flags, payload, a probe's site
 * and function) and its arguments as the text reader reads them from that payload, and `fillScan`
 * sets the line scan as scanLine sets it for the record's line, carrying the record. The reader
 * then takes the record as it takes that line (ordering checks, call pairing, the `map` filter),
 * and `materialise` hands out the decoder's record, so that a decoded record and its rendered line
 * give equal records. Whatever the decoder cannot promise to give as the text reader would read it
 * (a payload with control bytes, an open quote or edge blanks, a function-tracer line) it passes
 * as a text line instead: a decoded record holds no control bytes, so no line check applies to it.
 */
import * as chars from './chars.js';
import { eventArgs, L_RECORD, type LineScan } from './line.js';
import * as payloadMod from './payload.js';
import { newRecord, type RawFtraceRecord, type TsClock } from './raw.js';

// Local bindings: see chars.ts.
const { skipWs } = chars;
const { hasOpenString, parseKeyValues, parseRawSysExit } = payloadMod;

/** The kinds of record a decoder gives. */
export type DecodedKind = 'kprobe' | 'kretprobe' | 'syscall_exit' | 'event';

/** A batch of a binary trace's lines in order: decoded records, and text lines (headers, markers, records given as text). */
export interface DecodedChunk {
  /** Records (their `file` and `line` are set by the reader), and text lines. */
  decoded: (RawFtraceRecord | string)[];
}

export function isDecodedChunk(c: unknown): c is DecodedChunk {
  return typeof c === 'object' && c !== null && 'decoded' in c;
}

/** A record's timestamp column: its text (`sec.frac`, or an integer for a counter clock) and its value, as setTimestamp reads that text. */
export interface DecodedStamp {
  text: string;
  sec: number;
  nsec: number;
  clock: Extract<TsClock, 'ns' | 'counter'>;
}

/** A record with the columns every decoded record has; its payload and arguments are the caller's to set. */
export function decodedColumns(kind: DecodedKind, name: string, pid: number, cpu: number, comm: string, stamp: DecodedStamp,
  flags: string): RawFtraceRecord {
  const rec = newRecord(kind, name, '', 0);
  rec.pid = pid;
  rec.cpu = cpu;
  rec.comm = comm;
  rec.tsRaw = stamp.text;
  rec.tsSec = stamp.sec;
  rec.tsNsec = stamp.nsec;
  rec.tsClock = stamp.clock;
  rec.flags = flags;
  return rec;
}

/** Longer payloads go as text (the reader's line-length limit applies to them). */
export const MAX_DECODED_PAYLOAD = 1 << 16;

/**
 * The record of a probe or event whose payload is given as text (the text after `name: `; a
 * probe's starts with its `(…)` head, `head` long), its arguments read from it as the text reader
 * reads them; undefined when the text reader would read that payload otherwise than as one record
 * line of it (then the record goes as text).
 */
export function decodedRecord(kind: DecodedKind, name: string, pid: number, cpu: number, comm: string, stamp: DecodedStamp, flags: string,
  payload: string, probe?: { site: string; sym: string; head: number }): RawFtraceRecord | undefined {
  const n = payload.length;
  if (n > MAX_DECODED_PAYLOAD || (n > 0 && (payload.charCodeAt(0) <= 32 || payload.charCodeAt(n - 1) <= 32))) return undefined;
  let quote = false;
  for (let i = 0; i < n; i++) {
    const c = payload.charCodeAt(i);
    if (c < 32 || c === 127) return undefined;
    if (c === 34) quote = true;
  }
  if (kind === 'kprobe' || kind === 'kretprobe') {
    // (the head must be followed by a blank, as the text reader reads it)
    if (probe === undefined || (n > probe.head && payload.charCodeAt(probe.head) !== 32)) return undefined;
    const argsAt = skipWs(payload, probe.head, n);
    // A quoted value left open would make the text reader wait for the line that continues it.
    if (quote && hasOpenString(payload, argsAt, n)) return undefined;
    const rec = decodedColumns(kind, name, pid, cpu, comm, stamp, flags);
    rec.payload = payload;
    rec.site = probe.site;
    rec.probedSym = probe.sym;
    parseKeyValues(payload, argsAt, n, rec.args);
    return rec;
  }
  // (a payload opening with `(` reads as a probe's head)
  if (n > 0 && payload.charCodeAt(0) === 40) return undefined;
  if (kind === 'event' && name === 'sys_exit' && payload.startsWith('NR ')) kind = 'syscall_exit';
  const rec = decodedColumns(kind, name, pid, cpu, comm, stamp, flags);
  rec.payload = payload;
  if (kind === 'syscall_exit') {
    if (parseRawSysExit(payload, 0, n, rec.args)) rec.retval = rec.args.ret;
  } else eventArgs(name, payload, 0, n, rec.args);
  return rec;
}

/** Sets `sc` as scanLine sets it for the line of the decoded record `rec` (see the module comment). */
export function fillScan(sc: LineScan, rec: RawFtraceRecord): void {
  // (the timestamp's span, for the reader's per-CPU order check: the record's own stamp text)
  const ts = rec.tsRaw ?? '';
  sc.reset(ts, 0, ts.length);
  sc.cls = L_RECORD;
  sc.kind = rec.kind;
  sc.name = rec.name;
  sc.pid = rec.pid;
  sc.cpu = rec.cpu;
  sc.tsS = 0;
  sc.tsE = ts.length;
  sc.tsClock = rec.tsClock ?? 'ns';
  sc.decoded = rec;
}
