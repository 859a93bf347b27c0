/**
 * `kinv/testing`: what a test suite needs to write traces by hand and check them in memory,
 * without pulling in a test runner (the vitest matcher is `kinv/vitest`).
 */
export { ev, call, ret, gap } from './events.js';
export { bundledSpec, specFrom, specText, checkTrace, explain, kinvMatchers, type SpecHandle } from './matchers.js';
export type { TraceEvent, TraceGap, Scalar } from '../trace/event.js';
export type { CheckReport } from '../checker/check.js';
export type { Verdict } from '../checker/engine.js';
