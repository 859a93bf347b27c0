/**
 * ftrace text → TraceItem batches: the raw reader (src/trace/ftrace/) driven by the spec's own
 * `map` declarations, compiled into a record mapper; and the trace-text format of the registry
 * (tracefs `trace` and `trace_pipe`, trace-cmd report, perf script), which infers the capture's
 * kernel layout from its first part and counts the records its header promises.
 */
import type { TypedSpec } from '../analysis/ir.js';
import { error, warning, type Diagnostic } from '../diag/diagnostic.js';
import { compileRecordMapper } from '../monitor/mapping.js';
import { ProbeCoverage, type ProbeDefinition } from './coverage.js';
import type { SourceStats, TraceGap, TraceItem } from './event.js';
import type { FormatContext, FormatReader, TraceFormat } from './format.js';
import { headRecordLines, inferIrwsemOffset, inferParLookupBit } from './ftrace/infer.js';
import type { DecodedChunk } from './ftrace/decoded.js';
import type { FtraceMapping } from './ftrace/mapping-api.js';
import { readAhead, type ReadAhead } from './ftrace/read-ahead.js';
import { readFtrace } from './ftrace/read.js';
import type { Lateness } from './ftrace/lateness.js';
import { DEFAULT_WINDOW_TICKS } from './ftrace/merge.js';
import { DEFAULT_WINDOW_NS } from './ftrace/records.js';
import { ProbeSites } from './ftrace/sites.js';
import { probesThatLogged } from './ftrace/declared-probes.js';
import { peek, type OpenedInput } from './input.js';
import { Spool } from './spool.js';

/**
 * Trace text as a trace format (see registry.ts). It is asked last when sniffing: any input with a
 * line that no other format claims is read as trace text, whose reader reports each line it does
 * not recognise. `perf` names it too: the reader tells the layouts apart line by line.
 */
export const ftraceFormat: TraceFormat = {
  name: 'ftrace',
  aliases: ['perf'],
  events: 'ftrace',
  sniff: (head) => head.some((b) => b !== 32 && b !== 9 && b !== 10 && b !== 13),
  open: openFtraceText,
};

