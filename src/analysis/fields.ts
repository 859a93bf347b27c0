/** The fields in scope at an event: those every event carries, and those its declaration gives at each phase. */
import type { EventSchema, FieldSource, Phase } from './ir.js';
import { INT, STR, TASK, TS, type Type } from './types.js';

/**
 * Fields every event carries, whatever its declaration. `ts` is the capture time in seconds with a
 * fraction (ftrace's `1234.567890`), and none where the source records no time (the simulator,
 * NDJSON without `ts`, an ftrace clock that only counts), so it is typed apart from int.
 */
export const IMPLICIT_FIELDS: Readonly<Record<string, Type>> = { pid: TASK, seq: INT, comm: STR, cpu: INT, ts: TS };

export type FieldScope = Map<string, { type: Type; from: FieldSource }>;

export function implicitFields(): FieldScope {
  const m: FieldScope = new Map();
  for (const [k, t] of Object.entries(IMPLICIT_FIELDS)) m.set(k, { type: t, from: 'implicit' });
  return m;
}

/** The fields in scope at an event of the given phase. */
export function fieldsAt(ev: EventSchema, phase: Phase): FieldScope {
  const m = implicitFields();
  if (phase === 'ret') {
    for (const f of ev.fields) m.set(f.name, { type: f.type, from: 'call' });
    m.set('ret', { type: STR, from: 'ret' });
    for (const f of ev.returns) m.set(f.name, { type: f.type, from: f.name === 'ret' ? 'ret' : 'args' });
  } else {
    for (const f of ev.fields) m.set(f.name, { type: f.type, from: 'args' });
  }
  return m;
}
