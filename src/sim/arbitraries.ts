/**
 * fast-check arbitraries for kinv: scenarios and choice lists for the simulator, and raw trace
 * lines for parser fuzzing. Shrinking moves toward fewer tasks, fewer operations, no faults and
 * all-zero choices (the first runnable task, no fault), so a shrunk counterexample is the short
 * story a human would tell.
 */
import fc from 'fast-check';
import type { DAddCiShape, LockOrder, Op, Scenario } from './model.js';

export interface ScenarioArbOptions {
  dAddCi: DAddCiShape;
  order: LockOrder;
  maxTasks?: number;
  maxOps?: number;
  /** Writers may spin on the lock owner (Scenario.spin) in every scenario (no random draw). */
  writerSpin?: boolean;
}

/** One case-insensitive directory with the on-disk entry "Foo" and an ordinary one with "bar". */
const DIRS: Scenario['dirs'] = [
  { id: 'I1', ci: true, entries: ['Foo'] },
  { id: 'I2', ci: false, entries: ['bar'] },
];

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Op['kind']>('stat', 'open_creat', 'mkdir'),
  dir: fc.constantFrom('I1', 'I2'),
  name: fc.constantFrom('foo', 'Foo', 'FOO', 'bar', 'Bar'),
});

/** Scenarios over two directories; tasks do lookups, O_CREAT opens and creations in every case spelling. */
export function scenarioArb(o: ScenarioArbOptions): fc.Arbitrary<Scenario> {
  return fc.record({
    tasks: fc.array(fc.array(opArb, { minLength: 1, maxLength: o.maxOps ?? 2 }), { minLength: 1, maxLength: o.maxTasks ?? 3 }),
    allocFail: fc.boolean(),
    exactHashed: fc.boolean(),
    handoff: fc.boolean(),
  }).map((r) => ({
    dAddCi: o.dAddCi,
    order: o.order,
    dirs: DIRS,
    tasks: r.tasks.map((ops, i) => ({ pid: 101 + i, comm: ops[0]!.kind === 'stat' ? 'stat' : ops[0]!.kind === 'mkdir' ? 'mkdir' : 'open', ops })),
    faults: { allocFail: r.allocFail, exactHashed: r.exactHashed },
    handoff: r.handoff,
    ...(o.writerSpin === true ? { spin: true } : {}),
  }));
}

/** Choice lists for `listChooser`: short, and shrinking toward 0 (the first option). */
export function choicesArb(maxLength = 60): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 3 }), { maxLength });
}

/** A readable one-line story of a scenario. */
export function describeScenario(sc: Scenario): string {
  const tasks = sc.tasks.map((t) => `task ${t.pid}: ${t.ops.map((o) => `${o.kind}(${o.dir}/${o.name})`).join(', ')}`).join('; ');
  const faults = [
    sc.faults.allocFail ? 'allocation failures' : '', sc.faults.exactHashed ? 'concurrent hashing of the exact name' : '', sc.handoff ? 'writer hand-off' : '',
    sc.spin === true ? 'writer spinning' : '',
  ].filter(Boolean);
  return `${tasks}${faults.length ? ` (may: ${faults.join(', ')})` : ''}`;
}

/** NDJSON-ish lines: valid records, near-misses and garbage, for parser fuzzing. */
export const ndjsonLineArb: fc.Arbitrary<string> = fc.oneof(
  fc.record({
    pid: fc.integer(), ev: fc.constantFrom('acq', 'rel', 'call', 'ret', 'il_end', 'x'), fn: fc.option(fc.constantFrom('lookup', 'd_add_ci')),
    args: fc.dictionary(fc.constantFrom('lock', 'mode', 'dentry', 'dir'), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))),
  }).map((o) => JSON.stringify(o)),
  fc.json(),
  fc.string(),
  fc.string().map((s) => `{"pid":1,"ev":"${s}"`),
);

/** ftrace-ish lines in the reference probe format, with mutations and garbage. */
export const ftraceLineArb: fc.Arbitrary<string> = fc.oneof(
  fc.record({
    comm: fc.constantFrom('find', 'stat', '<...>', 'kworker/u8:2', 'a b-c'), pid: fc.nat(99999), cpu: fc.nat(7),
    probe: fc.constantFrom('dr', 'ur', 'dap_ret', 'lkslow', 'sys_exit'), arg: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((b) => b.toString(16)),
  })
    .map((r) => `${r.comm.padStart(16)}-${r.pid} [${String(r.cpu).padStart(3, '0')}] ..... 100.000001: ${r.probe}: (fn+0x0/0x10) sem=0x${r.arg}`),
  fc.constantFrom('CPU:1 [LOST 12 EVENTS]', '##### CPU 2 buffer started ####', '[LINE TOO BIG]', '# tracer: nop', ''),
  fc.string(),
);