async function openFtraceText(input: OpenedInput, ctx: FormatContext): Promise<FormatReader | undefined> {
  const { probes, kernelSymbols } = ctx.capture;
  const probeSites = new ProbeSites(probes, kernelSymbols);
  // One read of the whole input ahead of the read that judges it (done before that read starts: an
  // xz stream is decoded by one decoder per process at a time), for what must be known before the
  // first record is judged. A `trace` file that holds fewer records than its header promises lost
  // them at an unknown place: every task is unknown throughout. Locks the whole capture takes and
  // never releases (their releases filtered out): a rule about what holds them can say from the
  // first record that it cannot tell. Every input gets it, standard input and pipes too: judged
  // without it, a capture whose releases are filtered out shows its locks held forever.
  const first = await readAheadFor(input, ctx.again, probeSites, ctx.onReadAhead);
  if ('failed' in first) {
    ctx.onDiagnostic(error('KV309', `cannot read trace '${ctx.file}': ${first.failed}`, undefined,
      'give the capture as a file (kinv reads a capture twice: once for what holds throughout it, once to judge it)'));
    return undefined;
  }
  const ahead = first.ahead;
  const short = ahead?.shortfall;
  const unreleased = ahead?.neverReleased;
  // (a trace.dat gives its records decoded past this much text: tracedat/read.ts, HEAD_TEXT_BYTES)
  const peeked = await peek(first.chunks, 1 << 19);
  // (exactly the first 512 KiB, whatever the sizes of the chunks the input came in: what is read
  // off it must not depend on how the input was read, a file, a pipe, gzip or xz)
  const head = Buffer.concat(peeked.head).subarray(0, 1 << 19).toString('latin1');
  // A capture names its own kernel's layout: infer the i_rwsem offset and the DCACHE_PAR_LOOKUP
  // bit from its first part, unless the user gave them.
  const given = ctx.params;
  let inferred: Record<string, string> | undefined;
  /** Layout parameters the capture should show and does not: [name, why, where to find it]. */
  const defaulted: [string, string, string][] = [];
  if (!('i_rwsem_offset' in given && 'dcache_par_lookup' in given)) {
    inferred = {};
    // (the first part first, as before; a capture whose first part holds no slow lookup of a
    // tracked directory, as one with no comm filter may, from the read ahead of the whole of it)
    let lines: readonly string[] | undefined;
    const headLines = (): readonly string[] => (lines ??= headRecordLines(head));
    const off = 'i_rwsem_offset' in given ? undefined : inferIrwsemOffset(headLines()) ?? ahead?.irwsemOffset;
    if (off !== undefined) inferred.i_rwsem_offset = String(off);
    const bit = 'dcache_par_lookup' in given ? undefined : inferParLookupBit(headLines()) ?? ahead?.parLookupBit;
    if (bit !== undefined) inferred.dcache_par_lookup = String(bit);
    // Never silent: a layout the capture does not show is the spec's default, which is 6.1 x86_64's.
    if (off === undefined && !('i_rwsem_offset' in given) && (ahead?.directoryRecords ?? 0) > 0) {
      defaulted.push(['i_rwsem_offset',
        'no task\'s down_read or down_write is followed by its __lookup_slow, d_alloc_parallel, ->lookup or d_add_ci of the directory it locked',
        'kinv probes prints the offset of a kernel\'s struct inode.i_rwsem']);
    }
    if (bit === undefined && !('dcache_par_lookup' in given) && (ahead?.dapReturns ?? 0) > 0) {
      defaulted.push(['dcache_par_lookup', 'no d_alloc_parallel return of __lookup_slow is followed by the same task\'s probed ->lookup of that dentry',
        'the DCACHE_PAR_LOOKUP bit of the kernel\'s include/linux/dcache.h']);
    }
  }
  const diag = ctx.onDiagnostic;
  return {
    inferred,
    read: (spec) => {
      for (const [name, why, where] of defaulted) {
        const v = spec.params.get(name)?.value;
        const shown = typeof v === 'number' && name === 'dcache_par_lookup' ? `0x${v.toString(16)}` : String(v);
        diag(warning('KV321', `this capture does not show its kernel's ${name} (${why}): the spec's default ${shown} is used, `
          + 'and a kernel whose layout differs gets lock ids or outcomes that do not match its records',
        { at: { source: ctx.file, line: 1, column: 1 } }, `give --param ${name}=N (${where})`));
      }
      const coverage = new ProbeCoverage();
      const { kernelFunctions } = ctx.capture;
      if (kernelFunctions !== undefined) coverage.setPresent(kernelFunctions);
      const off = spec.params.get('i_rwsem_offset')?.value;
      if (unreleased !== undefined && unreleased.size > 0 && typeof off === 'number') {
        coverage.setUnreleased(lockIds(unreleased, off));
        // Never silent: say which locks the rules cannot judge, and where the first is taken.
        const [firstSem, firstLine] = firstTaken(unreleased);
        const n = unreleased.size;
        diag(warning('KV320', `${n} rwsem${n === 1 ? ' is' : 's are'} taken and never released anywhere in this capture (first: `
          + `sem=0x${firstSem.toString(16)}, taken at line ${firstLine}): their releases are filtered out or lost, so the lock rules `
          + `say unknown about what holds them and no_locks_at_exit does not judge them`,
        { at: { source: ctx.file, line: firstLine, column: 1 } },
        'filter every acquisition probe on the same sem addresses as the release probes (kinv probes prints such filters)'));
      }
      const partly = ahead?.neverReleasedIn;
      if (partly !== undefined && typeof off === 'number') {
        for (const mode of ['R', 'W'] as const) {
          const locks = partly[mode];
          if (locks.size === 0) continue;
          coverage.setUnreleasedIn(mode, lockIds(locks, off));
          // Never silent: which holds the rules cannot follow, and where the first is taken.
          const [firstSem, firstLine] = firstTaken(locks);
          const n = locks.size;
          const [taken, release, other] = mode === 'R' ? ['shared', 'up_read', 'up_write'] : ['exclusive', 'up_write', 'up_read'];
          diag(warning('KV327', `${n} rwsem${n === 1 ? ' is' : 's are'} taken ${taken} and never released by ${release} anywhere in this `
            + `capture, though released by ${other} (first: sem=0x${firstSem.toString(16)}, taken ${taken} at line ${firstLine}): `
            + `${release} is not probed or filtered to other addresses, so when such a hold ends cannot be told; the lock rules say `
            + `unknown where one could matter and no_locks_at_exit does not judge them`,
          { at: { source: ctx.file, line: firstLine, column: 1 } },
          `probe ${release} as well as ${other}, with the same filter (kinv probes prints the probe set)`));
        }
      }
      const silent = ahead?.tasksNeverReleasingIn;
      if (silent !== undefined) {
        for (const mode of ['R', 'W'] as const) {
          const tasks = silent[mode];
          if (tasks.size === 0) continue;
          coverage.setTasksNeverReleasingIn(mode, tasks.keys());
          // Never silent: which tasks' holds the rules cannot follow, and where the first takes one.
          const [firstPid, firstLine] = firstTaken(tasks);
          const n = tasks.size;
          const [taken, release] = mode === 'R' ? ['shared', 'up_read'] : ['exclusive', 'up_write'];
          // A task that takes its first only after the release records end (KV334) may be one a
          // filter left out, or one whose releases came when the probe was off: both are said.
          const end = ahead?.releasesEnded[mode];
          const late = end === undefined ? 0 : [...tasks.values()].filter((first) => first > end.line).length;
          const cause = `the ${release} probe is filtered to other tasks (a pid or comm filter)` + (late === 0 ? ''
            : late === n ? `, or was off by the time ${n === 1 ? 'it takes one' : 'they take theirs'} (its last record is at line ${end!.line})`
              : `, or, for the ${late} of them that take their first after its last record (line ${end!.line}), was off by then`);
          diag(warning('KV329', `${n} task${n === 1 ? ' takes' : 's take'} rwsems ${taken} and release${n === 1 ? 's' : ''} none by ${release} `
            + `anywhere in this capture, though other tasks do (first: task ${firstPid}, taking one at line ${firstLine}): ${cause}, `
            + `so when their holds end cannot be told; the lock rules say unknown where one could matter and no_locks_at_exit does not judge them`,
          { at: { source: ctx.file, line: firstLine, column: 1 } },
          `filter ${release} on the same tasks as the acquisition probes, or on none`));
        }
      }
      for (const mode of ['R', 'W'] as const) {
        const [taken, release] = mode === 'R' ? ['shared', 'up_read'] : ['exclusive', 'up_write'];
        // Never silent: where the release records begin or end, and whose holds the rules cannot follow.
        const warn = (edge: { line: number; exits: number; tasks: Map<number, number> }, where: string, what: string, help: string): void => {
          const n = edge.tasks.size;
          const one = edge.exits === 1;
          diag(warning('KV334', `the capture's ${where} ${release} record is at line ${edge.line}, though ${where === 'first' ? 'before' : 'after'} it `
            + `${one ? 'an rwsem is' : `${edge.exits} rwsems are`} taken ${taken} and ${one ? 'its task returns' : 'their tasks return'} `
            + `to user space or ${one ? 'asks for it' : 'ask for them'} again, or another task is granted or releases `
            + `${one ? 'it' : 'them'} in a mode that excludes the hold, which comes only after releasing: the ${release} `
            + `probe was ${what}, so when holds taken ${taken} ${where === 'first' ? 'before it' : 'from there on'} end cannot be told; the lock rules `
            + `say unknown where one could matter for the ${n} task${n === 1 ? '' : 's'} holding some, and no_locks_at_exit does not judge them`,
          { at: { source: ctx.file, line: edge.line, column: 1 } }, help));
        };
        const end = ahead?.releasesEnded[mode];
        if (end !== undefined) {
          coverage.setReleasesEdge(mode, 'last', end.line, end.tasks.keys());
          warn(end, 'last', 'turned off there or its records lost', `keep ${release} on for as long as the acquisition probes are`);
        }
        const begin = ahead?.releasesBegan[mode];
        if (begin !== undefined) {
          coverage.setReleasesEdge(mode, 'first', begin.line, begin.tasks.keys());
          warn(begin, 'first', 'turned on there, after the acquisition probes',
            `turn ${release} on before the acquisition probes, or start tracing after both are on`);
        }
      }
      // Never silent: where the downgrade records begin or end, and whose exclusive holds the rules cannot follow.
      const warnDowngrades = (edge: { line: number; exits: number; tasks: Map<number, number> }, where: 'first' | 'last'): void => {
        coverage.setDowngradesEdge(where, edge.line, edge.tasks.keys());
        const n = edge.tasks.size;
        const one = edge.exits === 1;
        diag(warning('KV334', `the capture's ${where} downgrade_write record is at line ${edge.line}, though ${where === 'first' ? 'before' : 'after'} it `
          + `${one ? 'an rwsem is' : `${edge.exits} rwsems are`} taken exclusive and ${one ? 'its hold ends' : 'their holds end'} `
          + `with no up_write or downgrade logged (${one ? 'its task returns to user space, asks for it again or releases it'
            : 'their tasks return to user space, ask for them again or release them'} `
          + `by up_read, or another task is granted or releases ${one ? 'it' : 'them'}), which comes only after one: the `
          + `downgrade_write probe was ${where === 'first' ? 'turned on there, after the acquisition probes' : 'turned off there or its records lost'}, `
          + `so when exclusive holds ${where === 'first' ? 'taken before it' : 'from there on'} became shared cannot be told; the lock rules `
          + `say unknown where one could matter for the ${n} task${n === 1 ? '' : 's'} holding some`,
        { at: { source: ctx.file, line: edge.line, column: 1 } },
        where === 'first' ? 'turn downgrade_write on before the acquisition probes, or start tracing after both are on'
          : 'keep downgrade_write on for as long as the acquisition probes are'));
      };
      if (ahead?.downgradesEnded !== undefined) warnDowngrades(ahead.downgradesEnded, 'last');
      if (ahead?.downgradesBegan !== undefined) warnDowngrades(ahead.downgradesBegan, 'first');
      const hiddenDowngraders = ahead?.tasksNeverDowngrading;
      if (hiddenDowngraders !== undefined && hiddenDowngraders.size > 0) {
        coverage.setTasksNeverDowngrading(hiddenDowngraders.keys());
        // Never silent: which tasks' exclusive holds the rules cannot follow, and where the first ends one by up_read.
        const [firstPid, firstLine] = firstTaken(hiddenDowngraders);
        const n = hiddenDowngraders.size;
        diag(warning('KV331', `${n} task${n === 1 ? ' releases' : 's release'} by up_read rwsems ${n === 1 ? 'it' : 'they'} took exclusive, with no `
          + `downgrade_write of ${n === 1 ? 'its' : 'their'} own anywhere in this capture, though other tasks downgrade (first: task ${firstPid}, `
          + `at line ${firstLine}): the downgrade_write probe is filtered to other tasks (a pid or comm filter), so when their exclusive `
          + 'holds became shared cannot be told; the lock rules say unknown where one could matter',
        { at: { source: ctx.file, line: firstLine, column: 1 } },
        'filter downgrade_write on the same tasks as the other lock probes, or on none'));
      }
      const parBit = spec.params.get('dcache_par_lookup')?.value;
      const silentEnders = typeof parBit === 'number' ? ahead?.lookupEnds.silentTasks(parBit) : undefined;
      if (silentEnders !== undefined && silentEnders.size > 0) {
        coverage.setTasksNeverEndingLookups(silentEnders.keys());
        // Never silent: which tasks' in-lookup dentries the rules do not follow, and where the first makes one.
        const [firstPid, firstLine] = firstTaken(silentEnders);
        const n = silentEnders.size;
        diag(warning('KV330', `${n} task${n === 1 ? ' makes' : 's make'} in-lookup dentries with d_alloc_parallel and end${n === 1 ? 's' : ''} no in-lookup `
          + `state (no __d_lookup_unhash of ${n === 1 ? 'its' : 'their'} own) anywhere in this capture, though other tasks do (first: task `
          + `${firstPid}, at line ${firstLine}): the unhash probes are filtered to other tasks (a pid or comm filter), so when their `
          + 'in-lookup states end cannot be told; the in-lookup rules do not follow their in-lookup dentries',
        { at: { source: ctx.file, line: firstLine, column: 1 } },
        'filter __d_lookup_unhash on the same tasks as d_alloc_parallel, or on none'));
      }
      const unended = typeof parBit === 'number' ? ahead?.lookupEnds.unendedAtReturn(parBit) : undefined;
      if (unended !== undefined) {
        coverage.setTasksNeverEndingLookups(unended.tasks.keys());
        // Never silent: whose in-lookup dentries the rules do not follow, and where the first is made.
        const [firstPid, firstLine] = unended.first;
        const n = unended.tasks.size;
        diag(warning('KV335', `${unended.count} in-lookup dentries' lookups return with no end of them logged (no __d_lookup_unhash of the dentry `
          + `before its lookup returns, or before d_alloc_parallel makes it again; first: task ${firstPid}, at line ${firstLine}), which come only `
          + 'after its in-lookup state ended: the unhash probes were off for '
          + `part of the capture or some of their callers, so when those in-lookup states end cannot be told; the in-lookup rules do not follow `
          + `the in-lookup dentries of the ${n} task${n === 1 ? '' : 's'} that made them`,
        { at: { source: ctx.file, line: firstLine, column: 1 } },
        'keep __d_lookup_unhash probed for as long as d_alloc_parallel'));
      }
      const unlogged = ahead?.acquisitionsUnlogged;
      if (unlogged !== undefined && unlogged.tasks.size > 0) {
        coverage.setTasksWithUnloggedAcquisitions(unlogged.tasks.keys());
        // Never silent: whose holds the lock rules cannot follow, and what shows it.
        const [firstPid, firstLine] = firstTaken(unlogged.tasks);
        const n = unlogged.tasks.size;
        diag(warning('KV336', `acquisitions went unlogged while releases were logged (${unlogged.where.join('; ')}; first: task ${firstPid}, `
          + `at line ${firstLine}): an acquisition probe's entry was off for part of the capture, so what those tasks hold cannot be told; `
          + `the lock rules say unknown where it could matter for the ${n} task${n === 1 ? '' : 's'}`,
        { at: { source: ctx.file, line: firstLine, column: 1 } },
        'keep the acquisition probes on for as long as the release probes'));
      }
      const order = crossCpuOrder(ahead?.lateness, ctx.file, diag);
      const active = probesThatLogged(probes, ahead, ctx.file, diag);
      const opened = openFtraceSource(peeked.all, {
        ...order.window,
        file: ctx.file, spec, onDiagnostic: (d) => { if (d.code !== 'KV316' || (short === undefined && input.cut === undefined)) diag(d); },
        stats: ctx.stats, params: ctx.params, coverage, probes: active, head, probeSites,
        lossStarts: ahead?.lossStarts, overwrittenUntil: ahead?.overwrittenUntil,
      });
      if (!opened.ok) {
        for (const d of opened.diagnostics) diag(d);
        return undefined;
      }
      let source = opened.source;
      const left = ahead?.cpusLeftOut;
      if (left !== undefined) {
        // Tasks move between CPUs: what a task did on a CPU left out is missing from its history anywhere.
        const which = left.cpus.length === 1 ? `CPU ${left.cpus[0]} are` : `CPUs ${left.cpus.join(', ')} are`;
        diag(error('KV326', `${left.why}: the records of ${which} not in this file, `
          + 'and a task that ran there lost them, so no task\'s state is known anywhere in this file',
        { at: { source: ctx.file, line: left.line, column: 1 } },
        'check the capture of every CPU: the `trace` file, `trace_pipe`, or the per-CPU files merged by timestamp'));
        const gap: TraceGap = { kind: 'gap', reason: 'CPUs left out', lasting: true, seq: 0, file: ctx.file, line: left.line };
        source = startsWithLoss(source, gap, ctx.stats);
      } else if (ahead?.onlyCpu0 !== undefined && spec.params.get('every_cpu')?.value !== true) {
        // CPU 0's own file of a bigger machine reads exactly like a one-CPU machine's trace_pipe, and
        // in it a task that moved to another CPU seems to keep what it released there.
        diag(error('KV328', 'every record comes from CPU 0 and the capture has no header: it is a one-CPU machine\'s capture, '
          + 'or CPU 0\'s own file of a machine with more (per_cpu/cpu0/trace_pipe, `perf record -C 0`), where a task that ran on '
          + 'another CPU lost its records there; which cannot be told, so no task\'s state is known anywhere in this file',
        { at: { source: ctx.file, line: ahead.onlyCpu0.line, column: 1 } },
        'if it holds every CPU\'s records (a one-CPU machine, or only CPU 0 had any), say so with --param every_cpu=true; '
          + 'otherwise check the capture of every CPU (trace_pipe, or the trace file with its header)'));
        const gap: TraceGap = { kind: 'gap', reason: 'CPUs other than 0 may be left out', lasting: true, seq: 0, file: ctx.file, line: ahead.onlyCpu0.line };
        source = startsWithLoss(source, gap, ctx.stats);
      } else if (order.unknown !== undefined) source = startsWithLoss(source, order.unknown, ctx.stats);
      else if (short !== undefined && short.counted > short.promised) {
        const n = short.counted - short.promised;
        diag(error('KV316', `the header promises ${short.promised} entries, but the log holds ${short.counted} record lines: `
          + `${n} ${n === 1 ? 'was' : 'were'} duplicated or inserted at an unknown place (a record read twice is a lock taken twice), `
          + 'so no task\'s state is known anywhere in this file',
        { at: { source: ctx.file, line: short.line, column: 1 } }, 'check the capture as tracefs wrote it'));
        const gap: TraceGap = { kind: 'gap', reason: 'entries added', lasting: true, seq: 0, file: ctx.file, line: short.line };
        source = startsWithLoss(source, gap, ctx.stats);
      } else if (short !== undefined) {
        const n = short.promised - short.counted;
        diag(error('KV316', `the header promises ${short.promised} entries, but the log holds at most ${short.counted} record lines: `
          + `${n} ${n === 1 ? 'is' : 'are'} missing from an unknown place, so no task's state is known anywhere in this file`,
          { at: { source: ctx.file, line: short.line, column: 1 } }, 'check a complete copy of the capture'));
        const gap: TraceGap = { kind: 'gap', reason: 'entries missing', lost: n, lasting: true, seq: 0, file: ctx.file, line: short.line };
        source = startsWithLoss(source, gap, ctx.stats);
      }
      return { source, coverage, tasksStartUnknown: true };
    },
  };
}

