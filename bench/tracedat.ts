/**
 * trace.dat read throughput beside the text path, on the same records: a large version 6 file made
 * from traces/tracedat/record-v6.dat (bench/gen-tracedat.ts: its pages repeated, later), and the
 * tracefs text of the same records (rendered once by the reader and written out), each read from
 * disk through `readFtrace` with the reference probe mapping. The trace.dat path counts everything:
 * metadata, page decoding, merging the CPUs, the text of the head `kinv check` scans (rendered and
 * read as text), then each record decoded into the reader's scan (src/trace/ftrace/decoded.ts).
 */
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFtrace } from '../src/trace/ftrace/read.js';
import { traceDatRecords, traceDatText } from '../src/trace/tracedat/read.js';
import type { DecodedChunk } from '../src/trace/ftrace/decoded.js';
import { vfsProbeMapping } from './ftrace.js';
import { generateTraceDat } from './gen-tracedat.js';

export interface PathFigures { records: number; seconds: number; recordsPerSec: number; MB: number; cpuSeconds: number }
/** `cpuRatio`: the same ratio by the process's CPU time, which other load on the machine disturbs less than the wall clock. */
export interface TraceDatBench { dat: PathFigures; text: PathFigures; ratio: number; cpuRatio: number }

const MB = 1024 * 1024;

async function* fromGen(g: Generator<Buffer | DecodedChunk>): AsyncGenerator<Buffer | DecodedChunk> {
  yield* g;
}

async function timed(input: () => AsyncIterable<Buffer | Uint8Array | DecodedChunk>, bytes: number): Promise<PathFigures> {
  const stats = { lines: 0, records: 0, events: 0, malformed: 0, gaps: 0, unmapped: 0, skipped: 0 };
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for await (const batch of readFtrace(input(), vfsProbeMapping(), { file: 'bench', stats, onDiagnostic: () => undefined })) void batch;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { records: stats.records, seconds, recordsPerSec: stats.records / seconds, MB: bytes / MB, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** Makes (once, cached in `outDir`) the trace.dat and its text, then times both paths. */
export async function benchTraceDat(root: string, outDir: string, copies = 200): Promise<TraceDatBench> {
  const dat = join(outDir, `tracedat-x${copies}.dat`);
  const txt = join(outDir, `tracedat-x${copies}.txt`);
  if (!existsSync(dat) || !existsSync(txt)) {
    const bytes = generateTraceDat(readFileSync(join(root, 'traces', 'tracedat', 'record-v6.dat')), copies);
    writeFileSync(dat, bytes);
    writeFileSync(txt, Buffer.concat([...traceDatText(bytes).chunks]));
  }
  // Each path twice, alternately, the faster run kept: the reader and the mapping they share are
  // compiled by whichever path runs first, which would otherwise count against it.
  const runDat = (): Promise<PathFigures> => timed(() => fromGen(traceDatRecords(readFileSync(dat)).chunks), statSync(dat).size);
  const runText = (): Promise<PathFigures> => timed(() => createReadStream(txt, { highWaterMark: 1 << 20 }), statSync(txt).size);
  const faster = (a: PathFigures, b: PathFigures): PathFigures => (a.seconds <= b.seconds ? a : b);
  const d1 = await runDat();
  const t1 = await runText();
  const d = faster(d1, await runDat());
  const t = faster(t1, await runText());
  return { dat: d, text: t, ratio: d.recordsPerSec / t.recordsPerSec, cpuRatio: t.cpuSeconds / d.cpuSeconds };
}

if (process.argv[1] !== undefined && /bench\/tracedat\.ts$/.test(process.argv[1])) {
  benchTraceDat(process.cwd(), process.argv[2] ?? '/tmp')
    .then((r) => console.log(JSON.stringify(r, null, 2)), (e: unknown) => { console.error(e); process.exit(1); });
}
