/**
 * The floors the checker's throughput is compared with (issue 14), each a plain Node loop over the
 * same file in the same run:
 * - NDJSON: read the file line by line (readline) and `JSON.parse` each line, nothing else;
 * - ftrace text: a naive regex parser that splits each line into its fields (task, pid, CPU,
 *   timestamp, record name, payload) and the payload into `key=value` pairs, with no mapping,
 *   no checking, no diagnostics.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** `cpuSeconds`: this process's CPU time during the loop (user + system), steadier than wall time under load. */
export interface FloorFigures { bytes: number; lines: number; records: number; seconds: number; MBps: number; cpuSeconds: number }

const MB = 1024 * 1024;

/** Reads `file` line by line with readline, timed; `isRecord` says whether a line yields a record. */
async function timedLineLoop(file: string, isRecord: (line: string) => boolean): Promise<FloorFigures> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let lines = 0;
  let records = 0;
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of rl) {
    lines++;
    if (isRecord(line)) records++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const bytes = statSync(file).size;
  return { bytes, lines, records, seconds, MBps: bytes / MB / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** readline + JSON.parse per line. */
export function jsonParseLoop(file: string): Promise<FloorFigures> {
  return timedLineLoop(file, (line) => line.length !== 0 && (JSON.parse(line) as unknown) !== null);
}

// `comm-pid [cpu] flags ts: name: payload` (trace, nop tracer: kprobes, tracepoints)
const TRACE_LINE = /^\s*(.*)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:\S+\s+)?(\d+(?:\.\d+)?):\s+([\w.]+):\s*(.*)$/;
// `ts | cpu) comm-pid | duration | body` (function_graph with abstime and proc)
const GRAPH_LINE = /^\s*(\d+\.\d+)\s+\|\s+(\d+)\)\s+(.*?)-(\d+)\s+\|\s+([^|]*)\|\s+(.*)$/;
const ARG = /(\w+)=("[^"]*"|\S+)/g;

/** Naive regex field splitting of an ftrace text log, one object per record line. */
export function naiveFtraceParse(file: string): Promise<FloorFigures> {
  return timedLineLoop(file, (line) => {
    if (line.length === 0 || line.charCodeAt(0) === 35 /* # */) return false;
    let m = TRACE_LINE.exec(line);
    let rec: { comm: string; pid: number; cpu: number; ts: number; name: string; args: Record<string, string> } | undefined;
    if (m) {
      rec = { comm: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), ts: Number(m[4]), name: m[5]!, args: {} };
      for (const a of m[6]!.matchAll(ARG)) rec.args[a[1]!] = a[2]!;
    } else if ((m = GRAPH_LINE.exec(line))) {
      rec = { comm: m[3]!.trim(), pid: Number(m[4]), cpu: Number(m[2]), ts: Number(m[1]), name: m[6]!.trim(), args: {} };
      const c = rec.name.startsWith('/*') ? rec.name : '';
      if (c) for (const a of c.matchAll(ARG)) rec.args[a[1]!] = a[2]!;
    }
    return rec !== undefined;
  });
}