/**
 * The widest reorder window the judging read holds to put late records back in order: it keeps every
 * record of the span in memory (a `counter` clock ticks once per event).
 */
export const MAX_REORDER_TICKS = 1 << 18;
export const MAX_REORDER_NS = 100_000_000;

/**
 * What a file's worst cross-CPU lateness (read ahead) asks of the judging read: a reorder window
 * wide enough to put its records back in time order (said in a warning), or, past the widest
 * kinv holds, an order that is unknown: every task unknown throughout (said in an error).
 */
function crossCpuOrder(late: Lateness | undefined, file: string, diag: (d: Diagnostic) => void):
  { window: { reorderWindowNs?: number; reorderWindowTicks?: number }; unknown?: TraceGap } {
  if (late === undefined) return { window: {} };
  const unit = late.ticks ? 'ticks' : 'ns';
  if (late.by < (late.ticks ? DEFAULT_WINDOW_TICKS : DEFAULT_WINDOW_NS)) return { window: {} };
  const what = `a record of CPU ${late.cpu} comes ${late.by} ${unit} before the newer record of another CPU at line ${late.after} that it follows: `
    + 'the file is not one stream merged in time order (per-CPU files joined one after another, or a trace_pipe reader far behind on one CPU)';
  const at = { at: { source: file, line: late.line, column: 1 } };
  const max = late.ticks ? MAX_REORDER_TICKS : MAX_REORDER_NS;
  if (late.by < max) {
    const w = late.by + 1;
    diag(warning('KV325', `${what}; its records are put back in time order through a reorder window of ${w} ${unit}`, at));
    return { window: late.ticks ? { reorderWindowTicks: w } : { reorderWindowNs: w } };
  }
  diag(error('KV325', `${what}, further than the widest reorder window kinv holds (${max} ${unit}): the order of records `
    + 'across CPUs is unknown, so no task\'s state is known anywhere in this file', at,
  'give the capture\'s `trace` file, which ftrace merges in time order, or the per-CPU files merged by timestamp'));
  return { window: {}, unknown: { kind: 'gap', reason: 'records out of time order across CPUs', lasting: true, seq: 0, file, line: late.line } };
}

