/**
 * Exploration branches monitors by cloning them: a clone taken anywhere in a run, fed the rest of
 * the run, must say what the monitor that saw the whole run says — same verdicts, same fingerprint,
 * same counters — and stepping it must leave the original as it was.
 */
import { describe, expect, it } from 'vitest';
import { bundledChecker } from '../../src/checker/incremental.js';
import { KeyedStore, Relation } from '../../src/monitor/store.js';
import { seededChooser } from '../../src/sim/chooser.js';
import { SCENARIOS } from '../../src/sim/scenarios.js';
import { simulate } from '../../src/sim/simulate.js';

const verdicts = (vs: { invariant: string; event?: { seq: number } | undefined; message: string }[]) => vs.map((v) => [v.invariant, v.event?.seq, v.message]);

describe('a cloned monitor', () => {
  for (const [dAddCi, order, seed] of [['draft', 'current', 3], ['mainline', 'new', 5], ['fixed', 'current', 8]] as const) {
    it(`continues as the original on trio ${dAddCi}/${order}, cloned at every event`, () => {
      const make = bundledChecker({ order });
      const { events } = simulate(SCENARIOS.trio!({ dAddCi, order }), seededChooser(seed));
      expect(events.length).toBeGreaterThan(10);
      const whole = make();
      const seen: unknown[] = [];
      const prints: string[] = [];
      for (const e of events) { seen.push(verdicts(whole.step(e))); prints.push(whole.fingerprint()); }
      const counters = (m: unknown) => (m as { engine: { counters: unknown } }).engine.counters;
      for (let cut = 0; cut < events.length; cut += 3) {
        const original = make();
        for (const e of events.slice(0, cut)) original.step(e);
        const before = original.fingerprint();
        const c = original.clone();
        expect(c.fingerprint()).toBe(before);
        for (let i = cut; i < events.length; i++) {
          expect(verdicts(c.step(events[i]!))).toEqual(seen[i]);
          expect(c.fingerprint()).toBe(prints[i]);
        }
        expect(original.fingerprint()).toBe(before);
        expect(counters(c)).toEqual(counters(whole));
        expect(verdicts(c.finish())).toEqual(verdicts(whole.clone().finish()));
      }
    });
  }
});

/** The engine behind a bundled checker (the digest and the plain fingerprint are the engine's). */
const engineOf = (m: unknown) => (m as { engine: { fingerprint(): string; digest(): string } }).engine;

describe('copy-on-write clones', () => {
  it('leave a clone as it was when the original is stepped on, and the original when the clone is', () => {
    const make = bundledChecker({ order: 'current' });
    const { events } = simulate(SCENARIOS.trio!({ dAddCi: 'draft', order: 'current' }), seededChooser(4));
    for (let cut = 1; cut < events.length; cut += 5) {
      const original = make();
      for (const e of events.slice(0, cut)) original.step(e);
      const at = engineOf(original).fingerprint();
      const c = original.clone();
      const grandchild = c.clone();
      for (const e of events.slice(cut)) original.step(e);
      expect(engineOf(c).fingerprint()).toBe(at);
      expect(engineOf(grandchild).fingerprint()).toBe(at);
      for (const e of events.slice(cut)) c.step(e);
      expect(engineOf(c).fingerprint()).toBe(engineOf(original).fingerprint());
      expect(engineOf(grandchild).fingerprint()).toBe(at);
    }
  });
});

/** A store's content as a step may change it: entries (or edges) in order with their values and the events that wrote them. */
function content(s: unknown): string {
  if (s instanceof KeyedStore) return JSON.stringify([...s.entries()].map((e) => [...e.key(), e.v, e.prov?.seq]));
  if (s instanceof Relation) return JSON.stringify([...s.succ].map(([a, m]) => [a, [...m].map(([b, by]) => [b, by?.seq])]));
  const cell = s as { v: unknown; prov: { seq: number } | undefined };
  return JSON.stringify([cell.v, cell.prov?.seq]);
}

describe('copy on write at the write', () => {
  it('leaves a clone sharing every store its step did not change, and owning a copy of every store it did', () => {
    const storesOf = (m: unknown) => (m as { engine: { rt: { stores: unknown[] } } }).engine.rt.stores;
    let shared = 0;
    let copied = 0;
    for (const [dAddCi, order, seed] of [['draft', 'current', 3], ['mainline', 'new', 5], ['fixed', 'current', 8]] as const) {
      const make = bundledChecker({ order });
      const { events } = simulate(SCENARIOS.trio!({ dAddCi, order }), seededChooser(seed));
      const m = make();
      for (const e of events) {
        const before = storesOf(m).map(content);
        const c = m.clone();
        c.step(e);
        storesOf(c).forEach((s, i) => {
          const original = storesOf(m)[i];
          expect(content(original)).toBe(before[i]);
          if (content(s) === before[i]) { expect(s).toBe(original); shared++; }
          else { expect(s).not.toBe(original); copied++; }
        });
        m.step(e);
      }
    }
    expect(copied).toBeGreaterThan(0);
    expect(shared).toBeGreaterThan(copied);
  });
});

