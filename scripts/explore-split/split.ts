/**
 * How many product states (model state x monitor state) an exploration keeps per model state,
 * and which monitor-state components tell them apart: a breadth-first search like `explore`
 * (partial-order reduction on unless --no-por), grouped by the model's key.
 *   npx tsx scripts/explore-split/split.ts --tasks 2|3|4 --d-add-ci S --order O [--no-por] [--max N] [--drop A,B] [--rank C]
 * `--drop` and `--rank` estimate what an abstraction would merge: the listed stores (by name;
 * `T:` for the past-time tables' "matched at the event before" flags) left out, or their
 * numeric values replaced by their ranks. Four tasks: the bench's `quartet`.
 */
import { bundledChecker, type IncrementalChecker } from '../../src/checker/incremental.js';
import { localStepNext } from '../../src/sim/explore.js';
import { initialState, live, runnable, step, type ModelState, type Scenario } from '../../src/sim/model.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';
import { cloneState, stateKey } from '../../src/sim/state.js';
import type { TraceEvent } from '../../src/trace/event.js';
import type { Chooser } from '../../src/sim/chooser.js';

const arg = (n: string, d: string): string => { const i = process.argv.indexOf(n); return i >= 0 ? process.argv[i + 1]! : d; };
const dAddCi = arg('--d-add-ci', 'mainline') as 'mainline';
const order = arg('--order', 'current') as 'current';
const tasks = Number(arg('--tasks', '3'));
const max = Number(arg('--max', '300000'));
const por = !process.argv.includes('--no-por');
const trio = SCENARIOS.trio!({ dAddCi, order });
const dir = trio.dirs[0]!.id;
const sc: Scenario = tasks === 4 ? {
  ...trio, tasks: [
    { pid: 101, comm: 'stat', ops: [{ kind: 'stat', dir, name: 'Foo' }] },
    { pid: 102, comm: 'stat', ops: [{ kind: 'stat', dir, name: 'foo' }] },
    { pid: 103, comm: 'open', ops: [{ kind: 'open_creat', dir, name: 'foo' }] },
    { pid: 104, comm: 'mkdir', ops: [{ kind: 'mkdir', dir, name: 'bar' }] },
  ],
} : tasks === 3 ? trio : SCENARIOS.pair!({ dAddCi, order });

function probe(prefix: number[]): Chooser & { log: { n: number; pick: number }[] } {
  let i = 0; const log: { n: number; pick: number }[] = [];
  return { log, choose(n) { if (n <= 1) return 0; const p = i < prefix.length ? prefix[i]! : 0; i++; log.push({ n, pick: p }); return p; } };
}
const names = (m: IncrementalChecker): string[] => {
  const e = (m as unknown as { engine: { rt: { stores: { name?: string }[] } } }).engine;
  return e.rt.stores.map((s, i) => s.name ?? `scalar${i}`);
};
const drop = arg('--drop', '').split(',').filter(Boolean);
const rank = arg('--rank', '').split(',').filter(Boolean);
const rawFp = (m: IncrementalChecker): string => (m as unknown as { engine: { fingerprint(): string } }).engine.fingerprint();
/** An estimate of what abstracting components would merge (the search keeps the first monitor of each merged class). */
const fullFp = (m: IncrementalChecker): string => {
  const parts = rawFp(m).split('|');
  return parts.map((x) => {
    const idx = /^(\d+):/.exec(x);
    const label = idx ? storeNames[Number(idx[1])]! : x.slice(0, 2);
    if (drop.includes(label) && label === 'T:') return x.replace(/\*/g, '');
    if (rank.includes(label)) {
      const body = x.slice(idx![0].length);
      const items = body ? body.split(',').map((kv) => kv.split('=')) : [];
      const vals = [...new Set(items.map((i) => Number(i[1])))].sort((a, b) => a - b);
      return idx![0] + items.map((i) => i[0] + '=' + vals.indexOf(Number(i[1]))).join(',');
    }
    if (drop.includes(label)) return idx ? idx[0] : label;
    return x;
  }).join('|');
};

const mk = bundledChecker({ order });
const root = mk();
const storeNames = names(root);

const groups = new Map<string, Set<string>>();
const seen = new Set<string>();
let frontier: { s: ModelState; m: IncrementalChecker }[] = [{ s: initialState(sc), m: root }];
const add = (s: ModelState, m: IncrementalChecker, next: typeof frontier): void => {
  const mk0 = stateKey(s); const fp = fullFp(m);
  const k = mk0 + '#' + fp;
  if (seen.has(k) || seen.size >= max) return;
  seen.add(k);
  let g = groups.get(mk0); if (!g) { g = new Set(); groups.set(mk0, g); } g.add(fp);
  next.push({ s, m });
};
add(frontier[0]!.s, root, []);
const NO: Chooser = { choose: () => 0 };
while (frontier.length && seen.size < max) {
  const next: typeof frontier = [];
  for (const { s, m } of frontier) {
    if (!live(s)) continue;
    const r = runnable(s);
    if (r.length === 0) continue;
    let took = false;
    if (por) for (const t of r) {
      if (!localStepNext(s, t)) continue;
      const st = cloneState(s, t); const ev: TraceEvent[] = []; step(sc, st, t, NO, ev);
      if (ev.length) continue;
      add(st, m, next); took = true; break;
    }
    if (took) continue;
    for (const t of r) {
      const pending: number[][] = [[]];
      while (pending.length) {
        const prefix = pending.pop()!;
        const st = cloneState(s, t); const ch = probe(prefix); const ev: TraceEvent[] = [];
        step(sc, st, t, ch, ev);
        for (let p = prefix.length; p < ch.log.length; p++) for (let a = 1; a < ch.log[p]!.n; a++) pending.push([...ch.log.slice(0, p).map((c) => c.pick), a]);
        let mm = m;
        if (ev.length) { mm = m.clone(); for (const e of ev) { e.file = 'replay'; e.line = e.seq + 1; mm.step(e); } }
        add(st, mm, next);
      }
    }
  }
  frontier = next;
}
// Which parts differ between monitor fingerprints of one model state.
const diffCount = new Map<string, number>();
const examples = new Map<string, string[]>();
let hist = new Map<number, number>();
for (const fps of groups.values()) {
  hist.set(fps.size, (hist.get(fps.size) ?? 0) + 1);
  const list = [...fps].map((f) => f.split('|'));
  if (list.length < 2) continue;
  const n = list[0]!.length;
  for (let p = 0; p < n; p++) {
    const vals = new Set(list.map((l) => l[p]));
    if (vals.size > 1) {
      const head = list[0]![p]!;
      const idx = /^(\d+):/.exec(head);
      const label = idx ? storeNames[Number(idx[1])]! : head.slice(0, 2);
      diffCount.set(label, (diffCount.get(label) ?? 0) + 1);
      if (!examples.has(label)) examples.set(label, [...vals].slice(0, 3) as string[]);
    }
  }
}
hist = new Map([...hist].sort((a, b) => a[0] - b[0]));
console.log(JSON.stringify({ tasks, dAddCi, order, por, productStates: seen.size, modelStates: groups.size, ratio: +(seen.size / groups.size).toFixed(2), cut: seen.size >= max,
  fingerprintsPerModelState: Object.fromEntries(hist), modelStatesWhereComponentDiffers: Object.fromEntries([...diffCount].sort((a, b) => b[1] - a[1])), examples: Object.fromEntries(examples) }, null, 1));