/** Decoded bytes the read ahead keeps in memory for the read that judges (the whole stock capture is 11 MB). */
const KEEP_BYTES = 64 << 20;

/** The read ahead, and the stream the judging read is to take; or why the input cannot be read twice. */
export type ReadAheadResult = { ahead: ReadAhead | undefined; chunks: AsyncIterable<Uint8Array | DecodedChunk> } | { failed: string };

/**
 * The read ahead of any input. Records decoded from a binary container (a trace.dat, held in
 * memory) are read ahead decoded afresh from the same bytes, and judged decoded.
 */
async function readAheadFor(input: OpenedInput, again: (() => Promise<OpenedInput>) | undefined, sites: ProbeSites,
  onLines: ((lines: number) => void) | undefined): Promise<ReadAheadResult> {
  if (input.decoded === undefined) return readAheadOf(input, { again, sites, onLines });
  let ahead: ReadAhead | undefined;
  try {
    ahead = await readAhead(input.decodedAgain?.() ?? input.chunks, sites, onLines);
  } catch {
    ahead = undefined; // (the judging read reports what is wrong with the records)
  }
  return { ahead, chunks: input.decoded };
}

/** How `readAheadOf` reads an input ahead, and keeps it for the judging read. */
export interface ReadAheadOptions {
  /** Opens the input again from its start; absent for an input read once only (standard input, a pipe). */
  again?: (() => Promise<OpenedInput>) | undefined;
  /** The probes the capture declares (its probe files). */
  sites?: ProbeSites | undefined;
  /** Bytes kept in memory for the judging read (default 64 MB); tests set a few. */
  keepBytes?: number;
  /** Where the rest of an input read once is spooled (default: the system's temporary folder); tests set it. */
  spoolIn?: string | undefined;
  /** Called with the lines read so far, now and then (progress on a terminal). */
  onLines?: ((lines: number) => void) | undefined;
}

