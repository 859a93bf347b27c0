/**
 * A spec per trace format: the checker sets `param source` from the input's format, and a value the
 * spec already has is the same spec, not a second load and compile per trace.
 */
import { describe, expect, it } from 'vitest';
import { SpecSet } from '../../src/checker/spec-set.js';

describe('SpecSet', () => {
  it('uses the base spec for NDJSON (source = ndjson is the bundled default) and a spec of its own for ftrace', () => {
    const specs = new SpecSet([], {});
    expect(specs.base?.spec.params.get('source')?.value).toBe('ndjson');
    expect(specs.for('ndjson')).toBe(specs.base);
    const ftrace = specs.for('ftrace');
    expect(ftrace).not.toBe(specs.base);
    expect(ftrace?.spec.params.get('source')?.value).toBe('ftrace');
    expect(specs.for('ftrace')).toBe(ftrace);
  });

  it('keeps a source the user set, and loads again for an inferred parameter that changes a value', () => {
    const mine = new SpecSet([], { source: 'ftrace' });
    expect(mine.for('ndjson')).toBe(mine.base);
    expect(mine.for('ndjson')?.spec.params.get('source')?.value).toBe('ftrace');
    const specs = new SpecSet([], {});
    const order = specs.for('ndjson', { order: 'new' });
    expect(order).not.toBe(specs.base);
    expect(order?.spec.params.get('order')?.value).toBe('new');
    expect(specs.for('ndjson', { order: 'current' })).toBe(specs.base);
  });
});
