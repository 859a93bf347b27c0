/**
 * What a trace format is to kinv: a name, a test of an input's first bytes, and a reader that
 * turns the input into `TraceItem` batches. The formats kinv knows are listed in `registry.ts`;
 * a library user adds one with `registerTraceFormat`. See ARCHITECTURE.md, "A trace format".
 */
import type { TypedSpec } from '../analysis/ir.js';
import type { Diagnostic } from '../diag/diagnostic.js';
import type { ProbeCoverage, ProbeDefinition } from './coverage.js';
import type { SourceStats, TraceEvent, TraceItem } from './event.js';
import type { KernelSymbols } from './ftrace/sites.js';
import type { OpenedInput } from './input.js';

/**
 * Which events a format yields, which is also the value of a spec's `param source` for its inputs:
 * `ndjson`, the canonical events of the vocabulary (checked against the spec's event declarations);
 * `ftrace`, kernel records that the spec's own `map` declarations turn into events.
 */
export type EventSource = 'ndjson' | 'ftrace';

/** What is wrong with an event's arguments (the argument at fault), `'unknown'` for an event outside the vocabulary. */
export type EventProblem = { field: string; message: string } | undefined | 'unknown';

/** What the user told about a kernel capture (`kinv check --probes`, `--functions`). */
export interface CaptureFacts {
  /** The capture's probe definitions (its `kprobe_events`). */
  probes?: ProbeDefinition[] | undefined;
  /** The traced kernel's functions (`available_filter_functions`, kallsyms). */
  kernelFunctions?: Iterable<string> | undefined;
  /** The traced kernel's text symbols by address, for bare-address probe sites. */
  kernelSymbols?: KernelSymbols | undefined;
}

/** What the checker hands a format when it opens an input. */
export interface FormatContext {
  /** The input's name in diagnostics and provenance (`<stdin>` for standard input). */
  file: string;
  /**
   * Opens the same bytes afresh (a regular file), for a format that reads its input twice (to count
   * a file's records before it is read); undefined for standard input, a pipe, and text decoded from
   * a binary container held in memory: a format that reads those twice keeps what it reads.
   */
  again: (() => Promise<OpenedInput>) | undefined;
  onDiagnostic: (d: Diagnostic) => void;
  /** The input accounting, filled as the input is read. */
  stats: SourceStats;
  /** The parameters the user gave (`--param`). */
  params: Record<string, string>;
  capture: CaptureFacts;
  /** Told the lines read so far by a format that reads its input once ahead of judging it (ftrace), as that read goes. */
  onReadAhead?: ((lines: number) => void) | undefined;
}

/** What a reader yields, with what it knows of the capture. */
export interface OpenedTrace {
  source: AsyncIterable<TraceItem[]>;
  /** Which functions the capture probes, for the coverage report (kernel captures). */
  coverage?: ProbeCoverage | undefined;
  /** The capture starts mid-run: no task's state is known until the spec's synchronising events. */
  tasksStartUnknown?: boolean | undefined;
}

/** An input being read, before and after the spec for it is chosen. */
export interface FormatReader {
  /**
   * Parameters the input itself suggests (a capture's struct offsets): the spec is loaded with
   * them when it declares them and the user did not set them.
   */
  inferred?: Record<string, string> | undefined;
  /**
   * Reads the input against the spec. `validate` is the spec's check of an event's arguments, for
   * readers of canonical events: a rejected event is a located diagnostic and a gap of its task.
   * Undefined when the input cannot be read with this spec (the diagnostics went to `onDiagnostic`).
   */
  read(spec: TypedSpec, validate: (e: TraceEvent) => EventProblem): OpenedTrace | undefined;
}

export interface TraceFormat {
  /** The name `--from` takes and reports show. */
  readonly name: string;
  /** Other names `--from` takes for it. */
  readonly aliases?: readonly string[];
  readonly events: EventSource;
  /**
   * Whether the first bytes of an input (decompressed, without a byte order mark; up to a chunk)
   * are this format's. Without it the format is read only when named with `--from`.
   */
  sniff?(head: Uint8Array): boolean;
  /** Starts reading an input; undefined when it cannot be read at all (the diagnostic given). */
  open(input: OpenedInput, ctx: FormatContext): FormatReader | undefined | Promise<FormatReader | undefined>;
}