/**
 * The read ahead, over the input's own stream, and the stream the judging read is to take: the
 * bytes the read ahead kept when the input is no larger than `keepBytes` (a compressed capture is
 * then decoded once, not twice); past that, the input opened `again` (a larger file is never held
 * whole), or, for an input that cannot be opened again (standard input, a pipe), the rest of its
 * bytes kept in a temporary file that the judging read reads and removes.
 */
export async function readAheadOf(input: OpenedInput, opts: ReadAheadOptions = {}): Promise<ReadAheadResult> {
  const { again, sites, keepBytes = KEEP_BYTES, spoolIn, onLines } = opts;
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let keeping = true;
  let spool: Spool | undefined;
  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of input.chunks) {
      if (keeping) {
        keptBytes += chunk.length;
        if (keptBytes <= keepBytes) kept.push(chunk);
        else if (again !== undefined) { keeping = false; kept.length = 0; } else (spool ??= new Spool(spoolIn)).write(chunk);
      }
      yield chunk;
    }
  }
  let ahead: ReadAhead | undefined;
  try {
    ahead = await readAhead(tee(), sites, onLines);
  } catch (e) {
    if (again !== undefined) return { ahead: undefined, chunks: reopened(input, again) }; // (the judging read reports what is wrong with the file)
    spool?.remove();
    return { failed: (e as Error).message };
  }
  // A cut compressed stream lost its end, a known place: reported where it is cut.
  if (input.cut !== undefined) ahead = { ...ahead, shortfall: undefined };
  if (!keeping) return { ahead, chunks: reopened(input, again!) };
  return { ahead, chunks: spool === undefined ? replay(kept) : replayThenSpool(kept, spool) };
}

