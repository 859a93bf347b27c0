/**
 * kinv's library API: load a spec, compile it, and check traces (files, streams or in-memory
 * event lists). The CLI is a thin shell over exactly these functions.
 */
export { loadSpec, loadSpecText, bundledSpecDir, type LoadedSpec } from './analysis/load.js';
export type { TypedSpec } from './analysis/ir.js';
export { CompiledSpec, checkEvents, runCheck, type CheckReport, type CheckOptions } from './checker/check.js';
export { checkTraceFile, type FileReport, type CheckFileOptions } from './checker/file.js';
export { SpecSet } from './checker/spec-set.js';
export { parseKallsyms, type KernelSymbols } from './trace/ftrace/sites.js';
export type { Verdict, Engine, EngineOptions } from './checker/engine.js';
export { renderVerdict, verdictJson, describeEvent, eventRecord } from './checker/report.js';
export { renderDiagnostic } from './diag/render.js';
export type { Diagnostic, Span } from './diag/diagnostic.js';
export { readNdjson, parseNdjsonLine } from './trace/ndjson.js';
export { registerTraceFormat, sniffTraceFormat, traceFormat, traceFormatNames } from './trace/registry.js';
export type { TraceFormat, FormatContext, FormatReader, OpenedTrace, EventSource, EventProblem, CaptureFacts } from './trace/format.js';
export type { OpenedInput } from './trace/input.js';
export type { TraceEvent, TraceGap, TraceItem, Scalar, SourceStats } from './trace/event.js';
export { bundledSpec, specFrom, specText, checkTrace, explain, kinvMatchers, type SpecHandle } from './testing/matchers.js';
export { ev, call, ret, gap } from './testing/events.js';
export { simulate, type SimResult } from './sim/simulate.js';
export { explore, type ExploreResult, type Counterexample } from './sim/explore.js';
export { fuzz, runOnce, PREDICTIVE, type FuzzReport } from './sim/fuzz.js';
export { seededChooser, listChooser, recording, type Chooser } from './sim/chooser.js';
export { SCENARIOS, randomScenario } from './sim/scenarios.js';
export type { Scenario, DAddCiShape, LockOrder } from './sim/model.js';
export { scenarioArb, choicesArb, describeScenario, ndjsonLineArb, ftraceLineArb } from './sim/arbitraries.js';
export { bundledChecker, incrementalChecker, type IncrementalChecker } from './checker/incremental.js';
