/**
 * Stable diagnostic codes. Tests assert on codes, never on message wording.
 * KV0xx spec syntax · KV1xx names · KV2xx types · KV3xx trace ingest · KV4xx checker. Every code here is
 * emitted somewhere (test/diag/codes.test.ts). Violations and pending obligations are verdicts, not
 * diagnostics, and an internal error is exit code 70 with one line, so neither has a code. Lost events
 * are gaps (with the count in `lost`; a ring buffer that overwrote the capture's beginning is also a
 * warning, KV322, as nothing else in a text report says it), and an invariant a capture cannot observe is a coverage
 * status of the summary (`not observable`), not a diagnostic.
 */
export const DIAG_CODES = {
  KV001: 'spec syntax error',
  KV002: 'cannot read spec file',
  KV003: 'import cycle or missing import',
  KV101: 'unknown name',
  KV102: 'duplicate declaration',
  KV103: 'unknown event or function',
  KV104: 'unknown field of an event',
  KV105: 'unknown or unused parameter',
  KV106: 'invalid parameter value',
  KV201: 'type mismatch',
  KV202: 'wrong number of arguments',
  KV203: 'construct not allowed here',
  KV204: 'recursive definition',
  KV205: 'invariant whose condition reads nothing of the trace (it holds at every event or at none)',
  KV206: 'state read but never assigned or added to by any rule (it is empty, or none, at every event)',
  KV301: 'malformed trace line',
  KV302: 'record does not fit the event schema',
  KV303: 'unknown event',
  KV304: 'return without a matching call',
  KV305: 'truncated input',
  KV306: 'binary or non-text input',
  KV308: 'unclosed call skipped by a return',
  KV309: 'cannot read trace file',
  KV310: 'unrecognised trace line',
  KV311: 'records of different CPUs share a timestamp',
  KV312: 'kretprobe returns missing from the log',
  KV313: 'files in a trace folder not checked (sidecars), and its subfolders',
  KV314: 'nothing to judge: no trace record in the input',
  KV315: 'ftrace records out of time order on one CPU',
  KV316: 'fewer ftrace records than the header promises',
  KV317: 'ftrace text, but the spec has no map declarations to read it with',
  KV318: 'unreadable ITF trace or state',
  KV319: 'probe site printed as an address no symbol names',
  KV320: 'rwsems taken and never released anywhere in a capture',
  KV321: "a kernel layout parameter a capture does not show (the i_rwsem offset, the DCACHE_PAR_LOOKUP bit): the spec's default is used",
  KV322: 'ring buffer overwritten: the first part of the capture is lost',
  KV325: 'ftrace records of one CPU later than the reorder window behind those of another (a file not merged in time order)',
  KV326: 'the records of some CPUs left out of an ftrace capture (one CPU\'s file, a report of some CPUs)',
  KV327: 'rwsems taken in one mode and released, anywhere in a capture, only in the other (up_read or up_write not probed)',
  KV328: 'an ftrace capture without a header whose records all come from CPU 0 (a one-CPU machine, or CPU 0\'s own file of a bigger one)',
  KV329: 'tasks that take rwsems in a mode and release none that way anywhere in a capture, where other tasks do (release probes filtered by task)',
  KV330: 'tasks that make in-lookup dentries and end no in-lookup state anywhere in a capture, where other tasks do (unhash probes filtered by task)',
  KV331: 'tasks that release by up_read rwsems taken exclusive, never downgrading, where other tasks downgrade (downgrade_write filtered by task)',
  KV332: 'records of one call logged twice, by two probes on the same function (one is read)',
  KV333: 'probes that --probes declares are not those that were on: a declared function certainly called logged nothing',
  KV334: 'release records of a mode that begin late or end early while tasks go on taking locks that way and releasing them unlogged '
    + '(probe turned on late or off early, records lost)',
  KV335: 'in-lookup ends (__d_lookup_unhash) logged for part of a capture only: in-lookup dentries whose lookups returned, or made again, with no end logged',
  KV336: 'acquisitions logged for part of a capture only: releases of rwsems their tasks do not hold where acquisition entries went unlogged',
  KV337: 'records that name no task (function_graph without funcgraph-proc, before a CPU\'s first context-switch marker): not judged',
  KV401: 'verdict unknown for the whole trace',
  KV402: 'failed evaluations the capture cannot confirm (unknown verdicts)',
  KV403: 'evaluations left unjudged where lost events left the tasks\' state unknown',
} as const;

export type DiagCode = keyof typeof DIAG_CODES;