/** The kept chunks, each let go of as it is handed on. */
async function* replay(kept: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < kept.length; i++) {
    const chunk = kept[i]!;
    kept[i] = EMPTY;
    yield chunk;
  }
}
const EMPTY = new Uint8Array(0);

/**
 * The file read again from its start, for the judging read, whose cut (a compressed stream cut
 * short) is the input's: the read ahead's own is no longer what the input says once it ends.
 */
async function* reopened(input: OpenedInput, again: () => Promise<OpenedInput>): AsyncGenerator<Uint8Array> {
  const fresh = await again();
  try {
    yield* fresh.chunks;
  } finally {
    input.cut = fresh.cut;
  }
}

/** The kept chunks, then the spooled rest of the input; the spool is removed once read or let go of. */
async function* replayThenSpool(kept: Uint8Array[], spool: Spool): AsyncGenerator<Uint8Array> {
  try {
    yield* replay(kept);
    yield* spool.read();
  } finally {
    spool.remove();
  }
}

async function* startsWithLoss(source: AsyncIterable<TraceItem[]>, gap: TraceGap, stats: SourceStats): AsyncGenerator<TraceItem[]> {
  stats.gaps++;
  yield [gap];
  yield* source;
}

export interface FtraceSourceOptions {
  file: string;
  spec: TypedSpec;
  onDiagnostic: (d: Diagnostic) => void;
  stats: SourceStats;
  params?: Record<string, string>;
  /** Filled with what the capture probes, as it is read. */
  coverage?: ProbeCoverage;
  /** The capture's probe definitions (its `kprobe_events`), when the user gave them. */
  probes?: ProbeDefinition[];
  /** The first part of the input, scanned for probed functions before any event is judged. */
  head?: string;
  /** Names the functions of probe records printed with bare-address sites (trace-cmd report, perf script). */
  probeSites?: ProbeSites;
  /** Where each lost-events marker's loss may begin, from the read ahead (read-ahead.ts). */
  lossStarts?: ReadAhead['lossStarts'];
  /** Where an overwritten ring buffer's history is whole again, from the read ahead (read-ahead.ts). */
  overwrittenUntil?: number;
  /** The reorder window, wider than the default for a file whose records come late (crossCpuOrder). */
  reorderWindowNs?: number;
  reorderWindowTicks?: number;
}