describe('the digest', () => {
  it('is equal for two monitor states exactly when their plain fingerprints are', () => {
    const make = bundledChecker({ order: 'new' });
    const byPrint = new Map<string, string>();
    const byDigest = new Map<string, string>();
    let states = 0;
    for (const [dAddCi, seed] of [['draft', 1], ['draft', 2], ['mainline', 3], ['fixed', 4], ['mainline', 6]] as const) {
      const { events } = simulate(SCENARIOS.trio!({ dAddCi, order: 'new' }), seededChooser(seed));
      // Digests taken along a run (cached store parts) and on clones (parts shared, then dropped by writes).
      const m = make();
      let branch = m.clone();
      for (const e of events) {
        for (const x of [m, branch]) {
          const print = engineOf(x).fingerprint();
          const digest = x.fingerprint();
          expect(byPrint.get(print) ?? digest).toBe(digest);
          expect(byDigest.get(digest) ?? print).toBe(print);
          byPrint.set(print, digest);
          byDigest.set(digest, print);
          states++;
        }
        m.step(e);
        branch = m.clone();
      }
    }
    expect(byPrint.size).toBeGreaterThan(states / 4);
  });
});

describe('the abstract fingerprint', () => {
  for (const [dAddCi, order, seed] of [['draft', 'current', 3], ['mainline', 'new', 5], ['fixed', 'current', 8]] as const) {
    it(`of a clone stepped on, and along a run, is what a monitor that saw the run from the start gives first (trio ${dAddCi}/${order})`, () => {
      const make = bundledChecker({ order });
      const { events } = simulate(SCENARIOS.trio!({ dAddCi, order }), seededChooser(seed));
      // From scratch: a monitor fed events 0..i whose first digest is taken after them, with nothing kept from an earlier one.
      const fresh = events.map((_, i) => {
        const m = make();
        for (const e of events.slice(0, i + 1)) m.step(e);
        return m.abstractFingerprint!();
      });
      expect(new Set(fresh).size).toBeGreaterThan(events.length / 4);
      const whole = make();
      for (let cut = 0; cut < events.length; cut += 3) {
        const original = make();
        for (const e of events.slice(0, cut)) { original.step(e); original.abstractFingerprint!(); }
        const c = original.clone();
        for (let i = cut; i < events.length; i++) {
          c.step(events[i]!);
          expect(c.abstractFingerprint!()).toBe(fresh[i]);
        }
      }
      events.forEach((e, i) => { whole.step(e); expect(whole.abstractFingerprint!()).toBe(fresh[i]); });
    });
  }
});

describe('counters of clones', () => {
  it('are copies for an engine clone, and the original\'s for a checker clone (which shows none)', () => {
    const make = bundledChecker({ order: 'current' });
    const { events } = simulate(SCENARIOS.trio!({ dAddCi: 'draft', order: 'current' }), seededChooser(4));
    const original = make();
    for (const e of events.slice(0, 10)) original.step(e);
    const engine = (original as unknown as { engine: { counters: { events: number }; clone(): { step(e: unknown): unknown; counters: { events: number } } } }).engine;
    const own = engine.clone();
    for (const e of events.slice(10, 15)) own.step(e);
    expect(engine.counters.events).toBe(10);
    expect(own.counters.events).toBe(15);
    const shared = original.clone();
    for (const e of events.slice(10, 15)) shared.step(e);
    expect(engine.counters.events).toBe(15);
  });
});

describe('a bare clone', () => {
  it('gives the verdicts of its original, each without its explanation, and so do its clones', () => {
    const make = bundledChecker({ order: 'current' });
    const { events } = simulate(SCENARIOS.trio!({ dAddCi: 'draft', order: 'current' }), seededChooser(3));
    const full = make();
    let bare = make().bare!();
    let explained = 0;
    events.forEach((e, i) => {
      // Every fifth event on a clone of the bare one, which goes on from there.
      if (i % 5 === 4) bare = bare.clone();
      const b = bare.step(e);
      const f = full.step(e);
      expect(verdicts(b)).toEqual(verdicts(f));
      for (const v of b) expect([v.slice, v.tasks, v.related]).toEqual([[], [], []]);
      explained += f.filter((v) => v.slice.length > 0).length;
      expect(bare.fingerprint()).toBe(full.fingerprint());
    });
    expect(explained).toBeGreaterThan(0);
  });
});
