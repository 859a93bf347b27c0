/**
 * `import 'kinv/vitest'` registers `toSatisfySpec` with vitest's `expect` and types it:
 *
 *   import 'kinv/vitest';
 *   import { bundledSpec } from 'kinv';
 *   expect(events).toSatisfySpec(bundledSpec());
 */
import { expect } from 'vitest';
import { kinvMatchers, type SpecHandle } from './testing/matchers.js';

expect.extend(kinvMatchers);

export interface KinvMatchers<R = unknown> {
  /** Passes when no invariant of `spec` is violated by the received events; the failure message is kinv's counterexample. */
  toSatisfySpec(spec: SpecHandle): R;
}

declare module 'vitest' {
  // Merged declarations must repeat vitest's own type parameters, `any` default included.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends KinvMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends KinvMatchers {}
}

export { kinvMatchers };
export type { SpecHandle };