/** Rwsem addresses (→ line) as the spec's lock ids: a lock is named by its rwsem's address minus the i_rwsem offset. */
function lockIds(sems: Map<bigint, number>, offset: number): bigint[] {
  return [...sems.keys()].map((sem) => BigInt.asUintN(64, sem - BigInt(offset)));
}

/** The entry (an rwsem or a task, and its line) of a non-empty map of them to lines that comes first. */
function firstTaken<K>(byLine: Map<K, number>): [K, number] {
  return [...byLine.entries()].reduce((a, b) => (b[1] < a[1] ? b : a));
}

/** The spec's mappings as the reader's mapping interface. */
export function specMapping(spec: TypedSpec): FtraceMapping {
  const mapper = compileRecordMapper(spec);
  return {
    wants: (name, kind) => mapper.wants(kind, name),
    map: (rec) => mapper.map(rec),
  };
}

export function openFtraceSource(chunks: AsyncIterable<Uint8Array | DecodedChunk>,
  opts: FtraceSourceOptions): { ok: true; source: AsyncIterable<TraceItem[]> } | { ok: false; diagnostics: Diagnostic[] } {
  if (opts.spec.mappings.length === 0) {
    const d = error('KV317', `'${opts.file}' is ftrace text, but the spec has no 'map' declarations to turn its records into events`,
      { at: { source: opts.file, line: 1, column: 1 } }, 'use the bundled spec, or import spec/vfs/ftrace.kinv into yours');
    return { ok: false, diagnostics: [d] };
  }
  const mapping = specMapping(opts.spec);
  const cov = opts.coverage;
  // What a probe shows counts only if the mapping turns its records into events.
  const mapped = (kind: 'kprobe' | 'kretprobe', fn: string, event?: string): boolean => mapping.wants(fn,
    kind) || (event !== undefined && mapping.wants(event, kind));
  const note = (kind: 'kprobe' | 'kretprobe', fn: string): void => {
    if (kind === 'kprobe') cov?.noteEntry(fn);
    else cov?.noteReturn(fn);
  };
  for (const p of opts.probes ?? []) if (mapped(p.kind, p.fn, p.event)) note(p.kind, p.fn);
  if (opts.head !== undefined) for (const p of probesIn(opts.head, opts.probeSites)) if (mapped(p.kind, p.fn, p.event)) note(p.kind, p.fn);
  return {
    ok: true,
    source: readFtrace(chunks, mapping, {
      file: opts.file, onDiagnostic: opts.onDiagnostic, stats: opts.stats, params: opts.params ?? {}, leafFunctions: leafFunctions(opts.spec),
      onProbed: note, returnProbes: opts.probes?.filter((p) => p.kind === 'kretprobe').map((p) => p.fn), probeSites: opts.probeSites,
      lossStarts: opts.lossStarts, overwrittenUntil: opts.overwrittenUntil,
      reorderWindowNs: opts.reorderWindowNs, reorderWindowTicks: opts.reorderWindowTicks,
    }),
  };
}

