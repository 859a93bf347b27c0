/**
 * Throughput of the ftrace reader against a plain newline scan of the same file, measured in the
 * same run: (a) `fs.createReadStream` + `Buffer.indexOf(10)` counting lines, (b) `readFtrace`
 * with a mapping that wants the reference VFS probe set and turns each hit into one event.
 */
import { newlineScan } from './scan.js';
import { createReadStream, statSync } from 'node:fs';
import type { TraceEvent } from '../src/trace/event.js';
import type { FtraceMapping } from '../src/trace/ftrace/mapping-api.js';
import type { RawFtraceRecord, RawKind } from '../src/trace/ftrace/raw.js';
import { readFtrace } from '../src/trace/ftrace/read.js';

export interface ScanFigures { bytes: number; lines: number; seconds: number; MBps: number }

export interface FtraceBench {
  /** Plain Node newline scan. */
  scan: ScanFigures;
  /** The reader with the VFS probe mapping. */
  reader: ScanFigures & { records: number; events: number; malformed: number };
  /** reader MB/s ÷ scan MB/s. */
  ratio: number;
}

/** The reference probe set's event names (kernel-capture.md), plus the tracepoints it uses. */
export const VFS_PROBES: ReadonlySet<string> = new Set([
  'lkslow', 'lkslow_ret', 'dap', 'dap_ret', 'daddci', 'daddci_ret',
  'fs_lookup_xfsci', 'fs_lookup_xfsci_ret', 'fs_lookup_xfs', 'fs_lookup_xfs_ret', 'fs_lookup_ext4', 'fs_lookup_ext4_ret',
  'fs_lookup_simple', 'fs_lookup_simple_ret', 'fs_lookup_vfat', 'fs_lookup_vfat_ret',
  'unhashwake', 'unhash', 'dsplice', 'dsplice_ret', 'dr', 'ur', 'dw', 'uw', 'dr_ret', 'dw_ret',
  'sys_exit', 'sched_process_exit',
]);

/** A stand-in mapping of the shape the compiled spec mapping has: probe name → one event. */
export function vfsProbeMapping(): FtraceMapping {
  return {
    wants: (name: string, kind: RawKind) => kind !== 'graph_entry' && kind !== 'graph_exit' && kind !== 'graph_leaf' && kind !== 'function' && VFS_PROBES.has(name),
    map: (rec: RawFtraceRecord): TraceEvent => ({ seq: 0, pid: rec.pid, ev: rec.kind === 'kretprobe' ? 'ret' : rec.kind === 'kprobe' ? 'call' : rec.name, fn: rec.probedSym, args: rec.args }),
  };
}

const MB = 1024 * 1024;

async function plainScan(file: string): Promise<ScanFigures> {
  const r = await newlineScan(file);
  return { ...r, MBps: r.bytes / MB / r.seconds };
}

/** Measures (a) the plain scan and (b) the reader on `file`. */
export async function benchFtrace(file: string): Promise<FtraceBench> {
  const scan = await plainScan(file);
  const stats = { lines: 0, records: 0, events: 0, malformed: 0, gaps: 0, unmapped: 0, skipped: 0 };
  const t0 = process.hrtime.bigint();
  let events = 0;
  for await (const batch of readFtrace(createReadStream(file, { highWaterMark: 1 << 20 }), vfsProbeMapping(), { file, stats, onDiagnostic: () => undefined })) events += batch.length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = statSync(file).size;
  const reader = { bytes, lines: stats.lines, seconds, MBps: bytes / MB / seconds, records: stats.records, events: stats.events, malformed: stats.malformed };
  void events;
  return { scan, reader, ratio: reader.MBps / scan.MBps };
}

if (process.argv[1] !== undefined && /bench\/ftrace\.ts$/.test(process.argv[1])) {
  const file = process.argv[2];
  if (file === undefined) { console.error('usage: node --import tsx bench/ftrace.ts FILE'); process.exit(2); }
  benchFtrace(file).then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => { console.error(e); process.exit(1); });
}
