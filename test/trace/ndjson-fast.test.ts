/**
 * The byte-level fast path of the NDJSON reader either declines a line or gives exactly the event
 * of the precise slow path (JSON.parse + parseNdjsonLine), on well-formed records, near-misses and
 * arbitrary mutations of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastRecordParser } from '../../src/trace/ndjson-fast.js';
import { parseNdjsonLine } from '../../src/trace/ndjson.js';
import { NO_ARGS, type TraceEvent } from '../../src/values/event.js';

function both(line: string): { fast: unknown; slow: unknown } {
  const buf = Buffer.from(line, 'utf8');
  const fast = new FastRecordParser('t').parse(buf, 0, buf.length, 3, 7);
  const r = parseNdjsonLine(line.replace(/\r$/, ''), 3, 't', 7);
  return { fast, slow: 'event' in r ? r.event : undefined };
}

function agrees(line: string): void {
  const { fast, slow } = both(line);
  if (fast !== undefined) expect(fast).toStrictEqual(slow);
}

const samples = [
  '{"pid":1044,"ev":"call","fn":"lookup_slow","args":{"dir":"I165","name":"f1044_7","flags":1048576}}',
  '{"pid":1,"ev":"ret","fn":"d_alloc_parallel","ret":"D3","args":{"outcome":"N"}}',
  '{"pid":1,"ev":"ret","fn":"d_splice_alias","ret":null}',
  '{ "pid" : 2 , "ev" : "acq" , "args" : { "lock" : "I1" , "mode" : "W" } , "ts" : 12.5e-3 , "cpu" : 1 , "comm" : "ls" , "seq" : 9 }\r',
  '{"ev":"syscall_exit","pid":-0,"extra":[1,2],"x":{"a":1}}',
  '{"pid":1,"ev":"rel","args":{"lock":"I1","lock":"I2"}}',
  '{"pid":1,"pid":2,"ev":"rel"}',
  '{"pid":1.0,"ev":"x","args":{"__proto__":"a"}}',
  '{"pid":12345678901234567890,"ev":"x","args":{"n":-1.5E+3,"b":true,"c":false,"z":null,"big":123456789012345678}}',
  '{"pid":1,"ev":"x","ret":true}',
  '{"pid":1,"ev":"x","fn":null}',
  '{"pid":1,"ev":"call"}',
  '{"pid":01,"ev":"x"}',
  '{"pid":1,"ev":"x","args":{"s":"caf\\u00e9"}}',
  '{"pid":1,"ev":"x","args":{}}',
  '{"pid":1,"ev":"x","args":null}',
  '{}',
  '',
  '   ',
  '{"pid":1,"ev":"x"} trailing',
];

describe('NDJSON fast path', () => {
  it('accepts the common shapes', () => {
    for (const line of samples.slice(0, 4)) expect(both(line).fast).toBeDefined();
  });

  it('agrees with the slow path on samples', () => {
    for (const line of samples) agrees(line);
  });

  it('agrees with the slow path on mutated records', () => {
    fc.assert(fc.property(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', ',', ':', '{', '}', '1', '-', '.', 'e', ' ', '\\', 'é', 'a', '\t', '\u0001', '')), { maxLength: 4 }), (line, edits) => {
      let s = line;
      for (const [at, ch] of edits) { const i = s.length === 0 ? 0 : at % s.length; s = s.slice(0, i) + ch + s.slice(i + (ch === '' ? 1 : 0)); }
      agrees(s);
    }), { numRuns: 3000 });
  });

  it('agrees with the slow path, key order included, when one parser reads many lines', () => {
    // One parser for every line, as the reader uses it: its string cache and scratch state carry
    // over from line to line, and must never leak one record's keys or values into the next.
    const parser = new FastRecordParser('t');
    const key = fc.constantFrom('dir', 'name', 'flags', 'lock', 'mode', '1', '0', 'a b', 'dentry', 'x'.repeat(40));
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const rec = fc.record({ pid: fc.integer({ min: 0 }), ev: fc.constantFrom('acq', 'rel', 'call', 'ret'), fn: fc.constantFrom('lookup', 'd_alloc_parallel'),
      ret: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), args: fc.dictionary(key, scalar, { maxKeys: 8 }) }, { requiredKeys: ['pid', 'ev', 'fn'] });
    let accepted = 0;
    fc.assert(fc.property(fc.array(rec, { minLength: 1, maxLength: 40 }), (recs) => {
      for (const r of recs) {
        const line = JSON.stringify(r);
        const buf = Buffer.from(line, 'utf8');
        const fast = parser.parse(buf, 0, buf.length, 3, 7);
        const slow = parseNdjsonLine(line, 3, 't', 7);
        if (fast === undefined) continue;
        accepted++;
        expect('event' in slow).toBe(true);
        if (!('event' in slow)) return;
        expect(fast).toStrictEqual(slow.event);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.event));
      }
    }), { numRuns: 400 });
    expect(accepted).toBeGreaterThan(1000);
  });

  it('gives the args object of the slow path, keys in their order, for more key lists than it makes constructors for', () => {
    // Past its bound of key lists (256) the parser builds args key by key: both ways, the object
    // is the one JSON.parse gives, with the same keys in the same order.
    const parser = new FastRecordParser('t');
    for (let i = 0; i < 300; i++) {
      const keys = [`k${i}`, 'lock', String(i % 7), `m${i % 3}`].slice(0, 1 + (i % 4));
      const args = Object.fromEntries(keys.map((k, j) => [k, j % 2 === 0 ? `v${i}` : i * j]));
      const line = JSON.stringify({ pid: i, ev: 'acq', args });
      const buf = Buffer.from(line, 'utf8');
      const fast = parser.parse(buf, 0, buf.length, 3, 7);
      const slow = parseNdjsonLine(line, 3, 't', 7);
      expect('event' in slow && fast).toBeTruthy();
      if (!('event' in slow) || fast === undefined) return;
      expect(fast).toStrictEqual(slow.event);
      expect(Object.keys(fast.args)).toEqual(Object.keys(slow.event.args));
    }
  });

  it('agrees with the slow path on generated records', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const rec = fc.record({ pid: fc.oneof(fc.integer(), scalar), ev: fc.oneof(fc.constantFrom('call', 'ret', 'acq', ''), scalar), fn: scalar, args: fc.dictionary(fc.string(), scalar), ret: scalar, seq: scalar, ts: scalar, cpu: scalar, comm: scalar }, { requiredKeys: [] });
    fc.assert(fc.property(rec, (r) => agrees(JSON.stringify(r))), { numRuns: 3000 });
  });

  it('gives every event without arguments the one shared, frozen args object, on both paths', () => {
    for (const line of ['{"pid":1,"ev":"ret","fn":"d_splice_alias","ret":null}', '{"pid":1,"ev":"syscall_exit","args":{}}', '{"pid":1,"ev":"x","args":{ }}']) {
      const { fast, slow } = both(line);
      expect((fast as TraceEvent).args).toBe(NO_ARGS);
      expect((slow as TraceEvent).args).toBe(NO_ARGS);
    }
    expect(Object.isFrozen(NO_ARGS)).toBe(true);
    const { fast, slow } = both(samples[1]!);
    expect((fast as TraceEvent).args).not.toBe(NO_ARGS);
    expect((slow as TraceEvent).args).toEqual({ outcome: 'N' });
    expect((fast as TraceEvent).ret).toBe('D3');
  });
});