/**
 * Probe records in a piece of ftrace text: `name: (sym+0x0/0x50)` entries and `name: (site <- sym)`
 * returns, and their bare-address forms `name: (addr)` and `name: (addr <- site)` where `sites` names them.
 */
function* probesIn(text: string, sites: ProbeSites | undefined): Generator<{ kind: 'kprobe' | 'kretprobe'; fn: string; event: string }> {
  const seen = new Set<string>();
  const heads = / ([\w.:-]+): \((?:([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+|[^()<\n]* <- ([A-Za-z_][\w.]*)|([0-9a-f]{1,16})(?: <- ([0-9a-f]{1,16}))?)\)/g;
  for (const m of text.matchAll(heads)) {
    const event = m[1]!.slice(m[1]!.lastIndexOf(':') + 1);
    let kind: 'kprobe' | 'kretprobe';
    let fn: string | undefined;
    if (m[4] !== undefined) {
      kind = m[5] === undefined ? 'kprobe' : 'kretprobe';
      const r = sites?.resolve(kind, event, m[4]);
      fn = r !== undefined && 'fn' in r ? r.fn : undefined;
    } else {
      kind = m[2] !== undefined ? 'kprobe' : 'kretprobe';
      fn = m[2] ?? m[3];
    }
    if (fn === undefined) continue;
    const key = kind + ' ' + fn + ' ' + event;
    if (seen.has(key)) continue;
    seen.add(key);
    yield { kind, fn, event };
  }
}

/** The spec's `param ftrace_leaf_functions` (names separated by blanks or commas), if it has one. */
function leafFunctions(spec: TypedSpec): string[] {
  const v = spec.params.get('ftrace_leaf_functions')?.value;
  return typeof v === 'string' ? v.split(/[\s,]+/).filter((x) => x !== '') : [];
}
